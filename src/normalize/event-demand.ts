// Which events the normalizer builds documents for. An event's kind (its event.* and data_stream.*
// values: kindDocument() in ecs-event.ts) is known before its document is built; when the
// pipeline says no consumer can use events of a kind (no loaded rule can take them, and neither
// an --events-file nor `eqld events` is writing every event), the normalizer still applies the
// event to its process table, as always, but builds no document: it counts the event and tells
// the listeners its kind and time, so the pipeline's counts by kind and its event time stay as if
// it had been built. With the two bundled rules, the fork and end documents of every process are
// never built (neither rule reads a fork or an end), nor any file event.
import { type Dataset, type EventKind, type KindDocument, kindDocument } from './ecs-event.js';

/** true when some consumer may use events of this kind (default: every kind) */
export type KindDemand = (kind: KindDocument) => boolean;

export type NotBuiltListener = (kind: KindDocument, timestampMs: number) => void;

export class EventDemand {
  private wants: KindDemand = () => true;
  /** @param toEpochMs an event's kernel time as wall-clock ms (read only for events not built) */
  constructor(private readonly toEpochMs: (ktimeNs: number) => number) {}

  private readonly listeners: NotBuiltListener[] = [];
  /** events whose document was not built: no consumer could use their kind */
  notBuilt = 0;

  set(wants: KindDemand): void {
    this.wants = wants;
  }

  onNotBuilt(cb: NotBuiltListener): void {
    this.listeners.push(cb);
  }

  /**
   * Whether to build the document of an event of `kind` in `dataset` made at `ktimeNs`. When not,
   * counts it and hands its kind and wall-clock time to the listeners.
   */
  build(dataset: Dataset, kind: EventKind, ktimeNs: number): boolean {
    const k = kindDocument(kind, dataset);
    if (this.wants(k)) return true;
    this.notBuilt++;
    if (this.listeners.length > 0) {
      const ms = this.toEpochMs(ktimeNs);
      for (const cb of this.listeners) cb(k, ms);
    }
    return false;
  }
}
