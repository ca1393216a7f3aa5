// `eqld run` as a process: loads the config, checks that this host can run the agent, builds the
// pipeline with the rules, and runs it until SIGTERM/SIGINT. SIGHUP re-reads the config and the
// rules (what can change live is marked in src/config/schema.ts; a changed restart-only key is
// logged), SIGUSR1 reopens the NDJSON files after logrotate. A periodic health line goes to the
// log, and lost kernel events or a bpftrace gap raise a telemetry-loss alert.
//
// Exit status: 0 stopped by SIGTERM/SIGINT after flushing; 1 internal error; 2 bad config or
// rules that cannot load at all; 3 a precondition is missing (root, bpftrace, tracefs, BTF) or
// another eqld runs on the same state directory (a flock the kernel drops when its holder dies).
import { mkdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { type Logger, pino } from 'pino';
import { Detector } from '../alerts/detector.js';
import { type FileLock, LockHeldError, lockFile } from '../alerts/spool/file-lock.js';
import { Periodic } from '../collector/periodic.js';
import { ConfigError, loadConfig, restartOnlyChanges } from '../config/index.js';
import type { EqldConfig } from '../config/resolve-config.js';
import { Pipeline } from '../pipeline.js';
import { BUNDLED_RULES_DIR } from '../rules/bundled.js';
import { type EqlEngine, eqlEngine } from '../rules/engine.js';
import { envVarsOfRules } from '../rules/env-vars.js';
import { type LoadedRule, loadRules } from '../rules/load-rules.js';
import { checkHost, createStages, type Stages } from './create-stages.js';
import { fileProgramDecision } from './file-program.js';
import { HealthMonitor } from './health.js';
import { type RunningMetrics, startMetrics } from './metrics/index.js';
import { applyPriorityBoost } from './priority.js';
import { RunRecorder, readRunRecord, unwatchedSince } from './run-record.js';
import { buildTelemetryAlert } from './telemetry-alert.js';

export const EXIT = { ok: 0, internal: 1, config: 2, precondition: 3 } as const;

export interface RunOptions {
  configPath?: string;
  flags: Record<string, unknown>;
  /** where plain-text start-up failures go (stderr) */
  errorOut?: (line: string) => void;
}

/** the pipeline's upkeep while events flow (it rides the collector's polls: no wake-up of its
 *  own), and the finest step of its own timer on a quiet host */
const TICK_MS = 200;
/** on a quiet host: the upkeep at least this often, sooner when an alert waits on time */
const QUIET_TICK_MS = 1000;
const STOP_TIMEOUT_MS = 20_000;

function rulePaths(config: EqldConfig): string[] {
  return [...(config.rules.bundled ? [BUNDLED_RULES_DIR] : []), ...config.rules.paths];
}

function loadRuleSet(config: EqldConfig, engine: EqlEngine, logger: Logger): LoadedRule[] {
  const result = loadRules(rulePaths(config), { compile: engine.compileQuery });
  for (const err of result.errors) logger.error({ err: err.message }, 'rule file skipped');
  // exception items or lists not applied, rule fields not applied as Kibana would
  for (const w of result.warnings) logger.warn({ warning: w.message }, 'rule files');
  for (const r of result.rules)
    for (const w of r.warnings ?? [])
      logger.warn({ rule: r.rule.name, warning: w.message }, 'rule loaded with a warning');
  const active = result.rules.filter((r) => r.inactiveNeeds.length === 0);
  for (const r of result.rules) {
    if (r.inactiveNeeds.length > 0)
      logger.warn(
        { rule: r.rule.name, needs: r.inactiveNeeds },
        'rule inactive: needs events or fields eqld does not collect',
      );
  }
  logger.info(
    { loaded: result.rules.length, active: active.length, errors: result.errors.length },
    'rules loaded',
  );
  return result.rules;
}

export async function runAgent(opts: RunOptions): Promise<number> {
  const errorOut = opts.errorOut ?? ((l: string) => process.stderr.write(`${l}\n`));
  let config: EqldConfig;
  try {
    config = loadConfig({ path: opts.configPath, flags: opts.flags }).config;
  } catch (err) {
    errorOut(`eqld run: ${(err as Error).message}`);
    return EXIT.config;
  }
  if (process.geteuid?.() !== 0) {
    errorOut(
      'eqld run: needs root (effective uid 0): bpftrace 0.17 refuses to run otherwise. Run it with sudo, or install the eqld systemd service (scripts/install.sh).',
    );
    return EXIT.precondition;
  }
  const failed = await checkHost(config);
  if (failed.length > 0) {
    for (const f of failed) errorOut(`eqld run: ${f}`);
    errorOut('eqld run: see `eqld doctor` for every check');
    return EXIT.precondition;
  }

  let stateLock: FileLock;
  try {
    stateLock = lockStateDir(config.agent.stateDir);
  } catch (err) {
    errorOut(`eqld run: ${(err as Error).message}`);
    return err instanceof LockHeldError ? EXIT.precondition : EXIT.internal;
  }
  try {
    return await runLocked(config, opts);
  } finally {
    stateLock.release();
  }
}

/** One agent per state directory: a second `eqld run` on it is refused while the first lives. */
function lockStateDir(stateDir: string): FileLock {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'eqld.lock');
  try {
    return lockFile(path);
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    const pid = err.holderPid === undefined ? '' : ` (pid ${err.holderPid})`;
    throw new LockHeldError(
      path,
      err.holderPid,
      `another eqld${pid} is running with state directory ${stateDir}; stop it or use another --state-dir`,
    );
  }
}

