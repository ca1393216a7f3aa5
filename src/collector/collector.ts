// Collector: runs the bpftrace program as a supervised child and delivers typed raw
// events in kernel-timestamp order. Owns the process lifecycle (preconditions, spawn under
// `setpriv --pdeathsig KILL` so bpftrace dies with eqld even on SIGKILL, restart with
// exponential backoff, `gap` events for the time it was down) and the line pipeline
// (decode, re-assemble, reorder). Knows nothing about ECS or rules.
import { closeSync, existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import type pino from 'pino';
import { CgroupPaths } from './cgroup-path.js';
import { LineDecoder } from './decoder.js';
import type { NoticeLine } from './line.js';
import { OutputFifo } from './output-fifo.js';
import { DEFAULT_PACE_SHIM } from './pace-shim.js';
import { checkPreconditions } from './preconditions.js';
import { normalizeArgvBytes, PROTOCOL_VERSION, READY_PID, renderHostProgram } from './program.js';
import type { ExecEvent, RawEvent, RawEventKind } from './raw-event.js';
import { ReorderBuffer } from './reorder.js';
import { Reservoir } from './reservoir.js';

export interface CollectorOptions {
  logger: pino.Logger;
  /** argv bytes captured per exec (default 1024); longer argv is cut and flagged */
  argvBytes?: number;
  bpftracePath?: string;
  /** how long events are held to be put in kernel-timestamp order (default 30 ms: above the
   *  bpftrace pace, which bounds how far apart two CPUs' buffers are read) */
  reorderWindowMs?: number;
  /** drop events of eqld's own process and of bpftrace (default true) */
  excludeSelf?: boolean;
  /** restart backoff: first delay and cap (default 500 ms, 30 s) */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** how long start() waits for the probes to attach (default 60 s; LLVM compile takes ~1-5 s) */
  attachTimeoutMs?: number;
  /** wrap bpftrace in `setpriv --pdeathsig KILL` (default true when setpriv exists) */
  pdeathsig?: boolean;
  /** perf buffer pages per CPU (BPFTRACE_PERF_RB_PAGES; default 256 = 1 MiB, bpftrace's own is 64) */
  perfBufferPages?: number;
  /** how often bpftrace's output is read while it is quiet (default 20 ms); a busy pipe is read
   *  back to back. Events are released once read and `reorderWindowMs` old, so the time from
   *  the kernel to a listener is at most about pollIntervalMs + reorderWindowMs. */
  pollIntervalMs?: number;
  /** bpftrace reads its perf buffers at most once per this many ms (default 20; 0: on every
   *  event, as bpftrace 0.17 does by itself), through the LD_PRELOAD shim
   *  native/bpftrace-pace.c; ignored when the shim was not built. Adds at most this much to the
   *  time an event takes to arrive; must stay below reorderWindowMs. */
  bpftracePaceMs?: number;
  /** the pacing shim (default: dist/collector/native/bpftrace-pace.so of this package) */
  paceShimPath?: string;
  /** capacity of the pipe bpftrace writes into (default 1 MiB, set through perl's fcntl when
   *  /usr/bin/perl exists; 0 keeps the kernel's 64 KiB): room for bpftrace's bursts */
  pipeBytes?: number;
  /** a pre-rendered program (tests, benchmarks); default: render bpf/eqld.bt.in */
  program?: string;
  /** skip checkPreconditions() in start() (tests with a stand-in bpftrace) */
  skipPreconditions?: boolean;
}

export interface CollectorStats {
  running: boolean;
  bpftracePid: number | undefined;
  lines: number;
  events: number;
  byKind: Record<RawEventKind, number>;
  malformed: number;
  /** records bpftrace reported lost ("Lost N events") */
  lost: number;
  restarts: number;
  gaps: number;
  /** connects of families other than AF_INET/AF_INET6, counted in the kernel, not emitted */
  connectOtherFamilies: number;
  incompleteExecs: number;
  orphanChunks: number;
  /** events that arrived after a later event was released (the reorder window was too short) */
  late: number;
  /** longest time an event waited between its kernel timestamp and release, ms */
  maxDelayMs: number;
  /** kernel timestamp -> line parsed, ms, sampled (1 line in 8, last 4096 samples), before the reorder window */
  arrivalDelayMs: { p50: number; p99: number; max: number };
  excludedSelf: number;
  reorderWindowMs: number;
  /** the window in force now: reorderWindowMs plus the widening after late events */
  effectiveWindowMs: number;
  argvBytes: number;
  /** bpftrace's pacing in force: ms between its reads of the perf buffers, 0 when unpaced */
  bpftracePaceMs: number;
  /** timer reads of bpftrace's output (none while idle) */
  polls: number;
  /** times output woke the collector after it had gone idle (nothing read, nothing held) */
  idleWakes: number;
}

export class CollectorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CollectorError';
  }
}

