#!/usr/bin/env node
// raslog CLI (src/cli/main.ts).
import { run } from './entry.js';

await run('raslog', 'cli/main');
