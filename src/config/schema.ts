// The agent's configuration keys as data: one row per key, giving its TOML place, its command-line
// flag, type, default, bounds and whether SIGHUP applies it live. load-config.ts validates files
// and flags against this table, cli/run.ts builds its yargs options from it and docs/operations.md
// lists it, so the three cannot drift apart. It holds no I/O.

export type KeyType = 'string' | 'number' | 'boolean' | 'string[]' | 'mode';

export interface ConfigKey {
  /** TOML section and key, e.g. `collector.argv_bytes` */
  key: string;
  /** command-line flag without dashes, e.g. `argv-bytes` (booleans also take `--no-<flag>`) */
  flag: string;
  type: KeyType;
  default: string | number | boolean | string[] | undefined;
  describe: string;
  /** applied by SIGHUP without a restart */
  live: boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: 'rules.paths',
    flag: 'rules',
    type: 'string[]',
    default: [],
    describe:
      'extra rule files or directories (Elastic detection-rules TOML, Kibana rule/exception list exports), added to the bundled rules',
    live: true,
  },
  {
    key: 'rules.bundled',
    flag: 'bundled-rules',
    type: 'boolean',
    default: true,
    describe: 'load the rules shipped with eqld',
    live: true,
  },
  {
    key: 'rules.tuning_file',
    flag: 'tuning',
    type: 'string',
    default: undefined,
    describe: 'tuning file (JSON: enable/disable, exceptions, suppression, rate cap); overrides [tuning]',
    live: true,
  },
  {
    key: 'collector.bpftrace',
    flag: 'bpftrace',
    type: 'string',
    default: '/usr/bin/bpftrace',
    describe: 'path of the bpftrace binary',
    live: false,
  },
  {
    key: 'collector.argv_bytes',
    flag: 'argv-bytes',
    type: 'number',
    default: 1024,
    min: 64,
    max: 8192,
    describe: 'bytes of argv captured per exec (longer command lines are flagged truncated)',
    live: false,
  },
  {
    key: 'collector.reorder_window_ms',
    flag: 'reorder-window-ms',
    type: 'number',
    default: undefined,
    min: 0,
    max: 1000,
    describe:
      'without the pacing shim, how long events wait to be put in kernel-time order across CPUs; with it, the longest a late program holds the others (default: the collector’s, 30)',
    live: false,
  },
  {
    key: 'collector.poll_interval_ms',
    flag: 'poll-interval-ms',
    type: 'number',
    default: undefined,
    min: 1,
    max: 1000,
    describe:
      'how often bpftrace’s output is read while events flow (sooner when it fills), just after the pacing shim’s looks; longer costs less CPU, adds latency under steady load (default: the collector’s, 60)',
    live: false,
  },
  {
    key: 'collector.bpftrace_pace_ms',
    flag: 'bpftrace-pace-ms',
    type: 'number',
    default: undefined,
    min: 0,
    max: 1000,
    describe:
      'bpftrace reads its kernel buffers at most this often, on a grid of this period, one wake-up for many events; events reach the rules within about this plus 15 ms; 0 wakes it for each event (more CPU) (default: the collector’s, 60)',
    live: false,
  },
  {
    key: 'collector.file_events',
    flag: 'file-events',
    type: 'boolean',
    default: true,
    describe:
      'file creation, rename and deletion events from a second bpftrace (its own kernel buffers and loss count), started when a loaded rule takes file events or an events file is written; --no-file-events turns them off',
    live: false,
  },
  {
    key: 'collector.file_events_per_second',
    flag: 'file-events-per-second',
    type: 'number',
    default: 5000,
    min: 1,
    max: 1_000_000,
    describe:
      'file events reported per second at most; the kernel counts the rest as dropped (a telemetry loss), so a file storm stays bounded in CPU',
    live: false,
  },
  {
    key: 'collector.env_vars',
    flag: 'env-var',
    type: 'string[]',
    default: [],
    describe:
      'environment variables captured at exec besides those the loaded rules read (NAME, or NAME* for every name that starts so); nothing else of an environment is read',
    live: false,
  },
  {
    key: 'process.udp_connects',
    flag: 'udp-connects',
    type: 'boolean',
    default: false,
    describe: 'report UDP connect() calls as network events (DNS lookups make many)',
    live: false,
  },
  {
    key: 'process.max_processes',
    flag: 'max-processes',
    type: 'number',
    default: 65536,
    min: 1024,
    describe: 'process table bound; the least recently used entries are evicted beyond it',
    live: false,
  },
  {
    key: 'process.exclude_self',
    flag: 'exclude-self',
    type: 'boolean',
    default: true,
    describe: 'keep eqld’s own processes (node, bpftrace, their children) out of rule evaluation',
    live: false,
  },
  {
    key: 'syslog.local',
    flag: 'syslog',
    type: 'boolean',
    default: true,
    describe: 'send alerts to the local syslog socket',
    live: false,
  },
  {
    key: 'syslog.socket',
    flag: 'syslog-socket',
    type: 'string',
    default: '/dev/log',
    describe: 'local syslog socket (unix datagram)',
    live: false,
  },
  {
    key: 'syslog.facility',
    flag: 'syslog-facility',
    type: 'string',
    default: 'authpriv',
    choices: FACILITIES,
    describe: 'syslog facility (authpriv: command lines can hold secrets)',
    live: false,
  },
  {
    key: 'syslog.remote',
    flag: 'syslog-remote',
    type: 'string',
    default: undefined,
    describe: 'remote collector for RFC 5424: udp://host:port, tcp://host:port or tls://host:port',
    live: false,
  },
  {
    key: 'syslog.ca_file',
    flag: 'syslog-ca',
    type: 'string',
    default: undefined,
    describe: 'CA certificate (PEM) that signs the remote TLS collector’s certificate',
    live: false,
  },
  {
    key: 'syslog.cert_file',
    flag: 'syslog-cert',
    type: 'string',
    default: undefined,
    describe: 'client certificate (PEM) for TLS',
    live: false,
  },
  {
    key: 'syslog.key_file',
    flag: 'syslog-key',
    type: 'string',
    default: undefined,
    describe: 'client key (PEM) for TLS',
    live: false,
  },
  {
    key: 'syslog.max_message_bytes',
    flag: 'syslog-max-bytes',
    type: 'number',
    default: 8000,
    min: 1024,
    max: 65536,
    describe:
      'largest syslog record; longer ones are cut with a truncation marker (rsyslog’s TCP input splits frames past 8096 bytes)',
    live: false,
  },
  {
    key: 'output.alerts_file',
    flag: 'alerts-file',
    type: 'string',
    default: undefined,
    describe: 'write alert documents as NDJSON to this file (for Filebeat / Elastic Agent)',
    live: false,
  },
  {
    key: 'output.events_file',
    flag: 'events-file',
    type: 'string',
    default: undefined,
    describe: 'write every ECS event as NDJSON to this file',
    live: false,
  },
  {
    key: 'output.file_mode',
    flag: 'file-mode',
    type: 'mode',
    default: '0600',
    choices: ['0600', '0640'],
    describe: 'permissions of the NDJSON files',
    live: false,
  },
  {
    key: 'output.stdout',
    flag: 'stdout',
    type: 'boolean',
    default: false,
    describe: 'also print alert documents as NDJSON on stdout',
    live: false,
  },
  {
    key: 'output.alerts',
    flag: 'alerts',
    type: 'boolean',
    default: true,
    describe:
      'deliver alerts; eqld refuses to start with no destination (syslog, --syslog-remote, --alerts-file, --stdout) unless this is off (--no-alerts: a telemetry-only run, e.g. with --events-file)',
    live: false,
  },
  {
    key: 'output.redact',
    flag: 'redact',
    type: 'string[]',
    default: [],
    describe: 'regular expressions whose matches in command lines are replaced by [REDACTED] in alerts',
    live: false,
  },
  {
    key: 'agent.state_dir',
    flag: 'state-dir',
    type: 'string',
    default: '/var/lib/eqld',
    describe: 'state directory (the alert spool lives in <state-dir>/spool)',
    live: false,
  },
  {
    key: 'agent.spool_max_bytes',
    flag: 'spool-max-bytes',
    type: 'number',
    default: 64 * 1024 * 1024,
    min: 1024 * 1024,
    describe:
      'bound of each sink’s on-disk alert spool; when full the newest alert is refused and logged as ALERTS LOST',
    live: false,
  },
  {
    key: 'agent.priority_boost',
    flag: 'priority-boost',
    type: 'number',
    default: 4,
    min: 0,
    max: 20,
    describe:
      'run at nice -N (as auditd’s priority_boost, default 4), so a busy host delays detection less; bpftrace’s process program inherits it, the file program stays at nice 5; 0 leaves the priority alone',
    live: false,
  },
  {
    key: 'metrics.listen',
    flag: 'metrics-listen',
    type: 'string',
    default: undefined,
    describe:
      'serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9464 (off by default; no authentication: bind to localhost or a management interface)',
    live: false,
  },
  {
    key: 'log.level',
    flag: 'log-level',
    type: 'string',
    default: 'info',
    choices: LOG_LEVELS,
    describe: 'agent log level (JSON logs on stderr)',
    live: true,
  },
  {
    key: 'health.interval_s',
    flag: 'health-interval',
    type: 'number',
    default: 60,
    min: 1,
    describe: 'seconds between health log lines',
    live: true,
  },
  {
    key: 'health.lost_events_threshold',
    flag: 'lost-events-threshold',
    type: 'number',
    default: 1,
    min: 1,
    describe: 'kernel events lost within one health interval that raise a telemetry-loss alert',
    live: true,
  },
];

/** `[tuning]` is a table passed whole to the alert tuning (see docs/alerts.md), not a flat key. */
export const TUNING_SECTION = 'tuning';
