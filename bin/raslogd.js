#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=1 --optimize-for-size --lite-mode --no-expose-wasm
// raslogd (src/daemon/main.ts).
import { run } from './entry.js';

await run('raslogd', 'daemon/main');
