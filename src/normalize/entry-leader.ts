// Entry leader evaluation (ECS process.entry_leader: the first process of a terminal or remote
// session, or a service started by init), after Auditbeat's add_session_metadata
// (x-pack/auditbeat/processors/sessionmd/processdb/db.go, evaluateEntryLeader). Without a tty
// from the exec event, the controlling terminal is the one seen in /proc or inherited at fork.
import type { EntryType, ProcEntry } from './process-table.js';

const CONTAINER_RUNTIMES = ['containerd-shim', 'runc', 'conmon'];
/** executables that implement entry mechanisms and never become entry leaders themselves */
const FILTERED = ['runc', 'containerd-shim', 'calico-node', 'check-status', 'conmon'];

export type TtyKind = 'none' | 'tty' | 'console' | 'pts' | 'other';

/** devices.txt: major 4 minor 0-63 virtual consoles, 5:1 /dev/console, 136-143 Unix98 ptys */
export function ttyKind(ttyNr: number): TtyKind {
  if (ttyNr === 0) return 'none';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major === 4 && minor < 64) return 'tty';
  if (major === 5 && minor === 1) return 'console';
  if (major >= 136 && major <= 143) return 'pts';
  return 'other';
}

const startsWithAny = (s: string, list: string[]) => list.some((p) => s.startsWith(p));

/**
 * Sets e.entryLeader (and e.entryType when e is itself an entry leader). `parent` is e's parent
 * entry when known; `bySid`/`byPgid` find the session and group leaders.
 */
export function evaluateEntryLeader(
  e: ProcEntry,
  parent: ProcEntry | undefined,
  find: (pid: number) => ProcEntry | undefined,
): void {
  e.entryType = undefined;
  e.entryLeader = undefined;
  // init and kernel threads have no entry leader
  if (e.pid === 1 || e.pid === 2 || e.ppid === 2) return;
  const self = (type: EntryType) => {
    e.entryType = type;
    e.entryLeader = e;
  };
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
      if (startsWithAny(pname, CONTAINER_RUNTIMES)) {
        self('container');
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
}