async function runLocked(initial: EqldConfig, opts: RunOptions): Promise<number> {
  let config = initial;
  const logger = pino({ level: config.log.level, base: { pid: process.pid } }, pino.destination(2));
  const engine: EqlEngine = eqlEngine;
  // read before this run writes its own: did the last eqld on this state directory stop cleanly?
  const previousRun = readRunRecord(config.agent.stateDir);
  if (previousRun.unreadable) {
    logger.warn({ reason: previousRun.unreadable }, 'the previous run record is unreadable: replacing it');
  }
  const rules = loadRuleSet(config, engine, logger);
  if (rules.length === 0) logger.warn({ paths: rulePaths(config) }, 'no rules loaded: nothing will alert');
  // alerts carry the ancestry of their processes, read from the normalizer's table when raised
  let ancestryOf: (entityId: string) => Record<string, unknown>[] = () => [];
  const detector = new Detector(rules, config.tuning, {
    createMatcher: (cq) => engine.createMatcher(cq),
    ancestry: (entityId) => ancestryOf(entityId),
  });

  // before the collector starts bpftrace, so that its process program inherits the priority
  const priority = applyPriorityBoost(config.agent.priorityBoost, {
    get: () => getPriority(),
    set: (nice) => setPriority(nice),
  });
  if (priority.kind === 'failed') logger.warn({ priority }, 'could not raise the scheduling priority');
  else if (priority.kind === 'raised') logger.info({ nice: priority.to }, 'scheduling priority raised');

  const fileProgram = fileProgramDecision(
    config.collector.fileEvents,
    config.output.eventsFile !== undefined,
    (k) => detector.wants(k),
  );
  if (!fileProgram.run && fileProgram.because === 'no rule takes file events')
    logger.info(
      'file events off: no loaded rule takes file events and no events file is written (the file program starts with rules that do, after a restart)',
    );
  let stages: Stages;
  try {
    stages = await createStages(config, detector, logger, envVarsOfRules(rules), fileProgram.run);
  } catch (err) {
    logger.fatal({ err }, 'could not set up the pipeline');
    return err instanceof ConfigError ? EXIT.config : EXIT.internal;
  }
  ancestryOf = (entityId) => stages.normalizer.ancestry(entityId);
  const capturing = envVarsOfRules(rules);
  const pipeline = new Pipeline(stages, { logger });
  pipeline.onGap((gap) =>
    pipeline.emit(
      buildTelemetryAlert(
        {
          kind: 'gap',
          fromMs: stages.toWallMs(gap.fromNs),
          toMs: stages.toWallMs(gap.toNs),
          reason: gap.reason,
        },
        stages.hostFields,
      ),
    ),
  );

  let metrics: RunningMetrics | undefined;
  if (config.metrics.listen) {
    try {
      metrics = await startMetrics(config.metrics.listen, { pipeline, stages, detector }, logger);
    } catch (err) {
      logger.fatal({ err }, 'could not start the metrics endpoint');
      await pipeline.stop().catch(() => undefined);
      return EXIT.internal;
    }
  }

  try {
    await pipeline.start();
  } catch (err) {
    logger.fatal({ err }, 'could not start the collector');
    await pipeline.stop().catch(() => undefined);
    await metrics?.close();
    return EXIT.internal;
  }
  logger.info(
    {
      rules: rules.length,
      bpftracePid: stages.collector.bpftracePid,
      config: opts.configPath,
      sinks: stages.sinkNames,
    },
    'eqld running',
  );
  const runRecord = new RunRecorder(config.agent.stateDir, stages.bootId, (err) =>
    logger.error({ err: err.message }, 'could not write the run record'),
  );
  const unwatched = unwatchedSince(previousRun.record, Date.now(), stages.bootId);
  runRecord.start();
  if (unwatched) {
    logger.warn(unwatched, 'the previous run did not stop cleanly: reporting the span no eqld watched');
    pipeline.emit(buildTelemetryAlert({ kind: 'gap', ...unwatched }, stages.hostFields));
  }

  const health = new HealthMonitor(config.health.lostEventsThreshold);
  const sampleHealth = () => {
    const collector = stages.collector.stats();
    const s = health.sample(
      {
        pipeline: pipeline.stats(),
        collector,
        normalizer: stages.normalizer.stats(),
        detector: detector.stats(),
        sinks: stages.sinks.stats(),
        events: stages.events?.stats(),
        shedEvents: collector.shed.total,
        rssBytes: process.memoryUsage.rss(),
        heap: v8Heap(),
      },
      Date.now(),
    );
    logger.info({ health: s.line }, 'health');
    for (const loss of s.losses) pipeline.emit(buildTelemetryAlert(loss, stages.hostFields));
  };
  sampleHealth();
  // both run at the end of a collector poll while events flow, on timers of their own only on a
  // quiet host: every wake-up of node costs CPU (collector/periodic.ts). There the upkeep (clock
  // check, exited processes, partials past maxspan) waits a second, unless an alert waits on time
  // (a trailing missing-event window, a suppression follow-up): then it comes when that is due.
  const tick = new Periodic(() => pipeline.tick(), TICK_MS, {
    idleDelayMs: (since) => Math.max(TICK_MS - since, Math.min(QUIET_TICK_MS - since, pipeline.msUntilDue())),
  });
  const healthTimer = new Periodic(sampleHealth, config.health.intervalS * 1000);
  tick.start();
  healthTimer.start();
  stages.collector.addPollListener(tick);
  stages.collector.addPollListener(healthTimer);

  const reload = () => {
    let next: EqldConfig;
    try {
      next = loadConfig({ path: opts.configPath, flags: opts.flags }).config;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'reload: config rejected, keeping the running one');
      return;
    }
    const needRestart = restartOnlyChanges(config, next);
    if (needRestart.length > 0) logger.warn({ keys: needRestart }, 'reload: these keys need a restart');
    const reloaded = loadRuleSet(next, engine, logger);
    const missing = envVarsOfRules(reloaded).filter(
      (v) => !capturing.some((c) => c.name === v.name && (c.prefix || !v.prefix)),
    );
    if (missing.length > 0) {
      logger.warn(
        { envVars: missing.map((v) => v.name) },
        'reload: the rules read environment variables the running collector does not capture; restart eqld to capture them',
      );
    }
    detector.reload(reloaded, next.tuning);
    if (
      !fileProgram.run &&
      fileProgramDecision(config.collector.fileEvents, false, (k) => detector.wants(k)).run
    )
      logger.warn(
        'reload: the rules take file events, which the running collector does not collect; restart eqld to start the file program',
      );
    logger.level = next.log.level;
    health.setThreshold(next.health.lostEventsThreshold);
    if (next.health.intervalS !== config.health.intervalS)
      healthTimer.setPeriod(next.health.intervalS * 1000);
    config = { ...next, ...pickRestartOnly(config) };
    logger.info('reloaded');
  };

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting for the flush');
        resolve(EXIT.internal);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping: draining alerts');
      tick.stop();
      healthTimer.stop();
      const timeout = setTimeout(() => {
        logger.error({ timeoutMs: STOP_TIMEOUT_MS }, 'stop timed out; unsent alerts stay in the spool');
        resolve(EXIT.internal);
      }, STOP_TIMEOUT_MS);
      pipeline
        .stopInputs()
        .then(() => {
          // the last sample may raise a telemetry-loss alert: the sinks are still open for it
          sampleHealth();
          return pipeline.stop();
        })
        .then(async () => {
          await metrics?.close();
          runRecord.stopped();
          logger.info('stopped');
          resolve(EXIT.ok);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'error while stopping');
          resolve(EXIT.internal);
        })
        .finally(() => clearTimeout(timeout));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', reload);
    process.on('SIGUSR1', () => {
      pipeline.reopen().then(
        () => logger.info('reopened output files'),
        (err: unknown) => logger.error({ err }, 'reopen failed'),
      );
    });
  });
}

function v8Heap(): { usedBytes: number; totalBytes: number } {
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, totalBytes: h.total_heap_size };
}

/** the sections whose keys all need a restart stay as they were started */
function pickRestartOnly(c: EqldConfig): Partial<EqldConfig> {
  return {
    collector: c.collector,
    process: c.process,
    syslog: c.syslog,
    output: c.output,
    agent: c.agent,
    metrics: c.metrics,
  };
}
