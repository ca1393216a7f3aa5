// Whether `eqld run` starts the file program (the second bpftrace, bpf/eqld-file.bt.in): only when
// something takes its events. Its probes run at every open, rename and unlink on the host, so with
// rules that take no file event (the bundled ones) and no --events-file they would cost every
// process for events no one reads. A reload that brings rules taking file events cannot start it
// (the collector's programs are fixed at start, as the environment variables they capture are):
// the agent says so and asks for a restart.
import { FILE, type KindDocument, kindDocument } from '../normalize/ecs-event.js';

/** the kinds of the file program's events, as the normalizer asks about them */
export const FILE_KIND_DOCUMENTS: readonly KindDocument[] = Object.values(FILE).map((k) =>
  kindDocument(k, 'endpoint.events.file'),
);

export type FileProgramDecision =
  | { run: true; because: 'events file' | 'rules' }
  | { run: false; because: 'turned off' | 'no rule takes file events' };

/**
 * `enabled`: collector.file_events; `eventsFile`: an --events-file is written (it takes every
 * event); `wants`: the detector's answer for a kind of event (Detector.wants()).
 */
export function fileProgramDecision(
  enabled: boolean,
  eventsFile: boolean,
  wants: (kind: KindDocument) => boolean,
): FileProgramDecision {
  if (!enabled) return { run: false, because: 'turned off' };
  if (eventsFile) return { run: true, because: 'events file' };
  return FILE_KIND_DOCUMENTS.some(wants)
    ? { run: true, because: 'rules' }
    : { run: false, because: 'no rule takes file events' };
}
