// Turns bpftrace output lines into raw events and notices: parseLine, then exec
// re-assembly and comm decoding. Keeps counters; does no I/O and no ordering.
import { ExecAssembler } from './exec-assembler.js';
import { parseFileLine } from './file-line-parser.js';
import { decodeUtf8, untilNul } from './hex.js';
import type { NoticeLine } from './line.js';
import { parseLineTransient } from './line-parser.js';
import type { RawEvent } from './raw-event.js';

export type Decoded =
  | { kind: 'event'; event: RawEvent }
  | { kind: 'notice'; notice: NoticeLine }
  | { kind: 'malformed'; reason: string; line: string }
  | { kind: 'pending' };

const PENDING: Decoded = { kind: 'pending' };

export class LineDecoder {
  readonly assembler: ExecAssembler;

  constructor(resolveCgroup?: (id: bigint) => string | undefined, maxExecAgeNs?: number) {
    this.assembler = new ExecAssembler(resolveCgroup, maxExecAgeNs);
  }

  /** the text of the comm bytes decoded last (the parser hands the same array for the same field) */
  private lastComm: Uint8Array | undefined;
  private lastCommText = '';

  private commText(bytes: Uint8Array): string {
    if (bytes !== this.lastComm) {
      this.lastCommText = decodeUtf8(untilNul(bytes)).text;
      this.lastComm = bytes;
    }
    return this.lastCommText;
  }

  decode(line: string): Decoded {
    // the working directory's walk: the file program's `fp`/`fn` lines (path-macros.ts)
    if (line.charCodeAt(0) === 102 && (line.startsWith('fp ') || line.startsWith('fn '))) {
      const w = parseFileLine(line);
      if (w.kind === 'fp' || w.kind === 'fn') {
        const e = this.assembler.chunk(w);
        return e ? { kind: 'event', event: e } : PENDING;
      }
      if (w.kind === 'malformed') return { kind: 'malformed', reason: w.reason, line };
    }
    // chunk bytes are only valid until the next parse: the assembler copies them at once
    const l = parseLineTransient(line);
    switch (l.kind) {
      case 'exec': {
        const e = this.assembler.header(l);
        return e ? { kind: 'event', event: e } : PENDING;
      }
      case 'exec_fn':
      case 'exec_arg':
      case 'exec_env': {
        const e = this.assembler.chunk(l);
        return e ? { kind: 'event', event: e } : PENDING;
      }
      case 'event':
        return { kind: 'event', event: l.event };
      case 'event-comm': {
        // the parsed event is this call's own object: completing it in place spares a copy,
        // and `comm` still lands last, where the spread put it
        const event = l.event as RawEvent & { comm: string };
        event.comm = this.commText(l.comm);
        return { kind: 'event', event };
      }
      case 'chdir': {
        const w = this.assembler.closeWalk(l.tid, l.ktimeNs, l.lines);
        if (w === undefined) return PENDING;
        const event: RawEvent = {
          kind: 'chdir',
          ktimeNs: l.ktimeNs,
          tid: l.tid,
          pid: l.pid,
          startNs: l.startNs,
          cwd: w.cwd,
        };
        if (w.cut) event.cwdCut = true;
        if (w.bytesEscaped) event.bytesEscaped = true;
        return { kind: 'event', event };
      }
      case 'malformed':
        return { kind: 'malformed', reason: l.reason, line };
      default:
        return { kind: 'notice', notice: l };
    }
  }
}
