// emu.cc: the launch side of the CUDA emulation (see emu.h).
//
// A launch is a Job: its blocks are numbered x fastest, then y, then z, and
// handed out one at a time to the OS threads taking part (the calling
// thread and up to workers-1 threads of a pool that lives as long as the
// process). An OS thread runs a whole block at a time with a Worker: one
// fiber per thread of the block, each on its own stack, run in thread order
// until every one of them has either returned from the kernel or reached
// the next __syncthreads (gbemu::sync switches back to the Worker's
// scheduler), round after round. Stacks, fibers and the dynamic shared
// buffer belong to the Worker and are reused for every block and launch.
//
// The context switch is a few lines of assembly on x86-64 (it saves what
// the ABI says a call preserves: six registers, the SSE and x87 control
// words) and ucontext (swapcontext, which also saves the signal mask with a
// system call) elsewhere, or with -DGBEMU_UCONTEXT.
//
// Built with -DGBEMU_TSAN and -fsanitize=thread (the replay driver in
// tsan/), the switches tell ThreadSanitizer about the fibers: each CUDA
// thread is a ThreadSanitizer fiber, switches between them do not order
// their accesses, and only a completed __syncthreads does (a release by
// every thread at the barrier, an acquire by each as it leaves), so an
// access of one thread that conflicts with another's with no barrier
// between them is reported as a race.
#include "emu_rt.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(GBEMU_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

using gbemu::Context;
using gbemu::Fiber;
using gbemu::Job;
using gbemu::Worker;

