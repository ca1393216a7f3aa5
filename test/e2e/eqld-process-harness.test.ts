// Self-tests of test/support/eqld-process.ts that need no kernel: the process-tree walk, and a
// clear error carrying eqld's stderr when the agent exits before it is running.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EQLD_MAIN, EqldProcessError, processTree, startEqld } from '../support/eqld-process.js';

describe('eqld process harness', () => {
  it('finds every descendant of a process', async () => {
    const child = spawn('sh', ['-c', 'sleep 5 & sleep 5 & wait'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const tree = processTree(child.pid as number);
    expect(tree[0]).toBe(child.pid);
    expect(tree).toHaveLength(3);
    expect(processTree(process.pid)).toContain(child.pid);
    for (const pid of tree.slice(1)) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  });

  it.skipIf(!existsSync(EQLD_MAIN))(
    'rejects with eqld stderr when the agent exits before running',
    async () => {
      const err = await startEqld(['--no-such-flag-for-the-harness-test'], { readyTimeoutMs: 20_000 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EqldProcessError);
      expect((err as Error).message).toMatch(/eqld exited \(code [1-9]/);
      expect((err as Error).message).toContain('eqld stderr');
    },
  );
});
