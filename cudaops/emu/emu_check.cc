// emu_check.cc: the checks of the kernels' memory accesses.
//
// The kernel unit (zkernels.cc) is compiled with g++'s ThreadSanitizer
// instrumentation (-fsanitize=thread, checks.go) but linked without
// ThreadSanitizer: this file is its runtime instead. Every load and store
// the compiler emits for kernel code calls __tsan_readN / __tsan_writeN
// with the address first, and while a fiber runs (checking is its worker)
// the access is classified:
//
//   - a launch buffer, guards included: an access outside the buffer's own
//     bytes is an overrun (named by buffer and side), a store into an
//     input (a const pointer parameter) is refused, a store into an output
//     marks its bytes written, and a load of an output byte no thread has
//     written in this launch is reported;
//   - the block's dynamic shared memory, guards included: the same, with
//     the bytes written by the block's threads, cleared for each block;
//   - the OS thread's block of static thread-local storage, where the
//     __shared__ variables live (beside the emulator's own thread-locals,
//     which count as written): loads of bytes no thread of the block has
//     written are reported;
//   - anything else (a fiber's stack, the emulator's heap) is not checked.
//
// The first failure of a launch is recorded (gbemu::fail), with the
// address of the kernel's code that made the access, and the launch stops
// handing out blocks. Limits: accesses farther from a buffer than its
// guards land in unknown memory and are not seen (AddressSanitizer, make
// sanitize, sees them); shared memory one thread reads after another wrote
// it with no barrier between them counts as written (the ThreadSanitizer
// replay of make sanitize reports that race); the library functions a
// kernel calls (expf, log, ...) are not instrumented, and take only values.
#include "emu_rt.h"

#include <cstdio>
#include <link.h>

namespace gbemu {

#if GBEMU_CHECKS

namespace {


struct TlsFind {
    uintptr_t anchor, lo, hi;
};

int find_tls(dl_phdr_info* info, size_t, void* data) {
    TlsFind* f = static_cast<TlsFind*>(data);
    if (info->dlpi_tls_data == nullptr) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_TLS) continue;
        uintptr_t lo = reinterpret_cast<uintptr_t>(info->dlpi_tls_data);
        uintptr_t hi = lo + info->dlpi_phdr[i].p_memsz;
        if (f->anchor >= lo && f->anchor < hi) {
            f->lo = lo;
            f->hi = hi;
            return 1;
        }
    }
    return 0;
}

// premark marks the emulator's own thread-locals that kernel code reads as
// written.
GBEMU_NOSAN void premark(Worker* w) {
    auto mark = [w](const void* p, size_t n) {
        uintptr_t a = reinterpret_cast<uintptr_t>(p);
        if (a >= w->tls_lo && a + n <= w->tls_hi) std::memset(w->tls_marks + (a - w->tls_lo), 1, n);
    };
    mark(&threadIdx, sizeof threadIdx);
    mark(&blockIdx, sizeof blockIdx);
    mark(&dynamic_buffer, sizeof dynamic_buffer);
    mark(&fiber_count, sizeof fiber_count);
    mark(&checking, sizeof checking);
}

// The parameter type of pointer b of kernel k, for messages.
GBEMU_NOSAN const char* buf_type(const Kernel* k, int b) {
    for (const char* p = k->params; *p != '\0'; p++) {
        if (*p == 'j' || *p == 'x') continue;
        if (b-- > 0) continue;
        switch (*p) {
        case 'f': return "float*";
        case 'd': return "double*";
        case 'l': return "long long*";
        case 'i': return "int*";
        case 'F': return "const float*";
        case 'D': return "const double*";
        case 'L': return "const long long*";
        case 'I': return "const int*";
        }
        break;
    }
    return "pointer";
}

