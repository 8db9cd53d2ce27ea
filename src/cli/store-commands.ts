/* The store commands of the raslog CLI; src/cli/main.ts calls registerStoreCommands(program). */

import type { Command } from 'commander';
import { registerBoots } from './commands/boots.ts';
import { registerExport } from './commands/export.ts';
import { registerNetstats } from './commands/netstats.ts';
import { registerShow } from './commands/show.ts';
import { registerStatus } from './commands/status.ts';
import { registerTestNotify } from './commands/test-notify.ts';
import { registerVerify } from './commands/verify.ts';

export function registerStoreCommands(program: Command): Command {
  registerShow(program);
  registerBoots(program);
  registerStatus(program);
  registerVerify(program);
  registerExport(program);
  registerNetstats(program);
  registerTestNotify(program);
  return program;
}
