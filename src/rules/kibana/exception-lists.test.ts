import { describe, expect, it } from 'vitest';
import type { ExceptionListRef } from '../rule.js';
import { ExceptionListPool } from './exception-lists.js';

const entry = (value: string) => [{ field: 'process.name', type: 'match', operator: 'included', value }];
const item = (listId: string, itemId: string, over: Record<string, unknown> = {}) => ({
  list_id: listId,
  item_id: itemId,
  name: itemId,
  type: 'simple',
  namespace_type: 'single',
  entries: entry(itemId),
  ...over,
});
const ref = (listId: string, namespaceType: 'single' | 'agnostic' = 'single'): ExceptionListRef => ({
  id: `so-${listId}`,
  listId,
  namespaceType,
  type: 'detection',
});

describe('ExceptionListPool', () => {
  it('resolves by list_id and namespace_type, not by the saved-object id', () => {
    const pool = new ExceptionListPool();
    pool.addList({ list_id: 'l', type: 'detection', namespace_type: 'single' }, 'a', 1);
    expect(pool.addItem(item('l', 'one'), 'a', 2)).toEqual([]);
    expect(pool.addItem(item('l', 'two', { namespace_type: 'agnostic' }), 'a', 3)).toEqual([]);
    const single = pool.resolve([{ ...ref('l'), id: 'another-space-id' }]);
    expect(single.items.map((i) => i.itemId)).toEqual(['one']);
    expect(pool.resolve([ref('l', 'agnostic')]).items.map((i) => i.itemId)).toEqual(['two']);
    expect(pool.resolve([ref('l'), ref('l')]).items).toHaveLength(1);
  });

  it('takes a list exported twice once, and refuses a second, different item with the same item_id', () => {
    const pool = new ExceptionListPool();
    expect(pool.addItem(item('l', 'one'), 'a', 2)).toEqual([]);
    expect(pool.addItem(item('l', 'one'), 'b', 7)).toEqual([]);
    const [dup] = pool.addItem(item('l', 'one', { entries: entry('other') }), 'c', 9);
    expect(dup?.kind).toBe('duplicate');
    expect(dup?.message).toBe(
      'c:9: exception item "one" (item_id one, list l) differs from the one at a:2; the first is used',
    );
    expect(pool.resolve([ref('l')]).items).toHaveLength(1);
  });

  it('reports a malformed item as an error and on every rule that references its list', () => {
    const pool = new ExceptionListPool();
    const errs = pool.addItem(
      item('l', 'bad', { entries: [{ field: 'a', type: 'match', operator: 'is', value: 'x' }] }),
      'f',
      4,
    );
    expect(errs.map((e) => e.message)).toEqual([
      'f:4: exception item "bad" (item_id bad, list l): Expected `entries[0].operator` to be `included` or `excluded`, got `"is"`',
    ]);
    expect(pool.resolve([ref('l')]).warnings).toEqual([
      '"bad" (item_id bad, list l) is malformed (f:4): not applied',
    ]);
    const errs2 = pool.addItem(item('l', 'late', { expire_time: 'next tuesday' }), 'f', 5);
    expect(errs2[0]?.message).toContain('Expected `expire_time` to be an ISO date-time, got "next tuesday"');
  });

  it('lists the lists no rule referenced', () => {
    const pool = new ExceptionListPool();
    pool.addList({ list_id: 'used', type: 'detection' }, 'f', 1);
    pool.addList({ list_id: 'unused', type: 'detection' }, 'f', 2);
    pool.addItem(item('unused', 'x'), 'f', 3);
    pool.resolve([ref('used')]);
    expect(pool.unreferenced()).toEqual([
      { listId: 'unused', namespaceType: 'single', path: 'f', line: 2, items: 1, notApplied: 0 },
    ]);
  });
});