GBEMU_NOSAN void report(Worker* w, uintptr_t pc, const char* what) {
    const Fiber* f = w->current;
    uint3 t = f != nullptr ? f->tid : uint3{};
    fail(w->job, -1, pc, "thread (%u,%u,%u) of block (%u,%u,%u) %s", t.x, t.y, t.z, blockIdx.x, blockIdx.y,
         blockIdx.z, what);
}

GBEMU_NOSAN void on_buffer(Worker* w, const Region& r, uintptr_t a, size_t n, bool store, uintptr_t pc) {
    char msg[512];
    const char* verb = store ? "writes" : "reads";
    const unsigned long long bytes = r.hi - r.lo;
    const char* type = buf_type(w->job->kernel, r.index);
    if (a < r.lo || a + n > r.hi) {
        const bool before = a < r.lo;
        std::snprintf(msg, sizeof msg,
                      "%s %zu bytes at byte %lld of buffer %d (%s, %llu elements, %llu bytes): an overrun %s", verb,
                      n, static_cast<long long>(a - r.lo), r.index, type, bytes / r.elem, bytes,
                      before ? "before its start" : "past its end");
        report(w, pc, msg);
        return;
    }
    const size_t off = a - r.lo;
    if (!r.output) {
        if (store) {
            std::snprintf(msg, sizeof msg,
                          "writes element %llu of buffer %d (%s), an input: a kernel must not change its inputs",
                          static_cast<unsigned long long>(off / r.elem), r.index, type);
            report(w, pc, msg);
        }
        return;
    }
    if (store) {
        std::memset(r.shadow + off, 1, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (r.shadow[off + i] == 0) {
            std::snprintf(msg, sizeof msg,
                          "reads element %llu of buffer %d (%s), which no thread has written in this launch (an "
                          "output holds garbage until the kernel writes it)",
                          static_cast<unsigned long long>((off + i) / r.elem), r.index, type);
            report(w, pc, msg);
            return;
        }
    }
}

GBEMU_NOSAN void on_dynamic(Worker* w, uintptr_t a, size_t n, bool store, uintptr_t pc) {
    char msg[512];
    const char* verb = store ? "writes" : "reads";
    const Region& r = w->dyn;
    if (a < r.lo || a + n > r.hi) {
        const bool before = a < r.lo;
        std::snprintf(msg, sizeof msg,
                      "%s %zu bytes at byte %lld of the dynamic shared memory (the launch's %llu bytes): an overrun %s",
                      verb, n, static_cast<long long>(a - r.lo), static_cast<unsigned long long>(r.hi - r.lo),
                      before ? "before its start" : "past its end");
        report(w, pc, msg);
        return;
    }
    const size_t off = a - r.lo;
    if (store) {
        std::memset(r.shadow + off, 1, n);
        if (w->dyn_dirty_lo > off) w->dyn_dirty_lo = off;
        if (w->dyn_dirty_hi < off + n) w->dyn_dirty_hi = off + n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (r.shadow[off + i] == 0) {
            std::snprintf(msg, sizeof msg,
                          "reads byte %llu of the dynamic shared memory, which no thread of the block has written",
                          static_cast<unsigned long long>(off + i));
            report(w, pc, msg);
            return;
        }
    }
}

GBEMU_NOSAN void on_static(Worker* w, uintptr_t a, size_t n, bool store, uintptr_t pc) {
    const size_t off = a - w->tls_lo;
    if (off + n > w->tls_hi - w->tls_lo) return;
    unsigned char* s = w->tls_marks + off;
    if (store) {
        std::memset(s, 1, n);
        if (w->dirty_lo > off) w->dirty_lo = off;
        if (w->dirty_hi < off + n) w->dirty_hi = off + n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0) {
            char msg[256];
            std::snprintf(msg, sizeof msg,
                          "reads static __shared__ memory (thread-local byte %llu) that no thread of the block has "
                          "written",
                          static_cast<unsigned long long>(off + i));
            report(w, pc, msg);
            return;
        }
    }
}

