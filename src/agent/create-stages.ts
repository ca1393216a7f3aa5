// Builds the real pipeline stages from the config: the bpftrace collector, the normalizer (with
// eqld's own processes kept out when exclude_self is on), the sinks with their spool, and the
// optional events file. Also the host checks `eqld run` makes before it starts. The only module
// besides pipeline.ts that knows every stage's concrete class.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { SinkSet, SinksConfig } from '../alerts/sinks/index.js';
import { createSinks } from '../alerts/sinks/index.js';
import { EnvVarError, type EnvVarSpec, mergeEnvVarSpecs, parseEnvVarSpec } from '../collector/env-match.js';
import { Collector, checkPreconditions, pidNamespaceNotice } from '../collector/index.js';
import { ConfigError } from '../config/index.js';
import type { EqldConfig } from '../config/resolve-config.js';
import { hostFields, Normalizer, readHostInfo } from '../normalize/index.js';
import type { DetectorStage, StageSet } from '../pipeline.js';
import { EventFile } from './event-file.js';

export interface Stages extends StageSet {
  collector: Collector;
  normalizer: Normalizer;
  sinks: SinkSet;
  events?: EventFile;
  hostFields: Record<string, unknown>;
  /** this boot's id (/proc/sys/kernel/random/boot_id) */
  bootId: string;
  sinkNames: string[];
  /** kernel monotonic ns (bpftrace nsecs) → ms since epoch, for gap reports */
  toWallMs(monotonicNs: number): number;
}

/** One line per failed precondition ("bpftrace: not found at /usr/bin/bpftrace"), empty when ready. */
export async function checkHost(config: EqldConfig): Promise<string[]> {
  const checks = await checkPreconditions({
    bpftracePath: config.collector.bpftrace,
    mountTracefs: true,
    fileEvents: config.collector.fileEvents,
  });
  return checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

export function sinksConfig(config: EqldConfig): SinksConfig {
  const { syslog, output, agent } = config;
  return {
    // --no-alerts: a telemetry-only run; the config check refused any other destination with it
    ...(syslog.local && output.alerts
      ? {
          syslogLocal: {
            socketPath: syslog.socket,
            facility: syslog.facility,
            maxMessageBytes: syslog.maxMessageBytes,
          },
        }
      : {}),
    ...(syslog.remote
      ? {
          syslogRemote: {
            url: syslog.remote,
            facility: syslog.facility,
            caFile: syslog.caFile,
            certFile: syslog.certFile,
            keyFile: syslog.keyFile,
            maxMessageBytes: syslog.maxMessageBytes,
          },
        }
      : {}),
    ...(output.alertsFile ? { file: { path: output.alertsFile, mode: output.fileMode } } : {}),
    stdout: output.stdout,
    redact: output.redact,
    spoolDir: join(agent.stateDir, 'spool'),
    spoolMaxBytes: agent.spoolMaxBytes,
  };
}

function sinkNames(cfg: SinksConfig): string[] {
  return [
    ...(cfg.syslogLocal ? [`syslog:${cfg.syslogLocal.socketPath}`] : []),
    ...(cfg.syslogRemote ? [`syslog:${cfg.syslogRemote.url}`] : []),
    ...(cfg.file ? [`file:${cfg.file.path}`] : []),
    ...(cfg.stdout ? ['stdout'] : []),
  ];
}

/** The variables to capture: those the rules read and collector.env_vars (a bad name is a ConfigError). */
export function envVarsToCapture(config: EqldConfig, fromRules: readonly EnvVarSpec[]): EnvVarSpec[] {
  const configured = config.collector.envVars.map((text) => {
    try {
      return parseEnvVarSpec(text);
    } catch (err) {
      if (err instanceof EnvVarError) throw new ConfigError(`collector.env_vars: ${err.message}`);
      throw err;
    }
  });
  return mergeEnvVarSpecs([...fromRules, ...configured]);
}

export async function createStages(
  config: EqldConfig,
  detector: DetectorStage,
  logger: Logger,
  envVarsOfRules: readonly EnvVarSpec[] = [],
  /** start the file program (file-program.ts decides); default: collector.file_events */
  fileEvents = config.collector.fileEvents,
): Promise<Stages> {
  const envVars = envVarsToCapture(config, envVarsOfRules);
  mkdirSync(config.agent.stateDir, { recursive: true, mode: 0o700 });
  for (const f of [config.output.alertsFile, config.output.eventsFile]) {
    if (f) mkdirSync(dirname(f), { recursive: true, mode: 0o750 });
  }
  const host = await readHostInfo();
  const collector = new Collector({
    logger: logger.child({ stage: 'collector' }),
    argvBytes: config.collector.argvBytes,
    bpftracePath: config.collector.bpftrace,
    excludeSelf: config.process.excludeSelf,
    ...(config.collector.reorderWindowMs === undefined
      ? {}
      : { reorderWindowMs: config.collector.reorderWindowMs }),
    ...(config.collector.pollIntervalMs === undefined
      ? {}
      : { pollIntervalMs: config.collector.pollIntervalMs }),
    ...(config.collector.bpftracePaceMs === undefined
      ? {}
      : { bpftracePaceMs: config.collector.bpftracePaceMs }),
    ...(fileEvents ? { fileEvents: { eventsPerSecond: config.collector.fileEventsPerSecond } } : {}),
    // compiled into the kernel program: nothing else of an environment is read
    envVars,
  });
  if (!collector.pidNamespace.initial) {
    logger.warn(
      { pidNamespace: collector.pidNamespace.inode },
      `eqld runs in ${pidNamespaceNotice(collector.pidNamespace)}`,
    );
  }
  if (envVars.length > 0) {
    logger.info(
      {
        envVars: envVars.map(
          (v) => `${v.name}${v.prefix ? '*' : ''}${v.caseInsensitive ? ' (any case)' : ''}`,
        ),
      },
      'environment variables captured at exec',
    );
  }
  const normalizer = new Normalizer({
    host,
    logger: logger.child({ stage: 'normalize' }),
    udpConnects: config.process.udpConnects,
    maxProcesses: config.process.maxProcesses,
    // the normalizer also excludes every descendant of an excluded pid
    excludePids: config.process.excludeSelf ? (pid: number) => collector.isSelfPid(pid) : () => false,
  });
  const sinkCfg = sinksConfig(config);
  const sinks = await createSinks(sinkCfg, logger.child({ stage: 'sinks' }));
  const events = config.output.eventsFile
    ? new EventFile({ path: config.output.eventsFile, mode: config.output.fileMode, logger })
    : undefined;
  return {
    collector,
    normalizer,
    detector,
    sinks,
    ...(events ? { events } : {}),
    hostFields: hostFields(host) as Record<string, unknown>,
    bootId: host.bootId,
    sinkNames: sinkNames(sinkCfg),
    toWallMs: (ns) => Date.now() - (Number(process.hrtime.bigint()) - ns) / 1e6,
  };
}
