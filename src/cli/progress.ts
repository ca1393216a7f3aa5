// Progress of a long `eqld query` / `eqld replay` on stderr: events read, events/s, results so far,
// rewritten in place about twice a second, and erased when the command ends. Only when stderr is
// a terminal: in a pipe, a log file or a test's capture it writes nothing at all.

export interface ProgressOut {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface Progress {
  /** counts so far; cheap enough to call per event */
  update(events: number, results: number): void;
  /** erases the progress line (if one was drawn) */
  done(): void;
}

const INTERVAL_MS = 500;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function createProgress(
  command: string,
  resultWord: string,
  out: ProgressOut = process.stderr,
  now: () => number = Date.now,
): Progress {
  if (!out.isTTY) return { update() {}, done() {} };
  const start = now();
  let drawn = false;
  let events = 0;
  let results = 0;
  const draw = () => {
    const s = Math.max((now() - start) / 1000, 0.001);
    out.write(
      `\r\x1b[2K${command}: ${fmt(events)} events read, ${fmt(events / s)} events/s, ${fmt(results)} ${resultWord} so far`,
    );
    drawn = true;
  };
  // drawn from a timer, so a slow pipe still shows its count; the input is read asynchronously,
  // which gives the timer its turn between chunks
  const timer = setInterval(draw, INTERVAL_MS);
  timer.unref();
  return {
    update(e, r) {
      events = e;
      results = r;
    },
    done() {
      clearInterval(timer);
      if (drawn) out.write('\r\x1b[2K');
    },
  };
}
