// One supervised bpftrace: spawns it on a rendered program (under `setpriv --pdeathsig KILL`, so
// bpftrace dies with eqld even on SIGKILL, through perl's fcntl to enlarge its output pipe, with
// the pacing shim), waits for its probes to attach (the readiness ping), reads its output pipe
// when the collector asks, decodes each line with the program's decoder, and restarts it with
// exponential backoff when it dies, reporting the time it was down as a `gap`. It does not
// order events or decide when to read: the Collector does that for all its runners at once.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import type pino from 'pino';
import { BENIGN_BPFTRACE_STDERR } from './bpftrace-command.js';
import type { Decoded } from './decoder.js';
import type { NoticeLine } from './line.js';
import { OutputFifo } from './output-fifo.js';
import { READY_PID } from './program.js';
import type { GapEvent, RawEvent } from './raw-event.js';

export type ProgramName = 'process' | 'file';

export interface RunnerOptions {
  name: ProgramName;
  logger: pino.Logger;
  program: string;
  /** the line protocol version the program's `hello` line must carry */
  protocolVersion: number;
  decode: (line: string) => Decoded;
  /** the command that starts bpftrace (setpriv, perl, bpftrace -e program) */
  command: () => [string, string[]];
  env: Record<string, string>;
  attachTimeoutMs: number;
  restartDelayMs: number;
  maxRestartDelayMs: number;
  /** a decoded event (not yet ordered) */
  onEvent: (e: RawEvent) => void;
  /** lost records or a gap: news whatever the order */
  onLoss: (e: RawEvent) => void;
  /** output arrived while the collector was idle */
  onWake: () => void;
  /** `@name: N` counters of events the program dropped on purpose (reported as losses) */
  dropCounters?: readonly string[];
  /** true: the callee took this line undecoded (shed and counted, or held to be decoded later
   *  with decodeHeld) */
  intercept?: (line: string) => boolean;
  /** called after each chunk read() hands on (the collector releases what is due) */
  onChunk?: () => void;
  /** the `ready` line's pid: the process that pinged, eqld, as the kernel numbers it */
  onAgentKernelPid?: (pid: number) => void;
}

export interface RunnerStats {
  running: boolean;
  pid: number | undefined;
  lines: number;
  malformed: number;
  lost: number;
  restarts: number;
  gaps: number;
  /** `@name: N` counters the program prints with its `counters` line */
  counters: Record<string, number>;
  /** the kernel time (CLOCK_MONOTONIC ns) of the last `counters` line read, 0 before the first:
   *  the program's counts and perf-buffer losses up to then have been read */
  countersKtimeNs: number;
}

/** the stats of a program not started */
export const NOT_STARTED: Readonly<RunnerStats> = Object.freeze({
  running: false,
  pid: undefined,
  lines: 0,
  malformed: 0,
  lost: 0,
  restarts: 0,
  gaps: 0,
  counters: Object.freeze({}),
  countersKtimeNs: 0,
});

export class CollectorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CollectorError';
  }
}

const nowNs = (): number => Number(process.hrtime.bigint());
const MALFORMED_SAMPLES = 20;
/** bytes per read(2) of the pipe (its default capacity is 64 KiB) */
const READ_BYTES = 64 * 1024;

export class BpftraceRunner {
  readonly name: ProgramName;
  private readonly log: pino.Logger;
  private child: ResultPromise | undefined;
  private output: OutputFifo | undefined;
  private readonly readBuf = Buffer.allocUnsafe(READ_BYTES);
  private readonly wakeBuf = Buffer.allocUnsafe(READ_BYTES);
  /** the pipe's second read end (OutputFifo.takeWakeFd), read only while the collector is idle */
  private waker: Socket | undefined;
  private parked_ = false;
  /** the unterminated end of the last read, completed by the next one */
  private partialLine = '';
  private onAttached: (probes: number) => void = () => undefined;
  private pid_: number | undefined;
  private kernelPid_: number | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private downSinceNs: number | undefined;
  private downReason = '';
  private lastAttachNs = 0;
  private probes = 0;
  private malformedLogged = 0;
  private lostLoggedAt = 0;
  private lostLogged = 0;
  private readonly st = { lines: 0, malformed: 0, lost: 0, restarts: 0, gaps: 0, countersKtimeNs: 0 };
  private readonly counters: Record<string, number> = {};
  /** called by the owner when a restarted bpftrace is attached (the collector polls it again) */
  onRestarted: () => void = () => undefined;

  constructor(private readonly o: RunnerOptions) {
    this.name = o.name;
    this.log = o.logger;
    this.restartDelay = o.restartDelayMs;
  }

