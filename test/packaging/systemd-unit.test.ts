// The unit's hardening, checked as data: the directives docs/operations.md promises are present,
// the ones known to break Node or BPF are absent, and systemd's own offline security analysis
// keeps its exposure score at or below what docs/operations.md records.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const UNIT_PATH = new URL('../../systemd/eqld.service', import.meta.url).pathname;
const UNIT = readFileSync(UNIT_PATH, 'utf8');
const DOCS = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

function directives(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const d = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (d?.[1]) m.set(d[1], d[2] ?? '');
  }
  return m;
}

const D = directives(UNIT);

/** a SystemCallFilter entry as the system calls it names (@groups expanded by systemd-analyze) */
function expandSyscalls(entry: string, seen = new Set<string>()): string[] {
  if (!entry.startsWith('@')) return [entry];
  if (seen.has(entry)) return [];
  seen.add(entry);
  const r = spawnSync('systemd-analyze', ['syscall-filter', entry], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .flatMap((l) => expandSyscalls(l, seen));
}

describe('systemd/eqld.service', () => {
  it('narrows the capability bounding set to the measured set', () => {
    expect(D.get('CapabilityBoundingSet')?.split(/\s+/).sort()).toEqual(
      [
        'CAP_BPF',
        'CAP_PERFMON',
        'CAP_SYS_ADMIN',
        'CAP_SYS_NICE',
        'CAP_SYS_PTRACE',
        'CAP_SYS_RESOURCE',
      ].sort(),
    );
  });

  it('sets the hardening that works with Node and BPF', () => {
    expect(D.get('NoNewPrivileges')).toBe('yes');
    expect(D.get('ProtectSystem')).toBe('strict');
    expect(D.get('ProtectHome')).toBe('yes');
    expect(D.get('PrivateTmp')).toBe('yes');
    expect(D.get('StateDirectory')).toBe('eqld');
    expect(D.get('SystemCallFilter')).toBe(
      '@system-service bpf perf_event_open pkey_alloc pkey_free pkey_mprotect',
    );
    expect(D.get('Restart')).toBe('on-failure');
    expect(D.get('StartLimitBurst')).toBeDefined();
    expect(D.get('ExecStartPre')).toMatch(/^\+.*mount -t tracefs/);
    expect(D.get('After')).toMatch(/network-online\.target/);
    expect(D.get('After')).toMatch(/syslog\.socket/);
  });

  it('leaves out the directives that break V8, /proc seeding or the capabilities', () => {
    for (const k of ['MemoryDenyWriteExecute', 'ProtectProc', 'ProcSubset', 'PrivateUsers', 'SecureBits']) {
      expect(D.has(k), k).toBe(false);
    }
  });

  it('lets the metrics endpoint listen on IPv4 and IPv6 and be reached (metrics.listen)', () => {
    const families = D.get('RestrictAddressFamilies')?.split(/\s+/) ?? [];
    expect(families).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6']));
    // each of these would stop the listener from binding or its scrapes from arriving
    for (const k of [
      'PrivateNetwork',
      'IPAddressDeny',
      'SocketBindDeny',
      'SocketBindAllow',
      'IPIngressFilterPath',
    ]) {
      expect(D.has(k), k).toBe(false);
    }
    // the filter allows the calls a listening socket needs
    const allowed = new Set((D.get('SystemCallFilter') ?? '').split(/\s+/).flatMap((e) => expandSyscalls(e)));
    for (const call of ['socket', 'bind', 'listen', 'accept4', 'setsockopt'])
      expect(allowed.has(call), call).toBe(true);
    expect(DOCS).toMatch(/--metrics-listen/);
    expect(DOCS).toMatch(/IPAddressAllow=/);
  });

  it('documents every directive it sets in docs/operations.md', () => {
    const selfExplanatory = new Set(['Description', 'Documentation', 'WantedBy']);
    for (const k of D.keys()) if (!selfExplanatory.has(k)) expect(DOCS, k).toContain(k);
  });

  it('scores no worse in systemd-analyze security --offline than docs/operations.md records', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', UNIT_PATH], { encoding: 'utf8' });
    const m = /Overall exposure level for eqld\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`);
    expect(m, r.stderr).not.toBeNull();
    const recorded = /exposure level ([\d.]+)/.exec(DOCS);
    expect(recorded).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(Number(recorded?.[1]));
  });
});
