// The collector stage's public surface: supervised bpftrace -> typed raw events.
export { Collector, CollectorError, type CollectorOptions, type CollectorStats } from './collector.js';
export { decodeWaitStatus, parseLine } from './line-parser.js';
export { rawEventToJson } from './ndjson.js';
export { type AgentPidNamespace, agentPidNamespace, pidNamespaceNotice } from './pid-namespace.js';
export { checkPreconditions, MIN_BPFTRACE, MIN_KERNEL, type Precondition } from './preconditions.js';
export {
  DEFAULT_ARGV_BYTES,
  DEFAULT_FILE_EVENTS_PER_SECOND,
  renderFileProgram,
  renderProgram,
} from './program.js';
export type * from './raw-event.js';
