// Collector: runs the bpftrace programs (process and network events; file events, when on) as
// supervised children (BpftraceRunner: spawn, attach, restart, gaps) and delivers their typed
// raw events in kernel-timestamp order. It decides when to read their output pipes (just after
// the pacing shim's looks while events flow, not at all while the host is quiet) and orders what
// both programs report in one reorder buffer, released up to what their looks handed over
// (look-bound.ts). Knows nothing about ECS or rules.
import type pino from 'pino';
import {
  bpftraceCommand,
  bpftraceEnv,
  currentNiceness,
  FILE_NICENESS,
  resolvePace,
} from './bpftrace-command.js';
import { BpftraceRunner, CollectorError, NOT_STARTED, type RunnerStats } from './bpftrace-runner.js';
import { CgroupPaths } from './cgroup-path.js';
import type { CollectorOptions, CollectorStats, FileEventOptions } from './collector-types.js';
import { LineDecoder } from './decoder.js';
import { FileLineDecoder } from './file-decoder.js';
import { type HeldLine, isNetworkLine, ktimeOf } from './line-peek.js';
import { LOOK_MIN_AGE_NS, Looks, releaseLimitNs } from './look-bound.js';
import { DEFAULT_PACE_SHIM } from './pace-shim.js';
import { Periodic, type PollListener } from './periodic.js';
import { type AgentPidNamespace, agentPidNamespace } from './pid-namespace.js';
import { nextPoll } from './poll-schedule.js';
import { checkPreconditions } from './preconditions.js';
import {
  DEFAULT_FILE_EVENTS_PER_SECOND,
  FILE_PROTOCOL_VERSION,
  normalizeArgvBytes,
  PROTOCOL_VERSION,
  renderHostFileProgram,
  renderHostProgram,
} from './program.js';
import { ProgramFiles } from './program-file.js';
import { type ExecEvent, RAW_EVENT_KINDS, type RawEvent, type RawEventKind } from './raw-event.js';
import { ReorderBuffer } from './reorder.js';
import { Reservoir } from './reservoir.js';
import { LoadShedder } from './shedder.js';

export type {
  CollectorOptions,
  CollectorStats,
  FileCollectorStats,
  FileEventOptions,
} from './collector-types.js';
export { CollectorError };

const nowNs = (): number => Number(process.hrtime.bigint());

/**
 * How often a pipe is read while events flow on a host that is not busy (a busy pipe is read
 * sooner, see schedulePoll): with the shim, just after each of its looks (one per pace), which
 * hand over everything before them (look-bound.ts), so an event waits at most a pace and
 * LOOK_MIN_AGE_NS. Each poll and each look is a wake-up with cold caches (~350 µs of CPU for node
 * on the 2-vCPU test VM at 100 execs/s, docs/collector.md).
 */
const DEFAULT_POLL_INTERVAL_MS = 60;
/** the shim's pace: the grid its looks fall on (bpftrace-pace.c) */
const DEFAULT_PACE_MS = 60;
const FILE_ATTACH_TIMEOUT_MS = 180_000;
/** one poll reads at most this much before it yields to the event loop (and polls again at once) */
const MAX_BYTES_PER_POLL = 1024 * 1024;
/** the file program's share of a poll: ~300 file events. Everything a poll reads is normalized,
 *  matched and written in the same event-loop turn, and the alert sinks progress only between
 *  turns (each of their steps is an I/O callback); with 1 MiB of file lines a turn took up to a
 *  second on a busy host, and an alert raised during a file storm took 10 s to reach its sinks. */
const FILE_MAX_BYTES_PER_POLL = 32 * 1024;
/** a held line's timestamp is at most this far past the poll's clock (lines written during the
 *  poll); one further ahead is no kernel timestamp, and is decoded at once instead */
const MAX_LINE_AHEAD_NS = 1e9;
/** empty polls in a row before the collector waits on the pipes' wake ends (schedulePoll) */
const IDLE_AFTER_EMPTY_POLLS = 3;

