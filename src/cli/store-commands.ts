/* The store commands of the raslog CLI; src/cli/program.ts calls registerStoreCommands(program, io). */

import type { Command } from 'commander';
import { registerBoots } from './commands/boots.ts';
import { registerExport } from './commands/export.ts';
import { registerNetstats } from './commands/netstats.ts';
import { registerShow } from './commands/show.ts';
import { registerStatus } from './commands/status.ts';
import { registerTestNotify } from './commands/test-notify.ts';
import { registerVerify } from './commands/verify.ts';
import { processIO, type CliIO } from './io.ts';

/** io: where the commands write and how they reach the store (default: this process's, src/cli/io.ts). */
export function registerStoreCommands(program: Command, io: CliIO = processIO()): Command {
  registerShow(program, io);
  registerBoots(program, io);
  registerStatus(program, io);
  registerVerify(program, io);
  registerExport(program, io);
  registerNetstats(program, io);
  registerTestNotify(program, io);
  return program;
}
