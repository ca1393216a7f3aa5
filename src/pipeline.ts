// The agent's data flow in one place: kernel events from the collector → the normalizer's ECS
// events → the detector's alerts → the sinks. It owns ordering and time between the stages:
// raw events that arrive while /proc is being seeded wait in a bounded buffer, event time
// (the watermark) is advanced so partial sequences and suppression windows close even when the
// host is idle, and alerts reach the sinks one after another in the order they were raised.
// Stages come in through StageSet so tests can drive the pipeline with synthetic ones;
// create-stages.ts builds the real ones. It does not read config files or handle signals (agent/).
import type { Logger } from 'pino';
import type { AlertRecord } from './alerts/alert-record.js';
import { RAW_EVENT_KINDS, type RawEvent, type RawEventKind } from './collector/raw-event.js';
import type { EqlEvent } from './rules/engine.js';

export interface CollectorStage {
  onEvent(cb: (e: RawEvent) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): object;
  readonly bpftracePid: number | undefined;
}

/** what an event's kind fixes before its document is built: its event.* and data_stream.* values
 *  (kindDocument() in src/normalize/ecs-event.ts) */
export type KindDocument = Readonly<Record<string, unknown>>;

export interface NormalizerStage {
  seedFromProc(): Promise<void>;
  push(raw: RawEvent): void;
  onEvent(cb: (e: EqlEvent) => void): void;
  /** which kinds of event to build; the others reach onNotBuilt() instead of onEvent() */
  setDemand(wants: (kind: KindDocument) => boolean): void;
  onNotBuilt(cb: (kind: KindDocument, timestampMs: number) => void): void;
  tick(nowMs?: number): void;
  stats(): object;
}

export interface DetectorStage {
  /** whether some rule may take events of this kind */
  wants(kind: KindDocument): boolean;
  push(e: EqlEvent): AlertRecord[];
  advance(watermarkMs: number): AlertRecord[];
  /** the event time past which advance() has alerts to give; Infinity if none (see Detector) */
  nextDeadlineMs(): number;
  flush(): AlertRecord[];
  stats(): { events: number; rules: { ruleId: string; name: string; alerts: number }[] };
}

export interface SinkStage {
  write(alert: AlertRecord): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  reopen(): Promise<void>;
  stats(): object;
}

/** where every ECS event goes besides the detector (the --events-file writer) */
export interface EventOutput {
  write(doc: Record<string, unknown>): void;
  reopen(): Promise<void>;
  close(): Promise<void>;
  stats(): object;
}

export interface StageSet {
  collector: CollectorStage;
  normalizer: NormalizerStage;
  detector: DetectorStage;
  sinks: SinkStage;
  events?: EventOutput;
}

export interface PipelineOptions {
  logger: Logger;
  /** wall clock, ms (tests pass a fake) */
  now?: () => number;
  /** how far behind the wall clock event time may lag before the idle watermark moves it on */
  idleLagMs?: number;
  /** raw events held while /proc is seeded; beyond it they are dropped and counted */
  seedBufferMax?: number;
}

export interface PipelineStats {
  rawEvents: Record<RawEventKind, number>;
  /** ECS events the normalizer made, built or not (below) */
  ecsEvents: number;
  /** of ecsEvents: those of a kind nothing could use (no loaded rule takes it, no events file),
   *  whose document was therefore never built */
  ecsEventsNotBuilt: number;
  /** ECS events, built or not, by event.category (its first value) and event.action: whatever
   *  kinds the normalizer emits, none listed here */
  ecsEventsByKind: Record<string, Record<string, number>>;
  lostKernelEvents: number;
  /** of lostKernelEvents: file events (their program's overruns and its per-second budget) */
  lostFileEvents: number;
  gaps: number;
  seedBufferDropped: number;
  alerts: number;
  alertsByRule: Record<string, number>;
  sinkErrors: number;
  /** alerts raised after the sinks closed: none by construction (stopInputs, then stop); counted
   *  and logged at error level if a caller ever breaks that order */
  alertsAfterClose: number;
  lastEventMs: number;
}

