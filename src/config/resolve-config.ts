// Turns the three layers of configuration — schema defaults, the TOML file, command-line flags
// (later wins) — into one validated, typed EqldConfig. Pure: the caller reads the files. Every
// unknown key or bad value is a ConfigError naming the key (and the file), never a silent default.
import { parse as parseToml, TomlError } from 'smol-toml';
import { normalizeTuning, type TuningConfig } from '../alerts/tuning/config.js';
import { ConfigError } from './config-error.js';
import { type ListenAddress, parseListenAddress } from './listen-address.js';
import { CONFIG_KEYS, type ConfigKey, type LOG_LEVELS, TUNING_SECTION } from './schema.js';

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface EqldConfig {
  rules: { paths: string[]; bundled: boolean; tuningFile?: string };
  collector: {
    bpftrace: string;
    argvBytes: number;
    reorderWindowMs?: number;
    pollIntervalMs?: number;
    bpftracePaceMs?: number;
    fileEvents: boolean;
    fileEventsPerSecond: number;
    /** collector.env_vars: NAME or NAME* entries, checked when the collector is built */
    envVars: string[];
  };
  process: { udpConnects: boolean; maxProcesses: number; excludeSelf: boolean };
  syslog: {
    local: boolean;
    socket: string;
    facility: string;
    remote?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    maxMessageBytes: number;
  };
  output: {
    /** false: a telemetry-only run with no alert destination at all (--no-alerts) */
    alerts: boolean;
    alertsFile?: string;
    eventsFile?: string;
    fileMode: number;
    stdout: boolean;
    redact: string[];
  };
  agent: { stateDir: string; spoolMaxBytes: number; priorityBoost: number };
  /** the Prometheus endpoint; off when `listen` is undefined */
  metrics: { listen?: ListenAddress };
  log: { level: LogLevel };
  health: { intervalS: number; lostEventsThreshold: number };
  /** the `[tuning]` table (or the tuning file, read by the caller and passed as tuningJson) */
  tuning: TuningConfig;
}

export interface ConfigLayers {
  /** TOML text of the config file, if one was read */
  fileText?: string;
  /** its path, for messages */
  filePath?: string;
  /** parsed command-line flags, keyed by flag name (`argv-bytes`); undefined = not given */
  flags?: Record<string, unknown>;
  /** text of the tuning file named by rules.tuning_file, if it was read */
  tuningJson?: string;
}

type Value = string | number | boolean | string[] | undefined;

const BY_KEY = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

function describeValue(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function checkValue(def: ConfigKey, raw: unknown, where: string): Value {
  const bad = (expected: string) =>
    new ConfigError(`Expected ${where} to be ${expected}, got \`${describeValue(raw)}\``, def.key);
  switch (def.type) {
    case 'string': {
      if (typeof raw !== 'string' || raw.length === 0) throw bad('a non-empty string');
      if (def.choices && !def.choices.includes(raw)) throw bad(`one of ${def.choices.join(', ')}`);
      return raw;
    }
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad('an integer');
      if (def.min !== undefined && n < def.min) throw bad(`an integer >= ${def.min}`);
      if (def.max !== undefined && n > def.max) throw bad(`an integer <= ${def.max}`);
      return n;
    }
    case 'boolean': {
      if (typeof raw !== 'boolean') throw bad('true or false');
      return raw;
    }
    case 'string[]': {
      const list = typeof raw === 'string' ? [raw] : raw;
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s.length > 0))
        throw bad('a list of non-empty strings');
      return list as string[];
    }
    case 'mode': {
      const s = typeof raw === 'number' ? `0${raw.toString(8)}` : raw;
      if (typeof s !== 'string' || !def.choices?.includes(s)) throw bad(`one of ${def.choices?.join(', ')}`);
      return s;
    }
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function fileValues(text: string, path: string): { values: Map<string, Value>; tuning?: unknown } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const pos = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    const first = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new ConfigError(`${path}${pos}: not valid TOML: ${first}`, undefined, { cause: err });
  }
  const values = new Map<string, Value>();
  let tuning: unknown;
  for (const [section, table] of Object.entries(doc)) {
    if (section === TUNING_SECTION) {
      tuning = table;
      continue;
    }
    if (!isTable(table)) {
      throw new ConfigError(`${path}: unknown top-level key \`${section}\`; keys live in sections`, section);
    }
    for (const [name, raw] of Object.entries(table)) {
      const key = `${section}.${name}`;
      const def = BY_KEY.get(key);
      if (!def) throw new ConfigError(`${path}: unknown key \`${key}\` (see eqld run --help)`, key);
      values.set(key, checkValue(def, raw, `\`${key}\` in ${path}`));
    }
  }
  return { values, tuning };
}

