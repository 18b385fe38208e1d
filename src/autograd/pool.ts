/**
 * Buffers that ops save for backward (the GRU's activation cache), reused
 * from one graph to the next instead of allocated fresh each forward.
 *
 * A fresh typed array is zero-filled, and its pages are new to the process:
 * the first write to each page faults (on a virtual machine that can cost
 * more than the GRU's arithmetic). A training loop saves the same sizes step
 * after step, so an op takes its saved set here ({@link TapeBufferPool.save})
 * and gives it back ({@link TapeBufferPool.release}) as soon as nothing can
 * read it any more: after the op's backward has run. The op drops its own
 * reference first, so a second backward through it (an output the first
 * backward did not reach) recomputes the set instead of reading it.
 *
 * A graph dropped without a backward (a forward on the tape whose result is
 * only looked at) cannot give its set back, and nothing can tell it from a
 * graph that is kept for a later backward. So when no idle buffers fit and
 * {@link TapeBufferPool.maxLive} sets of that kind are already out, `save`
 * returns null: the op saves nothing and its backward, if it ever comes,
 * recomputes the set (the forward once more, as checkpointing does). A loop
 * of dropped forwards thus stops paying for activations after a few calls,
 * and a training loop, whose sets come back every step, always finds its
 * buffers idle. When a dropped graph is garbage-collected its set stops
 * counting as out (its buffers are not recovered: holding them for that
 * would keep every dropped graph's memory until the program next yields).
 *
 * Fresh float32 buffers start on a cache line where the backend offers that
 * (the backend's alignedArray: the native kernels read and write the saved
 * gates faster so). Buffers are keyed by element type and length. A taken buffer holds
 * whatever it held before: the taker must overwrite every element it reads
 * (the kernels' `out` arrays are overwritten whole, spec.ts). At most
 * {@link TapeBufferPool.maxBytes} bytes of idle buffers are kept.
 */
import { allocateLike, type FloatArray } from '../tensor/tensor.js';
import { backend } from '../kernels/index.js';

/** What the pool has done, for tests and diagnostics. */
export interface TapeBufferStats {
  /** Buffers handed out that were reused. */
  reused: number;
  /** Buffers handed out that were allocated fresh. */
  allocated: number;
  /** Saves that returned null (the op will recompute). */
  skipped: number;
  /** Saved sets out now (not released, not collected). */
  live: number;
  /** Idle buffers, and their bytes. */
  idle: number;
  idleBytes: number;
}

export class TapeBufferPool {
  /** Idle bytes kept at most (default 256 MiB); 0: nothing is reused. */
  maxBytes = 256 * 2 ** 20;
  /** Saved sets of one kind that may be out before a save that finds no idle buffers is skipped (default 8). */
  maxLive = 8;
  private readonly f32 = new Map<number, Float32Array[]>();
  private readonly f64 = new Map<number, Float64Array[]>();
  private idleBytes = 0;
  private idle = 0;
  private reused = 0;
  private allocated = 0;
  private skipped = 0;
  /** Saved sets out, by kind. */
  private readonly out = new Map<string, number>();
  // A graph collected with its set still out: the set no longer counts (held: its kind).
  private readonly collected = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<string>((kind) => this.returned(kind)) : null;

  /** A buffer of n elements of `like`'s type, with unspecified contents. */
  take(like: FloatArray, n: number): FloatArray {
    const map = (like instanceof Float64Array ? this.f64 : this.f32) as Map<number, FloatArray[]>;
    const list = map.get(n);
    const b = list?.pop();
    if (list?.length === 0) map.delete(n); // the map holds no empty lists (eviction takes from the first)
    if (b) {
      this.idle--;
      this.idleBytes -= b.byteLength;
      this.reused++;
      return b;
    }
    this.allocated++;
    const aligned = like instanceof Float32Array ? backend().alignedArray : undefined;
    return aligned ? aligned(n) : allocateLike(like, n);
  }

