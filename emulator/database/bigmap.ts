/**
 * V8 refuses a Map's 16,777,217th entry ("RangeError: Map maximum size exceeded", 2^24, measured
 * on Node 20), and the emulator keeps a collection's documents, an index's keys, a key's documents
 * and a unique index's owners each in one map: two days of ten million events would pass it. A
 * write that failed there would fail after its line reached the log, and every later start would
 * fail replaying it. So the maps that grow with the data are BigMaps, which chain Maps past the
 * limit (a key's documents become one at the limit: indexes.ts).
 */
export const MAP_LIMIT = 2 ** 24;

/** What the emulator reads of a map: a Map is one, so is a BigMap. */
export interface MapView<K, V> extends Iterable<[K, V]> {
  readonly size: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  keys(): Iterable<K>;
  values(): Iterable<V>;
}

/**
 * A Map without V8's size limit, in a Map's order (first set first; setting a key again keeps its
 * place; a key deleted and set again comes last): each Map of the chain holds keys set after every
 * key of the Maps before it. While one Map holds everything, each call is that Map's own.
 */
export class BigMap<K, V> implements MapView<K, V> {
  private readonly maps: Map<K, V>[];

  /** `limit`: entries per Map of the chain (tests pass a small one); `first`: a Map to go on from, which becomes the chain's first. */
  constructor(
    private readonly limit = MAP_LIMIT,
    first = new Map<K, V>(),
  ) {
    this.maps = [first];
  }

  get size(): number {
    let size = 0;
    for (const map of this.maps) size += map.size;
    return size;
  }

  get(key: K): V | undefined {
    if (this.maps.length === 1) return this.maps[0].get(key);
    return this.holder(key)?.get(key);
  }

  has(key: K): boolean {
    if (this.maps.length === 1) return this.maps[0].has(key);
    return this.holder(key) !== undefined;
  }

  set(key: K, value: V): this {
    const last = this.maps[this.maps.length - 1];
    if (this.maps.length === 1 && last.size < this.limit) {
      last.set(key, value);
      return this;
    }
    let map = this.holder(key);
    if (!map) {
      map = last;
      if (map.size >= this.limit) this.maps.push((map = new Map()));
    }
    map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.maps.length === 1) return this.maps[0].delete(key);
    const map = this.holder(key);
    if (!map) return false;
    map.delete(key);
    if (map.size === 0 && this.maps.length > 1) this.maps.splice(this.maps.indexOf(map), 1);
    return true;
  }

  keys(): Iterable<K> {
    return this.maps.length === 1 ? this.maps[0].keys() : this.chain((map) => map.keys());
  }

  values(): Iterable<V> {
    return this.maps.length === 1 ? this.maps[0].values() : this.chain((map) => map.values());
  }

  [Symbol.iterator](): Iterator<[K, V]> {
    return this.maps.length === 1 ? this.maps[0].entries() : this.chain((map) => map.entries())[Symbol.iterator]();
  }

  private holder(key: K): Map<K, V> | undefined {
    return this.maps.find((map) => map.has(key));
  }

  private *chain<T>(each: (map: Map<K, V>) => Iterable<T>): Generator<T> {
    for (const map of [...this.maps]) yield* each(map);
  }
}
