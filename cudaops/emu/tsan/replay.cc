// replay: the ThreadSanitizer replay of recorded emulator launches (make
// sanitize). Go's race detector cannot be combined with C++
// ThreadSanitizer, so the launches that the emulation tests make are
// recorded (GBEMU_RECORD, record.go) and replayed here, in a C++ program
// built with -fsanitize=thread around the emulator itself (emu.cc with
// -DGBEMU_TSAN: each CUDA thread a ThreadSanitizer fiber, ordered with the
// others of its block only by the __syncthreads between them). Any two
// accesses to the same memory by threads of a block, one a write, with no
// barrier between them, are reported as a data race; so are conflicting
// accesses of different blocks.
//
//	replay [-per-kernel K] PATH...   replays the launches: files, or directories of
//	                                 *.launch files (the K largest of each kernel)
//	replay -selftest WHAT            launches emutest_broken (testdata/broken.cu) with WHAT 0
//	                                 (correct: nothing may be reported) or 11 (a read of the
//	                                 previous thread's shared slot before the barrier: a race)
//
// It exits 66 (ThreadSanitizer's exit code) when a race was reported, 1 when
// a launch failed, 0 otherwise.
#include "../emu_rt.h"

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
int gbemu_count();
const char* gbemu_name(int i);
const char* gbemu_params(int i);
unsigned long long gbemu_guard(unsigned long long bytes);
void* gbemu_alloc(unsigned long long bytes, unsigned long long guard);
void gbemu_free(void* data, unsigned long long guard);
long long gbemu_bad_guard(const void* data, unsigned long long bytes, unsigned long long guard);
int gbemu_launch(int i, const uint64_t* words, const gbemu::Buf* bufs, int nbufs, unsigned gx, unsigned gy,
                 unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared, unsigned workers, char* msg,
                 int msglen, uintptr_t* pc);
}

namespace {

struct Buffer {
    int output = 0, elem = 0;
    std::vector<unsigned char> data;
};

struct Launch {
    std::string file, kernel;
    unsigned grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}, shared = 0;
    std::vector<uint64_t> words;
    std::vector<Buffer> bufs;
    unsigned long long work() const {
        return static_cast<unsigned long long>(grid[0]) * grid[1] * grid[2] * block[0] * block[1] * block[2];
    }
};

bool read_launch(const char* path, Launch* l) {
    FILE* f = std::fopen(path, "rb");
    if (f == nullptr) return false;
    char kernel[256];
    int version = 0;
    size_t nwords = 0, nbufs = 0;
    bool ok = std::fscanf(f, "gbemu-launch %d %255s %u %u %u %u %u %u %u %zu", &version, kernel, &l->grid[0],
                          &l->grid[1], &l->grid[2], &l->block[0], &l->block[1], &l->block[2], &l->shared,
                          &nwords) == 10 &&
              version == 1;
    l->file = path;
    l->kernel = kernel;
    for (size_t i = 0; ok && i < nwords; i++) {
        unsigned long long w;
        ok = std::fscanf(f, "%llu", &w) == 1;
        l->words.push_back(w);
    }
    ok = ok && std::fscanf(f, "%zu", &nbufs) == 1;
    for (size_t i = 0; ok && i < nbufs; i++) {
        Buffer b;
        size_t bytes = 0;
        ok = std::fscanf(f, "%d %d %zu", &b.output, &b.elem, &bytes) == 3 && std::fgetc(f) == '\n';
        b.data.resize(bytes);
        ok = ok && std::fread(b.data.data(), 1, bytes, f) == bytes;
        l->bufs.push_back(std::move(b));
    }
    std::fclose(f);
    return ok;
}

int kernel_index(const std::string& name) {
    for (int i = 0; i < gbemu_count(); i++) {
        if (name == gbemu_name(i)) return i;
    }
    return -1;
}

