// The stdout sink when its reader goes away: a closed pipe must not end the agent; the records
// stay spooled and the sink reports itself down.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('stdout sink', () => {
  it('survives a closed stdout pipe (EPIPE), keeps the alerts spooled and reports the sink down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqld-epipe-'));
    const script = join(dir, 'run.test-child.mjs');
    writeFileSync(
      script,
      `
      import pino from 'pino';
      const { createSinks } = await import(${JSON.stringify(join(root, 'src/alerts/sinks/index.ts'))});
      const { numbered } = await import(${JSON.stringify(join(root, 'test/sinks/alert-fixtures.ts'))});
      const set = await createSinks({ stdout: true, spoolDir: ${JSON.stringify(join(dir, 'spool'))} }, pino({ level: 'silent' }));
      await new Promise((r) => setTimeout(r, 300)); // the reader is gone by now
      for (const a of numbered(20, 'pipe')) await set.write(a);
      const end = Date.now() + 5000;
      while (set.stats().stdout.up && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      process.stderr.write(JSON.stringify(set.stats().stdout) + '\\n');
      await set.close(200);
      `,
    );
    const child = spawn('npx', ['vite-node', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader of the agent's stdout goes away
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
    const line = err.split('\n').find((l) => l.startsWith('{"sent"'));
    expect(code, err).toBe(0);
    const stats = JSON.parse(line ?? '{}') as { up: boolean; spoolDepth: number; failed: number };
    expect(stats.up).toBe(false);
    expect(stats.failed).toBeGreaterThan(0);
    expect(stats.spoolDepth).toBe(20);
  });
});