export class Pipeline {
  private readonly now: () => number;
  private readonly idleLagMs: number;
  private readonly seedBufferMax: number;
  private seeding: RawEvent[] | undefined;
  private sinkChain: Promise<void> = Promise.resolve();
  private readonly gapListeners: ((e: RawEvent & { kind: 'gap' }) => void)[] = [];
  private readonly alertListeners: ((a: AlertRecord, nowMs: number) => void)[] = [];
  /** inputs stopped: the collector is down and the detector flushed */
  private stopped = false;
  private inputsStopping: Promise<void> | undefined;
  /** outputs closed: nothing can be delivered any more */
  private closed = false;
  private watermark = 0;
  private readonly counters: PipelineStats;

  constructor(
    readonly stages: StageSet,
    private readonly opts: PipelineOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.idleLagMs = opts.idleLagMs ?? 2000;
    this.seedBufferMax = opts.seedBufferMax ?? 200_000;
    this.counters = {
      rawEvents: Object.fromEntries(RAW_EVENT_KINDS.map((k) => [k, 0])) as Record<RawEventKind, number>,
      ecsEvents: 0,
      ecsEventsNotBuilt: 0,
      ecsEventsByKind: {},
      lostKernelEvents: 0,
      lostFileEvents: 0,
      gaps: 0,
      seedBufferDropped: 0,
      alerts: 0,
      alertsByRule: {},
      sinkErrors: 0,
      alertsAfterClose: 0,
      lastEventMs: 0,
    };
    stages.collector.onEvent((raw) => this.onRaw(raw));
    stages.normalizer.onEvent((e) => this.onEcs(e));
    // an events file takes every event; without one, a kind no rule can take is not built
    if (!stages.events) stages.normalizer.setDemand((kind) => stages.detector.wants(kind));
    stages.normalizer.onNotBuilt((kind, ms) => this.onNotBuilt(kind, ms));
  }

  /** Starts the collector first (so nothing is missed), then seeds the process table from /proc,
   *  then releases the events that arrived meanwhile. */
  async start(): Promise<void> {
    this.seeding = [];
    await this.stages.collector.start();
    try {
      await this.stages.normalizer.seedFromProc();
    } finally {
      const held = this.seeding ?? [];
      this.seeding = undefined;
      for (const raw of held) this.stages.normalizer.push(raw);
    }
  }

  /** Called when bpftrace was down: the agent turns it into a health alert. */
  onGap(cb: (e: RawEvent & { kind: 'gap' }) => void): void {
    this.gapListeners.push(cb);
  }

  /** Called with every record handed to the sinks (detections, follow-ups, health alerts) and
   *  the wall-clock time it was raised: the metrics' alert counts and detection latency. */
  onAlert(cb: (a: AlertRecord, nowMs: number) => void): void {
    this.alertListeners.push(cb);
  }

  private onRaw(raw: RawEvent): void {
    if (this.stopped) return;
    this.counters.rawEvents[raw.kind]++;
    if (raw.kind === 'lost') {
      this.counters.lostKernelEvents += raw.count;
      if (raw.source === 'file') this.counters.lostFileEvents += raw.count;
    }
    if (raw.kind === 'gap') {
      this.counters.gaps++;
      for (const cb of this.gapListeners) cb(raw);
    }
    if (this.seeding) {
      if (this.seeding.length < this.seedBufferMax) this.seeding.push(raw);
      else this.counters.seedBufferDropped++;
      return;
    }
    this.stages.normalizer.push(raw);
  }

  private onEcs(e: EqlEvent): void {
    this.counters.ecsEvents++;
    this.countKind(e.doc.event);
    if (e.timestamp > this.counters.lastEventMs) this.counters.lastEventMs = e.timestamp;
    this.stages.events?.write(e.doc);
    let alerts: AlertRecord[];
    try {
      alerts = this.stages.detector.push(e);
    } catch (err) {
      // the detector counts engine errors per rule; anything escaping it is a bug worth a log line
      this.opts.logger.error({ err, eventId: e.sequence }, 'detector failed on an event');
      return;
    }
    for (const a of alerts) this.emit(a);
  }

  /** an event nothing could use: counted like a built one, and its time moves event time on */
  private onNotBuilt(kind: KindDocument, timestampMs: number): void {
    this.counters.ecsEvents++;
    this.counters.ecsEventsNotBuilt++;
    this.countKind(kind.event);
    if (timestampMs > this.counters.lastEventMs) this.counters.lastEventMs = timestampMs;
  }

