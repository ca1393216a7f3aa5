// The error for a bad tuning config: names the key that was wrong and what it held.
export class TuningConfigError extends Error {
  override readonly name = 'TuningConfigError';
}
