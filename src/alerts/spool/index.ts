// Public surface of the on-disk spool.
export {
  DEFAULT_SPOOL_MAX_BYTES,
  SegmentSpool,
  type SpoolEntry,
  type SpoolOptions,
} from './segment-spool.js';
export { SpoolFullError, SpoolIoError } from './spool-error.js';
