// An exclusive advisory lock on a file that the kernel releases when its holder dies: flock(2) on
// an open file description that only this process holds. Node has no flock binding, so util-linux's
// flock(1) takes it for us: it is handed our descriptor as its fd 3 (`flock --nonblock 3`), locks
// that open file description and exits; the lock stays with the description, which only we hold
// (node opens files close-on-exec, so bpftrace and other children never inherit it). It goes away
// when we close the descriptor or die, SIGKILL and reboots included, so a stale lock cannot exist
// and the pid written into the file is only a note for the message, never what decides. flock(2)
// locks of two descriptions conflict even inside one process, so a second opener in the same
// process is refused too. It does not wait for a lock: a held one is an error at once.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/** flock(1)'s exit status when the lock is held elsewhere (--conflict-exit-code) */
const HELD = 75;

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(
    readonly path: string,
    /** the pid the holder wrote into the file, if it is readable */
    readonly holderPid: number | undefined,
    message = `${path} is locked by a running process${holderPid === undefined ? '' : ` (pid ${holderPid})`}`,
  ) {
    super(message);
  }
}

export class LockError extends Error {
  override readonly name = 'LockError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

export interface FileLock {
  readonly path: string;
  /** releases the lock (closes the descriptor); the file stays, so nobody locks a stale inode */
  release(): void;
}

export interface LockOptions {
  /** the flock(1) binary (default: `flock` on PATH, util-linux) */
  flockPath?: string;
}

/** Takes the lock or throws LockHeldError (held by a live process) / LockError (cannot lock). */
export function lockFile(path: string, opts: LockOptions = {}): FileLock {
  const fd = openSync(path, 'a+', 0o600);
  const r = spawnSync(opts.flockPath ?? 'flock', ['--nonblock', '--conflict-exit-code', String(HELD), '3'], {
    stdio: ['ignore', 'ignore', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    closeSync(fd);
    if (r.status === HELD) throw new LockHeldError(path, readPid(path));
    const why = r.error ? r.error.message : (r.stderr ?? '').trim() || `exit status ${r.status}`;
    throw new LockError(`cannot lock ${path} with flock(1) (util-linux): ${why}`, { cause: r.error });
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