function flagValues(flags: Record<string, unknown>): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const def of CONFIG_KEYS) {
    const raw = flags[def.flag];
    if (raw === undefined) continue;
    values.set(def.key, checkValue(def, raw, `--${def.flag}`));
  }
  return values;
}

function checkRemote(url: string | undefined): void {
  if (url === undefined) return;
  const m = /^(udp|tcp|tls):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(url);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(
      `Expected syslog.remote to look like tcp://host:port (udp, tcp or tls), got \`${url}\``,
      'syslog.remote',
    );
  }
}

function metricsListen(text: string | undefined): ListenAddress | undefined {
  if (text === undefined) return undefined;
  const a = parseListenAddress(text);
  if (a === undefined) {
    throw new ConfigError(
      `Expected metrics.listen to be ADDR:PORT like 127.0.0.1:9464 or [::1]:9464, got \`${text}\``,
      'metrics.listen',
    );
  }
  return a;
}

function checkRedact(patterns: string[]): void {
  for (const p of patterns) {
    try {
      new RegExp(p, 'g');
    } catch (err) {
      throw new ConfigError(
        `Expected output.redact entries to be regular expressions, got \`${p}\`: ${(err as Error).message}`,
        'output.redact',
        { cause: err },
      );
    }
  }
}

export function resolveConfig(layers: ConfigLayers = {}): EqldConfig {
  const merged = new Map<string, Value>(CONFIG_KEYS.map((k) => [k.key, k.default]));
  let tuningRaw: unknown;
  if (layers.fileText !== undefined) {
    const f = fileValues(layers.fileText, layers.filePath ?? 'config');
    for (const [k, v] of f.values) merged.set(k, v);
    tuningRaw = f.tuning;
  }
  for (const [k, v] of flagValues(layers.flags ?? {})) merged.set(k, v);

  const get = <T extends Value>(key: string) => merged.get(key) as T;
  const mode = get<string>('output.file_mode');
  const config: EqldConfig = {
    rules: {
      paths: get<string[]>('rules.paths'),
      bundled: get<boolean>('rules.bundled'),
      tuningFile: get<string | undefined>('rules.tuning_file'),
    },
    collector: {
      bpftrace: get<string>('collector.bpftrace'),
      argvBytes: get<number>('collector.argv_bytes'),
      reorderWindowMs: get<number | undefined>('collector.reorder_window_ms'),
      pollIntervalMs: get<number | undefined>('collector.poll_interval_ms'),
      bpftracePaceMs: get<number | undefined>('collector.bpftrace_pace_ms'),
      fileEvents: get<boolean>('collector.file_events'),
      fileEventsPerSecond: get<number>('collector.file_events_per_second'),
      envVars: get<string[]>('collector.env_vars'),
    },
    process: {
      udpConnects: get<boolean>('process.udp_connects'),
      maxProcesses: get<number>('process.max_processes'),
      excludeSelf: get<boolean>('process.exclude_self'),
    },
    syslog: {
      local: get<boolean>('syslog.local'),
      socket: get<string>('syslog.socket'),
      facility: get<string>('syslog.facility'),
      remote: get<string | undefined>('syslog.remote'),
      caFile: get<string | undefined>('syslog.ca_file'),
      certFile: get<string | undefined>('syslog.cert_file'),
      keyFile: get<string | undefined>('syslog.key_file'),
      maxMessageBytes: get<number>('syslog.max_message_bytes'),
    },
    output: {
      alerts: get<boolean>('output.alerts'),
      alertsFile: get<string | undefined>('output.alerts_file'),
      eventsFile: get<string | undefined>('output.events_file'),
      fileMode: Number.parseInt(mode, 8),
      stdout: get<boolean>('output.stdout'),
      redact: get<string[]>('output.redact'),
    },
    agent: {
      stateDir: get<string>('agent.state_dir'),
      spoolMaxBytes: get<number>('agent.spool_max_bytes'),
      priorityBoost: get<number>('agent.priority_boost'),
    },
    metrics: { listen: metricsListen(get<string | undefined>('metrics.listen')) },
    log: { level: get<LogLevel>('log.level') },
    health: {
      intervalS: get<number>('health.interval_s'),
      lostEventsThreshold: get<number>('health.lost_events_threshold'),
    },
    tuning: normalizeTuning(undefined),
  };
  checkRemote(config.syslog.remote);
  checkRedact(config.output.redact);
  checkAlertDestination(config);
  if (config.syslog.remote?.startsWith('tls://') === false && config.syslog.caFile !== undefined) {
    throw new ConfigError('syslog.ca_file is set but syslog.remote is not a tls:// URL', 'syslog.ca_file');
  }
  config.tuning = resolveTuning(layers, tuningRaw);
  return config;
}

