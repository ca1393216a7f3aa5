// What a document needs of its acting process that the table does not keep (memory): the
// entity id string and the process.args array, for the recently named processes, in a small
// direct-mapped cache keyed by pid and start tick. A process's fork, exec and exit documents
// follow each other, and a busy process (a connect flood) names itself in event after event.
// Small on purpose: a value lives through fewer allocations than V8's young generation holds
// even at --max-semi-space-size=1 (the agent runs with it), so it dies young when replaced; a cache of thousands kept
// values long enough to be promoted, and filled the old space with strings of processes gone.
import type { EntityIdFn } from './entity-id.js';
import { argsOf, type ProcImage } from './proc-image.js';

const BITS = 8;
const SLOTS = 1 << BITS;

/** pid and start tick -> slot: multiplicative mixing (pid ^ ticks collides for pids and ticks that rise together) */
const slotOf = (pid: number, ticks: number): number =>
  Math.imul(Math.imul(pid, 0x9e3779b1) ^ ticks, 0x85ebca6b) >>> (32 - BITS);

export class RecentProcesses {
  private readonly pids = new Float64Array(SLOTS).fill(-1);
  private readonly ticks = new Float64Array(SLOTS);
  /** '' until the slot's process needs its id */
  private readonly ids: string[] = new Array<string>(SLOTS).fill('');
  /** the image `args` were cut from (a process that execs gets new args) */
  private readonly images: (ProcImage | undefined)[] = new Array<ProcImage | undefined>(SLOTS).fill(
    undefined,
  );
  private readonly args: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(
    SLOTS,
  ).fill(undefined);

  constructor(private readonly encode: EntityIdFn) {}

  /** process.entity_id of (pid, ticks) */
  entityId(pid: number, ticks: number): string {
    const i = this.slot(pid, ticks);
    const id = this.ids[i] as string;
    if (id !== '') return id;
    const fresh = this.encode(pid, ticks);
    this.ids[i] = fresh;
    return fresh;
  }

  /** process.args of (pid, ticks) running `img` */
  argsOf(pid: number, ticks: number, img: ProcImage): readonly string[] {
    const kept = img.extra.args;
    if (kept !== undefined) return kept;
    const i = this.slot(pid, ticks);
    if (this.images[i] === img) return this.args[i] as readonly string[];
    const args = argsOf(img);
    this.images[i] = img;
    this.args[i] = args;
    return args;
  }

  /** Notes the argv an exec's image was just built from: that process's documents reuse the array. */
  rememberArgs(pid: number, ticks: number, img: ProcImage, argv: readonly string[]): void {
    if (img.extra.args !== undefined) return;
    const i = this.slot(pid, ticks);
    this.images[i] = img;
    this.args[i] = argv;
  }

  /** the slot of (pid, ticks), emptied first when it held another process */
  private slot(pid: number, ticks: number): number {
    const i = slotOf(pid, ticks);
    if (this.pids[i] !== pid || this.ticks[i] !== ticks) {
      this.pids[i] = pid;
      this.ticks[i] = ticks;
      this.ids[i] = '';
      this.images[i] = undefined;
      this.args[i] = undefined;
    }
    return i;
  }
}
