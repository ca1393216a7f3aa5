// Placeholder until its issue lands; replaced by the owning module's command.
import type { CommandModule } from 'yargs';

export const eventsCommand: CommandModule = {
  command: 'events',
  describe: '(not in this build yet)',
  handler: () => {
    process.stderr.write('eqld events: not in this build yet\n');
    process.exitCode = 2;
  },
};
