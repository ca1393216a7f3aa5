// Detection latency samples of the end-to-end tests: the last matched event's time (the alert's
// `kibana.alert.original_time`, which eqld derives from the kernel timestamp) to the moment the
// syslog record was seen in rsyslog's output. Printed after the run; appended as JSON lines to
// $EQLD_E2E_LATENCY_FILE when set (docs/e2e.md is written from that).
import { appendFileSync } from 'node:fs';

export interface LatencySample {
  name: string;
  eventTime: string;
  arrivedMs: number;
  latencyMs: number;
}

const samples: LatencySample[] = [];

export function recordLatency(name: string, eventTime: unknown, arrivedMs: number): LatencySample {
  if (typeof eventTime !== 'string' || Number.isNaN(Date.parse(eventTime))) {
    throw new Error(`alert has no usable kibana.alert.original_time: ${JSON.stringify(eventTime)}`);
  }
  const sample = { name, eventTime, arrivedMs, latencyMs: arrivedMs - Date.parse(eventTime) };
  samples.push(sample);
  const out = process.env.EQLD_E2E_LATENCY_FILE;
  if (out) appendFileSync(out, `${JSON.stringify(sample)}\n`);
  return sample;
}

export function latencySamples(): readonly LatencySample[] {
  return samples;
}
