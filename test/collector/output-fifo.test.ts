// The pipe bpftrace's stdout goes through: eqld's end never blocks and never throws on an
// empty pipe, and reads everything written before the writer went away.
import { closeSync, mkdtempSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputFifo, OutputFifoError } from '../../src/collector/output-fifo.js';

let fifo: OutputFifo | undefined;
afterEach(() => {
  fifo?.close();
  fifo = undefined;
});

describe('OutputFifo', () => {
  it('returns what was written, and 0 instead of blocking when the pipe is empty', () => {
    fifo = OutputFifo.create();
    const buf = Buffer.alloc(64);
    expect(fifo.read(buf)).toBe(0);
    writeSync(fifo.writerFd, 'exec 1 2\n');
    writeSync(fifo.writerFd, 'exit 3 4\n');
    const n = fifo.read(buf);
    expect(buf.toString('latin1', 0, n)).toBe('exec 1 2\nexit 3 4\n');
    expect(fifo.read(buf)).toBe(0);
  });

  it('leaves Error.stackTraceLimit as it found it, after empty reads and after reads with data', () => {
    fifo = OutputFifo.create();
    const before = Error.stackTraceLimit;
    const buf = Buffer.alloc(64);
    expect(fifo.read(buf)).toBe(0);
    expect(Error.stackTraceLimit).toBe(before);
    writeSync(fifo.writerFd, 'exec 1 2\n');
    expect(fifo.read(buf)).toBe(9);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('x').stack).toContain('output-fifo.test');
  });

  it('reports a read that fails for another reason than an empty pipe, with the cause', () => {
    fifo = OutputFifo.create();
    // the read end closed behind its back: EBADF
    closeSync((fifo as unknown as { readFd: number }).readFd);
    let thrown: unknown;
    try {
      fifo.read(Buffer.alloc(64));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OutputFifoError);
    expect(((thrown as Error).cause as NodeJS.ErrnoException).code).toBe('EBADF');
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    (fifo as unknown as { readFd: number | undefined }).readFd = undefined;
  });

  it('keeps what a writer wrote before it closed, then reads 0 at the end', () => {
    fifo = OutputFifo.create();
    const writer = fifo.writerFd;
    writeSync(writer, 'last line\n');
    fifo.closeWriter();
    const buf = Buffer.alloc(64);
    expect(buf.toString('latin1', 0, fifo.read(buf))).toBe('last line\n');
    expect(fifo.read(buf)).toBe(0);
    expect(() => fifo?.writerFd).toThrow(OutputFifoError);
  });

  it('leaves nothing behind in the directory it was created in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqld-fifo-test-'));
    try {
      fifo = OutputFifo.create(dir);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the directory when the pipe cannot be created', () => {
    expect(() => OutputFifo.create('/nonexistent/eqld')).toThrow(/bpftrace's output in \/nonexistent\/eqld/);
  });

  it('reads at most the buffer, so a large backlog comes in several reads', () => {
    fifo = OutputFifo.create();
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 100; i++) writeSync(fifo.writerFd, line);
    const buf = Buffer.alloc(4096);
    let total = 0;
    let reads = 0;
    for (let n = fifo.read(buf); n > 0; n = fifo.read(buf)) {
      total += n;
      reads++;
    }
    expect(total).toBe(10_000);
    expect(reads).toBe(3);
  });
});
