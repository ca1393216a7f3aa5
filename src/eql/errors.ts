// EqlError: every problem with a query (lexing, parsing, validation) carries the 1-based line and
// column of the offending token, a caret line under it, what was expected and what came, in the
// shape of the reference engine's EqlParseError. It never wraps a generic "parse error".

export interface SourcePos {
  /** 0-based offset into the query text */
  offset: number;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export type EqlErrorKind = 'syntax' | 'unsupported' | 'unknown-function' | 'unknown-field' | 'type' | 'limit';

/** Computes line/column (1-based) of an offset in text. */
export function positionOf(text: string, offset: number): SourcePos {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/** The source line holding pos and a caret line under the offending column. */
export function caretLines(text: string, pos: SourcePos): string {
  const lines = text.split('\n');
  const src = (lines[pos.line - 1] ?? '').replace(/\t/g, ' ');
  return `${src}\n${' '.repeat(Math.max(0, pos.column - 1))}^`;
}

export class EqlError extends Error {
  override readonly name = 'EqlError';
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly kind: EqlErrorKind;
  /** the bare message without position or caret */
  readonly reason: string;
  /** `line N, column M: reason` followed by the source line and a caret */
  readonly caret: string;

  constructor(kind: EqlErrorKind, reason: string, text: string, offset: number, options?: ErrorOptions) {
    const pos = positionOf(text, offset);
    const caret = caretLines(text, pos);
    super(`${reason} (line ${pos.line}, column ${pos.column})\n${caret}`, options);
    this.kind = kind;
    this.reason = reason;
    this.line = pos.line;
    this.column = pos.column;
    this.offset = offset;
    this.caret = caret;
  }
}
