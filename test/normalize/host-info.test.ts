import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostInfoError, parseOsRelease, readHostInfo } from '../../src/normalize/host-info.js';

const dirs: string[] = [];
function fakeRoot(machineId: string): string {
  const root = mkdtempSync(join(tmpdir(), 'eqld-host-'));
  dirs.push(root);
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
  writeFileSync(join(root, 'etc/machine-id'), `${machineId}\n`);
  writeFileSync(join(root, 'proc/sys/kernel/random/boot_id'), 'd1b0a1e2-0000-4000-8000-123456789abc\n');
  writeFileSync(
    join(root, 'etc/os-release'),
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
  );
  return root;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('readHostInfo', () => {
  it('reads machine id, boot id and os-release into host fields', async () => {
    const h = await readHostInfo({ root: fakeRoot('0123456789abcdef0123456789abcdef') });
    expect(h.id).toBe('0123456789abcdef0123456789abcdef');
    expect(h.bootId).toBe('d1b0a1e2-0000-4000-8000-123456789abc');
    expect(h.os).toMatchObject({
      type: 'linux',
      name: 'Debian GNU/Linux',
      version: '12 (bookworm)',
      platform: 'debian',
      family: 'debian',
      full: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect(h.os.kernel.length).toBeGreaterThan(0);
    expect(h.clkTck).toBe(100);
  });

  it('rejects a machine id that is not 32 hex digits, naming the value', async () => {
    await expect(readHostInfo({ root: fakeRoot('not-an-id') })).rejects.toThrow(HostInfoError);
    await expect(readHostInfo({ root: fakeRoot('not-an-id') })).rejects.toThrow(/got `not-an-id`/);
  });

  it("in a pid namespace of eqld's own, takes the kernel's initial namespace as the host's and marks /proc as foreign", async () => {
    const root = fakeRoot('0123456789abcdef0123456789abcdef');
    mkdirSync(join(root, 'proc/self/ns'), { recursive: true });
    mkdirSync(join(root, 'proc/1/ns'), { recursive: true });
    symlinkSync('pid:[4026532243]', join(root, 'proc/self/ns/pid'));
    // pid 1 of this /proc is the container's init: its namespaces are not the host's
    symlinkSync('pid:[4026532243]', join(root, 'proc/1/ns/pid'));
    symlinkSync('mnt:[4026532240]', join(root, 'proc/1/ns/mnt'));
    const h = await readHostInfo({ root });
    expect(h.pidNs).toBe(4026531836);
    expect(h.mntNs).toBeUndefined();
    expect(h.foreignPidNamespace).toBe(4026532243);
  });

  it("in the initial pid namespace, takes pid 1's namespaces as the host's", async () => {
    const root = fakeRoot('0123456789abcdef0123456789abcdef');
    mkdirSync(join(root, 'proc/self/ns'), { recursive: true });
    mkdirSync(join(root, 'proc/1/ns'), { recursive: true });
    symlinkSync('pid:[4026531836]', join(root, 'proc/self/ns/pid'));
    symlinkSync('pid:[4026531836]', join(root, 'proc/1/ns/pid'));
    symlinkSync('mnt:[4026531841]', join(root, 'proc/1/ns/mnt'));
    const h = await readHostInfo({ root });
    expect(h).toMatchObject({ pidNs: 4026531836, mntNs: 4026531841 });
    expect(h.foreignPidNamespace).toBeUndefined();
  });

  it('reads this machine (ids equal the files)', async () => {
    const h = await readHostInfo();
    expect(h.id).toBe(readFileSync('/etc/machine-id', 'utf8').trim());
    expect(h.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  });

  it('parses quoted and unquoted os-release values', () => {
    expect(parseOsRelease('A="x \\"y\\""\nB=plain\n# c\nbad line\n')).toEqual({ A: 'x "y"', B: 'plain' });
  });
});