// run launches l on two OS threads and returns 0, or 1 when it failed.
int run(const Launch& l) {
    const int k = kernel_index(l.kernel);
    if (k < 0) {
        std::fprintf(stderr, "%s: no kernel %s\n", l.file.c_str(), l.kernel.c_str());
        return 1;
    }
    const char* params = gbemu_params(k);
    std::vector<gbemu::Buf> bufs;
    std::vector<uint64_t> words = l.words;
    size_t bi = 0;
    for (size_t i = 0; params[i] != '\0'; i++) {
        if (params[i] == 'j' || params[i] == 'x') continue;
        if (bi >= l.bufs.size() || i >= words.size()) {
            std::fprintf(stderr, "%s: too few buffers for %s\n", l.file.c_str(), l.kernel.c_str());
            return 1;
        }
        const Buffer& b = l.bufs[bi++];
        const unsigned long long g = gbemu_guard(b.data.size());
        void* p = gbemu_alloc(b.data.size(), g);
        std::memcpy(p, b.data.data(), b.data.size());
        bufs.push_back(gbemu::Buf{reinterpret_cast<uint64_t>(p), b.data.size(), g, b.output, b.elem});
        words[i] = reinterpret_cast<uint64_t>(p);
    }
    char msg[1024] = {0};
    uintptr_t pc = 0;
    int rc = gbemu_launch(k, words.data(), bufs.data(), static_cast<int>(bufs.size()), l.grid[0], l.grid[1],
                          l.grid[2], l.block[0], l.block[1], l.block[2], l.shared, 2, msg, sizeof msg, &pc);
    int status = 0;
    if (rc != 0) {
        std::fprintf(stderr, "%s: %s: %s\n", l.file.c_str(), l.kernel.c_str(), msg);
        status = 1;
    }
    for (size_t b = 0; b < bufs.size(); b++) {
        void* p = reinterpret_cast<void*>(bufs[b].data);
        if (gbemu_bad_guard(p, bufs[b].bytes, bufs[b].guard) != 0) {
            std::fprintf(stderr, "%s: %s: a guard of buffer %zu was overwritten\n", l.file.c_str(),
                         l.kernel.c_str(), b);
            status = 1;
        }
        gbemu_free(p, bufs[b].guard);
    }
    return status;
}

// selftest launches emutest_broken (testdata/broken.cu) with what: 0 (every
// shared slot read after the barrier) or 11 (the previous thread's slot
// read before it).
int selftest(long long what) {
    Launch l;
    l.file = "selftest";
    l.kernel = "emutest_broken";
    const long long n = 40;
    l.grid[0] = 2;
    l.block[0] = 32;
    l.shared = 32 * 4;
    Buffer out, in;
    out.output = 1;
    out.elem = in.elem = 4;
    out.data.resize(n * 4);
    in.data.resize(n * 4);
    for (long long i = 0; i < n; i++) {
        float x = static_cast<float>(i);
        std::memcpy(in.data.data() + 4 * i, &x, 4);
    }
    l.bufs = {out, in};
    l.words = {0, 0, static_cast<uint64_t>(n), static_cast<uint64_t>(what)};
    return run(l);
}

} // namespace

int main(int argc, char** argv) {
    int per = 0, first = 1;
    if (argc == 3 && std::strcmp(argv[1], "-selftest") == 0) {
        int rc = selftest(std::atoll(argv[2]));
        std::fprintf(stderr, "replay: selftest %s: emutest_broken launched\n", argv[2]);
        return rc;
    }
    if (argc >= 3 && std::strcmp(argv[1], "-per-kernel") == 0) {
        per = std::atoi(argv[2]);
        first = 3;
    }
    std::vector<std::string> paths;
    for (int i = first; i < argc; i++) {
        DIR* d = opendir(argv[i]);
        if (d == nullptr) {
            paths.push_back(argv[i]);
            continue;
        }
        std::vector<std::string> names;
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 7 && name.compare(name.size() - 7, 7, ".launch") == 0) names.push_back(name);
        }
        closedir(d);
        std::sort(names.begin(), names.end());
        for (const std::string& name : names) paths.push_back(std::string(argv[i]) + "/" + name);
    }
    std::vector<Launch> ls;
    for (const std::string& p : paths) {
        Launch l;
        if (!read_launch(p.c_str(), &l)) {
            std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
            return 1;
        }
        ls.push_back(std::move(l));
    }
    if (per > 0) {
        // The per largest launches of each kernel (the most threads in all,
        // then the most blocks: more blocks than OS threads).
        std::stable_sort(ls.begin(), ls.end(), [](const Launch& a, const Launch& b) {
            if (a.kernel != b.kernel) return a.kernel < b.kernel;
            if (a.work() != b.work()) return a.work() > b.work();
            return a.grid[0] > b.grid[0];
        });
        std::vector<Launch> keep;
        for (size_t i = 0; i < ls.size(); i++) {
            size_t same = 0;
            for (const Launch& k : keep) same += k.kernel == ls[i].kernel;
            if (same < static_cast<size_t>(per)) keep.push_back(std::move(ls[i]));
        }
        ls = std::move(keep);
    }
    std::stable_sort(ls.begin(), ls.end(), [](const Launch& a, const Launch& b) { return a.kernel < b.kernel; });
    int status = 0;
    std::vector<std::pair<std::string, int>> counts; // launches of each kernel
    for (const Launch& l : ls) {
        status |= run(l);
        if (counts.empty() || counts.back().first != l.kernel) counts.push_back({l.kernel, 0});
        counts.back().second++;
    }
    std::fprintf(stderr, "replay: %zu launches of %zu kernels:", ls.size(), counts.size());
    for (const auto& c : counts) std::fprintf(stderr, " %s×%d", c.first.c_str(), c.second);
    std::fprintf(stderr, "\n");
    return status;
}
