// The rendered programs as files for bpftrace to read (`bpftrace FILE`): a program passed with
// `-e` is one argument of execve, which Linux caps at 128 KiB (MAX_ARG_STRLEN), and the process
// program with the working-directory walk and environment capture comes close to it. One private
// directory (0700) per collector, files 0600, removed when the collector stops.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ProgramFiles {
  private dir: string | undefined;

  /** Writes `text` as `<name>.bt`; returns its path. */
  write(name: string, text: string): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'eqld-bpf-'));
    const path = join(this.dir, `${name}.bt`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  /** Removes the directory and its files (bpftrace has read them when it attached). */
  remove(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
