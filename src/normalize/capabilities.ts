// Linux capability masks (cred->cap_effective / cap_permitted, /proc/PID/status CapEff/CapPrm)
// as ECS process.thread.capabilities.{effective,permitted}: arrays of upper-case names in bit
// order, as Auditbeat writes them (elastic/beats libbeat/common/capabilities/capabilities_linux.go,
// FromUint64: libcap's names upper-cased, an unnamed bit n as "CAP_<n>"). One difference: Beats
// writes a full set as ["CAP_ALL"]; eqld lists every name, so that a rule's
// `: "CAP_SYS_ADMIN"` matches a process that holds it (Elastic Defend's encoding of a full set is
// not published; docs/ecs-mapping.md).

/** Capability names by bit number (include/uapi/linux/capability.h, Linux 6.x). */
export const CAPABILITY_NAMES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]);

/** The names of the bits set in a 64-bit capability mask, lowest bit first. */
export function capabilityNames(mask: bigint): string[] {
  const out: string[] = [];
  let m = BigInt.asUintN(64, mask);
  for (let bit = 0; m !== 0n; bit++, m >>= 1n) {
    if ((m & 1n) === 1n) out.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return out;
}

/** A process's capability sets, as the documents carry them (process.thread.capabilities). */
export interface CapabilitySets {
  readonly effective: readonly string[];
  readonly permitted: readonly string[];
}

const MAX_DISTINCT = 1024;

/** One frozen CapabilitySets per distinct pair of masks (processes share a handful of sets). */
export class CapabilityInterner {
  private readonly sets = new Map<string, CapabilitySets>();
  private last: CapabilitySets | undefined;
  private lastEffective = -1n;
  private lastPermitted = -1n;

  of(effective: bigint, permitted: bigint): CapabilitySets {
    if (effective === this.lastEffective && permitted === this.lastPermitted && this.last !== undefined)
      return this.last;
    const key = `${effective.toString(16)}:${permitted.toString(16)}`;
    let s = this.sets.get(key);
    if (s === undefined) {
      if (this.sets.size >= MAX_DISTINCT) this.sets.clear();
      s = Object.freeze({
        effective: Object.freeze(capabilityNames(effective)),
        permitted: Object.freeze(capabilityNames(permitted)),
      });
      this.sets.set(key, s);
    }
    this.lastEffective = effective;
    this.lastPermitted = permitted;
    this.last = s;
    return s;
  }
}
