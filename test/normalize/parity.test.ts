// The Elastic Defend parity events and fields (issue 12) from synthetic raw events: what the
// kernel test cannot set up at will (a thread repeating setuid, setpgid from inside a pid
// namespace, kernel-requested module loads, unseen parents) and the exact documents' shape.
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALL_CAPS,
  accept,
  connect,
  credChange,
  disconnect,
  exec,
  fork,
  moduleLoad,
  setpgid,
} from '../support/raw-builders.js';
import { field, HOST, seededNormalizer } from './harness.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});
const seeded = () => seededNormalizer(cleanups, { host: { ...HOST, pidNs: 100, mntNs: 200 } });
const ALICE = { uid: 1000, euid: 1000, gid: 1000, egid: 1000 };
const actions = (docs: Record<string, unknown>[]) => docs.map((d) => field(d, 'event.action'));

describe('uid_change and gid_change', () => {
  it('reports a setuid family change with the new ids, once per process though every thread repeats it', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      credChange('setuid', { pid: 200, startTicks: 1000, ...ALICE, uid: 0, euid: 0 }),
      credChange('setuid', { pid: 200, tid: 201, startTicks: 1000, ...ALICE, uid: 0, euid: 0 }),
      credChange('setgid', { pid: 200, startTicks: 1000, uid: 0, euid: 0, gid: 0, egid: 0 }),
    );
    expect(actions(h.docs())).toEqual(['fork', 'uid_change', 'gid_change']);
    const [, uid, gid] = h.docs();
    expect([field(uid!, 'user.id'), field(uid!, 'user.Ext.real.id'), field(uid!, 'event.type')]).toEqual([
      '0',
      '0',
      ['change'],
    ]);
    expect(field(gid!, 'group.id')).toBe('0');
    expect(field(uid!, 'process.thread.capabilities.effective')).toContain('CAP_SETUID');
    expect(h.n.stats().droppedThreadCredRepeats).toBe(1);
  });

  it('reports the exec of a set-user-ID program as an exec followed by a uid_change with the new image', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({
        pid: 200,
        startTicks: 1000,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/sudo',
        uid: 1000,
        euid: 0,
      }),
    );
    expect(actions(h.docs())).toEqual(['fork', 'exec', 'uid_change']);
    expect(field(h.docs()[2]!, 'process.name')).toBe('sudo');
  });
});

describe('network events', () => {
  it('orients an accepted connection as Defend does: source is the peer, destination this host', async () => {
    const h = await seeded();
    h.push(
      accept({
        pid: 100,
        startTicks: 50,
        laddr: '10.0.0.1',
        lport: 11434,
        raddr: '203.0.113.5',
        rport: 40000,
      }),
    );
    const d = h.docs()[0]!;
    expect([field(d, 'source.ip'), field(d, 'source.port'), field(d, 'destination.port')]).toEqual([
      '203.0.113.5',
      40000,
      11434,
    ]);
    expect(field(d, 'network')).toEqual({ direction: 'ingress', transport: 'tcp', type: 'ipv4' });
  });

  it('gives a connect its local end only once the socket was bound', async () => {
    const h = await seeded();
    h.push(
      connect({ pid: 100, startTicks: 50, daddr: '10.0.0.9', dport: 22, saddr: '10.0.0.1', sport: 5555 }),
      connect({
        pid: 100,
        startTicks: 50,
        daddr: '10.0.0.9',
        dport: 22,
        ret: -111,
        saddr: '0.0.0.0',
        sport: 0,
      }),
    );
    expect(field(h.docs()[0]!, 'source')).toEqual({ address: '10.0.0.1', ip: '10.0.0.1', port: 5555 });
    expect(field(h.docs()[1]!, 'source')).toBeUndefined();
  });

  it('reports a disconnect with both byte counts and no direction', async () => {
    const h = await seeded();
    h.push(
      disconnect({
        pid: 100,
        startTicks: 50,
        saddr: '::1',
        sport: 1,
        daddr: '::1',
        dport: 2,
        bytesSent: 7n,
        bytesReceived: 9n,
      }),
    );
    const d = h.docs()[0]!;
    expect([field(d, 'source.bytes'), field(d, 'destination.bytes'), field(d, 'event.type')]).toEqual([
      7,
      9,
      ['end'],
    ]);
    expect(field(d, 'network.direction')).toBeUndefined();
  });
});

describe('process groups and modules', () => {
  it('moves a process to the group setpgid names, unless the caller counts pids in another namespace', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 201, childStartTicks: 1001 }),
      // the shell puts its child 200 in its own group, and 201 puts itself in 200's
      setpgid({ pid: 100, startTicks: 50, targetPid: 200, pgid: 0, callerPgid: 100 }),
      setpgid({ pid: 201, startTicks: 1001, callerPgid: 200 }),
      exec({ pid: 201, startTicks: 1001, ppid: 100, parentStartTicks: 50, filename: '/bin/sleep', ...ALICE }),
    );
    expect(field(h.docs().at(-1)!, 'process.group_leader.pid')).toBe(200);
    const ns = await seeded();
    ns.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 300, childStartTicks: 1000 }),
      exec({
        pid: 300,
        startTicks: 1000,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/bin/sh',
        pidNs: 999,
        mntNs: 998,
      }),
      setpgid({ pid: 300, startTicks: 1000, targetPid: 100, pgid: 0, callerPgid: 300 }),
    );
    expect(ns.n.stats().droppedSetpgidNamespaced).toBe(1);
  });

  it('reports load_module with the taint letters, and skips the kernel’s own module requests', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      moduleLoad({ pid: 200, startTicks: 1000, name: 'evil', taints: (1 << 12) | (1 << 13) }),
      moduleLoad({ pid: 200, startTicks: 1000, name: 'clean', taints: 0 }),
      // pid 1 itself, and a child of init (the shell 100): the kernel's requests, as elastic/ebpf sees them
      moduleLoad({ pid: 1, startTicks: 1, name: 'auto' }),
    );
    expect(
      h
        .docs()
        .slice(1)
        .map((d) => field(d, 'process.Ext.load_module')),
    ).toEqual([
      { name: 'evil', taints: 12288, taint_flags: 'OE' },
      { name: 'clean', taints: 0 },
    ]);
    expect(h.n.stats().droppedKernelModuleLoads).toBe(1);
  });

  it('lists every capability name of a full set', async () => {
    const h = await seeded();
    h.push(
      exec({
        pid: 100,
        startTicks: 50,
        ppid: 1,
        parentStartTicks: 1,
        filename: '/bin/x',
        ...ALICE,
        capEffective: ALL_CAPS,
        capPermitted: 0n,
      }),
    );
    const caps = field(h.docs()[0]!, 'process.thread.capabilities') as {
      effective: string[];
      permitted: string[];
    };
    expect(caps.effective).toHaveLength(41);
    expect(caps.effective.at(-1)).toBe('CAP_CHECKPOINT_RESTORE');
    expect(caps.permitted).toEqual([]);
  });
});