namespace {

constexpr size_t kStack = Worker::kStack();

// kSharedGuard is the guard on either side of the dynamic shared memory;
// guard bytes hold 0xA5.
constexpr size_t kSharedGuard = 256;
const unsigned char guard_bytes[kSharedGuard] = {
#define GBEMU_A5_16 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5,
    GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16
    GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16 GBEMU_A5_16
#undef GBEMU_A5_16
};

// fiber_entry runs the kernel in a fresh fiber; it never returns.
void fiber_entry(void* arg);

#if GBEMU_ASM_SWITCH

// gbemu_switch(save, to) pushes the callee-saved registers and the MXCSR
// and x87 control words, stores the stack pointer in *save, and resumes the
// context saved with stack pointer to. gbemu_fiber_start is where a fresh
// context first returns to: it calls r13(r12), which must not return (its
// unwind information says it is the outermost frame, for debuggers).
extern "C" void gbemu_switch(void** save, void* to);
extern "C" void gbemu_fiber_start();
asm(R"(
    .pushsection .text
    .p2align 4
    .globl gbemu_switch
    .hidden gbemu_switch
    .type gbemu_switch, @function
gbemu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    stmxcsr 8(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 8(%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size gbemu_switch, .-gbemu_switch

    .p2align 4
    .globl gbemu_fiber_start
    .hidden gbemu_fiber_start
    .type gbemu_fiber_start, @function
gbemu_fiber_start:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size gbemu_fiber_start, .-gbemu_fiber_start
    .popsection
)");

GBEMU_NOSAN_INLINE void ctx_switch(Context* from, Context* to) { gbemu_switch(&from->sp, to->sp); }

// ctx_make readies c to run fiber_entry(arg) on the stack [stack, stack+size).
void ctx_make(Context* c, unsigned char* stack, size_t size, void* arg) {
    // After gbemu_switch's final ret the stack pointer is top (16-byte
    // aligned), so that gbemu_fiber_start's call enters fiber_entry as the
    // ABI wants (stack pointer + 8 aligned).
    uintptr_t top = ((reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15)) - 16;
    uint64_t* sp = reinterpret_cast<uint64_t*>(top) - 9;
    uint16_t fcw;
    asm volatile("fnstcw %0" : "=m"(fcw));
    sp[0] = fcw;
    sp[1] = __builtin_ia32_stmxcsr();
    sp[2] = 0;                                                       // r15
    sp[3] = 0;                                                       // r14
    sp[4] = reinterpret_cast<uint64_t>(&fiber_entry);                // r13
    sp[5] = reinterpret_cast<uint64_t>(arg);                         // r12
    sp[6] = 0;                                                       // rbx
    sp[7] = 0;                                                       // rbp
    sp[8] = reinterpret_cast<uint64_t>(&gbemu_fiber_start);          // return address
    c->sp = sp;
}

#else

GBEMU_NOSAN_INLINE void ctx_switch(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }

void fiber_start_uc(unsigned hi, unsigned lo) {
    fiber_entry(reinterpret_cast<void*>(static_cast<uintptr_t>((static_cast<uint64_t>(hi) << 32) | lo)));
}

void ctx_make(Context* c, unsigned char* stack, size_t size, void* arg) {
    if (!c->made) {
        getcontext(&c->uc);
        c->made = true;
    }
    c->uc.uc_stack.ss_sp = stack;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = nullptr;
    uint64_t a = reinterpret_cast<uintptr_t>(arg);
    makecontext(&c->uc, reinterpret_cast<void (*)()>(&fiber_start_uc), 2, static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a & 0xffffffffu));
}

#endif

// The sites (loops and barriers of the kernel sources), numbered in the
// order they first run.
struct SiteInfo {
    const char* file;
    int line, kind;
};
std::mutex sites_mu;
SiteInfo site_table[gbemu::kMaxSites];
std::atomic<int> site_count{0};

// The worker of the OS thread running a block.
thread_local Worker* current_worker = nullptr;

// switch_in runs fiber f of w until it waits at a barrier or returns. It is
// not instrumented: the scheduler's bookkeeping around a switch (threadIdx,
// the fiber's saved stack pointer) is no access of the kernel's, and under
// ThreadSanitizer it must not count as one of the fiber's.
GBEMU_NOSAN void switch_in(Worker* w, Fiber* f) {
    threadIdx = f->tid;
    w->current = f;
#if !defined(GBEMU_TSAN)
    gbemu::fiber_count = &f->count;
#endif
    gbemu::checking = GBEMU_CHECKS ? w : nullptr;
#if defined(GBEMU_TSAN)
    __tsan_switch_to_fiber(f->tsan, __tsan_switch_to_fiber_no_sync);
#endif
    ctx_switch(&w->sched, &f->ctx);
    gbemu::checking = nullptr;
    gbemu::fiber_count = nullptr;
}

GBEMU_NOSAN void fiber_entry(void* arg) {
    Fiber* f = static_cast<Fiber*>(arg);
    Worker* w = f->w;
#if defined(GBEMU_TSAN)
    // Everything the scheduler set up for the block happens before the
    // block's threads run.
    __tsan_acquire(&w->tsan_block);
#endif
    w->job->kernel->call(w->job->words);
    f->exited = true;
    gbemu::checking = nullptr;
#if defined(GBEMU_TSAN)
    __tsan_switch_to_fiber(w->tsan_sched, 0);
#endif
    ctx_switch(&f->ctx, &w->sched);
    std::abort(); // an exited fiber is never resumed
}

const char* site_name(int id, char* buf, size_t len) {
    if (id < 0 || id >= site_count.load()) {
        std::snprintf(buf, len, "an unknown __syncthreads");
    } else {
        std::snprintf(buf, len, "the __syncthreads at %s:%d", site_table[id].file, site_table[id].line);
    }
    return buf;
}

// run_block runs block blockIdx of w's job. It returns false when the
// launch failed.
bool run_block(Worker* w) {
    Job* j = w->job;
    const unsigned n = j->threads;
    if (j->shared > 0) std::memset(reinterpret_cast<void*>(w->dyn.lo), 0xFF, j->shared);
    gbemu::check_begin_block(w);
    for (unsigned t = 0; t < n; t++) {
        Fiber& f = w->fibers[t];
        f.exited = false;
        f.wait_site = -1;
        f.count.depth = 0;
        f.count.top = nullptr;
        f.count.trips = w->trips.data();
        f.count.sites = gbemu::kMaxSites;
        ctx_make(&f.ctx, w->stack(t), kStack, &f);
    }
#if defined(GBEMU_TSAN)
    __tsan_release(&w->tsan_block);
#endif
    for (int s : w->block_sites) w->block_passes[s] = 0;
    w->block_sites.clear();
    unsigned exited = 0;
    bool ok = true;
    for (;;) {
        // A round: every fiber still in the kernel runs up to its next
        // __syncthreads or its return.
        unsigned waiting = 0;
        Fiber* first = nullptr; // the first thread waiting at the barrier
        for (unsigned t = 0; t < n; t++) {
            Fiber& f = w->fibers[t];
            if (f.exited) continue;
            switch_in(w, &f);
            if (f.exited) {
                exited++;
                continue;
            }
            waiting++;
            if (first == nullptr) {
                first = &f;
            } else if (f.wait_site != first->wait_site && ok) {
                char a[256], b[256];
                gbemu::fail(j, -1, 0,
                            "block (%u,%u,%u): a divergent __syncthreads: thread (%u,%u,%u) waits at %s, thread "
                            "(%u,%u,%u) at %s (every thread of a block must reach the same one)",
                            blockIdx.x, blockIdx.y, blockIdx.z, first->tid.x, first->tid.y, first->tid.z,
                            site_name(first->wait_site, a, sizeof a), f.tid.x, f.tid.y, f.tid.z,
                            site_name(f.wait_site, b, sizeof b));
                ok = false;
            }
        }
        w->current = nullptr;
        w->round++;
#if GBEMU_CHECKS
        // The round's accesses are complete warp requests: threads of a
        // warp meet at the barrier (or have returned).
        if (gbemu::model_enabled) gbemu::model_flush(w);
#endif
        if (waiting == 0) break;
        if (exited > 0 && ok) {
            char a[256];
            gbemu::fail(j, -1, 0,
                        "block (%u,%u,%u): %s completed after %u of the block's %u threads had returned from "
                        "the kernel (on a GPU every thread of a block must reach each __syncthreads: undefined "
                        "behaviour)",
                        blockIdx.x, blockIdx.y, blockIdx.z, site_name(first->wait_site, a, sizeof a), exited, n);
            ok = false;
        }
        if (!ok) return false; // the waiting fibers are abandoned: their stacks are made afresh
        const int s = first->wait_site;
        if (s >= 0 && s < gbemu::kMaxSites) {
            if (w->block_passes[s]++ == 0) w->block_sites.push_back(s);
            if (first->wait_depth > 0) w->in_loop[s] = 1;
        }
    }
    for (int s : w->block_sites) w->passes[s] = std::max(w->passes[s], w->block_passes[s]);
    // The dynamic shared memory's guards (the checks see every access of
    // an instrumented kernel; these catch the others).
    const size_t guard = w->dyn.lo - w->dyn.glo;
    const unsigned char* lo = reinterpret_cast<const unsigned char*>(w->dyn.lo);
    const unsigned char* hi = reinterpret_cast<const unsigned char*>(w->dyn.hi);
    if (guard > 0 && (std::memcmp(lo - guard, guard_bytes, guard) != 0 || std::memcmp(hi, guard_bytes, guard) != 0)) {
        bool before = std::memcmp(lo - guard, guard_bytes, guard) != 0;
        gbemu::fail(j, -1, 0, "block (%u,%u,%u): the guard %s the dynamic shared memory (%u bytes) was overwritten",
                    blockIdx.x, blockIdx.y, blockIdx.z, before ? "before" : "after", j->shared);
        return false;
    }
    return ok;
}

// reserve makes room in w for a block of threads threads with shared bytes
// of dynamic shared memory. It returns 0 or an errno.
int reserve(Worker* w, unsigned threads, unsigned bytes) {
    // The dynamic shared memory: exactly bytes, 16-byte aligned, between
    // guards of 256 bytes (none under AddressSanitizer, whose redzones
    // around the exact allocation do better).
    const size_t guard = GBEMU_ASAN ? 0 : kSharedGuard;
    if (w->shared_mem.size() != bytes + 2 * guard + 16 || w->dyn.hi - w->dyn.lo != bytes) {
        w->shared_mem.assign(bytes + 2 * guard + 16, 0xA5);
        uintptr_t base = reinterpret_cast<uintptr_t>(w->shared_mem.data());
        w->dyn.glo = base + (16 - base % 16) % 16;
        w->dyn.lo = w->dyn.glo + guard;
        w->dyn.hi = w->dyn.lo + bytes;
        w->dyn.ghi = w->dyn.hi + guard;
        w->dyn.output = 1;
        w->dyn_shadow.assign(bytes, 0);
        w->dyn.shadow = w->dyn_shadow.data();
        w->dyn_dirty_lo = w->dyn_dirty_hi = 0;
    }
    std::memset(reinterpret_cast<void*>(w->dyn.glo), 0xA5, guard);
    std::memset(reinterpret_cast<void*>(w->dyn.hi), 0xA5, guard);
    if (w->trips.empty()) {
        w->trips.assign(gbemu::kMaxSites, 0);
        w->passes.assign(gbemu::kMaxSites, 0);
        w->block_passes.assign(gbemu::kMaxSites, 0);
        w->in_loop.assign(gbemu::kMaxSites, 0);
    }
    // The calling thread's worker runs on whichever OS thread makes the
    // launch (Go moves goroutines between them): its thread-local block
    // moves along.
    if (w->tls_thread != static_cast<unsigned long>(pthread_self())) {
        w->tls_thread = static_cast<unsigned long>(pthread_self());
        gbemu::check_tls_init(w);
    }
    if (w->fibers.size() >= threads) return 0;
    if (w->page == 0) w->page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t page = w->page;
    unsigned n = 64;
    while (n < threads) n *= 2;
    size_t len = n * (kStack + page);
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return errno;
    unsigned char* a = static_cast<unsigned char*>(p);
    for (unsigned t = 0; t < n; t++) {
        if (mprotect(a + t * (kStack + page), page, PROT_NONE) != 0) {
            int err = errno;
            munmap(p, len);
            return err;
        }
    }
    if (w->arena != nullptr) munmap(w->arena, w->arena_len);
    w->arena = a;
    w->arena_len = len;
#if defined(GBEMU_TSAN)
    for (Fiber& f : w->fibers) __tsan_destroy_fiber(f.tsan);
#endif
    w->fibers.assign(n, Fiber{});
#if defined(GBEMU_TSAN)
    for (Fiber& f : w->fibers) f.tsan = __tsan_create_fiber(0);
#endif
    return 0;
}

// run_job runs blocks of j on the calling OS thread until none is left or
// the launch has failed.
void run_job(Worker* w, Job* j) {
#if defined(GBEMU_TSAN)
    if (w->tsan_sched == nullptr) w->tsan_sched = __tsan_get_current_fiber();
#endif
    if (int err = reserve(w, j->threads, j->shared); err != 0) {
        gbemu::fail(j, err, 0, "allocating the fibers' stacks: %s", std::strerror(err));
        return;
    }
    std::fill(w->trips.begin(), w->trips.end(), 0);
    std::fill(w->passes.begin(), w->passes.end(), 0);
    std::fill(w->in_loop.begin(), w->in_loop.end(), 0);
    w->job = j;
    unsigned t = 0;
    for (unsigned z = 0; z < blockDim.z; z++) {
        for (unsigned y = 0; y < blockDim.y; y++) {
            for (unsigned x = 0; x < blockDim.x; x++, t++) {
                w->fibers[t].w = w;
                w->fibers[t].tid.x = x;
                w->fibers[t].tid.y = y;
                w->fibers[t].tid.z = z;
            }
        }
    }
    current_worker = w;
    gbemu::dynamic_buffer = reinterpret_cast<unsigned char*>(w->dyn.lo);
    const unsigned long long gx = gridDim.x, gxy = gx * gridDim.y;
    for (;;) {
        if (j->failed.load(std::memory_order_relaxed)) break;
        unsigned long long b = j->next.fetch_add(1, std::memory_order_relaxed);
        if (b >= j->blocks) break;
        blockIdx.x = static_cast<unsigned>(b % gx);
        blockIdx.y = static_cast<unsigned>(b % gxy / gx);
        blockIdx.z = static_cast<unsigned>(b / gxy);
        if (!run_block(w)) break;
    }
    gbemu::dynamic_buffer = nullptr;
    current_worker = nullptr;
    w->job = nullptr;
}

// The pool of helper threads. A launch (there is one at a time) sets job
// and wanted, bumps generation and waits until the wanted helpers (those
// with index < wanted) have finished.
struct Pool {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t start = PTHREAD_COND_INITIALIZER;
    pthread_cond_t done = PTHREAD_COND_INITIALIZER;
    unsigned threads = 0; // helpers started
    unsigned long long generation = 0;
    Job* job = nullptr;
    unsigned wanted = 0, finished = 0;
    std::vector<Worker*> workers; // the helpers' workers
};

Pool pool;

// The calling thread's worker (launches are serialized, so one will do).
Worker caller;

void* helper(void* arg) {
    const unsigned index = static_cast<unsigned>(reinterpret_cast<uintptr_t>(arg));
    // Asynchronous signals go to other threads: a handler must not run on
    // a fiber's small stack. Faults get an alternate stack of their own.
    sigset_t set;
    sigfillset(&set);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    stack_t ss{};
    ss.ss_size = 64 << 10;
    ss.ss_sp = std::malloc(ss.ss_size);
    if (ss.ss_sp != nullptr) sigaltstack(&ss, nullptr);

    pthread_mutex_lock(&pool.mu);
    Worker* w = pool.workers[index];
    unsigned long long seen = 0;
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.start, &pool.mu);
        seen = pool.generation;
        if (index >= pool.wanted) continue;
        Job* j = pool.job;
        pthread_mutex_unlock(&pool.mu);
        run_job(w, j);
        pthread_mutex_lock(&pool.mu);
        if (++pool.finished == pool.wanted) pthread_cond_signal(&pool.done);
    }
    return nullptr;
}

