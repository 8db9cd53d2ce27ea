/* Test entry for the store commands: a program set up like src/cli/main.ts, with registerStoreCommands. */
import { Command, CommanderError } from 'commander';
import { registerStoreCommands } from '../src/cli/store-commands.ts';

const program = new Command('raslog')
  .exitOverride()
  .configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, w) => w(s.startsWith('error:') ? `raslog: ${s.slice(7)}` : s),
  });
registerStoreCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : 70;
}
