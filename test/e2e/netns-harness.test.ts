// Self-tests of test/support/netns.ts: traffic to the public-looking address stays inside the
// test's namespaces, the unrouted address fails at once, and cleanup leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopology, type Listener, startListener, type Topology, tryConnect } from '../support/netns.js';

const isRoot = process.geteuid?.() === 0;
if (!isRoot) process.stderr.write('SKIPPED (needs root for ip netns): netns harness\n');

function mainNamespaceState(): string {
  const sh = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  // link list without counters or the random ifindex noise of other engineers' namespaces
  return [
    sh(['-o', 'addr']),
    sh(['route']),
    sh(['-6', 'route']),
    sh(['-o', 'link']).replace(/\\\s+link\/.*$/gm, ''),
  ].join('\n');
}

describe.skipIf(!isRoot)('netns harness', () => {
  let topo: Topology;
  let listener: Listener;
  let before: string;

  beforeAll(async () => {
    before = mainNamespaceState();
    topo = await createTopology();
    listener = await startListener(topo.attacker, '0.0.0.0');
  });
  afterAll(async () => {
    await listener?.stop();
    await topo?.destroy();
  });

  it('delivers a real SYN from the victim to the public address held by the attacker namespace', async () => {
    const r = await tryConnect(topo.victim, topo.publicAddress, listener.port);
    expect(r).toMatchObject({ ok: true });
    const peers = await listener.waitForAccept(1);
    expect(peers).toContain(topo.victimAddress);
  });

  it('delivers an IPv6 SYN to the public IPv6 address held by the attacker namespace', async () => {
    const l6 = await startListener(topo.attacker, '::');
    try {
      expect(await tryConnect(topo.victim, topo.publicAddress6, l6.port)).toMatchObject({ ok: true });
      expect(await l6.waitForAccept(1)).toContain(topo.victimAddress6);
    } finally {
      await l6.stop();
    }
  });

  it('fails at once with ENETUNREACH for the unrouted address', async () => {
    const r = await tryConnect(topo.victim, topo.unroutedAddress, 80);
    expect(r.code).toBe('ENETUNREACH');
    expect(r.ms).toBeLessThan(500);
  });

  it('leaves the main namespace without any link, address or route change', async () => {
    expect(mainNamespaceState()).toBe(before);
    const addrs = execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' });
    expect(addrs).not.toContain(` ${topo.publicAddress}/`);
    expect(addrs).not.toContain(topo.publicAddress6);
    expect(addrs).not.toContain(topo.victimAddress);
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    expect(links).not.toContain(topo.vethVictim);
    expect(links).not.toContain(topo.vethAttacker);
    // the main namespace routes the public address the ordinary way (never via the test veth)
    const route = execFileSync('ip', ['route', 'get', topo.publicAddress], { encoding: 'utf8' });
    expect(route).not.toContain(topo.vethVictim);
    const route6 = execFileSync('ip', ['-6', 'route'], { encoding: 'utf8' });
    expect(route6).not.toContain(topo.publicAddress6);
  });

  it('removes the namespaces and their processes on destroy', async () => {
    const extra = await createTopology();
    const l = await startListener(extra.attacker, '0.0.0.0');
    const names = [extra.victim.name, extra.attacker.name];
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(names[0]);
    await extra.destroy();
    const after = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const n of names) expect(after).not.toContain(n);
    expect(() => process.kill(l.pid, 0)).toThrow();
  });
});
