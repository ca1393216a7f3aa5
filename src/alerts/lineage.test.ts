import { describe, expect, it } from 'vitest';
import { ANCESTRY_MAX, buildLineage } from './lineage.js';

type Doc = Record<string, unknown>;
const block = (id: string, pid: number): Doc => ({ pid, entity_id: id, executable: `/bin/${id}` });
// init(1) -> sshd(10) -> sshd-session(20, entry leader) -> bash(30) -> {nc(40), curl(41)}
const TABLE: Record<string, Doc[]> = {
  nc: [block('bash', 30), block('sess', 20), block('sshd', 10), block('init', 1)],
  curl: [block('bash', 30), block('sess', 20), block('sshd', 10), block('init', 1)],
  bash: [block('sess', 20), block('sshd', 10), block('init', 1)],
  sess: [block('sshd', 10), block('init', 1)],
};
const lookup = (id: string) => TABLE[id] ?? [];
const ev = (id: string, entryLeader = 'sess'): Doc => ({
  process: { entity_id: id, entry_leader: { entity_id: entryLeader } },
});

describe('alert lineage', () => {
  it('gives the acting process’s ancestry nearest first, all the way up, as Defend does', () => {
    expect(buildLineage([ev('bash'), ev('nc')], lookup).ancestry).toEqual(['bash', 'sess', 'sshd', 'init']);
  });

  it('lists each ancestor once, up to the entry leader, linked to the one above', () => {
    const { lineage } = buildLineage([ev('bash'), ev('nc'), ev('curl')], lookup);
    expect(lineage.map((a) => [a.entity_id, (a.parent as Doc | undefined)?.entity_id])).toEqual([
      ['sess', 'sshd'],
      ['bash', 'sess'],
    ]);
  });

  it('adds nothing above an entry leader that is itself the matched process', () => {
    expect(buildLineage([ev('sess')], lookup).lineage).toEqual([]);
    expect(buildLineage([ev('sess')], lookup).ancestry).toEqual(['sshd', 'init']);
  });

  it('keeps the whole chain when the entry leader is unknown, capped at Defend’s 20', () => {
    const long = Array.from({ length: 30 }, (_, i) => block(`p${i}`, 100 + i));
    const { ancestry, lineage } = buildLineage([ev('x', 'nowhere')], () => long);
    expect(ancestry).toHaveLength(ANCESTRY_MAX);
    expect(lineage).toHaveLength(ANCESTRY_MAX);
  });

  it('skips placeholders and events without a process, and says nothing when the table knows nothing', () => {
    expect(buildLineage([{ missing: true }, ev('gone')], lookup)).toEqual({ ancestry: [], lineage: [] });
  });
});
