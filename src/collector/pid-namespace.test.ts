import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentPidNamespace, INIT_PID_NS_INODE, namespaceInode, pidNamespaceNotice } from './pid-namespace.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** a /proc whose self/ns/pid link names `target` (undefined: no link) */
function procWith(target: string | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'eqld-pidns-'));
  dirs.push(root);
  mkdirSync(join(root, 'self/ns'), { recursive: true });
  if (target !== undefined) symlinkSync(target, join(root, 'self/ns/pid'));
  return root;
}

describe('eqld pid namespace', () => {
  it("knows the kernel's initial pid namespace by its fixed inode (PROC_PID_INIT_INO)", () => {
    expect(INIT_PID_NS_INODE).toBe(4026531836);
    expect(agentPidNamespace(procWith('pid:[4026531836]'))).toEqual({ inode: 4026531836, initial: true });
  });

  it('tells a namespace of its own (a container without --pid=host) and says what that changes', () => {
    const ns = agentPidNamespace(procWith('pid:[4026532243]'));
    expect(ns).toEqual({ inode: 4026532243, initial: false });
    expect(pidNamespaceNotice(ns)).toMatch(/pid:\[4026532243\].*no process facts from \/proc.*--pid=host/);
  });

  it('takes an unreadable link for the initial namespace, as on any host', () => {
    expect(agentPidNamespace(procWith(undefined))).toEqual({ inode: undefined, initial: true });
    expect(namespaceInode('garbage')).toBeUndefined();
  });

  it('reads this process', () => {
    const ns = agentPidNamespace();
    expect(ns.inode).toBeGreaterThan(0);
  });
});
