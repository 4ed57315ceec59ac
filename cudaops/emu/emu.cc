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
#include "emu.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__) && defined(__ELF__) && !defined(GBEMU_UCONTEXT)
#define GBEMU_ASM_SWITCH 1
#else
#define GBEMU_ASM_SWITCH 0
#include <ucontext.h>
#endif

namespace {

// kStack is the stack of one fiber (a CUDA thread). Below each stack is an
// inaccessible guard page, so that an overflow faults instead of writing
// over the neighbouring fiber's stack.
constexpr size_t kStack = 64 << 10;

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

struct Context {
    void* sp = nullptr;
};

inline void ctx_switch(Context* from, Context* to) { gbemu_switch(&from->sp, to->sp); }

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

struct Context {
    ucontext_t uc;
    bool made = false;
};

inline void ctx_switch(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }

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

// Job is one launch.
struct Job {
    const gbemu::Kernel* kernel;
    const uint64_t* words;
    unsigned threads, shared;
    unsigned long long blocks;
    std::atomic<unsigned long long> next{0}; // the next block to run
    std::atomic<int> failed{0};
    int err = 0; // set with msg by whoever sets failed
    char msg[512] = {0};
};

// fail records the launch's error, unless one is already recorded.
void fail(Job* j, int err, const char* format, ...) {
    int no = 0;
    if (!j->failed.compare_exchange_strong(no, 1)) return;
    j->err = err;
    va_list ap;
    va_start(ap, format);
    vsnprintf(j->msg, sizeof j->msg, format, ap);
    va_end(ap);
}

struct Worker;

struct Fiber {
    Context ctx;
    Worker* w;
    uint3 tid;
    bool exited;
};

// Worker runs blocks on one OS thread.
struct Worker {
    std::vector<Fiber> fibers; // one for each stack
    unsigned char* arena = nullptr;
    size_t arena_len = 0, page = 0;
    Context sched;           // the scheduler (run_block)
    Fiber* current = nullptr; // the fiber running
    Job* job = nullptr;
    std::vector<unsigned char> shared; // the dynamic shared memory, 16-byte aligned within

    unsigned char* stack(unsigned t) { return arena + t * (kStack + page) + page; }
    unsigned char* dynamic() {
        return shared.data() + (16 - reinterpret_cast<uintptr_t>(shared.data()) % 16) % 16;
    }

    // reserve makes room for a block of threads threads with shared bytes
    // of dynamic shared memory. It returns 0 or an errno.
    int reserve(unsigned threads, unsigned bytes) {
        if (shared.size() < bytes + 16) shared.resize(bytes + 16);
        if (fibers.size() >= threads) return 0;
        if (page == 0) page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
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
        if (arena != nullptr) munmap(arena, arena_len);
        arena = a;
        arena_len = len;
        fibers.assign(n, Fiber{});
        return 0;
    }
};

// The worker of the OS thread running a block.
thread_local Worker* current_worker = nullptr;

void fiber_entry(void* arg) {
    Fiber* f = static_cast<Fiber*>(arg);
    Worker* w = f->w;
    w->job->kernel->call(w->job->words);
    f->exited = true;
    ctx_switch(&f->ctx, &w->sched);
    std::abort(); // an exited fiber is never resumed
}

// run_block runs block blockIdx of w's job. It returns false when the
// launch failed.
bool run_block(Worker* w) {
    Job* j = w->job;
    const unsigned n = j->threads;
    if (j->shared > 0) std::memset(w->dynamic(), 0xFF, j->shared);
    for (unsigned t = 0; t < n; t++) {
        Fiber& f = w->fibers[t];
        f.exited = false;
        ctx_make(&f.ctx, w->stack(t), kStack, &f);
    }
    unsigned exited = 0;
    for (;;) {
        // A round: every fiber still in the kernel runs up to its next
        // __syncthreads or its return.
        unsigned waiting = 0;
        for (unsigned t = 0; t < n; t++) {
            Fiber& f = w->fibers[t];
            if (f.exited) continue;
            threadIdx = f.tid;
            w->current = &f;
            ctx_switch(&w->sched, &f.ctx);
            if (f.exited) {
                exited++;
            } else {
                waiting++;
            }
        }
        w->current = nullptr;
        if (waiting == 0) return true;
        if (exited > 0) {
            // The fibers waiting at the barrier are abandoned: their stacks
            // are made afresh for the next block.
            fail(j, -1,
                 "block (%u,%u,%u): a __syncthreads completed after %u of the block's %u threads had returned from "
                 "the kernel (on a GPU every thread of a block must reach each __syncthreads: undefined behaviour)",
                 blockIdx.x, blockIdx.y, blockIdx.z, exited, n);
            return false;
        }
    }
}

// run_job runs blocks of j on the calling OS thread until none is left or
// the launch has failed.
void run_job(Worker* w, Job* j) {
    if (int err = w->reserve(j->threads, j->shared); err != 0) {
        fail(j, err, "allocating the fibers' stacks: %s", std::strerror(err));
        return;
    }
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
    gbemu::dynamic_buffer = w->dynamic();
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

    Worker* w = new Worker;
    unsigned long long seen = 0;
    pthread_mutex_lock(&pool.mu);
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

} // namespace

void gbemu::sync() {
    Worker* w = current_worker;
    ctx_switch(&w->current->ctx, &w->sched);
}

extern "C" {

int gbemu_count() { return gbemu::table_len; }
const char* gbemu_name(int i) { return gbemu::table[i].name; }
int gbemu_nargs(int i) { return gbemu::table[i].nargs; }
int gbemu_test_only(int i) { return gbemu::table[i].test_only; }

// gbemu_launch runs kernel i with the 8-byte argument words on the given
// grid and block, with shared bytes of dynamic shared memory, on up to
// workers OS threads (the calling one included). The caller has validated
// the launch and holds the one-launch-at-a-time lock. It returns 0, or else
// writes the reason to msg (msglen bytes) and returns an errno or -1.
int gbemu_launch(int i, const uint64_t* words, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                 unsigned bz, unsigned shared, unsigned workers, char* msg, int msglen) {
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
    if (j.failed.load()) {
        std::snprintf(msg, static_cast<size_t>(msglen), "%s", j.msg);
        return j.err;
    }
    return 0;
}

} // extern "C"
