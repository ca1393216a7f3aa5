// Typed, positioned errors for rule files. A RuleFileError names the file, and when the fault has a
// place in the text, its 1-based line and column; the underlying error stays as `cause`.
// Kinds: read (file), toml / json (syntax: a TOML file, a line of a Kibana export), schema (a
// field), query (EQL), duplicate (rule_id or exception item seen before), unsupported (a rule eqld
// cannot run, named). Warnings on a rule that still loads use the same class: field (a rule field
// not applied as Kibana would), exception (an exception item or list not applied), export (a
// Kibana export's summary disagrees with its content).
import { printable } from './printable.js';

export type RuleErrorKind =
  | 'read'
  | 'toml'
  | 'json'
  | 'schema'
  | 'query'
  | 'duplicate'
  | 'unsupported'
  | 'field'
  | 'exception'
  | 'export';

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
    // messages go to terminals and logs: control characters from the files are escaped
    super(
      printable(
        `${path}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${detail}`,
      ),
      options,
    );
  }
}
