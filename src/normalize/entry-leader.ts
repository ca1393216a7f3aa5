// Entry leader evaluation (ECS process.entry_leader: the first process of a terminal or remote
// session, or a service started by init), after Auditbeat's add_session_metadata
// (x-pack/auditbeat/processors/sessionmd/processdb/db.go, evaluateEntryLeader). The controlling
// terminal is the kernel's at exec (else /proc's, or the parent's at fork). A container is told
// by namespaces, not names: a process in other pid and mount namespaces than its parent's and
// the host's is where a container begins (its init, or a process `docker exec` started), so a
// renamed binary cannot fake one and runtimes not on a list are still recognised.
import type { EntryType, Namespaces, ProcEntry } from './process-table.js';
import { ttyKind } from './tty.js';

export { type TtyKind, ttyKind } from './tty.js';

/** executables that implement entry mechanisms and never become entry leaders themselves */
const FILTERED = ['runc', 'containerd-shim', 'calico-node', 'check-status', 'conmon'];

const startsWithAny = (s: string, list: string[]) => list.some((p) => s.startsWith(p));

/** Whether `e` starts a container: its pid and mount namespaces differ from its parent's and the host's. */
export function entersContainer(
  e: ProcEntry,
  parent: ProcEntry | undefined,
  host: Partial<Namespaces> | undefined,
): boolean {
  const ns = e.ns;
  const pns = parent?.ns;
  if (ns === undefined || pns === undefined) return false;
  if (ns.pid === pns.pid || ns.mnt === pns.mnt) return false;
  return host?.pid === undefined || host.mnt === undefined || (ns.pid !== host.pid && ns.mnt !== host.mnt);
}

/**
 * Sets e.entryLeader (and e.entryType when e is itself an entry leader). `parent` is e's parent
 * entry when known; `find` finds the session and group leaders; `host` has the host's namespaces.
 */
export function evaluateEntryLeader(
  e: ProcEntry,
  parent: ProcEntry | undefined,
  find: (pid: number) => ProcEntry | undefined,
  host?: { pidNs?: number; mntNs?: number },
): void {
  e.entryType = undefined;
  e.entryLeader = undefined;
  // init and kernel threads have no entry leader
  if (e.pid === 1 || e.pid === 2 || e.ppid === 2) return;
  const self = (type: EntryType) => {
    e.entryType = type;
    e.entryLeader = e;
  };
  if (entersContainer(e, parent, host && { pid: host.pidNs, mnt: host.mntNs })) {
    self('container');
    return;
  }
  if (e.pid === e.sid) {
    const tty = ttyKind(e.ttyNr);
    const name = e.image.name;
    if (tty === 'tty') {
      self('terminal');
      return;
    }
    if (tty === 'console' && name === 'login') {
      self('console');
      return;
    }
    if (e.ppid === 1) {
      self('init');
      return;
    }
    if (!startsWithAny(name, FILTERED) && parent) {
      const pname = parent.image.name;
      if (tty === 'pts' && pname === 'ssm-session-worker') {
        self('ssm');
        return;
      }
      if (pname === 'sshd' && name !== 'sshd') {
        self('sshd');
        return;
      }
    }
  }
  for (const rel of [parent, find(e.sid), find(e.pgid)]) {
    if (rel?.entryLeader && rel !== e) {
      e.entryLeader = rel.entryLeader;
      return;
    }
  }
  if (e.pid === e.sid) self('unknown');
  // Deviation from Auditbeat (which leaves it without one): a direct child of init that is in no
  // session of its own and inherits no entry leader (an init that never called setsid, such as a
  // VM's or container's minimal init, keeps everything in session 0) is the "service directly
  // started by the init process" of ECS's definition. Without it every process below it has no
  // entry leader and each `sequence by process.entry_leader.entity_id` rule is blind there.
  else if (e.ppid === 1) self('init');
}
