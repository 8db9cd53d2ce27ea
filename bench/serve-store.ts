/*
 * A query-only raslogd stand-in for the benchmarks: opens the store and
 * answers on raslogd.sock with the daemon's own server (src/daemon/server.ts,
 * src/store/service.ts), without collectors (nothing is written to the store).
 *   node --import=tsx bench/serve-store.ts DATA_DIR
 */

import { QueryServer } from '../src/daemon/server.ts';
import { socketPath } from '../src/store/paths.ts';
import { Store } from '../src/store/store.ts';

const dir = process.argv[2]!;
const store = await Store.open(dir, { sync: false });
const server = new QueryServer(socketPath(dir), { store, daemon: () => ({ running: true, pid: process.pid }) });
await server.listen();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void server.close().then(() => store.close()).then(() => process.exit(0));
});