// own_tls reports whether a is in one of the emulator's own thread-locals
// that kernel code reads (not a __shared__ variable: the GPU model leaves
// them out).
GBEMU_NOSAN_INLINE bool own_tls(uintptr_t a) {
    auto in = [a](const void* p, size_t n) {
        uintptr_t lo = reinterpret_cast<uintptr_t>(p);
        return a - lo < n;
    };
    return in(&threadIdx, sizeof threadIdx) || in(&blockIdx, sizeof blockIdx) ||
           in(&dynamic_buffer, sizeof dynamic_buffer) || in(&fiber_count, sizeof fiber_count) ||
           in(&checking, sizeof checking);
}

// access checks one load or store. The slow paths run with checking
// cleared, so that what they call (fail, which is instrumented) is not
// checked in turn.
GBEMU_NOSAN_INLINE void access(uintptr_t a, size_t n, bool store, uintptr_t pc) {
    Worker* w = checking;
    if (w == nullptr) return;
    if (a - reinterpret_cast<uintptr_t>(w->arena) < w->arena_len) return; // a fiber's stack
    const Job* j = w->job;
    for (int i = 0; i < j->nregions; i++) {
        const Region& r = j->regions[i];
        if (a < r.ghi && a + n > r.glo) {
            checking = nullptr;
            if (model_enabled && a >= r.lo && a + n <= r.hi) model_access(w, a, n, store, pc, 0);
            on_buffer(w, r, a, n, store, pc);
            checking = w;
            return;
        }
    }
    if (a < w->dyn.ghi && a + n > w->dyn.glo) {
        checking = nullptr;
        if (model_enabled && a >= w->dyn.lo && a + n <= w->dyn.hi) model_access(w, a, n, store, pc, 1);
        on_dynamic(w, a, n, store, pc);
        checking = w;
        return;
    }
    if (a - w->tls_lo < w->tls_hi - w->tls_lo) {
        checking = nullptr;
        if (model_enabled && !own_tls(a)) model_access(w, a, n, store, pc, 1);
        on_static(w, a, n, store, pc);
        checking = w;
    }
}

} // namespace

void check_tls_init(Worker* w) {
    TlsFind f{reinterpret_cast<uintptr_t>(&threadIdx), 0, 0};
    dl_iterate_phdr(find_tls, &f);
    w->tls_lo = f.lo;
    w->tls_hi = f.hi;
    w->tls_shadow.assign(f.hi - f.lo, 0);
    w->tls_marks = w->tls_shadow.data();
    w->dirty_lo = 0;
    w->dirty_hi = f.hi - f.lo;
}

void check_begin_block(Worker* w) {
    if (w->dirty_lo < w->dirty_hi) {
        std::memset(w->tls_marks + w->dirty_lo, 0, w->dirty_hi - w->dirty_lo);
        premark(w);
    }
    w->dirty_lo = w->tls_hi - w->tls_lo;
    w->dirty_hi = 0;
    if (w->dyn_dirty_lo < w->dyn_dirty_hi) {
        std::memset(w->dyn.shadow + w->dyn_dirty_lo, 0, w->dyn_dirty_hi - w->dyn_dirty_lo);
    }
    w->dyn_dirty_lo = w->dyn.hi - w->dyn.lo;
    w->dyn_dirty_hi = 0;
}

} // namespace gbemu