  private countKind(event: unknown): void {
    const ev = event as { category?: unknown; action?: unknown } | undefined;
    const c = ev?.category;
    const category = String((Array.isArray(c) ? c[0] : c) ?? 'unknown');
    const action = String(ev?.action ?? 'unknown');
    const byAction = this.counters.ecsEventsByKind[category] ?? {};
    this.counters.ecsEventsByKind[category] = byAction;
    byAction[action] = (byAction[action] ?? 0) + 1;
  }

  /** Hands one alert to the sinks, after every alert raised before it. */
  emit(alert: AlertRecord): void {
    if (this.closed) {
      this.counters.alertsAfterClose++;
      this.opts.logger.error(
        { alertId: alert.id, rule: alert.rule.id, summary: alert.summary },
        'ALERT LOST: raised after the sinks closed',
      );
      return;
    }
    if (this.alertListeners.length > 0) {
      const now = this.now();
      for (const cb of this.alertListeners) cb(alert, now);
    }
    this.counters.alerts++;
    this.counters.alertsByRule[alert.rule.id] = (this.counters.alertsByRule[alert.rule.id] ?? 0) + 1;
    this.sinkChain = this.sinkChain.then(
      () =>
        this.stages.sinks.write(alert).catch((err: unknown) => {
          this.counters.sinkErrors++;
          this.opts.logger.error({ err, alertId: alert.id, rule: alert.rule.id }, 'alert sink write failed');
        }),
      () => undefined,
    );
  }

  /** Moves event time on: the newest event's time, or the wall clock minus the allowed lag when
   *  the host is quiet, so a sequence's maxspan expires even if no further event comes. */
  tick(): void {
    const now = this.now();
    this.stages.normalizer.tick(now);
    this.watermark = Math.max(this.watermark, this.counters.lastEventMs, now - this.idleLagMs);
    for (const a of this.stages.detector.advance(this.watermark)) this.emit(a);
  }

  /** How long from now, on a quiet host, until tick() has an alert to give: the watermark then
   *  moves by the wall clock alone, and passes the detector's next deadline `idleLagMs` after it.
   *  Infinity when nothing waits on time. */
  msUntilDue(): number {
    const deadline = this.stages.detector.nextDeadlineMs();
    if (deadline === Number.POSITIVE_INFINITY) return deadline;
    return Math.max(0, deadline + this.idleLagMs + 1 - this.now());
  }

  /** Stops the inputs: the collector (which releases the events it holds for ordering) and the
   *  detector's open windows. Every alert they raise is queued for the sinks, which stay open, so
   *  the caller may still emit() its own (the agent's last health sample) before stop(). */
  stopInputs(): Promise<void> {
    this.inputsStopping ??= (async () => {
      await this.stages.collector.stop();
      this.stopped = true;
      for (const a of this.stages.detector.flush()) this.emit(a);
    })();
    return this.inputsStopping;
  }

  /** stopInputs(), then waits until the sinks have every alert raised so far (delivered or
   *  spooled), and only then closes them: an alert raised while stopping is never refused by a
   *  closed sink. */
  async stop(): Promise<void> {
    if (this.closed) return;
    await this.stopInputs();
    await this.sinkChain;
    this.closed = true;
    // close() drains each sink within its own timeout; what is left stays spooled for the next start
    await this.stages.sinks.close();
    await this.stages.events?.close();
  }

  /** Resolves once every alert emitted so far has been handed to the sinks. */
  drained(): Promise<void> {
    return this.sinkChain;
  }

  async reopen(): Promise<void> {
    await this.stages.sinks.reopen();
    await this.stages.events?.reopen();
  }

  stats(): PipelineStats {
    return {
      ...this.counters,
      rawEvents: { ...this.counters.rawEvents },
      ecsEventsByKind: Object.fromEntries(
        Object.entries(this.counters.ecsEventsByKind).map(([c, byAction]) => [c, { ...byAction }]),
      ),
      alertsByRule: { ...this.counters.alertsByRule },
    };
  }
}
