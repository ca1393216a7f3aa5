// Turns the file program's lines into file events: parseFileLine, then the file assembler.
// The file program's counterpart of LineDecoder; no I/O, no ordering.
import type { Decoded } from './decoder.js';
import { FileAssembler } from './file-assembler.js';
import { parseFileLine } from './file-line-parser.js';

const PENDING: Decoded = { kind: 'pending' };

export class FileLineDecoder {
  readonly assembler: FileAssembler;

  constructor(maxAgeNs?: number) {
    this.assembler = new FileAssembler(maxAgeNs);
  }

  decode(line: string): Decoded {
    const l = parseFileLine(line);
    switch (l.kind) {
      case 'fp':
      case 'fn':
      case 'fs':
        this.assembler.piece(l);
        return PENDING;
      case 'file-event': {
        const e = this.assembler.event(l);
        return e ? { kind: 'event', event: e } : PENDING;
      }
      case 'malformed':
        return { kind: 'malformed', reason: l.reason, line };
      case 'hello':
      case 'attaching':
      case 'lost':
      case 'counter':
      case 'counters':
      case 'ready':
      case 'blank':
        return { kind: 'notice', notice: l };
      default:
        return { kind: 'malformed', reason: `a ${l.kind} line is not one the file program prints`, line };
    }
  }
}