  get pid(): number | undefined {
    return this.pid_;
  }

  /** bpftrace's pid as the kernel numbers it (its `hello` line), once known; differs from pid
   *  when eqld runs in a pid namespace of its own */
  get kernelPid(): number | undefined {
    return this.kernelPid_;
  }

  get attachedAtNs(): number {
    return this.lastAttachNs;
  }

  /** whether bpftrace runs (started, not exited) */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** whether a pipe is open to read (bpftrace running, or its last output not yet read) */
  get readable(): boolean {
    return this.output !== undefined;
  }

  stats(): RunnerStats {
    return {
      running: this.child !== undefined,
      pid: this.pid_,
      ...this.st,
      counters: { ...this.counters },
    };
  }

  /** Starts bpftrace; resolves once its probes are attached. Any failure is a rejection. */
  start(): Promise<void> {
    this.stopping = false;
    try {
      return this.spawnChild();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops bpftrace (SIGTERM, then SIGKILL after 3 s) and reads what it wrote last. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await child.catch(() => undefined);
      clearTimeout(killer);
    }
    this.pauseWake();
  }

  /** Reads what the pipe holds, up to `maxBytes`, and decodes its lines; returns the bytes read. */
  read(maxBytes: number): number {
    const output = this.output;
    if (output === undefined) return 0;
    let total = 0;
    for (;;) {
      const n = output.read(this.readBuf);
      if (n === 0) break;
      total += n;
      this.onChunk(this.readBuf.toString('latin1', 0, n));
      if (n < this.readBuf.length || total >= maxBytes) break;
      this.o.onChunk?.();
    }
    return total;
  }

  /** Watches the pipe's wake end: the next output calls onWake (once) and pauses it again. */
  resumeWake(): boolean {
    if (this.waker === undefined) return false;
    this.waker.resume();
    this.parked_ = true;
    return true;
  }

  pauseWake(): void {
    this.waker?.pause();
    this.parked_ = false;
  }

  /** whether the wake end watches the pipe: its next output comes through it, not a poll's read */
  get parked(): boolean {
    return this.parked_;
  }

  private spawnChild(): Promise<void> {
    const [file, args] = this.o.command();
    const output = OutputFifo.create();
    let child: ResultPromise;
    try {
      child = execa(file, args, {
        env: this.o.env,
        stdin: 'ignore',
        // execa hands an fd number to spawn() as is; its types list only 3-9
        stdout: output.writerFd as unknown as 3,
        buffer: false,
        reject: false,
        cleanup: true,
        encoding: 'utf8',
      });
    } catch (error) {
      output.close();
      throw error;
    } finally {
      output.closeWriter(); // bpftrace holds the only write end: its exit ends the stream
    }
    this.child = child;
    this.pid_ = child.pid;
    this.kernelPid_ = undefined;
    this.output = output;
    this.watchOutput(output);
    this.partialLine = '';
    // a new pipe: the collector may be idle, waiting only on the pipes it knew; have it poll
    this.o.onWake();
    let stderrTail = '';
    return new Promise<void>((resolve, reject) => {
      let attached = false;
      const attachTimer = setTimeout(() => {
        if (!attached) {
          reject(
            new CollectorError(
              `bpftrace (${this.name} program) did not attach its probes within ${this.o.attachTimeoutMs} ms`,
            ),
          );
          child.kill('SIGKILL');
        }
      }, this.o.attachTimeoutMs);
      let ping: NodeJS.Timeout | undefined;
      this.onAttached = (probes: number): void => {
        if (probes > 0) {
          // "Attaching N probes..." comes before the attaching; ping until the last probe answers
          this.probes = probes;
          const send = (): void => {
            try {
              process.kill(READY_PID, 0);
            } catch {
              // ESRCH, as intended
            }
          };
          send();
          ping ??= setInterval(send, 20);
          return;
        }
        if (attached) return;
        attached = true;
        clearTimeout(attachTimer);
        clearInterval(ping);
        this.lastAttachNs = nowNs();
        this.log.info(
          { program: this.name, probes: this.probes, bpftracePid: this.pid_ },
          'bpftrace attached',
        );
        if (this.downSinceNs !== undefined) this.emitGap();
        resolve();
      };
      child.stderr?.setEncoding('utf8');
      let errRest = '';
      child.stderr?.on('data', (chunk: string) => {
        const lines = (errRest + chunk).split('\n');
        errRest = lines.pop() ?? '';
        for (const l of lines) {
          if (l.trim() === '') continue;
          stderrTail = `${stderrTail}\n${l}`.slice(-2000);
          if (BENIGN_BPFTRACE_STDERR.some((re) => re.test(l))) this.log.debug({ stderr: l }, 'bpftrace');
          else this.log.warn({ stderr: l, program: this.name, bpftracePid: this.pid_ }, 'bpftrace stderr');
        }
      });
      void child.then((result) => {
        clearTimeout(attachTimer);
        clearInterval(ping);
        // what bpftrace wrote before it went is still in the pipe: read it to the end
        this.waker?.destroy();
        this.waker = undefined;
        this.parked_ = false;
        while (this.read(Number.POSITIVE_INFINITY) > 0);
        if (this.partialLine.length > 0) this.onLine(this.partialLine);
        this.partialLine = '';
        output.close();
        this.output = undefined;
        this.child = undefined;
        // what was read last waits in the collector's window: have it polled and released
        this.o.onWake();
        const who = this.name === 'process' ? 'bpftrace' : `bpftrace (${this.name} program)`;
        const reason = result.signal
          ? `${who} killed by ${result.signal}`
          : `${who} exited with code ${result.exitCode}`;
        if (!attached) {
          reject(
            new CollectorError(`${reason} before attaching its probes: ${stderrTail.trim().slice(-600)}`),
          );
          if (!this.stopping && this.downSinceNs !== undefined) this.scheduleRestart(reason);
          return;
        }
        if (this.stopping) {
          this.log.info({ program: this.name, reason }, 'bpftrace stopped');
          return;
        }
        this.log.error({ reason, stderr: stderrTail.trim().slice(-600) }, 'bpftrace died; restarting');
        this.downSinceNs = nowNs();
        this.scheduleRestart(reason);
      });
    });
  }

