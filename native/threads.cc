// The persistent thread pool, the barrier and the scratch buffers.
//
// Workers are created on first need and live for the process (the pool is
// never destroyed, so exit never waits on them). A job is published by
// bumping one 64-bit word that carries both the job's sequence number and its
// thread count, so a worker that is not part of a job never reads the fields
// of a later one. Every wait (a worker for the next job, the caller for the
// workers, a thread at a barrier) spins for a short while, then sleeps
// (futex on Linux, a condition variable for idle workers), so that an
// oversubscribed machine degrades gracefully instead of burning time slices.
#include "threads.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GRU_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define GRU_CPU_RELAX() __asm__ __volatile__("yield")
#else
#define GRU_CPU_RELAX() ((void)0)
#endif

namespace grunative {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool tl_in_job = false;

// How long an idle worker polls for the next job before it sleeps.
constexpr auto kWorkerSpin = std::chrono::microseconds(100);
// How long a barrier (or the caller awaiting its workers) spins before sleeping.
constexpr auto kWaitSpin = std::chrono::microseconds(30);

/** Sleeps while *addr == val (may return spuriously). */
void sleep_while_equal(int* addr, int val) {
#if defined(__linux__)
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, nullptr, nullptr, 0);
#else
  (void)addr;
  (void)val;
  std::this_thread::yield();
#endif
}

void wake_all(int* addr) {
#if defined(__linux__)
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
  (void)addr;
#endif
}

/** Waits until *addr != val: spins kWaitSpin, then sleeps (announcing itself in *sleepers). */
void wait_while_equal(int* addr, int val, int* sleepers) {
  if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != val) return;
  const auto until = Clock::now() + kWaitSpin;
  for (int i = 0;; i++) {
    if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != val) return;
    GRU_CPU_RELAX();
    if ((i & 31) == 31 && Clock::now() > until) break;
  }
  __atomic_add_fetch(sleepers, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(addr, __ATOMIC_SEQ_CST) == val) sleep_while_equal(addr, val);
  __atomic_sub_fetch(sleepers, 1, __ATOMIC_SEQ_CST);
}

/** Publishes a change of *addr (already stored) to sleepers of wait_while_equal. */
void notify(int* addr, int* sleepers) {
  if (__atomic_load_n(sleepers, __ATOMIC_SEQ_CST) > 0) wake_all(addr);
}

struct Pool {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::thread> workers;
  int idle = 0;  // workers asleep on cv, guarded by m
  JobFn fn = nullptr;
  void* ctx = nullptr;
  alignas(64) std::atomic<uint64_t> word{0};  // (sequence << 8) | thread count
  alignas(64) int remaining = 0;  // workers still running the current job
  int callerSleeping = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // deliberately leaked: workers outlive static destruction
  return *p;
}

void worker_main(Pool* p, int tid, uint64_t seen) {
  tl_in_job = true;  // a worker never opens a nested parallel region
  for (;;) {
    uint64_t w = p->word.load(std::memory_order_acquire);
    if (w == seen) {
      const auto until = Clock::now() + kWorkerSpin;
      int i = 0;
      while ((w = p->word.load(std::memory_order_acquire)) == seen) {
        GRU_CPU_RELAX();
        if ((++i & 31) == 0 && Clock::now() > until) break;
      }
      if (w == seen) {
        std::unique_lock<std::mutex> lk(p->m);
        p->idle++;
        p->cv.wait(lk, [&] { return p->word.load(std::memory_order_acquire) != seen; });
        p->idle--;
        w = p->word.load(std::memory_order_acquire);
      }
    }
    seen = w;
    const int n = int(w & 255);
    if (tid < n) {
      p->fn(p->ctx, tid, n);
      if (__atomic_sub_fetch(&p->remaining, 1, __ATOMIC_SEQ_CST) == 0) notify(&p->remaining, &p->callerSleeping);
    }
  }
}

struct Buf {
  float* p = nullptr;
  size_t cap = 0;
  ~Buf() { std::free(p); }  // a thread's buffers go with it (a training replica's worker ends)
};

float* grow(Buf& b, size_t n) {
  if (n > b.cap) {
    std::free(b.p);
    size_t cap = n + n / 4 + 16;
    size_t bytes = (cap * sizeof(float) + 63) & ~size_t(63);
    b.p = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!b.p) std::abort();
    b.cap = bytes / sizeof(float);
  }
  return b.p;
}

// A kernel's shared buffers belong to the thread that called it: kernels called from several
// JavaScript threads at once (data-parallel replicas) each use their own.
thread_local Buf tl_call_scratch[kSlotCount];
thread_local Buf tl_scratch[kTSlotCount];

}  // namespace

bool in_parallel_region() { return tl_in_job; }

int hardware_threads() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? int(n) : 1;
}

void parallel_run(int n, JobFn fn, void* ctx) {
  if (n > 255) n = 255;
  if (n <= 1 || tl_in_job) {
    const bool was = tl_in_job;
    tl_in_job = true;
    fn(ctx, 0, 1);
    tl_in_job = was;
    return;
  }
  Pool& p = pool();
  const uint64_t current = p.word.load(std::memory_order_relaxed);
  while (int(p.workers.size()) < n - 1) {
    const int tid = int(p.workers.size()) + 1;
    p.workers.emplace_back(worker_main, &p, tid, current);
    p.workers.back().detach();
  }
  p.fn = fn;
  p.ctx = ctx;
  __atomic_store_n(&p.remaining, n - 1, __ATOMIC_RELAXED);
  const uint64_t next = (((current >> 8) + 1) << 8) | uint64_t(n);
  int idle;
  {
    std::lock_guard<std::mutex> lk(p.m);
    p.word.store(next, std::memory_order_release);
    idle = p.idle;
  }
  if (idle) p.cv.notify_all();
  tl_in_job = true;
  fn(ctx, 0, n);
  tl_in_job = false;
  for (;;) {
    const int left = __atomic_load_n(&p.remaining, __ATOMIC_ACQUIRE);
    if (left == 0) break;
    wait_while_equal(&p.remaining, left, &p.callerSleeping);
  }
}

void barrier_init(Barrier* b, int n) {
  b->count = 0;
  b->generation = 0;
  b->sleepers = 0;
  b->n = n;
}

void barrier_wait(Barrier* b) {
  if (b->n <= 1) return;
  const int gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
    __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&b->generation, gen + 1, __ATOMIC_SEQ_CST);
    notify(&b->generation, &b->sleepers);
    return;
  }
  wait_while_equal(&b->generation, gen, &b->sleepers);
}

float* scratch(int slot, size_t n) { return grow(tl_call_scratch[slot], n); }
float* thread_scratch(int slot, size_t n) { return grow(tl_scratch[slot], n); }

}  // namespace grunative
