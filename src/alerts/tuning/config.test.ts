import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING, normalizeTuning, TuningConfigError, tuningFor } from './config.js';

describe('normalizeTuning', () => {
  it('gives defaults for an absent config: rules enabled, suppression and rate cap on, building blocks off syslog', () => {
    const t = tuningFor(normalizeTuning(undefined), 'r');
    expect(t.enabled).toBe(true);
    expect(t.suppression.windowMs).toBeGreaterThan(0);
    expect(t.rateCap.burst).toBeGreaterThan(0);
    expect(DEFAULT_TUNING.sendBuildingBlocksToSyslog).toBe(false);
  });

  it('applies per-rule settings over the defaults', () => {
    const cfg = normalizeTuning({
      defaults: { rateCap: { burst: 5 } },
      rules: {
        r: {
          enabled: false,
          suppression: { windowMs: 0 },
          exceptions: [{ entries: [{ field: 'a', operator: 'exists' }] }],
        },
      },
    });
    const t = tuningFor(cfg, 'r');
    expect(t).toMatchObject({
      enabled: false,
      suppression: { windowMs: 0, fields: ['process.entity_id'] },
      rateCap: { burst: 5, perMinute: 60 },
    });
    expect(t.exceptions).toHaveLength(1);
    expect(tuningFor(cfg, 'other').enabled).toBe(true);
  });

  it.each([
    [[], 'Expected the tuning config to be an object'],
    [{ rules: { r: { enabled: 'yes' } } }, 'Expected `rules.r.enabled` to be true or false, got `"yes"`'],
    [
      { defaults: { suppression: { windowMs: -1 } } },
      'Expected `defaults.suppression.windowMs` to be a number >= 0, got `-1`',
    ],
    [
      { rules: { r: { rateCap: { burst: 0 } } } },
      'Expected `rules.r.rateCap.burst` to be a number >= 1, got `0`',
    ],
    [{ rules: { r: { exceptions: {} } } }, 'Expected `rules.r.exceptions` to be an array of exception items'],
    [{ sendBuildingBlocksToSyslog: 1 }, 'Expected `sendBuildingBlocksToSyslog` to be true or false'],
  ])('rejects %j with a message naming the key', (raw, message) => {
    expect(() => normalizeTuning(raw)).toThrow(TuningConfigError);
    expect(() => normalizeTuning(raw)).toThrow(message);
  });
});
