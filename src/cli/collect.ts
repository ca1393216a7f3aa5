// Placeholder until its issue lands; replaced by the owning module's command.
import type { CommandModule } from 'yargs';

export const collectCommand: CommandModule = {
  command: 'collect',
  describe: '(not in this build yet)',
  handler: () => {
    process.stderr.write('eqld collect: not in this build yet\n');
    process.exitCode = 2;
  },
};