// helpers starts helpers up to want (fewer if the system refuses) and
// returns how many there are.
unsigned helpers(unsigned want) {
    while (pool.threads < want) {
        pthread_mutex_lock(&pool.mu);
        pool.workers.push_back(new Worker);
        pthread_mutex_unlock(&pool.mu);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        // The scheduler needs little stack; glibc also places the static
        // TLS (the kernels' __shared__ arrays) in it.
        pthread_attr_setstacksize(&attr, 1 << 20);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t id;
        int err = pthread_create(&id, &attr, helper, reinterpret_cast<void*>(static_cast<uintptr_t>(pool.threads)));
        pthread_attr_destroy(&attr);
        if (err != 0) break;
        pthread_mutex_lock(&pool.mu);
        pool.threads++;
        pthread_mutex_unlock(&pool.mu);
    }
    return pool.threads < want ? pool.threads : want;
}

// The coverage of the last launch: the most over the workers that took
// part.
std::vector<unsigned> last_trips(gbemu::kMaxSites), last_passes(gbemu::kMaxSites), last_in_loop(gbemu::kMaxSites);

void merge_coverage(const Worker* w) {
    if (w->trips.empty()) return;
    for (int s = 0; s < gbemu::kMaxSites; s++) {
        last_trips[s] = std::max(last_trips[s], w->trips[s]);
        last_passes[s] = std::max(last_passes[s], w->passes[s]);
        last_in_loop[s] |= w->in_loop[s];
    }
}

} // namespace

