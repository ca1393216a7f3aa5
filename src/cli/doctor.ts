// `eqld doctor`: wiring only. Prints each collector precondition as ok/FAIL with its detail
// and exits 1 if the agent could not run here.
import type { CommandModule } from 'yargs';
import { checkPreconditions } from '../collector/index.js';

export const doctorCommand: CommandModule = {
  command: 'doctor',
  describe:
    'Check that this host can run eqld (root, kernel, BTF, bpftrace and a program it loads, tracefs, tracepoints, pid namespace)',
  builder: (y) =>
    y
      .option('bpftrace', { type: 'string', default: 'bpftrace', describe: 'bpftrace binary' })
      .option('mount-tracefs', {
        type: 'boolean',
        default: true,
        describe: 'mount tracefs if it is not mounted',
      }),
  handler: async (argv) => {
    const results = await checkPreconditions({
      bpftracePath: String(argv.bpftrace),
      mountTracefs: Boolean(argv['mount-tracefs']),
      loadProgram: true,
    });
    for (const r of results) {
      process.stdout.write(`${r.ok ? (r.warn ? 'warn' : 'ok  ') : 'FAIL'} ${r.name}: ${r.detail}\n`);
    }
    const failed = results.filter((r) => !r.ok).length;
    process.stdout.write(
      failed === 0 ? 'eqld can run here\n' : `eqld cannot run here: ${failed} check(s) failed\n`,
    );
    process.exitCode = failed === 0 ? 0 : 1;
  },
};