  /**
   * Gives back a buffer taken here (or any buffer) that nothing reads any more.
   * Over maxBytes, the sizes given back longest ago make room: shapes change
   * (batches of other lengths), and the sizes in use now are the ones worth keeping.
   */
  give(b: FloatArray): void {
    if (b.byteLength > this.maxBytes) return;
    const map = (b instanceof Float64Array ? this.f64 : this.f32) as Map<number, FloatArray[]>;
    const list = map.get(b.length) ?? [];
    if (list.includes(b)) return; // given twice
    list.push(b);
    // (Re)inserted last: a Map iterates in insertion order, so its first sizes are the least recently given.
    map.delete(b.length);
    map.set(b.length, list);
    this.idle++;
    this.idleBytes += b.byteLength;
    while (this.idleBytes > this.maxBytes) this.evictOldest();
  }

  private evictOldest(): void {
    const oldest = (m: Map<number, FloatArray[]>) => m.keys().next().value as number | undefined;
    // Float64 buffers (tests, float64 models) go first, then the float32 size given back longest ago.
    const map = (oldest(this.f64) !== undefined ? this.f64 : this.f32) as Map<number, FloatArray[]>;
    const n = oldest(map)!;
    const list = map.get(n)!;
    const b = list.shift()!;
    if (list.length === 0) map.delete(n);
    this.idle--;
    this.idleBytes -= b.byteLength;
  }

  /**
   * Buffers of `sizes` elements (unspecified contents) that an op saves for
   * its backward, or null when it should save nothing (see the header).
   * `owner` is the object only the op's backward reaches (what holds the
   * set); the set stops counting as out when it is collected.
   */
  save(like: FloatArray, sizes: readonly number[], owner: object): FloatArray[] | null {
    const kind = `${like instanceof Float64Array ? 'f64' : 'f32'}:${sizes.join(',')}`;
    const out = this.out.get(kind) ?? 0;
    if (out >= this.maxLive && !this.hasIdle(like, sizes)) {
      this.skipped++;
      return null;
    }
    this.out.set(kind, out + 1);
    this.collected?.register(owner, kind, owner);
    return sizes.map((n) => this.take(like, n));
  }

  /** Gives back a set from {@link save}, which nothing reads any more. */
  release(owner: object, set: readonly FloatArray[]): void {
    const kind = `${set[0] instanceof Float64Array ? 'f64' : 'f32'}:${set.map((b) => b.length).join(',')}`;
    this.collected?.unregister(owner);
    this.returned(kind);
    for (const b of set) this.give(b);
  }

  /** Drops every idle buffer (their memory goes back to the garbage collector). */
  clear(): void {
    this.f32.clear();
    this.f64.clear();
    this.idle = 0;
    this.idleBytes = 0;
  }

  stats(): TapeBufferStats {
    let live = 0;
    for (const n of this.out.values()) live += n;
    return { reused: this.reused, allocated: this.allocated, skipped: this.skipped, live, idle: this.idle, idleBytes: this.idleBytes };
  }

  private returned(kind: string): void {
    const n = (this.out.get(kind) ?? 0) - 1;
    if (n > 0) this.out.set(kind, n);
    else this.out.delete(kind);
  }

  /** Whether idle buffers cover every size (sizes may repeat). */
  private hasIdle(like: FloatArray, sizes: readonly number[]): boolean {
    const map = (like instanceof Float64Array ? this.f64 : this.f32) as Map<number, FloatArray[]>;
    return sizes.every((n) => (map.get(n)?.length ?? 0) >= sizes.filter((m) => m === n).length);
  }
}

/**
 * The pool the tape's ops use. `tapeBuffers.clear()` frees the idle
 * buffers (e.g. after training); `tapeBuffers.maxBytes = 0` turns reuse off.
 */
export const tapeBuffers = new TapeBufferPool();
