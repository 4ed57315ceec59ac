// emu.cc: the launch side of the CUDA emulation (see emu.h).
#include "emu.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// Launch is what every thread of a launch reads.
struct Launch {
    const gbemu::Kernel* kernel;
    const uint64_t* words;
    unsigned shared;
    bool abort;
    gbemu::Barrier gate; // all threads created (or not: abort)
    gbemu::Barrier step; // between blocks
};

struct Worker {
    Launch* l;
    uint3 tid;
    bool leader;
};

void poison(unsigned bytes) {
    if (bytes > 0) std::memset(gbemu::dynamic_buffer, 0xFF, bytes);
}

void* work(void* p) {
    Worker* w = static_cast<Worker*>(p);
    Launch* l = w->l;
    threadIdx = w->tid;
    l->gate.wait();
    if (l->abort) return nullptr;
    for (unsigned z = 0; z < gridDim.z; z++) {
        for (unsigned y = 0; y < gridDim.y; y++) {
            for (unsigned x = 0; x < gridDim.x; x++) {
                blockIdx.x = x;
                blockIdx.y = y;
                blockIdx.z = z;
                l->kernel->call(l->words);
                gbemu::block_barrier.exit();
                l->step.wait();
                if (w->leader) {
                    gbemu::block_barrier.reset(blockDim.x * blockDim.y * blockDim.z);
                    poison(l->shared);
                }
                l->step.wait();
            }
        }
    }
    return nullptr;
}

} // namespace

extern "C" {

int gbemu_count() { return gbemu::table_len; }
const char* gbemu_name(int i) { return gbemu::table[i].name; }
int gbemu_nargs(int i) { return gbemu::table[i].nargs; }
int gbemu_test_only(int i) { return gbemu::table[i].test_only; }

// gbemu_launch runs kernel i with the 8-byte argument words on the given
// grid and block, with shared bytes of dynamic shared memory. The caller
// has validated the launch and holds the one-launch-at-a-time lock. It
// returns 0, or an errno from creating the threads.
int gbemu_launch(int i, const uint64_t* words, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                 unsigned bz, unsigned shared) {
    unsigned threads = bx * by * bz;
    gridDim.x = gx;
    gridDim.y = gy;
    gridDim.z = gz;
    blockDim.x = bx;
    blockDim.y = by;
    blockDim.z = bz;
    std::vector<unsigned char> buffer(shared + 16);
    gbemu::dynamic_buffer = buffer.data() + (16 - reinterpret_cast<uintptr_t>(buffer.data()) % 16) % 16;
    poison(shared);

    Launch l;
    l.kernel = &gbemu::table[i];
    l.words = words;
    l.shared = shared;
    l.abort = false;
    l.gate.reset(threads + 1);
    l.step.reset(threads);
    gbemu::block_barrier.reset(threads);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    std::vector<Worker> workers(threads);
    std::vector<pthread_t> ids;
    ids.reserve(threads);
    int err = 0;
    unsigned t = 0;
    for (unsigned z = 0; z < bz; z++) {
        for (unsigned y = 0; y < by; y++) {
            for (unsigned x = 0; x < bx; x++, t++) {
                workers[t].l = &l;
                workers[t].tid.x = x;
                workers[t].tid.y = y;
                workers[t].tid.z = z;
                workers[t].leader = t == 0;
                if (err == 0) {
                    pthread_t id;
                    err = pthread_create(&id, &attr, work, &workers[t]);
                    if (err == 0) ids.push_back(id);
                }
            }
        }
    }
    pthread_attr_destroy(&attr);
    if (err != 0) {
        // The threads created wait at the gate; let them go, to return.
        l.abort = true;
        l.gate.shrink(ids.size() + 1);
    }
    l.gate.wait();
    for (pthread_t id : ids) pthread_join(id, nullptr);
    gbemu::dynamic_buffer = nullptr;
    return err;
}

} // extern "C"
