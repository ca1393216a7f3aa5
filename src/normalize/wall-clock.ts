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
  /** samples none of whose tries was tight (each was preempted): their error is up to that gap */
  coarseSamples: number;
}

/** a sample's two wall-clock reads around the tick-over at most this far apart (ns) */
const SAMPLE_MAX_GAP_NS = 50_000;
const SAMPLE_TRIES = 4;

export class WallClock {
  private readonly source: ClockSource;
  private readonly resampleMs: number;
  private readonly jumpThresholdMs: number;
  /** realtime - monotonic, ms (fractional) */
  private offsetMs = 0;
  private suspendMs = 0;
  private lastMonoMs = 0;
  private lastRealMs = 0;
  /** samples taken; also the generation cached conversions compare (a field of its own: the
   *  first fractional maxStepMs changes st's hidden class, and code reading the generation
   *  through st was deoptimized with it, minutes after start) */
  private samples = 0;
  private readonly st: Omit<WallClockStats, 'samples'> = { jumps: 0, maxStepMs: 0, coarseSamples: 0 };

  constructor(opts: WallClockOptions = {}) {
    this.source = opts.source ?? systemClockSource;
    this.resampleMs = opts.resampleMs ?? 10_000;
    this.jumpThresholdMs = opts.jumpThresholdMs ?? 2;
    this.sample();
  }

  /**
   * Takes the offset at the instant Date.now() ticks over to a new millisecond, so the ms
   * resolution of the wall clock does not widen the error (spins ~1 ms per try). The tick-over
   * lies between two consecutive reads of the wall clock, and the monotonic read between them
   * dates it: a try whose two reads were more than SAMPLE_MAX_GAP_NS apart (the thread was
   * preempted in that instant, tens of ms under a flood) is thrown away and the next tick-over
   * taken, up to SAMPLE_TRIES; the narrowest try is kept when none was that tight.
   */
  sample(): void {
    const s = this.source;
    let bestGap = Number.POSITIVE_INFINITY;
    let bestReal = 0;
    let bestMono = 0n;
    for (let t = 0; t < SAMPLE_TRIES && bestGap > SAMPLE_MAX_GAP_NS; t++) {
      let mono = s.monoNs();
      const first = s.realMs();
      let before = mono;
      let real = first;
      for (let i = 0; i < 100_000 && real === first; i++) {
        before = mono;
        mono = s.monoNs();
        real = s.realMs();
      }
      // the tick-over came between the last two wall-clock reads: after `before`, before `after`
      const after = s.monoNs();
      const gap = Number(after - before);
      if (gap < bestGap) {
        bestGap = gap;
        bestReal = real;
        bestMono = mono;
      }
    }
    const monoMs = Number(bestMono) / 1e6;
    const offset = bestReal - monoMs;
    if (this.samples > 0) {
      this.st.maxStepMs = Math.max(this.st.maxStepMs, Math.abs(offset - this.offsetMs));
    }
    this.offsetMs = offset;
    this.suspendMs = s.suspendedMs();
    this.lastMonoMs = monoMs;
    this.lastRealMs = bestReal;
    this.samples++;
    if (bestGap > SAMPLE_MAX_GAP_NS) this.st.coarseSamples++;
  }

  /**
   * Re-samples when due or when the wall clock moved from the monotonic prediction by more than
   * the jump threshold (a step, a suspend, or a wall clock stepped in small increments, as a
   * hypervisor's time sync does: 5 ms a second measured on the test VM under load); cheap enough
   * to call a few times a second. A check whose wall-clock reads around the monotonic one are a
   * millisecond apart was preempted and decides nothing.
   */
  check(): void {
    const s = this.source;
    const realBefore = s.realMs();
    const monoMs = Number(s.monoNs()) / 1e6;
    const real = s.realMs();
    if (real - realBefore > 1) return;
    const predicted = this.lastRealMs + (monoMs - this.lastMonoMs);
    // Date.now() is the floor of the wall clock's ms: a true offset reads up to 1 ms low
    if (Math.abs(real + 0.5 - predicted) > this.jumpThresholdMs) {
      this.st.jumps++;
      this.sample();
    } else if (monoMs - this.lastMonoMs >= this.resampleMs) {
      this.sample();
    }
  }

  /** kernel CLOCK_MONOTONIC ns -> ms since the epoch (fractional, sub-µs precision) */
  /** CLOCK_MONOTONIC now, ns (the kernel events' clock): for events eqld itself dates */
  nowMonoNs(): number {
    return Number(this.source.monoNs());
  }

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
    return this.samples;
  }

  stats(): WallClockStats {
    return { samples: this.samples, ...this.st };
  }
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** "00".."99", "000".."999", and "000Z".."999Z" */
const DIGITS2 = Array.from({ length: 100 }, (_, i) => pad2(i));
const DIGITS3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DIGITS3Z = DIGITS3.map((d) => `${d}Z`);

const MS_PER_DAY = 86_400_000;

/**
 * ms since the epoch (fractional) -> ISO 8601 UTC with microseconds, e.g. 2026-11-25T16:00:14.123456Z.
 * Pure arithmetic (days -> civil date after H. Hinnant's `civil_from_days`): several times
 * faster than Date#toISOString, which matters at a handful of timestamps per event. Each
 * formatter remembers the date of the last day and the prefix of the last millisecond it
 * formatted: keep one per kind of timestamp (event times, process start times), so they do not
 * evict each other. A timestamp is then one string: that prefix and a shared "µµµZ" tail.
 */
export class IsoMicrosFormatter {
  private lastDay = Number.NaN;
  /** "YYYY-MM-DDT" of lastDay */
  private dayPrefix = '';
  private lastMs = Number.NaN;
  /** "YYYY-MM-DDTHH:MM:SS.mmm" of lastMs, one flat string */
  private msPrefix = '';

  format(epochMs: number): string {
    const totalMicros = Math.round(epochMs * 1000);
    const ms = Math.floor(totalMicros / 1000);
    // consecutive events mostly fall in the same millisecond (process start times do not, but
    // they share the day)
    if (ms !== this.lastMs) {
      const day = Math.floor(ms / MS_PER_DAY);
      if (day !== this.lastDay) {
        this.lastDay = day;
        this.dayPrefix = isoDayPrefix(day);
      }
      const msOfDay = ms - day * MS_PER_DAY;
      const secOfDay = Math.floor(msOfDay / 1000);
      const minOfDay = Math.floor(secOfDay / 60);
      const h = Math.floor(minOfDay / 60);
      this.lastMs = ms;
      this.msPrefix = [
        this.dayPrefix,
        DIGITS2[h],
        ':',
        DIGITS2[minOfDay - h * 60],
        ':',
        DIGITS2[secOfDay - minOfDay * 60],
        '.',
        DIGITS3[msOfDay - secOfDay * 1000],
      ].join('');
    }
    return this.msPrefix + (DIGITS3Z[totalMicros - ms * 1000] as string);
  }
}

/** "YYYY-MM-DDT" of a day since the epoch */
function isoDayPrefix(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}T`;
}

const shared = new IsoMicrosFormatter();

/** ms since the epoch (fractional) -> ISO 8601 UTC with microseconds (see IsoMicrosFormatter). */
export function isoMicros(epochMs: number): string {
  return shared.format(epochMs);
}
