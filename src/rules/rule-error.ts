// Typed, positioned errors for rule files. A RuleFileError names the file, and when the fault has a
// place in the text, its 1-based line and column; the underlying error stays as `cause`.

export type RuleErrorKind = 'read' | 'toml' | 'schema' | 'query' | 'duplicate';

export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
  constructor(
    readonly kind: RuleErrorKind,
    readonly path: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
    options?: { cause?: unknown },
  ) {
    super(
      `${path}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${detail}`,
      options,
    );
  }
}
