// Statistics of bench/overhead-paired.bench.ts: a 95 % interval of the mean of per-cycle figures
// that are not quite independent (consecutive cycles share an "off" slot, so neighbouring
// differences are correlated: lag-1 autocovariance), with Student's t for the few dozen cycles.

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Student's t quantile for 97.5 % at `df` degrees of freedom (Cornish-Fisher expansion about
 *  the normal quantile; within 0.001 of the table from 5 degrees of freedom up) */
export function t975(df: number): number {
  const z = 1.959964;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/**
 * Half-width of a 95 % interval of the mean of `xs`, taken in order: the variance of the mean is
 * (γ0 + 2·γ1) / n with γ1 the lag-1 autocovariance when it is positive (as for a moving average
 * of order 1, which shared neighbours make), γ0 / n otherwise; Student's t at n − 1.
 */
export function ci95(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const m = mean(xs);
  let g0 = 0;
  let g1 = 0;
  for (let i = 0; i < n; i++) {
    const d = (xs[i] as number) - m;
    g0 += d * d;
    if (i > 0) g1 += d * ((xs[i - 1] as number) - m);
  }
  g0 /= n - 1;
  g1 /= n - 1;
  return t975(n - 1) * Math.sqrt((g0 + 2 * Math.max(g1, 0)) / n);
}

export type Agent = 'eqld' | 'auditd';
export type SlotState = 'off' | Agent;

/** One slot of the paired bench, measured from its start to the next slot's start (no gaps). */
export interface Slot {
  state: SlotState;
  /** execs the load did in the slot */
  execs: number;
  /** the load's own CPU per exec (rusage of the generator and its children), µs */
  loadUs: number;
  /** wall time from this slot's start to the next one's, s */
  wallS: number;
  /** each agent's CPU over that time (all its threads, schedstat), ns */
  ownNs: Record<Agent, number>;
  /** eqld's BPF run time over that time (bpf_stats), ns: inside the load's CPU and the host's */
  bpfNs: number;
}

/** One agent's slot against the "off" slots around it, µs per exec. */
export interface Cost {
  /** the load's CPU against the off slots on either side (for eqld, plus its closed gate's BPF) */
  onLoad: number;
  /** the agent's own CPU for the slot's work, its standing (idle) rate left out */
  ownNet: number;
  /** onLoad + ownNet */
  net: number;
  /** net plus the agent's standing rate over the slot's execs: what the host pays for it */
  gross: number;
}

/** each agent's standing CPU rate, ns/s: the median over the off slots that do not follow its own
 *  slots (so hold no spill of its work) */
export function idleRates(slots: readonly Slot[]): Record<Agent, number> {
  const out = {} as Record<Agent, number>;
  for (const agent of ['eqld', 'auditd'] as const) {
    const clean = slots.filter((s, i) => s.state === 'off' && (i === 0 || slots[i - 1]?.state !== agent));
    const rates = clean.map((s) => s.ownNs[agent] / s.wallS).sort((a, b) => a - b);
    out[agent] = rates.length === 0 ? 0 : (rates[Math.floor(rates.length / 2)] as number);
  }
  return out;
}

/**
 * The costs of every agent slot in `slots` (off, agent, off, agent, off, ...). The load drifts
 * within seconds, so an agent slot's load is taken against the mean of the off slots on either
 * side. Its own CPU: the slot and the off slot after it (where the end of its work lands: the
 * last events' processing, a collection), each less the agent's standing rate over its wall time;
 * "gross" adds that standing rate back once, per exec at the slot's rate (`rate`). eqld's BPF
 * programs still run behind the closed gate in the off slots, inside their load: that much,
 * per exec, is added back to its effect on the load.
 */
export function costs(slots: readonly Slot[], rate: number): Record<Agent, Cost[]> {
  const idle = idleRates(slots);
  const out: Record<Agent, Cost[]> = { eqld: [], auditd: [] };
  for (let i = 1; i + 1 < slots.length; i += 2) {
    const [before, s, after] = [slots[i - 1], slots[i], slots[i + 1]] as [Slot, Slot, Slot];
    if (s.state === 'off' || before.state !== 'off' || after.state !== 'off')
      throw new Error('slots out of order');
    const agent = s.state;
    const execs = Math.max(s.execs, 1);
    const perExec = (slot: Slot, ns: number) => ns / 1e3 / Math.max(slot.execs, 1);
    const gateUs = agent === 'eqld' ? (perExec(before, before.bpfNs) + perExec(after, after.bpfNs)) / 2 : 0;
    const onLoad = s.loadUs - (before.loadUs + after.loadUs) / 2 + gateUs;
    const ownNs = s.ownNs[agent] - idle[agent] * s.wallS + (after.ownNs[agent] - idle[agent] * after.wallS);
    const ownNet = ownNs / 1e3 / execs;
    const net = onLoad + ownNet;
    out[agent].push({ onLoad, ownNet, net, gross: net + idle[agent] / 1e3 / rate });
  }
  return out;
}
