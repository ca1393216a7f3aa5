// process.entity_id from kernel facts only: host id, boot id, pid and the group leader's start
// time in clock ticks (what /proc/PID/stat field 22 reports), so an id computed from an exec
// event and one computed from /proc for the same process are equal. See docs/entity-id.md.

/** ns since boot (task->group_leader->start_boottime) -> clock ticks, truncated like procfs */
export function startTicksFromNs(startNs: bigint, clkTck = 100): number {
  return Number(startNs / BigInt(1_000_000_000 / clkTck));
}

/**
 * base64("<host id>-<boot id without dashes>-<pid>-<start ticks>"): Elastic Defend's shape
 * (base64 of "<agent id>-<pid>-<start>") with the boot id added, so ids never repeat across boots.
 */
export function entityId(hostId: string, bootId: string, pid: number, startTicks: number): string {
  return Buffer.from(`${hostId}-${bootId.replaceAll('-', '')}-${pid}-${startTicks}`, 'latin1').toString(
    'base64',
  );
}

/** A bound id function for one host and boot. */
export type EntityIdFn = (pid: number, startTicks: number) => string;

export function entityIdFor(hostId: string, bootId: string): EntityIdFn {
  const prefix = `${hostId}-${bootId.replaceAll('-', '')}-`;
  return (pid, startTicks) => Buffer.from(`${prefix}${pid}-${startTicks}`, 'latin1').toString('base64');
}

/** Inverse of entityId, for debugging and tests; undefined when the id is not ours. */
export function decodeEntityId(
  id: string,
): { hostId: string; bootId: string; pid: number; startTicks: number } | undefined {
  const m = /^([0-9a-f]{32})-([0-9a-f]{32})-(\d+)-(\d+)$/.exec(Buffer.from(id, 'base64').toString('latin1'));
  if (!m) return undefined;
  return { hostId: m[1] as string, bootId: m[2] as string, pid: Number(m[3]), startTicks: Number(m[4]) };
}
