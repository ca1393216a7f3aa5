// Public surface of src/alerts (detection side): the alert document and record, tuning, and the
// Detector the pipeline drives. Sinks and the spool have their own entry points.
export { type AlertInput, buildAlert, ruleCode } from './alert-document.js';
export { alertId, eventIdentity } from './alert-id.js';
export type { AlertRecord, AlertSink, Severity } from './alert-record.js';
export { Detector, type DetectorOptions, type RuleStats } from './detector.js';
export { neutralize } from './neutralize.js';
export { DEFAULT_ORDER_WINDOW, OrderError, OrderedEvents, parseEventLine } from './ordered-events.js';
export { EventClock, type ParsedEvents, parseEventLines, replay, replayEvent } from './replay.js';
export { summarize } from './summary.js';
export { buildSuppressedRecord, type SuppressionReason } from './suppressed-record.js';
export {
  DEFAULT_TUNING,
  normalizeTuning,
  type RateCapConfig,
  type RuleTuning,
  type SuppressionConfig,
  type TuningConfig,
  TuningConfigError,
  tuningFor,
} from './tuning/config.js';
export {
  type ExceptionEntry,
  type ExceptionItem,
  type ExceptionOperator,
  isExcepted,
} from './tuning/exceptions.js';
export { TokenBucket } from './tuning/rate-cap.js';
export { type SuppressionWindow, Suppressor } from './tuning/suppression.js';
