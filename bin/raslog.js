#!/usr/bin/env node
// raslog CLI: run the TypeScript sources through tsx (see src/cli/main.ts).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
