// Finds the rule files under the paths given and tells their format by content: a Kibana export
// (NDJSON) starts with a JSON object, a detection-rules file is TOML. A file named on the command
// line is read whatever its name; in a directory walk every `*.toml` is a rule file, and any other
// file (not hidden) whose first line is one of Kibana's export objects is a Kibana export (Kibana
// names a shared list export after its list_id, without an extension), so a directory may mix
// both and a version.lock.json or README beside the rules is left alone.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikeKibanaExport } from './kibana/kibana-export.js';
import { RuleFileError } from './rule-error.js';

export type RuleFileFormat = 'toml' | 'kibana';

export interface RuleFile {
  path: string;
  format: RuleFileFormat;
}

/** enough for the first line of an export (one rule with its investigation guide) */
const HEAD_BYTES = 256 * 1024;

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readError(path: string, err: unknown): RuleFileError {
  return new RuleFileError('read', path, `Cannot read: ${(err as Error).message}`, undefined, undefined, {
    cause: err,
  });
}

function walk(dir: string, out: RuleFile[], errors: RuleFileError[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    try {
      const st = statSync(p);
      if (st.isDirectory()) walk(p, out, errors);
      else if (name.endsWith('.toml')) out.push({ path: p, format: 'toml' });
      else if (st.isFile() && looksLikeKibanaExport(readHead(p), false))
        out.push({ path: p, format: 'kibana' });
    } catch (err) {
      errors.push(readError(p, err));
    }
  }
}

/** The rule files under `paths`, in order (directories sorted by name); unreadable ones as errors. */
export function listRuleFiles(paths: readonly string[], errors: RuleFileError[]): RuleFile[] {
  const out: RuleFile[] = [];
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) walk(path, out, errors);
      else out.push({ path, format: looksLikeKibanaExport(readHead(path), true) ? 'kibana' : 'toml' });
    } catch (err) {
      errors.push(readError(path, err));
    }
  }
  return out;
}
