// The agent's scheduling priority. A detection agent that falls behind a busy host delays every
// alert, so eqld raises its own priority at start-up, as auditd does with `priority_boost`
// (auditd.conf, default 4: `setpriority(PRIO_PROCESS, 0, -priority_boost)`). The bpftrace
// programs it starts afterwards inherit it; the collector puts the file program back at nice 5.
// It never lowers a priority the operator already raised further (systemd `Nice=`, `nice -n`).

export interface PriorityOps {
  get(): number;
  set(nice: number): void;
}

export type PriorityOutcome =
  | { kind: 'unchanged'; nice: number; reason: 'boost 0' | 'already higher' }
  | { kind: 'raised'; from: number; to: number }
  | { kind: 'failed'; nice: number; wanted: number; error: string };

/** Sets this process's nice value to `-boost` unless it is already that low or lower. */
export function applyPriorityBoost(boost: number, ops: PriorityOps): PriorityOutcome {
  const current = ops.get();
  if (boost <= 0) return { kind: 'unchanged', nice: current, reason: 'boost 0' };
  const wanted = -boost;
  if (current <= wanted) return { kind: 'unchanged', nice: current, reason: 'already higher' };
  try {
    ops.set(wanted);
  } catch (err) {
    return { kind: 'failed', nice: current, wanted, error: (err as Error).message };
  }
  return { kind: 'raised', from: current, to: ops.get() };
}
