// Where `eqld query` and `eqld replay` read recorded events from: a file, or `-` for standard
// input, as a stream of lines. Standard input is read as a stream (never readFileSync(0), which
// fails with EAGAIN on a non-blocking pipe whose writer is slow, and would hold the whole input in
// memory); a file is opened first so a missing one is one clear error before any work starts.
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** yargs parses a lone `-` positional as the empty string: give the `-` back (a yargs coerce). */
export function stdinDash(v: unknown): string {
  return v === '' || v === undefined ? '-' : String(v);
}

/** Lines of `file` (`-`: standard input), read as they arrive. Throws InputError if it cannot be opened. */
export async function openLines(
  file: string,
  stdin: Readable = process.stdin,
): Promise<AsyncIterable<string>> {
  let input: Readable;
  if (file === '-') {
    input = stdin;
  } else {
    try {
      input = (await open(file, 'r')).createReadStream({ encoding: 'utf8', highWaterMark: 256 * 1024 });
    } catch (err) {
      throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  input.setEncoding('utf8');
  return linesOf(input, file);
}

async function* linesOf(input: Readable, name: string): AsyncGenerator<string> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of rl) yield line;
  } catch (err) {
    throw new InputError(`cannot read ${name === '-' ? 'standard input' : name}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    rl.close();
  }
}
