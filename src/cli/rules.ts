// Placeholder until its issue lands; replaced by the owning module's command.
import type { CommandModule } from 'yargs';

export const rulesCommand: CommandModule = {
  command: 'rules',
  describe: '(not in this build yet)',
  handler: () => {
    process.stderr.write('eqld rules: not in this build yet\n');
    process.exitCode = 2;
  },
};
