// auditd as the side-by-side baseline of the overhead benches: installed when missing, started
// with its own configuration and log under the bench's directory, given the rules that trace what
// eqld's programs trace, and stopped with those rules removed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidByComm, sh } from './overhead-kit.js';

/** auditd is the side-by-side baseline: installed from Debian's archive when missing (its
 *  package does not start a daemon where policy-rc.d forbids it; the bench starts its own). */
export function ensureAuditd(): void {
  if (existsSync('/sbin/auditd')) return;
  process.stdout.write('auditd is not installed: apt-get install auditd\n');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'auditd'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** one audit rule: `-a always,exit -F arch=b64 -S ... <filters> -k eqld-bench` */
export interface AuditRule {
  syscalls: readonly string[];
  filters?: readonly string[];
}

/** switches the bench's audit rules off (`auditctl -d`) and on again while auditd runs */
export interface AuditRuleSwitch {
  on(): void;
  off(): void;
}

export async function withAuditd<T>(
  dir: string,
  fn: (pids: () => number[], rules: AuditRuleSwitch) => Promise<T>,
  rules: readonly AuditRule[] = [{ syscalls: AUDIT_SYSCALLS }],
): Promise<T> {
  ensureAuditd();
  const conf = join(dir, 'auditd.conf');
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  writeFileSync(
    conf,
    [
      `log_file = ${join(dir, 'audit.log')}`,
      'log_format = ENRICHED',
      'flush = INCREMENTAL_ASYNC',
      'freq = 50',
      'max_log_file = 512',
      'max_log_file_action = IGNORE',
      'space_left = 75',
      'space_left_action = IGNORE',
      'admin_space_left = 50',
      'admin_space_left_action = IGNORE',
      'disk_full_action = IGNORE',
      'disk_error_action = IGNORE',
      'local_events = yes',
      'write_logs = yes',
      `plugin_dir = ${join(dir, 'plugins')}`,
      'q_depth = 2000',
      '',
    ].join('\n'),
    { mode: 0o640 },
  );
  const wasEnabled = /enabled (\d)/.exec(sh('auditctl', ['-s']))?.[1] ?? '0';
  const child = spawn('/sbin/auditd', ['-n', '-c', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ruleArgs = rules.map((r) => [
    'always,exit',
    '-F',
    'arch=b64',
    ...r.syscalls.flatMap((x) => ['-S', x]),
    ...(r.filters ?? []),
    '-k',
    'eqld-bench',
  ]);
  let rulesOn = false;
  try {
    const deadline = Date.now() + 10_000;
    while (!new RegExp(`pid ${child.pid}\\b`).test(sh('auditctl', ['-s']))) {
      if (Date.now() > deadline) throw new Error('auditd did not register with the kernel');
      await new Promise((r) => setTimeout(r, 100));
    }
    const rulesSwitch: AuditRuleSwitch = {
      on: () => {
        rulesOn = true; // before: a failure half-way leaves rules for the finally to delete
        for (const rule of ruleArgs) execFileSync('auditctl', ['-a', ...rule]);
      },
      off: () => {
        for (const rule of ruleArgs) execFileSync('auditctl', ['-d', ...rule]);
        rulesOn = false;
      },
    };
    rulesSwitch.on();
    execFileSync('auditctl', ['-e', '1']);
    const kauditd = pidByComm('kauditd');
    return await fn(() => [child.pid as number, ...(kauditd ? [kauditd] : [])], rulesSwitch);
  } finally {
    if (rulesOn) for (const rule of ruleArgs) sh('auditctl', ['-d', ...rule]);
    sh('auditctl', ['-e', wasEnabled]);
    if (child.pid) process.kill(child.pid, 'SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

/** what eqld's process program traces: exec, connect, setsid, and since issue 12 accepts, the
 *  setuid and setgid families, setpgid, chdir/fchdir and module loads */
export const AUDIT_SYSCALLS = [
  'execve',
  'connect',
  'setsid',
  'accept',
  'accept4',
  'setuid',
  'setreuid',
  'setresuid',
  'setfsuid',
  'setgid',
  'setregid',
  'setresgid',
  'setfsgid',
  'setpgid',
  'chdir',
  'fchdir',
  'init_module',
  'finit_module',
];

/** what eqld's file program traces (creation, rename, deletion), as issue 11 names the rules */
export const FILE_AUDIT_RULE: AuditRule = {
  syscalls: ['creat', 'open', 'openat', 'openat2', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat'],
  filters: ['-F', 'success=1'],
};
