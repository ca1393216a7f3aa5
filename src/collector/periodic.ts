// A periodic job that rides the collector's polls. Every timer that fires on its own is a wake-up
// of node, and on the test VM a wake-up costs ~0.2-0.35 ms of CPU (cold caches, docs/collector.md)
// whatever the job does. While events flow the collector polls every pace (60 ms) anyway, so the job runs
// at the end of the first poll at or after it is due (`onPoll`) and has no timer at all: a timer
// that is re-armed or cleared still wakes node at the time it was first set for (node re-sorts
// its timer lists only when they fire). When the collector stops polling (a quiet host, where it
// waits on its pipe and nothing else wakes node), the job's own timer takes over
// (`onPollsStopped`). There a job may wait longer than its period (`idleDelayMs`): a wake-up
// that finds nothing to do is a quiet host's whole cost.

export interface PeriodicOptions {
  /** monotonic clock, ms (tests pass a fake) */
  now?: () => number;
  /**
   * While no polls come: how long from now the job's own timer waits, given the ms since it
   * last ran; Infinity arms no timer (the next poll runs it when due). Asked after every run and
   * when polls stop. Default: the rest of the period.
   */
  idleDelayMs?: (sinceLastRunMs: number) => number;
}

/** What the collector calls (Collector.addPollListener). */
export interface PollListener {
  /** at the end of every poll, after its events went to the stages */
  onPoll(): void;
  /** when the collector stops polling (it waits on its pipes, or it stops) */
  onPollsStopped(): void;
}

export class Periodic implements PollListener {
  private lastMs: number;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private readonly now: () => number;
  private readonly idleDelayMs: ((sinceLastRunMs: number) => number) | undefined;

  constructor(
    private readonly job: () => void,
    private periodMs: number,
    opts: PeriodicOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.idleDelayMs = opts.idleDelayMs;
    this.lastMs = this.now();
  }

  /** The job first runs one period from now: at a poll, or from its own timer until polls come. */
  start(): void {
    this.started = true;
    this.lastMs = this.now();
    this.arm();
  }

  /** A poll: runs the job if it is due. While polls come, the job has no timer of its own. */
  onPoll(): void {
    if (!this.started) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.now() - this.lastMs >= this.periodMs) this.run();
  }

  /** The collector stopped polling: the job's own timer runs it when due. */
  onPollsStopped(): void {
    if (this.started && this.timer === undefined) this.arm();
  }

  /** A new period, counted from now (a reload). */
  setPeriod(periodMs: number): void {
    this.periodMs = periodMs;
    this.lastMs = this.now();
    if (this.timer !== undefined) this.arm();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.lastMs = this.now();
    this.job();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const fire = (): void => {
      this.timer = undefined;
      try {
        this.run();
      } finally {
        // armed again even when the job threw; not when it was stopped or a poll came meanwhile
        if (this.started && this.timer === undefined) this.arm();
      }
    };
    const since = this.now() - this.lastMs;
    let delayMs = this.idleDelayMs ? this.idleDelayMs(since) : this.periodMs - since;
    // an idle delay that is not a number (a bad deadline) must not become setTimeout's 1 ms spin
    if (Number.isNaN(delayMs)) delayMs = this.periodMs - since;
    if (delayMs === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(fire, Math.max(0, delayMs));
  }
}