  /** Sets up the wake end of a new pipe, paused: the collector starts out polling. */
  private watchOutput(output: OutputFifo): void {
    const fd = output.takeWakeFd();
    let waker: Socket;
    try {
      // onread (node >= 12; missing from @types/node's constructor options): each read lands in
      // wakeBuf and is handed on at once, with no stream buffering, so it stays in order with
      // the polls' reads; the callback's `false` pauses the socket and polling resumes
      const options = {
        fd,
        readable: true,
        writable: false,
        onread: { buffer: this.wakeBuf, callback: (n: number) => this.onWakeRead(n) },
      };
      waker = new Socket(options as ConstructorParameters<typeof Socket>[0]);
    } catch (error) {
      closeSync(fd);
      this.log.warn({ err: error }, "cannot watch bpftrace's output pipe: polling it even when idle");
      return;
    }
    waker.pause();
    waker.on('error', (error: Error) => {
      this.log.warn({ err: error }, "watching bpftrace's output pipe failed: polling it even when idle");
      if (this.waker !== waker) return;
      this.waker = undefined;
      this.parked_ = false;
      this.o.onWake();
    });
    this.waker = waker;
  }

  private onWakeRead(n: number): false {
    this.parked_ = false; // `false` below pauses the socket
    if (n > 0) this.onChunk(this.wakeBuf.toString('latin1', 0, n));
    this.o.onWake();
    return false;
  }

  // Lines are slices of the chunk read; only a line split across two reads is joined (the chunk
  // is not appended to the partial line first: that copied every byte read once more).
  private onChunk(chunk: string): void {
    let start = 0;
    let i = chunk.indexOf('\n');
    if (this.partialLine !== '' && i >= 0) {
      this.onLine(this.partialLine + chunk.slice(0, i));
      this.partialLine = '';
      start = i + 1;
      i = chunk.indexOf('\n', start);
    }
    for (; i >= 0; i = chunk.indexOf('\n', start)) {
      this.onLine(chunk.slice(start, i));
      start = i + 1;
    }
    this.partialLine = start === 0 ? this.partialLine + chunk : chunk.slice(start);
    if (this.partialLine.length > 1 << 20) {
      this.countMalformed('line longer than 1 MiB', this.partialLine.slice(0, 200));
      this.partialLine = '';
    }
  }

  private onLine(line: string): void {
    this.st.lines++;
    if (this.o.intercept?.(line)) return;
    const d = this.o.decode(line);
    switch (d.kind) {
      case 'event':
        this.o.onEvent(d.event);
        return;
      case 'pending':
        return;
      case 'malformed':
        this.countMalformed(d.reason, line);
        return;
      case 'notice':
        this.onNotice(d.notice);
        return;
    }
  }

