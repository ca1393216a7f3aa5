// Trigger programs and alert readers for the end-to-end attack tests. The triggers are the
// small real programs an attacker (or an admin, for the look-alikes) would run: nc, a shell
// script in /tmp using bash's /dev/tcp, a hidden copy of nc, and a perl one-liner that forks and
// then connects and calls setsid. Every connect targets an address held by (or unrouted in) the
// test's own namespaces. Nothing here asserts; the tests do.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { readCompleteNdjson } from '../support/ndjson.js';
import type { Netns } from '../support/netns.js';

export const SSHD_RULE = 'Network Connection Initiated by Suspicious SSHD Child Process';
export const ROOT_RULE = 'Suspicious Network Connection Attempt by Root';

/** the real nc binary (Debian: /usr/bin/nc -> /etc/alternatives/nc -> /bin/nc.openbsd) */
export function ncBinary(): string {
  return realpathSync('/usr/bin/nc');
}

/** `beacon.sh` in `dir` (a /tmp directory): connects with bash's /dev/tcp, then exits. */
export function writeBeaconScript(dir: string): string {
  const path = `${dir}/beacon.sh`;
  writeFileSync(path, '#!/bin/bash\nexec 3<>"/dev/tcp/$1/$2" || true\necho beacon-done\n');
  chmodSync(path, 0o755);
  return path;
}

/** a copy of nc named `.x` in `dir` (hidden file name, the rule's `.*` process name) */
export function writeHiddenBinary(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/.x`;
  copyFileSync(ncBinary(), path);
  chmodSync(path, 0o755);
  return path;
}

// mode "same": a forked child connects, then calls setsid (it is not a group leader, so setsid
// succeeds). mode "split": one forked child connects, a second forked child calls setsid.
// Prints `connect=<pid> setsid=<pid> ret=<setsid result>`.
export const PERL_CONNECT_SETSID = `
use strict; use Socket; use POSIX qw(setsid _exit);
my ($host, $port, $mode) = @ARGV;
$| = 1;
sub dial { socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!"; connect($s, sockaddr_in($port, inet_aton($host))); close($s); }
pipe(my $r, my $w);
if ($mode eq 'same') {
  my $pid = fork();
  if ($pid == 0) { dial(); my $sid = setsid(); print $w "$sid\\n"; close($w); _exit(0); }
  close($w); my $sid = <$r>; chomp $sid; waitpid($pid, 0);
  print "connect=$pid setsid=$pid ret=$sid\\n";
} else {
  my $a = fork();
  if ($a == 0) { dial(); _exit(0); }
  waitpid($a, 0);
  my $b = fork();
  if ($b == 0) { my $sid = setsid(); print $w "$sid\\n"; close($w); _exit(0); }
  close($w); my $sid = <$r>; chomp $sid; waitpid($b, 0);
  print "connect=$a setsid=$b ret=$sid\\n";
}
`;

export interface ConnectSetsidResult {
  connectPid: number;
  setsidPid: number;
  setsidRet: number;
}

export async function connectThenSetsid(
  ns: Netns,
  host: string,
  port: number,
  opts: { mode: 'same' | 'split'; asUid?: number },
): Promise<ConnectSetsidResult> {
  const perl = ['perl', '-e', PERL_CONNECT_SETSID, host, String(port), opts.mode];
  const argv =
    opts.asUid === undefined
      ? perl
      : ['setpriv', `--reuid=${opts.asUid}`, `--regid=${opts.asUid}`, '--clear-groups', ...perl];
  const [cmd, ...args] = argv as [string, ...string[]];
  const { stdout } = await ns.exec(cmd, args);
  const m = /connect=(\d+) setsid=(\d+) ret=(-?\d+)/.exec(stdout);
  if (!m) throw new Error(`unexpected trigger output: ${stdout}`);
  return { connectPid: Number(m[1]), setsidPid: Number(m[2]), setsidRet: Number(m[3]) };
}

/** One alert as the file sink wrote it (the AlertRecord or the bare ECS document). */
export type AlertDoc = Record<string, unknown>;

export function readAlertsFile(path: string): AlertDoc[] {
  // a last line without its newline is an alert being written right now: not read yet
  return readCompleteNdjson<AlertDoc>(path);
}

export function get(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const obj = cur as Record<string, unknown>;
    cur = part in obj ? obj[part] : undefined;
  }
  return cur;
}

/** The ECS alert document whether the file holds AlertRecords or documents. */
export function alertDocument(a: AlertDoc): AlertDoc {
  const inner = a.document;
  return inner !== null && typeof inner === 'object' ? (inner as AlertDoc) : a;
}

export function ruleNameOf(a: AlertDoc): unknown {
  return get(alertDocument(a), 'rule.name') ?? get(a, 'rule.name');
}

/** A syslog line names `ip:port` (IPv6 as `[ip]:port`) as the destination, the port not followed
 *  by another digit. */
export function namesDestination(line: string, ip: string, port: number): boolean {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}:${port}(?!\\d)`, 'i').test(line);
}

/** ECS events from the --events-file that touch one of the pids (for failure diagnostics). */
export function eventsForPids(eventsFile: string, pids: number[]): string[] {
  let text: string;
  try {
    text = readFileSync(eventsFile, 'utf8');
  } catch {
    return ['(no events file)'];
  }
  return text
    .split('\n')
    .filter((l) => pids.some((p) => l.includes(`"pid":${p}`)))
    .map(summarizeEvent);
}

/** one line per event for a diagnostic: time, action, process, parent and destination */
function summarizeEvent(line: string): string {
  try {
    const e = JSON.parse(line) as Record<string, Record<string, unknown> | string>;
    const ev = e.event as Record<string, unknown>;
    const p = (e.process ?? {}) as Record<string, unknown>;
    const parent = (p.parent ?? {}) as Record<string, unknown>;
    const dst = (e.destination ?? {}) as Record<string, unknown>;
    return [
      e['@timestamp'],
      ev?.action,
      `pid=${p.pid}`,
      p.executable,
      `parent=${parent.pid}:${parent.executable}`,
      dst.ip === undefined ? '' : `dst=${dst.ip}:${dst.port}`,
      file(e),
    ].join(' ');
  } catch {
    return line.slice(0, 300);
  }
}

const file = (e: Record<string, unknown>) => {
  const f = e.file as Record<string, unknown> | undefined;
  return f ? `file=${f.path}` : '';
};