/** how often unfinished execs and file events are looked at for expiry */
const SWEEP_MS = 1000;

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
  private readonly pidNs: AgentPidNamespace;
  /** eqld's pid as the kernel numbers it: process.pid in the initial pid namespace, else
   *  unknown until a program's `ready` line reports it */
  private agentKernelPid: number | undefined;
  private readonly fileOpts: FileEventOptions | undefined;
  private readonly fileEventsPerSecond: number;
  private readonly listeners: ((e: RawEvent) => void)[] = [];
  private readonly cgroups = new CgroupPaths();
  private readonly decoder: LineDecoder;
  private readonly fileDecoder: FileLineDecoder | undefined;
  /** events, and network lines held undecoded until they are released (interceptLine) */
  private readonly reorder: ReorderBuffer<RawEvent | HeldLine>;
  private readonly counts: Record<RawEventKind, number>;
  /** the process and network program, and the file program when on */
  private main: BpftraceRunner | undefined;
  private file: BpftraceRunner | undefined;
  private runners: BpftraceRunner[] = [];
  /** the rendered programs, written for bpftrace to read (program-file.ts) */
  private readonly programFiles = new ProgramFiles();
  /** the programs' looks, with the pacing shim (look-bound.ts) */
  private readonly looks: Looks<BpftraceRunner>;
  /** the next poll: after the interval, or at once while a pipe is busy */
  private pollTimeout: NodeJS.Timeout | undefined;
  private pollImmediate: NodeJS.Immediate | undefined;
  private idle = false;
  /** polls in a row that read nothing (goIdle waits for IDLE_AFTER_EMPTY_POLLS of them) */
  private emptyPolls = 0;
  private lastPollNs = 0;
  /** bytes per ms the busiest pipe filled at, as recently seen (decays by half per poll) */
  private fillRate = 0;
  private started = false;
  /** once a second, the sweep of events whose pieces never arrived (at a poll while polling; on a
   *  quiet host only while some are held) */
  private readonly sweep = new Periodic(
    () => {
      const now = nowNs();
      this.decoder.assembler.expire(now);
      this.fileDecoder?.assembler.expire(now);
    },
    SWEEP_MS,
    {
      idleDelayMs: (since) =>
        this.decoder.assembler.holdsPieces || (this.fileDecoder?.assembler.size ?? 0) > 0
          ? Math.max(0, SWEEP_MS - since)
          : Number.POSITIVE_INFINITY,
    },
  );
  private readonly pollListeners: PollListener[] = [this.sweep];
  private stats_ = { events: 0, excludedSelf: 0, polls: 0, idleWakes: 0 };
  private readonly arrival = new Reservoir(4096);
  private arrivalTick = 0;
  /** the file program's own arrival delay and late events (onFileProgramEvent) */
  private readonly fileArrival = new Reservoir(1024);
  private fileArrivalTick = 0;
  private fileLate = 0;
  /** drops connect lines, loopback first, while eqld is far behind the kernel (shedder.ts) */
  private readonly shedder: LoadShedder;
  /** the clock at the start of the current poll: lines read in it are at least this late */
  private pollNowNs = 0;
  /** newest kernel timestamp the process program delivered */
  private newestNs = 0;
  /** execs read but not yet released, by pid: a short-lived process's exit often arrives while
   *  its exec still waits in the reorder window, and its exec is then marked exitedBeforeRelease */
  private readonly heldExecs = new Map<number, ExecEvent>();

  constructor(private readonly opts: CollectorOptions) {
    this.log = opts.logger.child({ module: 'collector' });
    this.argvBytes = normalizeArgvBytes(opts.argvBytes);
    this.bpftracePath = opts.bpftracePath ?? 'bpftrace';
    this.windowMs = opts.reorderWindowMs ?? 30;
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.shedder = new LoadShedder(opts.shed);
    const pace = resolvePace(
      opts.bpftracePaceMs ?? DEFAULT_PACE_MS,
      opts.paceShimPath ?? DEFAULT_PACE_SHIM,
      this.log,
    );
    this.paceMs = pace.ms;
    this.paceShim = pace.shim;
    this.looks = new Looks(this.paceMs);
    this.excludeSelf = opts.excludeSelf ?? true;
    this.pidNs = opts.pidNamespace ?? agentPidNamespace();
    this.agentKernelPid = this.pidNs.initial ? process.pid : undefined;
    this.fileOpts = opts.fileEvents;
    this.fileEventsPerSecond = opts.fileEvents?.eventsPerSecond ?? DEFAULT_FILE_EVENTS_PER_SECOND;
    this.decoder = new LineDecoder((id) => this.cgroups.resolve(id));
    this.fileDecoder = opts.fileEvents ? new FileLineDecoder() : undefined;
    this.counts = Object.fromEntries(RAW_EVENT_KINDS.map((k) => [k, 0])) as Record<RawEventKind, number>;
    this.reorder = new ReorderBuffer<RawEvent | HeldLine>(this.windowMs * 1e6, (e) => this.deliver(e));
  }

  onEvent(cb: (e: RawEvent) => void): void {
    this.listeners.push(cb);
  }

  /**
   * Told of every poll (at its end, after its events went to the listeners) and of when polling
   * stops: periodic work of other stages (a Periodic) runs at the polls instead of waking node on
   * a timer of its own while events flow.
   */
  addPollListener(l: PollListener): void {
    this.pollListeners.push(l);
  }

  /** the process and network program's bpftrace */
  get bpftracePid(): number | undefined {
    return this.main?.pid;
  }

  /** whether `pid` (as the kernel numbers it) is one of this collector's bpftrace processes
   *  (their own activity is not reported). Asked for every event: no array is built. */
  isBpftracePid(pid: number): boolean {
    for (const r of this.runners) {
      if (r.kernelPid === pid || (this.pidNs.initial && r.pid === pid)) return true;
    }
    return false;
  }

  /** whether `pid` (as the kernel numbers it) is eqld itself or one of its bpftrace processes */
  isSelfPid(pid: number): boolean {
    return pid === this.agentKernelPid || this.isBpftracePid(pid);
  }

  /** eqld's pid namespace: outside the initial one, /proc does not number processes as the
   *  kernel does (pid-namespace.ts) */
  get pidNamespace(): AgentPidNamespace {
    return this.pidNs;
  }

  /** Checks preconditions, starts the bpftrace programs and resolves once their probes are attached. */
  async start(): Promise<void> {
    if (this.started) throw new CollectorError('Collector already started');
    if (!this.opts.skipPreconditions) {
      const failed = (
        await checkPreconditions({
          bpftracePath: this.bpftracePath,
          mountTracefs: true,
          fileEvents: this.fileOpts !== undefined,
        })
      ).filter((p) => !p.ok);
      if (failed.length > 0) {
        throw new CollectorError(
          `Cannot start the collector: ${failed.map((p) => `${p.name}: ${p.detail}.`).join(' ')}`,
        );
      }
    }
    this.main = this.runner(
      'process',
      this.opts.program ??
        renderHostProgram(this.argvBytes, this.opts.envVars ? { envVars: this.opts.envVars } : {}),
      PROTOCOL_VERSION,
      (l) => this.decoder.decode(l),
    );
    this.runners = [this.main];
    if (this.fileOpts && this.fileDecoder) {
      const fileDecoder = this.fileDecoder;
      this.file = this.runner(
        'file',
        this.fileOpts.program ??
          renderHostFileProgram(this.fileEventsPerSecond, this.pidNs.initial ? process.pid : 0),
        FILE_PROTOCOL_VERSION,
        (l) => fileDecoder.decode(l),
      );
      this.runners.push(this.file);
    }
    this.started = true;
    this.sweep.start();
    this.lastPollNs = nowNs();
    this.schedulePoll(this.pollIntervalMs);
    // both compile at once (LLVM takes seconds; the machine's cores are used together). The
    // process program is required; a file program that cannot attach leaves eqld running
    // without file events, retried with backoff (its gap is reported when it comes back)
    const file = this.file;
    const fileStarted = file?.start().catch((error: unknown) => {
      if (this.started) {
        this.log.error(
          { err: error },
          'the file program did not start: running without file events, retrying',
        );
        file.retryLater(error instanceof Error ? error.message : String(error));
      }
    });
    try {
      await this.main.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
    await fileStarted;
    this.reorder.maxHoldNs = 0;
    this.arrival.reset();
  }

  /** Stops bpftrace (SIGTERM, then SIGKILL after 3 s) and releases held events. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    this.looks.close();
    this.programFiles.remove();
    this.sweep.stop();
    this.stopPolling();
    for (const l of this.pollListeners) l.onPollsStopped();
    this.reorder.flush();
    this.started = false;
  }

  stats(): CollectorStats {
    const a = this.decoder.assembler.stats;
    const m: RunnerStats = this.main?.stats() ?? NOT_STARTED;
    const out: CollectorStats = {
      running: m.running,
      bpftracePid: m.pid,
      lines: m.lines,
      events: this.stats_.events,
      byKind: { ...this.counts },
      malformed: m.malformed,
      lost: m.lost,
      restarts: m.restarts,
      gaps: m.gaps,
      countersKtimeNs: m.countersKtimeNs,
      connectOtherFamilies: m.counters.connect_other ?? 0,
      incompleteExecs: a.incomplete,
      orphanChunks: a.orphanChunks,
      late: this.reorder.late,
      maxDelayMs: this.reorder.maxHoldNs / 1e6,
      arrivalDelayMs: this.arrival.summary(),
      shed: this.shedder.stats(),
      excludedSelf: this.stats_.excludedSelf,
      bpftracePaceMs: this.paceMs,
      polls: this.stats_.polls,
      idleWakes: this.stats_.idleWakes,
      reorderWindowMs: this.windowMs,
      effectiveWindowMs: this.reorder.windowNs / 1e6,
      argvBytes: this.argvBytes,
    };
    if (this.file && this.fileDecoder) {
      const f = this.file.stats();
      const fa = this.fileDecoder.assembler.stats;
      out.file = {
        running: f.running,
        bpftracePid: f.pid,
        lines: f.lines,
        malformed: f.malformed,
        lost: f.lost,
        dropped: f.counters.file_dropped ?? 0,
        restarts: f.restarts,
        gaps: f.gaps,
        countersKtimeNs: f.countersKtimeNs,
        incomplete: fa.incomplete + fa.inconsistent,
        orphanPieces: fa.orphanPieces,
        cutPaths: fa.cutPaths,
        eventsPerSecond: this.fileEventsPerSecond,
        late: this.fileLate,
        arrivalDelayMs: this.fileArrival.summary(),
      };
    }
    return out;
  }

  private runner(
    name: 'process' | 'file',
    program: string,
    protocolVersion: number,
    decode: (line: string) => ReturnType<LineDecoder['decode']>,
  ): BpftraceRunner {
    const lookFile = this.paceMs > 0 ? this.programFiles.path(`${name}.look`) : undefined;
    const r = new BpftraceRunner({
      name,
      logger: this.log,
      program,
      protocolVersion,
      decode,
      command: () =>
        bpftraceCommand({
          bpftracePath: this.bpftracePath,
          programPath: this.programFiles.write(name, program),
          niceness: name === 'file' ? FILE_NICENESS - currentNiceness() : 0,
          pdeathsig: this.opts.pdeathsig,
          pipeBytes: this.opts.pipeBytes,
        }),
      env: bpftraceEnv({
        perfBufferPages: this.opts.perfBufferPages,
        paceMs: this.paceMs,
        paceShim: this.paceShim,
        lookFile,
      }),
      // the file program compiles at nice 5: on a busy host it can take far longer than the other
      attachTimeoutMs:
        name === 'file'
          ? (this.opts.fileAttachTimeoutMs ?? FILE_ATTACH_TIMEOUT_MS)
          : (this.opts.attachTimeoutMs ?? 60_000),
      restartDelayMs: this.opts.restartDelayMs ?? 500,
      maxRestartDelayMs: this.opts.maxRestartDelayMs ?? 30_000,
      onEvent:
        name === 'process'
          ? (e) => {
              if (e.ktimeNs > this.newestNs) this.newestNs = e.ktimeNs;
              this.onRunnerEvent(e);
            }
          : (e) => this.onFileProgramEvent(e),
      // in the initial pid namespace getpid() is the kernel's pid already; the ready line is
      // needed only outside it
      onAgentKernelPid: (pid) => {
        if (pid === this.agentKernelPid) return;
        if (this.pidNs.initial) {
          this.log.warn({ reported: pid, pid: process.pid }, 'a ready line named another pinger than eqld');
          return;
        }
        this.log.info({ kernelPid: pid, pid: process.pid }, "eqld's pid as the kernel numbers it");
        this.agentKernelPid = pid;
      },
      ...(name === 'process'
        ? {
            intercept: (line: string) => this.interceptLine(line),
            // a backlog is read in many chunks: release, chunk by chunk, what is a window older
            // than the newest event read (the window's own premise: no CPU lags another by
            // more), instead of holding up to 1 MiB of events until the poll ends (under a flood
            // they outlived a young-generation GC and were promoted: RSS grew ~1 KB per connect).
            // The file program's pipe is read first in each poll, so its events are in already.
            onChunk: () => {
              const upTo = Math.min(this.pollNowNs, this.newestNs);
              this.reorder.release(upTo, upTo - this.windowMs * 1e6);
            },
          }
        : {}),
      onLoss: (e) => this.deliver(e),
      onWake: () => this.onWake(),
      dropCounters: name === 'file' ? ['file_dropped'] : [],
    });
    if (lookFile !== undefined) this.looks.add(r, lookFile);
    r.onRestarted = () => {
      this.reorder.maxHoldNs = 0;
      this.arrival.reset();
      this.wake();
    };
    return r;
  }

  // bpftrace writes (and flushes) each line on its own, or, under the pacing shim, the lines of
  // each of its reads together (every pace while events flow). Reading a pipe per write would wake
  // the event loop for every line, which on a quiet host costs more than the lines themselves;
  // instead the pipes are read on a timer: every pollIntervalMs on a quiet host, sooner when the
  // rate recently seen would put REFILL_BYTES in a pipe before then (poll-schedule.ts; so that
  // bpftrace does not block on a full pipe), back to back when the last poll stopped with data
  // left. Both programs' pipes are read in the same poll, so that events are ordered across them
  // before release.
  // After IDLE_AFTER_EMPTY_POLLS polls in a row found the pipes empty, with no event held, the
  // collector stops polling and waits on the pipes' wake ends: an idle host costs no timer
  // wake-ups (~150-270 µs of CPU each on the test VM), and the first line after a quiet spell is
  // read at once. Not after one empty poll: at 100 execs/s that idled and woke every look (twice
  // the wake-ups, an EAGAIN read, the wake ends' start and stop), ~5 ms/s more CPU on node.
  private schedulePoll(delayMs: number): void {
    const run = (): void => {
      this.pollTimeout = undefined;
      this.pollImmediate = undefined;
      if (!this.started) return;
      const startNs = nowNs();
      this.pollNowNs = startNs;
      const sinceMs = Math.max((startNs - this.lastPollNs) / 1e6, 0.1);
      this.lastPollNs = startNs;
      this.stats_.polls++;
      let bytes = 0;
      let busiest = 0;
      let full = false;
      // the looks first, then the pipes, so that what each look handed over is read
      // (look-bound.ts). A program that stopped looking holds the others at most: the file
      // program the window, the process program the window and its pace (a look is up to a pace
      // old between two), or the window alone while its shim reads off the grid for a storm
      const progress = this.looks.progress(this.runners, (r, heavy) =>
        r === this.file ? this.windowMs * 1e6 : this.reorder.windowNs + (heavy ? 0 : this.paceMs * 1e6),
      );
      // last runner (file program) first: see onChunk in runner()
      for (let i = this.runners.length - 1; i >= 0; i--) {
        const r = this.runners[i] as BpftraceRunner;
        if (r.parked) continue; // its next output comes through its wake end
        const max = r === this.file ? FILE_MAX_BYTES_PER_POLL : MAX_BYTES_PER_POLL;
        const n = r.read(max);
        bytes += n;
        busiest = Math.max(busiest, n);
        if (n >= max) full = true;
        // The file program's pipe is empty at most polls of a host that is not writing files,
        // and an empty read of a non-blocking pipe throws EAGAIN: ~150 µs of CPU per poll on the
        // test VM, a third of eqld's cost per exec at 100 execs/s. Its wake end watches it
        // instead until it writes again. (Its lateness is its own, see onFileProgramEvent; the
        // process program is read at every poll, so that each poll reads all it wrote before.)
        if (n === 0 && r === this.file) r.resumeWake();
      }
      // every line written before startNs is read (unless a very busy pipe stopped a read early,
      // and then the window bounds the release, as it does without looks)
      const pending = this.oldestPendingNs();
      this.reorder.release(startNs, full ? undefined : releaseLimitNs(startNs, progress, pending));
      for (const l of this.pollListeners) l.onPoll();
      const retry = this.looks.retry(progress, startNs);
      this.emptyPolls = bytes === 0 ? this.emptyPolls + 1 : 0;
      if (this.emptyPolls >= IDLE_AFTER_EMPTY_POLLS && this.reorder.size === 0 && !retry && this.goIdle()) {
        this.fillRate = 0;
        for (const l of this.pollListeners) l.onPollsStopped();
        return;
      }
      const next = nextPoll(this.fillRate, busiest, sinceMs, this.pollIntervalMs);
      this.fillRate = next.fillRate;
      this.schedulePoll(full ? 0 : this.looks.nextDelayMs(next.delayMs, this.pollIntervalMs, retry, nowNs()));
    };
    if (delayMs < 1) this.pollImmediate = setImmediate(run);
    else this.pollTimeout = setTimeout(run, Math.floor(delayMs));
  }

  private oldestPendingNs(): number | undefined {
    const a = this.decoder.assembler.oldestPendingNs();
    const b = this.fileDecoder?.assembler.oldestPendingNs();
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Waits on every pipe's wake end instead of polling; false if a pipe cannot be watched. */
  private goIdle(): boolean {
    const open = this.runners.filter((r) => r.readable);
    if (open.length === 0) return false;
    for (const r of open) {
      if (!r.resumeWake()) {
        for (const o of open) o.pauseWake();
        return false;
      }
    }
    this.idle = true;
    return true;
  }

  /** Output arrived while idle: poll again for what follows. */
  private onWake(): void {
    if (this.idle) this.stats_.idleWakes++;
    this.wake();
  }

  private wake(): void {
    this.idle = false;
    this.emptyPolls = 0; // the wake end read what came: the next poll finds the pipe empty
    // polling reads the process program's pipe; the file program's stays watched (see run)
    for (const r of this.runners) if (r !== this.file) r.pauseWake();
    this.lastPollNs = nowNs();
    if (this.started && this.pollTimeout === undefined && this.pollImmediate === undefined) {
      // with looks, the look that found these lines is published right after them
      this.schedulePoll(this.looks.active ? LOOK_MIN_AGE_NS / 1e6 : this.pollIntervalMs);
    }
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimeout);
    clearImmediate(this.pollImmediate);
    this.pollTimeout = undefined;
    this.pollImmediate = undefined;
    for (const r of this.runners) r.pauseWake();
    this.idle = false;
  }

  /**
   * A network line of the process program, before it is decoded: dropped while shedding
   * (shedder.ts), else held undecoded until the reorder window releases it (deliver decodes it).
   * Under a connect storm every event waits 30-50 ms in the window, longer than the young
   * generation lasts between two collections at that rate: a decoded event (a dozen fields and
   * strings) was copied and promoted by the GC, a held line is one small object and a slice of
   * the chunk read. A line with no plausible timestamp is left to the runner, which decodes it
   * at once (and counts it if it is malformed), as before.
   */
  private interceptLine(line: string): boolean {
    if (!isNetworkLine(line)) return false;
    if (this.shedder.active && this.shedder.shed(line, this.pollNowNs)) return true;
    const ktimeNs = ktimeOf(line);
    // (pollNowNs is stale when the line woke an idle collector: then the clock is read)
    if (!(ktimeNs > 0)) return false;
    if (ktimeNs > this.pollNowNs + MAX_LINE_AHEAD_NS && ktimeNs > nowNs() + MAX_LINE_AHEAD_NS) return false;
    if (ktimeNs > this.newestNs) this.newestNs = ktimeNs;
    this.onRunnerEvent({ kind: 'held-line', ktimeNs, line });
    return true;
  }

  private onRunnerEvent(e: RawEvent | HeldLine): void {
    if ((++this.arrivalTick & 7) === 0) {
      const lagNs = nowNs() - e.ktimeNs;
      this.arrival.add(lagNs / 1e6);
      this.shedder.observe(lagNs);
    }
    if (e.kind === 'exec') this.heldExecs.set(e.pid, e);
    else if (e.kind === 'exit') {
      const exec = this.heldExecs.get(e.pid);
      if (exec !== undefined && exec.startNs === e.startNs) exec.exitedBeforeRelease = true;
    }
    this.reorder.push(e);
  }

  /**
   * An event of the file program. That program runs at a lower priority (nice 5) and under a file
   * storm its lines come later than the process program's: its lag is its own, so it neither
   * triggers the shedding of connects (which cannot help a starved file program) nor widens the
   * reorder window for process and network events. A file event that comes after later events
   * were released goes through at once, counted in `file.late`.
   */
  private onFileProgramEvent(e: RawEvent): void {
    if ((++this.fileArrivalTick & 7) === 0) this.fileArrival.add((nowNs() - e.ktimeNs) / 1e6);
    if (!this.reorder.push(e, false)) this.fileLate++;
  }

  private isSelf(e: RawEvent): boolean {
    switch (e.kind) {
      case 'fork':
        return this.isBpftracePid(e.childPid);
      case 'lost':
      case 'gap':
        return false;
      default:
        return this.isSelfPid(e.pid);
    }
  }

  private deliver(held: RawEvent | HeldLine): void {
    const e = held.kind === 'held-line' ? this.main?.decodeHeld(held.line) : held;
    if (e === undefined) return;
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
