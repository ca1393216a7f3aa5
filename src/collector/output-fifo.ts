// The channel bpftrace's stdout goes through: a named pipe (FIFO) whose path is removed as
// soon as both ends are open, so only the two processes hold it. eqld reads its end
// without blocking (O_NONBLOCK, an open-file flag of the read end only: bpftrace's end
// stays blocking, so a full pipe makes bpftrace wait rather than drop output). Reading by
// polling from a timer, not per write, is what lets the collector take bpftrace's output (a
// write per line, or per read under the pacing shim) in batches; node's own child stdio is a
// socket that wakes the event loop for every write. A second read end (`takeWakeFd`) is for a quiet host: the
// collector watches it, paused while it polls, so that no timer has to run when nothing comes.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class OutputFifoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputFifoError';
  }
}

export class OutputFifo {
  private writeFd: number | undefined;
  private readFd: number | undefined;
  private wakeFd: number | undefined;

  private constructor(readFd: number, wakeFd: number, writeFd: number) {
    this.readFd = readFd;
    this.wakeFd = wakeFd;
    this.writeFd = writeFd;
  }

  /** Creates the pipe in a private directory under `dir` (default: the temp dir). */
  static create(dir = tmpdir()): OutputFifo {
    let privateDir: string | undefined;
    let readFd: number | undefined;
    let wakeFd: number | undefined;
    try {
      privateDir = mkdtempSync(join(dir, 'eqld-')); // mode 0700
      const path = join(privateDir, 'bpftrace.out');
      execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
      // the read end first: opening the write end of a FIFO blocks until a reader exists
      readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      wakeFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const writeFd = openSync(path, constants.O_WRONLY);
      unlinkSync(path);
      return new OutputFifo(readFd, wakeFd, writeFd);
    } catch (error) {
      if (readFd !== undefined) closeSync(readFd);
      if (wakeFd !== undefined) closeSync(wakeFd);
      throw new OutputFifoError(`cannot create the pipe for bpftrace's output in ${dir}`, {
        cause: error,
      });
    } finally {
      if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true });
    }
  }

  /** The end to hand to bpftrace as its stdout. */
  get writerFd(): number {
    if (this.writeFd === undefined) throw new OutputFifoError('the write end is already closed');
    return this.writeFd;
  }

  /**
   * A second read end of the same pipe, non-blocking, for watching readability (a net.Socket
   * over it). The caller owns it from now on and closes it; reads through either end take
   * bytes from the one pipe in order, so each read must be handed on before the next.
   */
  takeWakeFd(): number {
    const fd = this.wakeFd;
    if (fd === undefined) throw new OutputFifoError('the wake end was already taken');
    this.wakeFd = undefined;
    return fd;
  }

  /** Closes eqld's copy of the write end (after the spawn, so bpftrace holds the only one). */
  closeWriter(): void {
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  /**
   * Reads what is in the pipe, up to `buf.length` bytes; 0 when it is empty or every writer is
   * gone. An empty non-blocking pipe makes readSync throw EAGAIN; V8 is spared capturing that
   * error's stack trace (most of the ~150 µs an empty read cost on the test VM), as any other
   * error is wrapped with its own.
   */
  read(buf: Buffer): number {
    if (this.readFd === undefined) return 0;
    let failure: unknown;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return readSync(this.readFd, buf, 0, buf.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
      failure = error;
    } finally {
      Error.stackTraceLimit = limit;
    }
    throw new OutputFifoError("cannot read bpftrace's output", { cause: failure });
  }

  close(): void {
    this.closeWriter();
    if (this.readFd !== undefined) closeSync(this.readFd);
    if (this.wakeFd !== undefined) closeSync(this.wakeFd);
    this.readFd = undefined;
    this.wakeFd = undefined;
  }
}
