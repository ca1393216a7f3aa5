// The rendered programs as files for bpftrace to read (`bpftrace FILE`): a program passed with
// `-e` is one argument of execve, which Linux caps at 128 KiB (MAX_ARG_STRLEN), and the process
// program with the working-directory walk and environment capture comes close to it. One private
// directory (0700) per collector, files 0600, removed when the collector stops. A collector that
// never stopped (its eqld killed with SIGKILL, a crash) leaves its directory behind: the name
// carries the pid, and the next collector removes the directories of pids no longer running.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'eqld-bpf-';
/** a directory `write` made: the pid of its collector, then mkdtemp's suffix */
const OWNED = new RegExp(`^${PREFIX}(\\d+)-`);

export class ProgramFiles {
  private dir: string | undefined;

  constructor(private readonly parent = tmpdir()) {}

  /** Writes `text` as `<name>.bt`; returns its path. */
  write(name: string, text: string): string {
    const path = this.path(`${name}.bt`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  /** The path of a file named `file` in the directory (created on first use). */
  path(file: string): string {
    if (this.dir === undefined) {
      removeOrphans(this.parent);
      this.dir = mkdtempSync(join(this.parent, `${PREFIX}${process.pid}-`));
    }
    return join(this.dir, file);
  }

  /** Removes the directory and its files (bpftrace has read them when it attached). */
  remove(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** Removes the program directories in `parent` of processes that no longer run. */
function removeOrphans(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!(pid > 0) || running(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // someone else's: running
  }
}
