// Reading a process-program line without parsing it: its type and its kernel timestamp
// (bpf/FORMAT.md: field 0 the type, field 1 the timestamp in ns). Used where a line is dropped
// or held before it is decoded: the shedder, and the collector, which keeps network lines
// undecoded until the reorder window releases them. Pure functions on text.

/** connect / tcpsyn line: the only kinds ever shed */
export function isConnectLine(line: string): boolean {
  const c = line.charCodeAt(0);
  return (c === 99 && line.startsWith('connect ')) || (c === 116 && line.startsWith('tcpsyn '));
}

/** a network line (connect, tcpsyn, accept, disconnect): one event per line, decoded on its own
 *  (no state shared with other lines, unlike an exec's pieces) */
export function isNetworkLine(line: string): boolean {
  switch (line.charCodeAt(0)) {
    case 99: // c
      return line.startsWith('connect ');
    case 116: // t
      return line.startsWith('tcpsyn ');
    case 97: // a
      return line.startsWith('accept ');
    case 100: // d
      return line.startsWith('disconnect ');
    default:
      return false;
  }
}

/** field 1 (the kernel timestamp, ns) of a line, or NaN */
export function ktimeOf(line: string): number {
  const a = line.indexOf(' ') + 1;
  const b = line.indexOf(' ', a);
  if (a === 0 || b < 0 || b - a > 16) return Number.NaN;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** a network line held undecoded in the reorder window (collector.ts): decoded on release */
export interface HeldLine {
  readonly kind: 'held-line';
  readonly ktimeNs: number;
  readonly line: string;
}
