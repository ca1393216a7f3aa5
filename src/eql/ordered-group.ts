// A list kept in insertion order with O(1) removal at the head (the analogue of Elasticsearch's
// OrdinalGroup): partial sequences of one key and stage, ordered by their last event. Removing the
// head is the common case (expiry, eviction, trimBefore); the backing array is compacted lazily.

export class OrderedGroup<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  at(i: number): T {
    return this.items[this.head + i] as T;
  }

  push(x: T): void {
    this.items.push(x);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    this.compact();
    return x;
  }

  /** removes and returns the first n items */
  dropFirst(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n) as T[];
    for (let i = 0; i < n; i++) this.items[this.head + i] = undefined;
    this.head += n;
    this.compact();
    return out;
  }

  /** removes x wherever it is; true if found */
  remove(x: T): boolean {
    if (this.items[this.head] === x) {
      this.shift();
      return true;
    }
    const i = this.items.indexOf(x, this.head);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  filterInPlace(keep: (x: T) => boolean): void {
    const kept = this.items.slice(this.head).filter((x) => keep(x as T));
    this.items = kept;
    this.head = 0;
  }

  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
