// uid/gid -> name from /etc/passwd and /etc/group, cached and re-read when a file changes
// (checked at most every `recheckMs`). Ids not in the files (NSS/LDAP/sssd users) are resolved
// asynchronously with getent(1) when enabled: the first event for such an id goes out without a
// name, later ones carry it. A name is never guessed.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

export interface UserDbOptions {
  passwdPath?: string;
  groupPath?: string;
  recheckMs?: number;
  /** ask getent(1) for ids missing from the files; default true */
  nssLookup?: boolean;
  now?: () => number;
}

/** name:x:id:... lines -> id -> name (first entry wins, as getpwuid does) */
export function parseIdFile(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || !/^\d+$/.test(f[2] ?? '')) continue;
    const id = Number(f[2]);
    if (!m.has(id)) m.set(id, f[0] as string);
  }
  return m;
}

class IdFile {
  map = new Map<number, string>();
  private sig = '';
  constructor(
    readonly path: string,
    readonly db: 'passwd' | 'group',
  ) {}

  /** Re-reads when size/mtime/inode changed; returns true if it did. */
  refresh(): boolean {
    let sig: string;
    try {
      const s = statSync(this.path);
      sig = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      sig = 'missing';
    }
    if (sig === this.sig) return false;
    this.sig = sig;
    try {
      this.map = parseIdFile(readFileSync(this.path, 'utf8'));
    } catch {
      this.map = new Map();
    }
    return true;
  }
}

export interface UserDbStats {
  reloads: number;
  nssLookups: number;
  nssResolved: number;
}

export class UserDb {
  private readonly files: { passwd: IdFile; group: IdFile };
  private readonly recheckMs: number;
  private readonly nss: boolean;
  private readonly now: () => number;
  private lastCheck = 0;
  /** getent answers: name, or null when getent found nothing */
  private readonly external = {
    passwd: new Map<number, string | null>(),
    group: new Map<number, string | null>(),
  };
  private pending = 0;
  private readonly st: UserDbStats = { reloads: 0, nssLookups: 0, nssResolved: 0 };

  constructor(opts: UserDbOptions = {}) {
    this.files = {
      passwd: new IdFile(opts.passwdPath ?? '/etc/passwd', 'passwd'),
      group: new IdFile(opts.groupPath ?? '/etc/group', 'group'),
    };
    this.recheckMs = opts.recheckMs ?? 5_000;
    this.nss = opts.nssLookup ?? true;
    this.now = opts.now ?? Date.now;
    this.files.passwd.refresh();
    this.files.group.refresh();
    this.lastCheck = this.now();
  }

  /** Re-reads changed files if the last check is older than recheckMs. */
  maybeRefresh(): void {
    const t = this.now();
    if (t - this.lastCheck < this.recheckMs) return;
    this.lastCheck = t;
    for (const f of [this.files.passwd, this.files.group]) {
      if (f.refresh()) {
        this.st.reloads++;
        this.external[f.db].clear();
      }
    }
  }

  userName(id: string | number): string | undefined {
    return this.lookup('passwd', Number(id));
  }

  groupName(id: string | number): string | undefined {
    return this.lookup('group', Number(id));
  }

  /** changes whenever a name could resolve differently than before */
  get generation(): number {
    return this.st.reloads + this.st.nssResolved;
  }

  stats(): UserDbStats {
    return { ...this.st };
  }

  private lookup(db: 'passwd' | 'group', id: number): string | undefined {
    const local = this.files[db].map.get(id);
    if (local !== undefined) return local;
    if (!this.nss) return undefined;
    const ext = this.external[db].get(id);
    if (ext !== undefined) return ext ?? undefined;
    if (this.pending < 8) {
      this.external[db].set(id, null);
      this.pending++;
      this.st.nssLookups++;
      execFile('getent', [db, String(id)], { timeout: 2_000 }, (err, stdout) => {
        this.pending--;
        if (err) return;
        const name = String(stdout).split(':')[0];
        if (name) {
          this.external[db].set(id, name);
          this.st.nssResolved++;
        }
      });
    }
    return undefined;
  }
}
