/**
 * Synchronisation for the multi-threaded build (shared memory, one module
 * instance per thread). Kernels take (tid, nt, sync): thread tid of nt, and
 * the address of a 128-byte barrier block. nt = 1 makes every barrier a no-op,
 * so the same kernels serve the single-threaded build (where no atomic wait
 * is ever executed on the unshared memory).
 */

/**
 * Spins before sleeping in the barrier (~50–150 µs): a balanced step ends
 * within microseconds on every thread; longer waits mean a thread lost its
 * core, and then spinning only keeps it from getting it back.
 */
const SPINS: i32 = 1 << 16;

/** False on a browser's main thread, where waiting on an address traps: that thread only spins. */
let maySleep = true;

/** Whether this instance's thread may sleep in a barrier (1) or must spin (0); per instance, so per thread. */
export function barrierMaySleep(may: i32): void {
  maySleep = may != 0;
}

/**
 * Centralised barrier: count at sync, generation at sync + 64 (separate
 * cache lines), a count of sleeps at sync + 96. The last thread to arrive resets the count and bumps the
 * generation; the others spin on it, then sleep.
 */
export function barrier(sync: usize, nt: i32): void {
  if (nt <= 1) return;
  const gen = atomic.load<i32>(sync, 64);
  if (atomic.add<i32>(sync, 1) == nt - 1) {
    atomic.store<i32>(sync, 0);
    atomic.add<i32>(sync, 1, 64);
    atomic.notify(sync + 64, nt);
    return;
  }
  let spins = 0;
  while (atomic.load<i32>(sync, 64) == gen) {
    if (++spins >= SPINS && maySleep) {
      atomic.add<i32>(sync, 1, 96); // sleeps, for diagnostics (read by the loader's barrierSleeps)
      memory.atomic.wait32(sync + 64, gen, -1);
      spins = 0;
    }
  }
}

/** This thread's share [lo, hi) of n units (units of `unit`, the last share takes the rest). */
// @ts-ignore: decorator
@inline export function shareLo(n: i32, unit: i32, tid: i32, nt: i32): i32 {
  const blocks = (n + unit - 1) / unit;
  return min(n, (<i32>(<i64>blocks * tid / nt)) * unit);
}
// @ts-ignore: decorator
@inline export function shareHi(n: i32, unit: i32, tid: i32, nt: i32): i32 {
  const blocks = (n + unit - 1) / unit;
  return min(n, (<i32>(<i64>blocks * (tid + 1) / nt)) * unit);
}
