// A small persistent thread pool, a spin-then-yield barrier, and growable
// scratch buffers. Plain functions and POD only: this header is included by
// the per-ISA translation units (compiled with -mavx2 / -mavx512f), which must
// not instantiate inline code that the linker could share with other units.
#pragma once
#include <cstddef>

namespace grunative {

/** A job run on every thread of a parallel region: tid in [0, nthreads). */
typedef void (*JobFn)(void* ctx, int tid, int nthreads);

/**
 * Runs fn(ctx, tid, n) on n threads (the caller is tid 0) and returns when all
 * are done. Called from inside a job (or with n <= 1) it runs fn(ctx, 0, 1).
 */
void parallel_run(int n, JobFn fn, void* ctx);

/** True on a thread that is executing a job of parallel_run. */
bool in_parallel_region();

/**
 * Multiply-adds below which a call runs on one thread. Between two calls the
 * workers often go to sleep (the caller's JavaScript runs longer than their
 * spin), so a parallel region pays a wake-up of tens of microseconds; the
 * many small calls of a decoder step (B x 3H x H for one time step) ran 40%
 * slower on two threads than on one.
 */
#ifndef GRU_MIN_PARALLEL_WORK
#define GRU_MIN_PARALLEL_WORK 4194304.0
#endif
constexpr double kMinParallelWork = GRU_MIN_PARALLEL_WORK;

/** Logical CPUs of this machine (at least 1). */
int hardware_threads();

/**
 * Barrier for the threads of one job. A waiter spins briefly (the other
 * threads are usually microseconds behind), then sleeps on a futex, so that a
 * descheduled partner (an oversubscribed machine) costs a wake-up, not a
 * burnt time slice.
 */
struct Barrier {
  alignas(64) int count;
  alignas(64) int generation;
  int sleepers;
  int n;
};
void barrier_init(Barrier* b, int n);
void barrier_wait(Barrier* b);

/** Scratch buffer `slot` of the thread calling a kernel (its pool workers read it through pointers), at least n floats, 64-byte aligned, kept between calls. */
float* scratch(int slot, size_t n);
/** Scratch buffer `slot` of the calling thread, at least n floats, 64-byte aligned. */
float* thread_scratch(int slot, size_t n);

/** The slots in use (so that nested users never share one). */
enum ScratchSlot {
  kSlotGates = 0,   // GRU forward: gi when no cache is given
  kSlotPacked,      // GRU: Whh packed into micro-kernel panels
  kSlotState,       // GRU: running state buffers
  kSlotDgi,         // GRU backward: gradient of W x + b_i
  kSlotDgh,         // GRU backward: gradient of U h + b_h
  kSlotBias,        // GRU backward: per-thread bias-gradient sums
  kSlotCount
};
enum ThreadSlot { kTSlotPackA = 0, kTSlotPackB, kTSlotCount };

}  // namespace grunative
