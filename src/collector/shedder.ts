// Load shedding for event floods: when eqld falls behind the kernel (the lines it reads are older
// than a threshold), connect lines are dropped before they are parsed, in a fixed order, counted,
// until it has caught up. Never an exec (or its chunks), fork, exit or setsid line, nor bpftrace's
// notices: process lineage and sessions stay whole, and a shed connect cannot hide a process.
//   level 1 (lag >= levelOneMs): connects and TCP SYNs to loopback (127.0.0.0/8, ::1,
//           ::ffff:127.0.0.0/104) — what a local connect storm is made of, and what the network
//           rules exclude
//   level 2 (lag >= levelTwoMs): every connect and TCP SYN
// The level falls back to 0 once the lag is under resumeMs. The lag is (now - the line's kernel
// timestamp), observed on decoded events and, while shedding, on every 64th shed line (its
// timestamp field is read without parsing the line). The caller counts what it sheds as telemetry
// loss (docs/operations.md, "Floods"). A pure decision on text: no I/O.

import { isConnectLine, ktimeOf } from './line-peek.js';

export interface ShedOptions {
  levelOneMs?: number;
  levelTwoMs?: number;
  resumeMs?: number;
}

export interface ShedStats {
  /** 0 none, 1 loopback connects, 2 every connect */
  level: 0 | 1 | 2;
  loopbackConnects: number;
  otherConnects: number;
  total: number;
  /** times shedding started */
  episodes: number;
}

const LOOPBACK = [' 127.', ' ::1 ', ':127.'];

/** A connect line's destination is loopback. Fields are decimal numbers, hex words and the
 *  destination and source addresses, so ` 127.` / ` ::1 ` / `:127.` can only be an address; a
 *  loopback source is only ever routed to a loopback destination. */
function isLoopback(line: string): boolean {
  for (const l of LOOPBACK) if (line.includes(l)) return true;
  return false;
}

export class LoadShedder {
  private readonly oneNs: number;
  private readonly twoNs: number;
  private readonly resumeNs: number;
  private level: 0 | 1 | 2 = 0;
  private readonly counts: Omit<ShedStats, 'level' | 'total'> = {
    loopbackConnects: 0,
    otherConnects: 0,
    episodes: 0,
  };
  private sinceObserve = 0;

  constructor(opts: ShedOptions = {}) {
    this.oneNs = (opts.levelOneMs ?? 250) * 1e6;
    this.twoNs = (opts.levelTwoMs ?? 1000) * 1e6;
    this.resumeNs = (opts.resumeMs ?? 100) * 1e6;
    if (!(this.resumeNs < this.oneNs && this.oneNs <= this.twoNs))
      throw new RangeError('LoadShedder: expected resumeMs < levelOneMs <= levelTwoMs');
  }

  /** how far behind the kernel the line just read is, ns */
  observe(lagNs: number): void {
    if (lagNs >= this.twoNs) this.raise(2);
    else if (lagNs >= this.oneNs) this.raise(1);
    else if (lagNs < this.resumeNs) this.level = 0;
  }

  private raise(to: 1 | 2): void {
    if (this.level === 0) this.counts.episodes++;
    if (to > this.level) this.level = to;
  }

  /** true: drop this line unparsed (and it has been counted) */
  shed(line: string, nowNs: number): boolean {
    if (this.level === 0 || !isConnectLine(line)) return false;
    const loopback = isLoopback(line);
    if (!loopback && this.level < 2) return false;
    if (loopback) this.counts.loopbackConnects++;
    else this.counts.otherConnects++;
    if ((++this.sinceObserve & 63) === 0) {
      const t = ktimeOf(line);
      if (!Number.isNaN(t)) this.observe(nowNs - t);
    }
    return true;
  }

  get active(): boolean {
    return this.level > 0;
  }

  stats(): ShedStats {
    return {
      level: this.level,
      ...this.counts,
      total: this.counts.loopbackConnects + this.counts.otherConnects,
    };
  }
}
