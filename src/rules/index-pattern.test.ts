import { describe, expect, it } from 'vitest';
import { eventIndexName, indexPatternMatches, ruleSeesIndex } from './index-pattern.js';

describe('eventIndexName', () => {
  it('maps Elastic Defend categories to their data streams', () => {
    expect(eventIndexName({ event: { category: ['process'] } })).toBe('logs-endpoint.events.process-default');
    expect(eventIndexName({ event: { category: 'network' } })).toBe('logs-endpoint.events.network-default');
    expect(eventIndexName({ 'event.category': ['file'], data_stream: { namespace: 'prod' } })).toBe(
      'logs-endpoint.events.file-prod',
    );
  });
  it('prefers data_stream.* and reduces an exported backing index to its stream', () => {
    expect(
      eventIndexName({ data_stream: { type: 'logs', dataset: 'system.auth', namespace: 'default' } }),
    ).toBe('logs-system.auth-default');
    expect(eventIndexName({ _index: '.ds-logs-endpoint.events.process-default-2024.06.06-000001' })).toBe(
      'logs-endpoint.events.process-default',
    );
  });
  it('gives no index to an event without a known category', () => {
    expect(eventIndexName({ event: { category: ['weird'] } })).toBeUndefined();
  });
});

describe('index patterns decide which events a rule sees', () => {
  const process = 'logs-endpoint.events.process-default';
  const network = 'logs-endpoint.events.network-default';
  it.each([
    ['logs-endpoint.events.process*', process, true],
    ['logs-endpoint.events.process*', network, false],
    ['logs-endpoint.events.network*', network, true],
    ['logs-endpoint.events.*', process, true],
    ['logs-endpoint.events.*', network, true],
    ['logs-endpoint.events.process-*', process, true],
    ['auditbeat-*', process, false],
    ['logs-endpoint.events.process', process, false],
  ])('%s vs %s -> %s', (pattern, index, expected) => {
    expect(indexPatternMatches(pattern, index)).toBe(expected);
  });
  it('treats dots in patterns literally', () => {
    expect(indexPatternMatches('logs-endpoint.events.*', 'logs-endpointXevents.process-default')).toBe(false);
  });
  it('a rule with several patterns sees an event when any matches; none without an index', () => {
    expect(ruleSeesIndex(['auditbeat-*', 'logs-endpoint.events.network*'], network)).toBe(true);
    expect(ruleSeesIndex(['logs-endpoint.events.*'], undefined)).toBe(false);
  });
});
