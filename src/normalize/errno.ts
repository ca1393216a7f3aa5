// errno numbers -> names (Linux), and the connect(2) outcome a return value means.
import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!NAMES.has(n)) NAMES.set(n, name);

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

export type ConnectOutcome =
  | { outcome: 'success' }
  | { outcome: 'unknown'; errno: number }
  | { outcome: 'failure'; errno: number }
  /** EALREADY / EISCONN: the caller polling an attempt already reported */
  | { outcome: 'repoll'; errno: number };

// read once: a property load per call was measurable in the connect path
const { EINPROGRESS, EINTR, EALREADY, EISCONN } = constants.errno;

/** connect(2): 0 connected; EINPROGRESS/EINTR: the attempt continues asynchronously (outcome unknown). */
export function connectOutcome(ret: number): ConnectOutcome {
  if (ret >= 0) return { outcome: 'success' };
  const errno = -ret;
  if (errno === EINPROGRESS || errno === EINTR) return { outcome: 'unknown', errno };
  if (errno === EALREADY || errno === EISCONN) return { outcome: 'repoll', errno };
  return { outcome: 'failure', errno };
}
