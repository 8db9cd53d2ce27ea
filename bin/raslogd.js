#!/usr/bin/env node
// raslogd: run the TypeScript daemon through tsx (src/daemon/main.ts).
import { register } from 'tsx/esm/api';

register();
try {
  await import('../src/daemon/main.ts');
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('src/daemon/main.ts')) {
    process.stderr.write('raslogd: the daemon (src/daemon/main.ts) is not part of this build yet\n');
    process.exit(1);
  }
  throw e;
}