namespace gbemu {

thread_local Worker* checking = nullptr;

void fail(Job* j, int err, uintptr_t pc, const char* format, ...) {
    int no = 0;
    if (!j->failed.compare_exchange_strong(no, 1)) return;
    j->err = err;
    j->pc = pc;
    va_list ap;
    va_start(ap, format);
    vsnprintf(j->msg, sizeof j->msg, format, ap);
    va_end(ap);
}

int site(const char* file, int line, int kind) {
    std::lock_guard<std::mutex> lock(sites_mu);
    const int n = site_count.load();
    for (int i = 0; i < n; i++) {
        if (site_table[i].line == line && site_table[i].kind == kind && std::strcmp(site_table[i].file, file) == 0) {
            return i;
        }
    }
    if (n == kMaxSites) {
        std::fprintf(stderr, "gbemu: more than %d loop and barrier sites (kMaxSites in emu_rt.h)\n", kMaxSites);
        std::abort();
    }
    site_table[n] = SiteInfo{file, line, kind};
    site_count.store(n + 1);
    return n;
}

void record_trips(int id, unsigned n) {
    (void)id;
    (void)n; // every worker's array has kMaxSites entries: never called
}

GBEMU_NOSAN void sync(int id) {
    Worker* w = current_worker;
    Fiber* f = w->current;
    f->wait_site = id;
    f->wait_depth = f->count.depth;
    // A barrier inside a loop counts as one of its sites' trips only
    // through the loop; its passes are counted by the scheduler.
    checking = nullptr;
#if defined(GBEMU_TSAN)
    void* bar = &w->tsan_bar[w->round & 1];
    __tsan_release(bar);
    __tsan_switch_to_fiber(w->tsan_sched, __tsan_switch_to_fiber_no_sync);
#endif
    ctx_switch(&f->ctx, &w->sched);
#if defined(GBEMU_TSAN)
    __tsan_acquire(bar);
#endif
}

} // namespace gbemu

