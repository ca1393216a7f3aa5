// The user/group blocks a set of credentials gives a document (top-level user.* and group.*,
// process.user/group/real_user/real_group), built once per credentials object and user-database
// generation and shared, frozen, by every document of processes with those ids. Credentials
// objects are interned by the normalizer, so processes of one user share one set of blocks.
import type { Credentials } from '../collector/raw-event.js';
import { idName } from './ecs-event.js';
import type { UserDb } from './user-db.js';

type Doc = Record<string, unknown>;

export interface CredBlocks {
  /** top-level user.*: effective user, real user in Ext.real */
  readonly user: Doc;
  /** top-level group.*: effective group, real group in Ext.real */
  readonly group: Doc;
  readonly processUser: Doc;
  readonly processGroup: Doc;
  readonly processRealUser: Doc;
  readonly processRealGroup: Doc;
}

interface Entry {
  gen: number;
  blocks: CredBlocks;
}

export class CredFields {
  private readonly cache = new WeakMap<Credentials, Entry>();

  constructor(private readonly users: UserDb) {}

  of(c: Credentials): CredBlocks {
    const gen = this.users.generation;
    const hit = this.cache.get(c);
    if (hit !== undefined && hit.gen === gen) return hit.blocks;
    const blocks = this.build(c);
    this.cache.set(c, { gen, blocks });
    return blocks;
  }

  private build(c: Credentials): CredBlocks {
    const u = this.users;
    const user = idName(u, c.euid, 'user');
    user.Ext = Object.freeze({ real: Object.freeze(idName(u, c.uid, 'user')) });
    const group = idName(u, c.egid, 'group');
    group.Ext = Object.freeze({ real: Object.freeze(idName(u, c.gid, 'group')) });
    return Object.freeze({
      user: Object.freeze(user),
      group: Object.freeze(group),
      processUser: Object.freeze(idName(u, c.euid, 'user')),
      processGroup: Object.freeze(idName(u, c.egid, 'group')),
      processRealUser: Object.freeze(idName(u, c.uid, 'user')),
      processRealGroup: Object.freeze(idName(u, c.gid, 'group')),
    });
  }
}