/** An agent that detects but delivers nowhere would run blind; say so unless it was asked for. */
function checkAlertDestination(c: EqldConfig): void {
  const chosen = [
    ...(c.syslog.remote ? ['syslog.remote'] : []),
    ...(c.output.alertsFile ? ['output.alerts_file'] : []),
    ...(c.output.stdout ? ['output.stdout'] : []),
  ];
  if (!c.output.alerts) {
    if (chosen.length > 0)
      throw new ConfigError(
        `output.alerts is off (--no-alerts) but ${chosen.join(', ')} would receive alerts; drop one or the other`,
        'output.alerts',
      );
    return;
  }
  if (!c.syslog.local && chosen.length === 0)
    throw new ConfigError(
      'no alert destination: local syslog is off (--no-syslog) and none of --syslog-remote, --alerts-file or --stdout is set; name one, or pass --no-alerts for a telemetry-only run',
      'output.alerts',
    );
}

function resolveTuning(layers: ConfigLayers, tableRaw: unknown): TuningConfig {
  if (layers.tuningJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(layers.tuningJson);
    } catch (err) {
      throw new ConfigError(`tuning file: not valid JSON: ${(err as Error).message}`, 'rules.tuning_file', {
        cause: err,
      });
    }
    return wrapTuning(() => normalizeTuning(parsed), 'rules.tuning_file');
  }
  return wrapTuning(() => normalizeTuning(tableRaw), TUNING_SECTION);
}

function wrapTuning(fn: () => TuningConfig, key: string): TuningConfig {
  try {
    return fn();
  } catch (err) {
    throw new ConfigError(`${key}: ${(err as Error).message}`, key, { cause: err });
  }
}

/** The keys whose values differ between two configs and that SIGHUP cannot apply live. */
export function restartOnlyChanges(a: EqldConfig, b: EqldConfig): string[] {
  const flat = (c: EqldConfig) => {
    const sections = c as unknown as Record<string, Record<string, unknown>>;
    return (key: string) => {
      const [section, name] = key.split('.') as [string, string];
      const camel = name.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
      return JSON.stringify(sections[section]?.[camel]);
    };
  };
  const fa = flat(a);
  const fb = flat(b);
  return CONFIG_KEYS.filter((k) => !k.live && fa(k.key) !== fb(k.key)).map((k) => k.key);
}
