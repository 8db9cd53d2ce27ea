#!/usr/bin/env node
// raslogd (src/daemon/main.ts).
import { run } from './entry.js';

await run('daemon/main');
