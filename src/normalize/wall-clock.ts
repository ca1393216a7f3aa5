// Kernel CLOCK_MONOTONIC ns (bpftrace `nsecs`) -> wall-clock ms since the epoch, through an
// offset re-sampled periodically and when the wall clock jumps. Also gives the wall-clock time of
// boot, for process.start from start_boottime. Error bound: docs/ecs-mapping.md "@timestamp".
import { readFileSync } from 'node:fs';

export interface ClockSource {
  /** CLOCK_MONOTONIC ns (libuv's hrtime is CLOCK_MONOTONIC on Linux) */
  monoNs(): bigint;
  /** CLOCK_REALTIME ms */
  realMs(): number;
  /** CLOCK_BOOTTIME - CLOCK_MONOTONIC in ms (time spent suspended); 0 when unknown */
  suspendedMs(): number;
}

export const systemClockSource: ClockSource = {
  monoNs: () => process.hrtime.bigint(),
  realMs: () => Date.now(),
  suspendedMs: () => {
    try {
      // /proc/uptime is CLOCK_BOOTTIME with 10 ms resolution: differences under 20 ms are rounding
      const up = Number.parseFloat(readFileSync('/proc/uptime', 'utf8').split(' ')[0] ?? '0') * 1000;
      const d = up - Number(process.hrtime.bigint()) / 1e6;
      return Math.abs(d) < 20 ? 0 : Math.round(d / 10) * 10;
    } catch {
      return 0;
    }
  },
};

export interface WallClockOptions {
  source?: ClockSource;
  /** re-sample at least this often (ms of monotonic time) */
  resampleMs?: number;
  /** a wall clock that moved this far from the monotonic prediction is a jump */
  jumpThresholdMs?: number;
}

export interface WallClockStats {
  samples: number;
  jumps: number;
  /** largest |offset change| seen at a re-sample, ms */
  maxStepMs: number;
}

export class WallClock {
  private readonly source: ClockSource;
  private readonly resampleMs: number;
  private readonly jumpThresholdMs: number;
  /** realtime - monotonic, ms (fractional) */
  private offsetMs = 0;
  private suspendMs = 0;
  private lastMonoMs = 0;
  private lastRealMs = 0;
  private readonly st: WallClockStats = { samples: 0, jumps: 0, maxStepMs: 0 };

  constructor(opts: WallClockOptions = {}) {
    this.source = opts.source ?? systemClockSource;
    this.resampleMs = opts.resampleMs ?? 10_000;
    this.jumpThresholdMs = opts.jumpThresholdMs ?? 20;
    this.sample();
  }

  /**
   * Takes the offset at the instant Date.now() ticks over to a new millisecond, so the ms
   * resolution of the wall clock does not widen the error (spins at most ~1 ms).
   */
  sample(): void {
    const s = this.source;
    const first = s.realMs();
    let real = first;
    let mono = s.monoNs();
    for (let i = 0; i < 100_000 && real === first; i++) {
      mono = s.monoNs();
      real = s.realMs();
    }
    const monoMs = Number(mono) / 1e6;
    const offset = real - monoMs;
    if (this.st.samples > 0) {
      this.st.maxStepMs = Math.max(this.st.maxStepMs, Math.abs(offset - this.offsetMs));
    }
    this.offsetMs = offset;
    this.suspendMs = s.suspendedMs();
    this.lastMonoMs = monoMs;
    this.lastRealMs = real;
    this.st.samples++;
  }

  /** Re-samples when due or when the wall clock jumped; cheap enough to call every second. */
  check(): void {
    const monoMs = Number(this.source.monoNs()) / 1e6;
    const predicted = this.lastRealMs + (monoMs - this.lastMonoMs);
    if (Math.abs(this.source.realMs() - predicted) > this.jumpThresholdMs) {
      this.st.jumps++;
      this.sample();
    } else if (monoMs - this.lastMonoMs >= this.resampleMs) {
      this.sample();
    }
  }

  /** kernel CLOCK_MONOTONIC ns -> ms since the epoch (fractional, sub-µs precision) */
  toEpochMs(ktimeNs: number): number {
    return ktimeNs / 1e6 + this.offsetMs;
  }

  /** ns since boot (CLOCK_BOOTTIME, e.g. start_boottime) -> ms since the epoch */
  boottimeToEpochMs(bootNs: number): number {
    return bootNs / 1e6 + this.offsetMs - this.suspendMs;
  }

  /** kernel CLOCK_MONOTONIC ns -> CLOCK_BOOTTIME ns (adds the time spent suspended) */
  boottimeNsFromMono(ktimeNs: number): number {
    return ktimeNs + this.suspendMs * 1e6;
  }

  /** changes at every re-sample: cached conversions are stale when it differs */
  get generation(): number {
    return this.st.samples;
  }

  stats(): WallClockStats {
    return { ...this.st };
  }
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** ms since the epoch (fractional) -> ISO 8601 with microseconds, e.g. 2026-11-25T16:00:14.123456Z */
export function isoMicros(epochMs: number): string {
  const totalMicros = Math.round(epochMs * 1000);
  const second = Math.floor(totalMicros / 1_000_000);
  if (second !== cachedSecond) {
    // the date part changes once a second: format it once (toISOString is the slow part)
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const frac = totalMicros - second * 1_000_000;
  return `${cachedPrefix}.${String(frac).padStart(6, '0')}Z`;
}
