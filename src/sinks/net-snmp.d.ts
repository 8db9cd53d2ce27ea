/* Minimal types for the parts of net-snmp 3 that the SNMP sink uses (the package has no types). */
declare module 'net-snmp' {
  import type { EventEmitter } from 'node:events';

  export const Version1: 0;
  export const Version2c: 1;

  export const ObjectType: {
    Integer: 2;
    OctetString: 4;
    OID: 6;
    Counter: 65;
    Gauge: 66;
    TimeTicks: 67;
    Unsigned32: 66;
    Integer32: 2;
  };

  export interface Varbind {
    oid: string;
    type: number;
    value: string | number | Buffer;
  }

  export interface SessionOptions {
    port?: number;
    trapPort?: number;
    version?: 0 | 1;
    retries?: number;
    timeout?: number;
    transport?: 'udp4' | 'udp6';
    idBitsSize?: 16 | 32;
  }

  export interface NotifyOptions {
    upTime?: number;
  }

  export interface Session extends EventEmitter {
    trap(oid: string, varbinds: Varbind[], options: NotifyOptions, cb: (error: Error | null) => void): Session;
    inform(oid: string, varbinds: Varbind[], options: NotifyOptions, cb: (error: Error | null, varbinds?: Varbind[]) => void): Session;
    close(): void;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;

  const snmp: {
    Version1: 0;
    Version2c: 1;
    ObjectType: typeof ObjectType;
    createSession: typeof createSession;
  };
  export default snmp;
}
