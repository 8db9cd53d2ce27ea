/*
 * Static facts about the machine, filed with each `boot` event so that a history read years
 * later (or on another host) says which OS and which hardware it came from: systeminformation's
 * osInfo() and system() (they spawn helpers, ~40–100 ms: once per daemon start, never per event).
 */

import si from 'systeminformation';

export interface SystemFacts {
  os: string;
  arch: string;
  manufacturer: string;
  model: string;
  serial: string;
  virtual: boolean;
}

const clean = (s: string | undefined) => (s && s !== '-' ? s.trim() : '');

/** The facts, or null when they cannot be had within timeoutMs (the boot event is stored anyway). */
export async function systemFacts(timeoutMs = 3000): Promise<SystemFacts | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((res) => {
    timer = setTimeout(() => res(null), timeoutMs);
    timer.unref();
  });
  try {
    const facts = Promise.all([si.osInfo(), si.system()]).then(([o, s]) => ({
      os: [clean(o.distro), clean(o.release), o.codename ? `(${clean(o.codename)})` : ''].filter(Boolean).join(' '),
      arch: clean(o.arch),
      manufacturer: clean(s.manufacturer),
      model: clean(s.model),
      serial: clean(s.serial),
      virtual: !!s.virtual,
    }));
    return await Promise.race([facts, timeout]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