extern "C" {

int gbemu_count() { return gbemu::table_len; }
const char* gbemu_name(int i) { return gbemu::table[i].name; }
int gbemu_nargs(int i) { return gbemu::table[i].nargs; }
int gbemu_test_only(int i) { return gbemu::table[i].test_only; }
const char* gbemu_params(int i) { return gbemu::table[i].params; }

// gbemu_checks reports whether the kernels' memory accesses are checked
// (not under AddressSanitizer, which checks instead).
int gbemu_checks() { return GBEMU_CHECKS; }

// gbemu_guard is the number of guard bytes the Go side puts on either side
// of a buffer of bytes bytes: none under AddressSanitizer (whose redzones
// around an exact allocation catch more), else at least 256, as much as
// the buffer up to 64 KiB, a multiple of 256 (GPU allocations are
// 256-byte aligned).
unsigned long long gbemu_guard(unsigned long long bytes) {
    if (GBEMU_ASAN) return 0;
    unsigned long long g = bytes < 256 ? 256 : (bytes > (64 << 10) ? (64 << 10) : bytes);
    return (g + 255) / 256 * 256;
}

// gbemu_alloc returns guard + bytes + guard bytes of memory, the guards
// filled with 0xA5 and the data with 0xFF, 256-byte aligned at the data.
void* gbemu_alloc(unsigned long long bytes, unsigned long long guard) {
    void* p = nullptr;
    if (posix_memalign(&p, 256, guard + bytes + guard + (bytes == 0 ? 1 : 0)) != 0) return nullptr;
    unsigned char* c = static_cast<unsigned char*>(p);
    std::memset(c, 0xA5, guard);
    std::memset(c + guard, 0xFF, bytes);
    std::memset(c + guard + bytes, 0xA5, guard);
    return c + guard;
}

void gbemu_free(void* data, unsigned long long guard) { std::free(static_cast<unsigned char*>(data) - guard); }

// gbemu_bad_guard returns the offset from the data's start of the guard
// byte farthest from the data that is no longer 0xA5 (negative before
// the data, at or past bytes after it), or 0 when the guards are intact.
long long gbemu_bad_guard(const void* data, unsigned long long bytes, unsigned long long guard) {
    const unsigned char* c = static_cast<const unsigned char*>(data);
    for (unsigned long long i = guard; i > 0; i--) {
        if (c[-static_cast<long long>(i)] != 0xA5) return -static_cast<long long>(i);
    }
    for (unsigned long long i = guard; i > 0; i--) {
        if (c[bytes + i - 1] != 0xA5) return static_cast<long long>(bytes + i - 1);
    }
    return 0;
}

int gbemu_site_count() { return site_count.load(); }
const char* gbemu_site_file(int i) { return site_table[i].file; }
int gbemu_site_line(int i) { return site_table[i].line; }
int gbemu_site_kind(int i) { return site_table[i].kind; }

// gbemu_coverage writes the last launch's coverage of each site to the
// arrays (gbemu_site_count entries): for a loop the most trips a thread
// made in one entry, plus one (0: no thread entered it); for a barrier the
// most times one block passed it, and in_loop 1 when it was reached inside
// a loop.
void gbemu_coverage(unsigned* counts, int* in_loop) {
    const int n = site_count.load();
    for (int s = 0; s < n; s++) {
        counts[s] = site_table[s].kind == gbemu::kLoop ? last_trips[s] : last_passes[s];
        in_loop[s] = static_cast<int>(last_in_loop[s]);
    }
}

// gbemu_launch runs kernel i with the 8-byte argument words on the given
// grid and block, with shared bytes of dynamic shared memory, on up to
// workers OS threads (the calling one included). bufs describes the
// pointer arguments, in order (their words are already in words). The
// caller has validated the launch and holds the one-launch-at-a-time lock.
// It returns 0, or else writes the reason to msg (msglen bytes) and the
// address of the failing access's code to *pc (0 when there is none) and
// returns an errno or -1.
int gbemu_launch(int i, const uint64_t* words, const gbemu::Buf* bufs, int nbufs, unsigned gx, unsigned gy,
                 unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared, unsigned workers, char* msg,
                 int msglen, uintptr_t* pc) {
#if GBEMU_KERNEL_FMA
    if (!__builtin_cpu_supports("fma")) {
        std::snprintf(msg, static_cast<size_t>(msglen),
                      "this CPU has no FMA instructions, which the emulator needs to contract multiply-adds as "
                      "nvcc does (build with -DGBEMU_NATIVE_ARITH to emulate without)");
        return -1;
    }
#endif
    gridDim.x = gx;
    gridDim.y = gy;
    gridDim.z = gz;
    blockDim.x = bx;
    blockDim.y = by;
    blockDim.z = bz;

    Job j;
    j.kernel = &gbemu::table[i];
    j.words = words;
    j.threads = bx * by * bz;
    j.shared = shared;
    j.blocks = static_cast<unsigned long long>(gx) * gy * gz;
    std::vector<std::vector<unsigned char>> shadows(static_cast<size_t>(nbufs));
    for (int b = 0; b < nbufs; b++) {
        gbemu::Region r;
        r.lo = bufs[b].data;
        r.hi = r.lo + bufs[b].bytes;
        r.glo = r.lo - bufs[b].guard;
        r.ghi = r.hi + bufs[b].guard;
        r.index = b;
        r.output = bufs[b].output;
        r.elem = bufs[b].elem;
        if (r.output) {
            shadows[b].assign(bufs[b].bytes, 0);
            r.shadow = shadows[b].data();
        }
        j.bufs.push_back(r);
    }
    j.regions = j.bufs.data();
    j.nregions = static_cast<int>(j.bufs.size());

    unsigned want = workers < 1 ? 0 : workers - 1;
    if (want > j.blocks - 1) want = static_cast<unsigned>(j.blocks - 1);
    unsigned n = helpers(want);
    if (n > 0) {
        pthread_mutex_lock(&pool.mu);
        pool.job = &j;
        pool.wanted = n;
        pool.finished = 0;
        pool.generation++;
        pthread_cond_broadcast(&pool.start);
        pthread_mutex_unlock(&pool.mu);
    }
    run_job(&caller, &j);
    if (n > 0) {
        pthread_mutex_lock(&pool.mu);
        while (pool.finished < pool.wanted) pthread_cond_wait(&pool.done, &pool.mu);
        pool.job = nullptr;
        pthread_mutex_unlock(&pool.mu);
    }
    std::fill(last_trips.begin(), last_trips.end(), 0);
    std::fill(last_passes.begin(), last_passes.end(), 0);
    std::fill(last_in_loop.begin(), last_in_loop.end(), 0);
    merge_coverage(&caller);
    for (unsigned h = 0; h < n; h++) merge_coverage(pool.workers[h]);
#if GBEMU_CHECKS
    gbemu::model_gather(&caller);
    for (unsigned h = 0; h < n; h++) gbemu::model_gather(pool.workers[h]);
#endif
    *pc = 0;
    if (j.failed.load()) {
        std::snprintf(msg, static_cast<size_t>(msglen), "%s", j.msg);
        *pc = j.pc;
        return j.err;
    }
    return 0;
}

} // extern "C"

extern "C" uintptr_t gbemu_launch_addr() { return reinterpret_cast<uintptr_t>(&gbemu_launch); }
