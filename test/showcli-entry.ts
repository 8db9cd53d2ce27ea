/* Test entry for the store commands: a program set up like src/cli/program.ts, with registerStoreCommands. */
import { Command, CommanderError } from 'commander';
import { processIO } from '../src/cli/io.ts';
import { registerStoreCommands } from '../src/cli/store-commands.ts';

const io = processIO();
const program = new Command('raslog')
  .exitOverride()
  .configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, w) => w(s.startsWith('error:') ? `raslog: ${s.slice(7)}` : s),
  });
registerStoreCommands(program, io);
try {
  await program.parseAsync(process.argv);
  process.exitCode = io.exitCode;
} catch (e) {
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : 70;
}