// The ThreadSanitizer interface the instrumented code calls.
#define GBEMU_PC reinterpret_cast<uintptr_t>(__builtin_return_address(0))
#define GBEMU_RW(N)                                                                                         \
    extern "C" GBEMU_NOSAN void __tsan_read##N(void* p) {                                                   \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, false, GBEMU_PC);                                  \
    }                                                                                                       \
    extern "C" GBEMU_NOSAN void __tsan_write##N(void* p) {                                                  \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, true, GBEMU_PC);                                   \
    }                                                                                                       \
    extern "C" GBEMU_NOSAN void __tsan_unaligned_read##N(void* p) {                                         \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, false, GBEMU_PC);                                  \
    }                                                                                                       \
    extern "C" GBEMU_NOSAN void __tsan_unaligned_write##N(void* p) {                                        \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, true, GBEMU_PC);                                   \
    }                                                                                                       \
    extern "C" GBEMU_NOSAN void __tsan_volatile_read##N(void* p) {                                          \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, false, GBEMU_PC);                                  \
    }                                                                                                       \
    extern "C" GBEMU_NOSAN void __tsan_volatile_write##N(void* p) {                                         \
        gbemu::access(reinterpret_cast<uintptr_t>(p), N, true, GBEMU_PC);                                   \
    }
GBEMU_RW(1)
GBEMU_RW(2)
GBEMU_RW(4)
GBEMU_RW(8)
GBEMU_RW(16)
#undef GBEMU_RW

extern "C" {
GBEMU_NOSAN void __tsan_read_range(void* p, unsigned long n) {
    gbemu::access(reinterpret_cast<uintptr_t>(p), n, false, GBEMU_PC);
}
GBEMU_NOSAN void __tsan_write_range(void* p, unsigned long n) {
    gbemu::access(reinterpret_cast<uintptr_t>(p), n, true, GBEMU_PC);
}
GBEMU_NOSAN void __tsan_init() {}
GBEMU_NOSAN void __tsan_func_entry(void*) {}
GBEMU_NOSAN void __tsan_func_exit() {}
GBEMU_NOSAN void __tsan_vptr_update(void**, void*) {}
GBEMU_NOSAN void __tsan_vptr_read(void**) {}

// Atomics: done (sequentially consistent, whatever the order asked for),
// and counted as stores, so that an accumulation into an output (zeroed by
// an earlier launch) is not a read of an unwritten byte.
#define GBEMU_ATOMIC(N, T)                                                                                  \
    GBEMU_NOSAN T __tsan_atomic##N##_load(const volatile T* a, int) { return __atomic_load_n(a, __ATOMIC_SEQ_CST); } \
    GBEMU_NOSAN void __tsan_atomic##N##_store(volatile T* a, T v, int) {                                    \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                           \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_exchange(volatile T* a, T v, int) {                                    \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                                 \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_fetch_add(volatile T* a, T v, int) {                                   \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                                  \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_fetch_sub(volatile T* a, T v, int) {                                   \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                                  \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_fetch_and(volatile T* a, T v, int) {                                   \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                                                  \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_fetch_or(volatile T* a, T v, int) {                                    \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                                                   \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_fetch_xor(volatile T* a, T v, int) {                                   \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                                                  \
    }                                                                                                       \
    GBEMU_NOSAN int __tsan_atomic##N##_compare_exchange_strong(volatile T* a, T* c, T v, int, int) {        \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);             \
    }                                                                                                       \
    GBEMU_NOSAN int __tsan_atomic##N##_compare_exchange_weak(volatile T* a, T* c, T v, int, int) {          \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        return __atomic_compare_exchange_n(a, c, v, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);              \
    }                                                                                                       \
    GBEMU_NOSAN T __tsan_atomic##N##_compare_exchange_val(volatile T* a, T c, T v, int, int) {              \
        gbemu::access(reinterpret_cast<uintptr_t>(a), N / 8, true, GBEMU_PC);                               \
        __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                   \
        return c;                                                                                           \
    }
GBEMU_ATOMIC(8, unsigned char)
GBEMU_ATOMIC(16, unsigned short)
GBEMU_ATOMIC(32, unsigned int)
GBEMU_ATOMIC(64, unsigned long long)
#undef GBEMU_ATOMIC
GBEMU_NOSAN void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
GBEMU_NOSAN void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
} // extern "C"

#else // !GBEMU_CHECKS

void check_tls_init(Worker*) {}
void check_begin_block(Worker*) {}

} // namespace gbemu

#endif
