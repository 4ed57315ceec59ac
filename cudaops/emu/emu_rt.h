// emu_rt.h: the launch runtime's own types, shared by emu.cc (the
// scheduler and the launch) and emu_check.cc (the checks of the kernels'
// memory accesses). Not for kernels.
#ifndef GENBAND_EMU_RT_H
#define GENBAND_EMU_RT_H

#include "emu.h"

#include <atomic>
#include <cstdarg>
#include <vector>

#if defined(__x86_64__) && defined(__ELF__) && !defined(GBEMU_UCONTEXT)
#define GBEMU_ASM_SWITCH 1
#else
#define GBEMU_ASM_SWITCH 0
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define GBEMU_ASAN 1
#else
#define GBEMU_ASAN 0
#endif

// GBEMU_CHECKS: the kernel unit is instrumented for the emulator's own
// access checks (emu_check.cc). Not under AddressSanitizer (go test -asan)
// nor in the ThreadSanitizer replay, where the real sanitizers instrument.
#if !GBEMU_ASAN && !defined(GBEMU_TSAN) && !defined(GBEMU_NO_CHECKS)
#define GBEMU_CHECKS 1
#else
#define GBEMU_CHECKS 0
#endif

// GBEMU_KERNEL_FMA: the kernel unit is compiled for FMA (emu.h).
#if defined(__x86_64__) && !defined(GBEMU_NATIVE_ARITH)
#define GBEMU_KERNEL_FMA 1
#else
#define GBEMU_KERNEL_FMA 0
#endif

// GBEMU_NOSAN keeps a function of the runtime out of the access checks'
// instrumentation (the checks themselves, and what runs on a fiber's stack
// around a context switch).
#define GBEMU_NOSAN __attribute__((no_sanitize_thread, noinline))
#define GBEMU_NOSAN_INLINE __attribute__((no_sanitize_thread, always_inline)) inline

namespace gbemu {

// kMaxSites bounds the number of loop and barrier sites of all kernels.
constexpr int kMaxSites = 2048;

// Buf is one pointer argument of a launch, as the Go side allocated it:
// bytes of data at data, between guard bytes on either side.
struct Buf {
    uint64_t data, bytes, guard;
    int output; // a non-const pointer: written by the kernel, reads checked
    int elem;   // element size in bytes
};

// Region is memory the access checks know: [lo, hi) is the data, [glo,
// ghi) with the guards; shadow has a byte for each byte of data, 1 once a
// thread (of the launch for buffers, of the block for shared memory) has
// stored it.
struct Region {
    uintptr_t glo = 0, lo = 0, hi = 0, ghi = 0;
    int index = -1;     // the buffer's position among the pointers
    int output = 0;     // stores allowed, loads of unstored bytes reported
    int elem = 1;       // element size, for the messages
    unsigned char* shadow = nullptr;
};

// Job is one launch.
struct Job {
    const Kernel* kernel;
    const uint64_t* words;
    unsigned threads, shared;
    unsigned long long blocks;
    std::atomic<unsigned long long> next{0}; // the next block to run
    std::atomic<int> failed{0};
    int err = 0; // set with msg by whoever sets failed
    char msg[1024] = {0};
    uintptr_t pc = 0; // the kernel's code that made the failing access, if known
    std::vector<Region> bufs;
    // What the access checks read (they must not call instrumented code,
    // such as std::vector's members).
    const Region* regions = nullptr;
    int nregions = 0;
};

struct Worker;

// Context is a saved execution context (a fiber's or a scheduler's).
#if GBEMU_ASM_SWITCH
struct Context {
    void* sp = nullptr;
};
#else
struct Context {
    ucontext_t uc;
    bool made = false;
};
#endif

struct Fiber {
    Context ctx;
    Worker* w;
    uint3 tid;
    bool exited;
    int wait_site;   // the barrier it waits at
    int wait_depth;  // the loops it is inside there
    FiberCount count;
    void* tsan = nullptr; // its ThreadSanitizer fiber (replay only)
};

// Worker runs blocks on one OS thread.
struct Worker {
    std::vector<Fiber> fibers; // one for each stack
    unsigned char* arena = nullptr;
    size_t arena_len = 0, page = 0;
    Context sched;            // the scheduler (run_block)
    Fiber* current = nullptr; // the fiber running
    Job* job = nullptr;

    // The dynamic shared memory: exactly the launch's bytes between guards.
    std::vector<unsigned char> shared_mem;
    Region dyn;
    std::vector<unsigned char> dyn_shadow;
    size_t dyn_dirty_lo = 0, dyn_dirty_hi = 0;

    // The static __shared__ variables live in this OS thread's block of
    // thread-local storage [tls_lo, tls_hi); tls_shadow marks the bytes a
    // thread of the running block stored (and the emulator's own
    // thread-locals), dirty_lo..dirty_hi the part to clear for the next.
    uintptr_t tls_lo = 0, tls_hi = 0;
    unsigned long tls_thread = 0; // the OS thread they were found for (the caller's worker moves)
    std::vector<unsigned char> tls_shadow;
    unsigned char* tls_marks = nullptr; // tls_shadow.data()
    size_t dirty_lo = 0, dirty_hi = 0;

    // Coverage of the launch: for each site the most trips + 1 (loops; 0:
    // never entered) or barrier passes of one block (barriers), and whether
    // a barrier was reached inside a loop.
    std::vector<unsigned> trips, passes, block_passes, in_loop;
    std::vector<int> block_sites; // sites of block_passes to clear

    void* model = nullptr; // the GPU model's state (model.cc), when it is on

    void* tsan_sched = nullptr; // replay only
    char tsan_block = 0, tsan_bar[2] = {0, 0};
    unsigned round = 0;

    unsigned char* stack(unsigned t) { return arena + t * (kStack() + page) + page; }
    static constexpr size_t kStack() { return 64 << 10; }
};

// fail records the launch's error, unless one is already recorded.
void fail(Job* j, int err, uintptr_t pc, const char* format, ...) __attribute__((format(printf, 4, 5)));

// The worker whose fiber is running on this OS thread, while one is (the
// access checks look only at a fiber's accesses).
extern thread_local Worker* checking;

// check_begin_block clears what the checks know of the previous block's
// shared memory; check_tls_init finds this OS thread's thread-local block.
void check_begin_block(Worker* w);
void check_tls_init(Worker* w);

// The GPU memory model (model.cc; with the access checks only).
// model_enabled turns it on for the next launches; model_access records
// one access of the running fiber (space 0 a launch buffer, 1 shared
// memory); model_flush closes the warp requests of w's round;
// model_gather moves w's figures into the last launch's (and clears them).
extern int model_enabled;
void model_access(Worker* w, uintptr_t a, size_t n, bool store, uintptr_t pc, int space);
void model_flush(Worker* w);
void model_gather(Worker* w);

// The ThreadSanitizer replay's hooks (emu.cc; no-ops elsewhere).
void tsan_fiber_start(Worker* w);

} // namespace gbemu

#endif