  private onNotice(n: NoticeLine): void {
    switch (n.kind) {
      case 'attaching':
        this.onAttached(n.probes);
        return;
      case 'lost': {
        this.st.lost += n.count;
        // bpftrace prints one notice per perf-buffer overrun: log at most once a second
        const now = Date.now();
        if (now - this.lostLoggedAt >= 1000) {
          this.log.warn(
            { program: this.name, lost: this.st.lost - this.lostLogged, total: this.st.lost },
            'bpftrace lost events',
          );
          this.lostLoggedAt = now;
          this.lostLogged = this.st.lost;
        }
        this.o.onLoss({ kind: 'lost', ktimeNs: nowNs(), count: n.count, source: this.name });
        return;
      }
      case 'counter': {
        const before = this.counters[n.name] ?? 0;
        this.counters[n.name] = n.value;
        // events the program counted and did not print (a cumulative count: a restarted
        // bpftrace starts again from 0) are lost to the rules like overrun records
        if (this.o.dropCounters?.includes(n.name)) {
          const dropped = n.value >= before ? n.value - before : n.value;
          if (dropped > 0) {
            this.o.onLoss({
              kind: 'lost',
              ktimeNs: nowNs(),
              count: dropped,
              source: this.name,
              cause: 'budget',
            });
          }
        }
        return;
      }
      case 'hello':
        if (n.pid !== undefined) this.kernelPid_ = n.pid;
        if (n.version !== this.o.protocolVersion) {
          this.log.error(
            { program: this.name, version: n.version },
            `bpf program speaks protocol ${n.version}, expected ${this.o.protocolVersion}`,
          );
        }
        return;
      case 'ready':
        if (n.pid !== undefined) this.o.onAgentKernelPid?.(n.pid);
        this.onAttached(0);
        return;
      case 'counters':
        this.st.countersKtimeNs = n.ktimeNs;
        return;
      case 'blank':
        return;
    }
  }

  /**
   * Decodes a line the collector took undecoded (intercept) and held until the reorder window
   * released it: its event, or undefined when it is malformed (counted and logged here, as any
   * line read is) or decodes to no event.
   */
  decodeHeld(line: string): RawEvent | undefined {
    const d = this.o.decode(line);
    switch (d.kind) {
      case 'event':
        return d.event;
      case 'malformed':
        this.countMalformed(d.reason, line);
        return undefined;
      case 'notice':
        this.onNotice(d.notice);
        return undefined;
      case 'pending':
        return undefined;
    }
  }

  private countMalformed(reason: string, line: string): void {
    this.st.malformed++;
    if (this.malformedLogged < MALFORMED_SAMPLES) {
      this.malformedLogged++;
      this.log.warn({ program: this.name, reason, line: line.slice(0, 300) }, 'malformed bpftrace line');
    }
  }

  /** A first start that failed: try again with backoff, as after a crash (the time until it
   *  attaches is reported as a gap). */
  retryLater(reason: string): void {
    if (this.stopping || this.restartTimer !== undefined) return;
    this.downSinceNs ??= nowNs();
    // a bpftrace still being killed (attach timeout) schedules it from its exit handler
    if (this.child === undefined) this.scheduleRestart(reason);
  }

  private scheduleRestart(reason: string): void {
    this.downReason = reason;
    // a run that stayed up a minute resets the backoff
    if (nowNs() - this.lastAttachNs > 60e9) this.restartDelay = this.o.restartDelayMs;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, this.o.maxRestartDelayMs);
    this.log.warn({ program: this.name, delayMs: delay, reason }, 'restarting bpftrace');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.st.restarts++;
      this.start()
        .then(() => this.onRestarted())
        .catch((error: unknown) => {
          this.log.error({ program: this.name, err: error }, 'bpftrace restart failed');
          // a bpftrace that died before attaching has already rescheduled (its exit handler ran
          // first); a spawn that failed before any child existed has not
          if (!this.stopping && this.child === undefined && this.restartTimer === undefined) {
            this.scheduleRestart(error instanceof Error ? error.message : String(error));
          }
        });
    }, delay);
  }

  private emitGap(): void {
    const toNs = this.lastAttachNs;
    const fromNs = this.downSinceNs!;
    this.downSinceNs = undefined;
    this.st.gaps++;
    const gap: GapEvent = {
      kind: 'gap',
      ktimeNs: fromNs,
      fromNs,
      toNs,
      reason: this.downReason,
      source: this.name,
    };
    this.log.warn(
      { program: this.name, fromNs, toNs, ms: (toNs - fromNs) / 1e6, reason: this.downReason },
      'telemetry gap',
    );
    this.o.onEvent(gap);
  }
}
