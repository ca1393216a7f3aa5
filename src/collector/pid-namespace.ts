// Which pid namespace eqld runs in. The kernel numbers every task in the initial pid namespace
// (bpftrace's `pid`, the pids of every event line); /proc numbers them in the namespace of the
// process that mounted it. On a host, or in a container started with --pid=host, the two are the
// same. In a container with a pid namespace of its own (systemd-nspawn, podman without
// --pid=host) they differ: /proc then shows the container's pids, which name other processes (or
// none) in the kernel's numbering, so nothing read from /proc by an event's pid may be used, and
// eqld learns its own kernel pid and bpftrace's from the programs' `ready` and `hello` lines.
import { readlinkSync } from 'node:fs';

/** PROC_PID_INIT_INO (include/linux/proc_ns.h): the initial pid namespace's inode, fixed by the
 *  kernel (the other namespaces' inodes are allocated) */
export const INIT_PID_NS_INODE = 0xeffffffc;

export interface AgentPidNamespace {
  /** the inode of eqld's pid namespace (`/proc/self/ns/pid`), when readable */
  inode: number | undefined;
  /** true when that is the initial namespace, or unreadable (then assumed, as on any host) */
  initial: boolean;
}

/** Parses a namespace link's target, `pid:[4026531836]`, to its inode. */
export function namespaceInode(link: string): number | undefined {
  const m = /:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

export function agentPidNamespace(procRoot = '/proc'): AgentPidNamespace {
  let inode: number | undefined;
  try {
    inode = namespaceInode(readlinkSync(`${procRoot}/self/ns/pid`));
  } catch {
    inode = undefined;
  }
  return { inode, initial: inode === undefined || inode === INIT_PID_NS_INODE };
}

/** What runs differently when eqld is not in the initial pid namespace (logged at start,
 *  printed by `eqld doctor`). */
export function pidNamespaceNotice(ns: AgentPidNamespace): string {
  return ns.initial
    ? "the host's pid namespace: /proc and the kernel number processes alike"
    : `a pid namespace of its own (pid:[${ns.inode}]): the kernel's pids are the host's and /proc shows this namespace's, so eqld reads no process facts from /proc (processes that started before it are known from their own events only: no already_running events, fewer fields on them and their children); events, entity ids and alerts come from the kernel and stay correct. Run on the host or in a container with --pid=host for full enrichment`;
}