const nowNs = (): number => Number(process.hrtime.bigint());

const MALFORMED_SAMPLES = 20;
const PERL = '/usr/bin/perl';
/** F_SETPIPE_SZ (1031) on stdout, then exec the rest of argv; a refusal is reported, not fatal */
const SET_PIPE_SIZE =
  'my $n = 0 + shift; fcntl(STDOUT, 1031, $n) or print STDERR "eqld: cannot enlarge the output pipe to $n bytes: $!\\n"; exec { $ARGV[0] } @ARGV or die "eqld: cannot exec $ARGV[0]: $!\\n"';
/** 1 MiB: /proc/sys/fs/pipe-max-size's default, ~10k short lines or ~0.2 s of an exec storm */
const DEFAULT_PIPE_BYTES = 1 << 20;
/** bytes per read(2) of the pipe (its default capacity is 64 KiB) */
const READ_BYTES = 64 * 1024;
/** one poll reads at most this much before it yields to the event loop (and polls again at once) */
const MAX_BYTES_PER_POLL = 1024 * 1024;
/** the next poll comes before the pipe (64 KiB) is expected to hold this much at the rate just seen */
const REFILL_BYTES = 16 * 1024;
const KINDS: RawEventKind[] = ['exec', 'fork', 'exit', 'connect', 'setsid', 'lost', 'gap'];
// bpftrace 0.17 chatter on stderr that is not an error
const BENIGN_STDERR = [/couldn't set RLIMIT_MEMLOCK/, /^DEBUG: Struct offset mismatch/];

export class Collector {
  private readonly log: pino.Logger;
  private readonly argvBytes: number;
  private readonly bpftracePath: string;
  private readonly windowMs: number;
  private readonly pollIntervalMs: number;
  /** pacing in force (0: none) and the shim that does it */
  private readonly paceMs: number;
  private paceShim = '';
  private readonly excludeSelf: boolean;
  private readonly listeners: ((e: RawEvent) => void)[] = [];
  private readonly cgroups = new CgroupPaths();
  private readonly decoder: LineDecoder;
  private readonly reorder: ReorderBuffer;
  private readonly counts: Record<RawEventKind, number>;
  private child: ResultPromise | undefined;
  private output: OutputFifo | undefined;
  /** the next poll: after the interval, or at once while the pipe is busy */
  private pollTimeout: NodeJS.Timeout | undefined;
  private pollImmediate: NodeJS.Immediate | undefined;
  private lastPollNs = 0;
  private readonly readBuf = Buffer.allocUnsafe(READ_BYTES);
  /** the unterminated end of the last read, completed by the next one */
  private partialLine = '';
  private onAttached: (probes: number) => void = () => undefined;
  private pid: number | undefined;
  private program = '';
  private stopping = false;
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private downSinceNs: number | undefined;
  private downReason = '';
  private lastAttachNs = 0;
  private probes = 0;
  private stats_ = {
    lines: 0,
    events: 0,
    malformed: 0,
    lost: 0,
    restarts: 0,
    gaps: 0,
    connectOther: 0,
    excludedSelf: 0,
    polls: 0,
    idleWakes: 0,
  };
  /** the pipe's second read end (OutputFifo.takeWakeFd), read only while the collector is idle */
  private waker: Socket | undefined;
  private readonly wakeBuf = Buffer.allocUnsafe(READ_BYTES);
  private malformedLogged = 0;
  private lostLoggedAt = 0;
  private lostLogged = 0;
  private readonly arrival = new Reservoir(4096);
  /** execs read but not yet released, by pid: a short-lived process's exit often arrives while
   *  its exec still waits in the reorder window, and its exec is then marked exitedBeforeRelease */
  private readonly heldExecs = new Map<number, ExecEvent>();

  constructor(private readonly opts: CollectorOptions) {
    this.log = opts.logger.child({ module: 'collector' });
    this.argvBytes = normalizeArgvBytes(opts.argvBytes);
    this.bpftracePath = opts.bpftracePath ?? 'bpftrace';
    this.windowMs = opts.reorderWindowMs ?? 30;
    this.pollIntervalMs = opts.pollIntervalMs ?? 20;
    this.paceMs = this.resolvePace(opts.bpftracePaceMs ?? 20, opts.paceShimPath ?? DEFAULT_PACE_SHIM);
    if (this.paceMs >= this.windowMs) {
      this.log.warn(
        { bpftracePaceMs: this.paceMs, reorderWindowMs: this.windowMs },
        'the bpftrace pace is not below the reorder window: events of different CPUs may be released out of order (counted as late)',
      );
    }
    this.excludeSelf = opts.excludeSelf ?? true;
    this.restartDelay = opts.restartDelayMs ?? 500;
    this.decoder = new LineDecoder((id) => this.cgroups.resolve(id));
    this.counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<RawEventKind, number>;
    this.reorder = new ReorderBuffer(this.windowMs * 1e6, (e) => this.deliver(e));
  }

  onEvent(cb: (e: RawEvent) => void): void {
    this.listeners.push(cb);
  }

  get bpftracePid(): number | undefined {
    return this.pid;
  }

  /** Checks preconditions, starts bpftrace and resolves once its probes are attached. */
  async start(): Promise<void> {
    if (this.started) throw new CollectorError('Collector already started');
    if (!this.opts.skipPreconditions) {
      const failed = (
        await checkPreconditions({ bpftracePath: this.bpftracePath, mountTracefs: true })
      ).filter((p) => !p.ok);
      if (failed.length > 0) {
        throw new CollectorError(
          `Cannot start the collector: ${failed.map((p) => `${p.name}: ${p.detail}.`).join(' ')}`,
        );
      }
    }
    this.program = this.opts.program ?? renderHostProgram(this.argvBytes);
    this.started = true;
    this.stopping = false;
    // a once-a-second sweep of executions whose pieces never arrived
    this.timer = setInterval(() => this.decoder.assembler.expire(nowNs()), 1000);
    try {
      await this.spawn();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Stops bpftrace (SIGTERM, then SIGKILL after 3 s) and releases held events. */
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
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopPolling();
    this.reorder.flush();
    this.started = false;
  }

  stats(): CollectorStats {
    const a = this.decoder.assembler.stats;
    return {
      running: this.child !== undefined,
      bpftracePid: this.pid,
      lines: this.stats_.lines,
      events: this.stats_.events,
      byKind: { ...this.counts },
      malformed: this.stats_.malformed,
      lost: this.stats_.lost,
      restarts: this.stats_.restarts,
      gaps: this.stats_.gaps,
      connectOtherFamilies: this.stats_.connectOther,
      incompleteExecs: a.incomplete,
      orphanChunks: a.orphanChunks,
      late: this.reorder.late,
      maxDelayMs: this.reorder.maxHoldNs / 1e6,
      arrivalDelayMs: this.arrival.summary(),
      excludedSelf: this.stats_.excludedSelf,
      bpftracePaceMs: this.paceMs,
      polls: this.stats_.polls,
      idleWakes: this.stats_.idleWakes,
      reorderWindowMs: this.windowMs,
      effectiveWindowMs: this.reorder.windowNs / 1e6,
      argvBytes: this.argvBytes,
    };
  }

  /** The pace in force: the one asked for if the shim exists, else 0 (said once in the log). */
  private resolvePace(ms: number, shim: string): number {
    if (!Number.isInteger(ms) || ms < 0 || ms > 1000) {
      throw new CollectorError(`Expected bpftracePaceMs to be an integer from 0 to 1000, got ${ms}`);
    }
    if (ms === 0) return 0;
    if (!existsSync(shim)) {
      this.log.warn(
        { shim },
        'bpftrace runs unpaced (it wakes for every event: more CPU): the pacing shim was not built (no C compiler at build time?)',
      );
      return 0;
    }
    if (/[\s:]/.test(shim)) {
      // LD_PRELOAD splits its list at spaces and colons
      this.log.warn({ shim }, 'bpftrace runs unpaced: the pacing shim’s path has a space or colon');
      return 0;
    }
    this.paceShim = shim;
    return ms;
  }

  /** bpftrace's environment: string size, perf buffers, and the pacing shim when in force. */
  private childEnv(): Record<string, string> {
    const env: Record<string, string> = {
      BPFTRACE_STRLEN: '200',
      BPFTRACE_PERF_RB_PAGES: String(this.opts.perfBufferPages ?? 256),
    };
    if (this.paceMs > 0) {
      const inherited = process.env.LD_PRELOAD;
      env.LD_PRELOAD = inherited ? `${this.paceShim} ${inherited}` : this.paceShim;
      env.EQLD_BPFTRACE_PACE_MS = String(this.paceMs);
    }
    return env;
  }

  private command(): [string, string[]] {
    let argv = [this.bpftracePath, '-e', this.program];
    // setpriv execs bpftrace in place (same pid): PR_SET_PDEATHSIG survives exec, so the
    // kernel SIGKILLs bpftrace when eqld's spawning thread dies, however eqld dies.
    if (this.opts.pdeathsig ?? existsSync('/usr/bin/setpriv')) {
      argv = ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
    }
    // node cannot fcntl(); perl (Essential on Debian) enlarges the pipe, then execs in place
    const pipeBytes = this.opts.pipeBytes ?? DEFAULT_PIPE_BYTES;
    if (pipeBytes > 0 && existsSync(PERL)) {
      argv = [PERL, '-e', SET_PIPE_SIZE, '--', String(pipeBytes), ...argv];
    }
    return [argv[0]!, argv.slice(1)];
  }

  /** Starts bpftrace; every failure, including one before a child exists, is a rejection. */
  private spawn(): Promise<void> {
    try {
      return this.spawnChild();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private spawnChild(): Promise<void> {
    const [file, args] = this.command();
    const output = OutputFifo.create();
    let child: ResultPromise;
    try {
      child = execa(file, args, {
        env: this.childEnv(),
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
    this.pid = child.pid;
    this.output = output;
    this.watchOutput(output);
    this.partialLine = '';
    let stderrTail = '';
    return new Promise<void>((resolve, reject) => {
      let attached = false;
      const attachTimer = setTimeout(() => {
        if (!attached) {
          reject(
            new CollectorError(
              `bpftrace did not attach its probes within ${this.opts.attachTimeoutMs ?? 60_000} ms`,
            ),
          );
          child.kill('SIGKILL');
        }
      }, this.opts.attachTimeoutMs ?? 60_000);
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
        this.reorder.maxHoldNs = 0;
        this.arrival.reset();
        this.log.info({ probes: this.probes, bpftracePid: this.pid }, 'bpftrace attached');
        if (this.downSinceNs !== undefined) this.emitGap();
        resolve();
      };
      this.lastPollNs = nowNs();
      this.schedulePoll(this.pollIntervalMs);
      child.stderr?.setEncoding('utf8');
      let errRest = '';
      child.stderr?.on('data', (chunk: string) => {
        const lines = (errRest + chunk).split('\n');
        errRest = lines.pop() ?? '';
        for (const l of lines) {
          if (l.trim() === '') continue;
          stderrTail = `${stderrTail}\n${l}`.slice(-2000);
          if (BENIGN_STDERR.some((re) => re.test(l))) this.log.debug({ stderr: l }, 'bpftrace');
          else this.log.warn({ stderr: l, bpftracePid: this.pid }, 'bpftrace stderr');
        }
      });
      void child.then((result) => {
        clearTimeout(attachTimer);
        clearInterval(ping);
        // what bpftrace wrote before it went is still in the pipe: read it to the end
        this.stopPolling();
        while (this.poll(nowNs()) > 0);
        if (this.partialLine.length > 0) this.onLine(this.partialLine);
        this.partialLine = '';
        output.close();
        this.output = undefined;
        // nothing older can come now: a restarted bpftrace only reports later events
        this.reorder.flush();
        this.child = undefined;
        const reason = result.signal
          ? `bpftrace killed by ${result.signal}`
          : `bpftrace exited with code ${result.exitCode}`;
        if (!attached) {
          reject(
            new CollectorError(`${reason} before attaching its probes: ${stderrTail.trim().slice(-600)}`),
          );
          if (!this.stopping && this.downSinceNs !== undefined) this.scheduleRestart(reason);
          return;
        }
        if (this.stopping) {
          this.log.info({ reason }, 'bpftrace stopped');
          return;
        }
        this.log.error({ reason, stderr: stderrTail.trim().slice(-600) }, 'bpftrace died; restarting');
        this.downSinceNs = nowNs();
        this.scheduleRestart(reason);
      });
    });
  }

  // bpftrace writes (and flushes) each line on its own. Reading the pipe per write would wake
  // the event loop for every line, which on a quiet host costs more than the lines themselves;
  // instead the pipe is read on a timer: every pollIntervalMs on a quiet host, sooner when the
  // rate just seen would put REFILL_BYTES in the pipe before then (so bpftrace does not block on
  // a full pipe), back to back when the last poll stopped with data left.
  // A poll that finds the pipe empty while no event waits for its window has nothing to do
  // until bpftrace writes again, so the collector then stops polling and waits on the pipe's
  // wake end instead: an idle host costs no timer wake-ups (measured 50/s at ~150-270 µs of CPU
  // each on the test VM), and the first line after a quiet spell is read at once.
  private schedulePoll(delayMs: number): void {
    const run = (): void => {
      this.pollTimeout = undefined;
      this.pollImmediate = undefined;
      if (this.output === undefined) return;
      const startNs = nowNs();
      const sinceMs = Math.max((startNs - this.lastPollNs) / 1e6, 0.1);
      this.lastPollNs = startNs;
      this.stats_.polls++;
      const bytes = this.poll(startNs);
      if (bytes === 0 && this.reorder.size === 0 && this.waker !== undefined) {
        this.waker.resume();
        return;
      }
      const fillMs = bytes === 0 ? Number.POSITIVE_INFINITY : (REFILL_BYTES * sinceMs) / bytes;
      this.schedulePoll(bytes >= MAX_BYTES_PER_POLL ? 0 : Math.min(this.pollIntervalMs, fillMs));
    };
    if (delayMs < 1) this.pollImmediate = setImmediate(run);
    else this.pollTimeout = setTimeout(run, Math.floor(delayMs));
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimeout);
    clearImmediate(this.pollImmediate);
    this.pollTimeout = undefined;
    this.pollImmediate = undefined;
    this.waker?.destroy();
    this.waker = undefined;
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
        onread: { buffer: this.wakeBuf, callback: (n: number) => this.onWake(n) },
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
      if (this.output !== undefined && this.pollTimeout === undefined && this.pollImmediate === undefined) {
        this.schedulePoll(this.pollIntervalMs);
      }
    });
    this.waker = waker;
  }

  /** Output arrived while idle: hand it on and poll again for what follows. */
  private onWake(n: number): false {
    this.stats_.idleWakes++;
    if (n > 0) this.onChunk(this.wakeBuf.toString('latin1', 0, n));
    this.lastPollNs = nowNs();
    if (this.pollTimeout === undefined && this.pollImmediate === undefined) {
      this.schedulePoll(this.pollIntervalMs);
    }
    return false;
  }

  /** Reads what the pipe holds, hands its lines on and releases the events that are due. */
  private poll(readFromNs: number): number {
    const output = this.output;
    if (output === undefined) return 0;
    // every line bpftrace wrote before readFromNs is read below (unless a very busy pipe stops
    // the loop early), so events up to it, less the window, can be released in order
    let total = 0;
    for (;;) {
      const n = output.read(this.readBuf);
      if (n === 0) break;
      total += n;
      this.onChunk(this.readBuf.toString('latin1', 0, n));
      if (n < this.readBuf.length || total >= MAX_BYTES_PER_POLL) break;
    }
    this.reorder.release(readFromNs);
    return total;
  }

  private onChunk(chunk: string): void {
    const text = this.partialLine + chunk;
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      this.onLine(text.slice(start, i));
      start = i + 1;
    }
    this.partialLine = text.slice(start);
    if (this.partialLine.length > 1 << 20) {
      this.countMalformed('line longer than 1 MiB', this.partialLine.slice(0, 200));
      this.partialLine = '';
    }
  }

  private scheduleRestart(reason: string): void {
    this.downReason = reason;
    // a run that stayed up a minute resets the backoff
    if (nowNs() - this.lastAttachNs > 60e9) this.restartDelay = this.opts.restartDelayMs ?? 500;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, this.opts.maxRestartDelayMs ?? 30_000);
    this.log.warn({ delayMs: delay, reason }, 'restarting bpftrace');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.stats_.restarts++;
      this.spawn().catch((error: unknown) => {
        this.log.error({ err: error }, 'bpftrace restart failed');
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
    this.stats_.gaps++;
    const gap: RawEvent = { kind: 'gap', ktimeNs: fromNs, fromNs, toNs, reason: this.downReason };
    this.log.warn({ fromNs, toNs, ms: (toNs - fromNs) / 1e6, reason: this.downReason }, 'telemetry gap');
    this.reorder.push(gap);
  }

  private onLine(line: string): void {
    this.stats_.lines++;
    const d = this.decoder.decode(line);
    switch (d.kind) {
      case 'event': {
        const e = d.event;
        if ((this.stats_.lines & 7) === 0) this.arrival.add((nowNs() - e.ktimeNs) / 1e6);
        if (e.kind === 'exec') this.heldExecs.set(e.pid, e);
        else if (e.kind === 'exit') {
          const exec = this.heldExecs.get(e.pid);
          if (exec !== undefined && exec.startNs === e.startNs) exec.exitedBeforeRelease = true;
        }
        this.reorder.push(e);
        return;
      }
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
        this.stats_.lost += n.count;
        // bpftrace prints one notice per perf-buffer overrun: log at most once a second
        const now = Date.now();
        if (now - this.lostLoggedAt >= 1000) {
          this.log.warn(
            { lost: this.stats_.lost - this.lostLogged, total: this.stats_.lost },
            'bpftrace lost events',
          );
          this.lostLoggedAt = now;
          this.lostLogged = this.stats_.lost;
        }
        // delivered at once: a loss is news whatever the order
        this.deliver({ kind: 'lost', ktimeNs: nowNs(), count: n.count });
        return;
      }
      case 'counter':
        if (n.name === 'connect_other') this.stats_.connectOther = n.value;
        return;
      case 'hello':
        if (n.version !== PROTOCOL_VERSION) {
          this.log.error(
            { version: n.version },
            `bpf program speaks protocol ${n.version}, expected ${PROTOCOL_VERSION}`,
          );
        }
        return;
      case 'ready':
        this.onAttached(0);
        return;
      case 'counters':
      case 'blank':
        return;
    }
  }

  private countMalformed(reason: string, line: string): void {
    this.stats_.malformed++;
    if (this.malformedLogged < MALFORMED_SAMPLES) {
      this.malformedLogged++;
      this.log.warn({ reason, line: line.slice(0, 300) }, 'malformed bpftrace line');
    }
  }

  private isSelf(e: RawEvent): boolean {
    const self = process.pid;
    const bt = this.pid;
    switch (e.kind) {
      case 'fork':
        return e.childPid === bt;
      case 'exec':
      case 'exit':
      case 'connect':
      case 'setsid':
        return e.pid === self || e.pid === bt;
      default:
        return false;
    }
  }

  private deliver(e: RawEvent): void {
    if (e.kind === 'exec' && this.heldExecs.get(e.pid) === e) this.heldExecs.delete(e.pid);
    if (this.excludeSelf && this.isSelf(e)) {
      this.stats_.excludedSelf++;
      return;
    }
    this.stats_.events++;
    this.counts[e.kind]++;
    for (const cb of this.listeners) {
      try {
        cb(e);
      } catch (error) {
        this.log.error({ err: error, kind: e.kind }, 'event listener threw');
      }
    }
  }
}
