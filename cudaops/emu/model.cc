// model.cc: the warp-level GPU memory model (model.go turns it on and
// reports it).
//
// With the model on, every load and store the access checks see
// (emu_check.cc) of a launch buffer (global memory) or of the block's
// shared memory, dynamic or static, is recorded with the address of the
// kernel's code that made it (its site: one load or store instruction of
// the kernel unit). The accesses of the 32 consecutive threads of a warp
// (by linear thread index within the block) that a GPU would issue as one
// warp instruction are grouped into a request, and each request is
// measured as a profiler measures it:
//
//   - global memory: the distinct 32-byte sectors its active threads'
//     bytes fall in, against the ideal ⌈active threads · width / 32⌉ (the
//     sectors the same bytes need when contiguous and aligned);
//   - shared memory: the wavefronts it takes, the most distinct 4-byte
//     words any one of the 32 banks must deliver (threads reading the same
//     word share it), against the ideal ⌈active threads · width / 128⌉;
//     its bank conflicts are the excess;
//   - divergence: whether fewer threads took part than the warp has
//     (a partial last warp counts only the threads it has).
//
// Grouping. The fibers of a block run one after another between barriers,
// so a warp's execution of a site is not one event here: it is
// reconstructed. An access is keyed by its site, its warp and the loop
// context of the thread making it: the site and trip number of every `for`
// loop the thread is inside (emu.h chains them), so the k-th trip of a loop
// by each thread of a warp is the same warp iteration, as on a GPU, where a
// warp runs a loop's trips in step and a thread that skips a trip (an if
// inside the loop, or fewer trips) is inactive in it. A thread that
// reaches the same key more than once (the same site twice in one trip,
// as a site in a device function the compiler did not inline, called
// from two places) joins its k-th access to the key's k-th request, as a
// warp running the calls in step would. Groups are closed at every
// barrier and at the block's end. What this cannot see: a warp's
// reconvergence points other than loop trips (two threads of a warp that
// reach a site through different paths of a branch, at the same loop
// trip, count as one request where a GPU may issue two; a thread that
// skips the first of two calls joins the others' first), `while` loops
// (none in the kernels), and code the compiler duplicated (each copy of an
// access is a site of its own; the report merges copies of one source
// line).
#include "emu_rt.h"

#include <mutex>
#include <unordered_map>

namespace gbemu {

#if GBEMU_CHECKS

int model_enabled = 0;

namespace {

// Group is one warp request being collected.
struct Group {
    uintptr_t pc;
    int space, store;
    unsigned warp, lanes; // the warp's index in the block and its thread count
    uint32_t mask = 0;    // the lanes that took part
    uint32_t next = ~0u;  // the key's next group (kNone: none)
    uintptr_t addr[32];
    uint32_t bytes[32];
};

constexpr uint32_t kNone = ~0u;

// Stat is what the requests of one site made (extern "C" gbemu_model_site).
struct Stat {
    uintptr_t pc = 0;
    int space = 0, store = 0, width = 0;
    long long requests = 0, active = 0, divergent = 0, bytes = 0;
    long long sectors = 0, ideal_sectors = 0, wavefronts = 0, ideal_wavefronts = 0, conflicts = 0;
};

struct State {
    std::unordered_map<uint64_t, uint32_t> open; // key → index in groups
    std::vector<Group> groups;
    std::unordered_map<uint64_t, Stat> stats; // pc·4 + space·2 + store → figures
    std::vector<uint64_t> scratch;
};

std::mutex last_mu;
std::unordered_map<uint64_t, Stat> last; // the last launch's figures, all workers

inline uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

State* state(Worker* w) {
    if (w->model == nullptr) w->model = new State;
    return static_cast<State*>(w->model);
}

// close measures group g into its site's figures.
void close(State* s, const Group& g) {
    const uint64_t key = uint64_t(g.pc) * 4 + g.space * 2 + g.store;
    Stat& st = s->stats[key];
    st.pc = g.pc;
    st.space = g.space;
    st.store = g.store;
    long long active = 0, bytes = 0;
    std::vector<uint64_t>& u = s->scratch;
    u.clear();
    const uint64_t unit = g.space == 0 ? 32 : 4; // a sector; a bank's word
    for (int l = 0; l < 32; l++) {
        if ((g.mask >> l & 1) == 0) continue;
        active++;
        bytes += g.bytes[l];
        if (static_cast<int>(g.bytes[l]) > st.width) st.width = static_cast<int>(g.bytes[l]);
        for (uint64_t x = g.addr[l] / unit; x <= (g.addr[l] + g.bytes[l] - 1) / unit; x++) u.push_back(x);
    }
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    st.requests++;
    st.active += active;
    st.bytes += bytes;
    if (active < static_cast<long long>(g.lanes)) st.divergent++;
    if (g.space == 0) {
        st.sectors += static_cast<long long>(u.size());
        st.ideal_sectors += (bytes + 31) / 32;
    } else {
        int per_bank[32] = {0};
        int most = 0;
        for (uint64_t word : u) most = std::max(most, ++per_bank[word % 32]);
        const long long ideal = (bytes + 127) / 128;
        st.wavefronts += most;
        st.ideal_wavefronts += ideal;
        if (most > ideal) st.conflicts += most - ideal;
    }
}

} // namespace

GBEMU_NOSAN void model_access(Worker* w, uintptr_t a, size_t n, bool store, uintptr_t pc, int space) {
    const Fiber* f = w->current;
    if (f == nullptr || n == 0) return;
    State* s = state(w);
    const unsigned t = f->tid.x + blockDim.x * (f->tid.y + blockDim.y * f->tid.z);
    const unsigned warp = t / 32, lane = t % 32;
    uint64_t key = mix(mix(mix(uint64_t(pc), uint64_t(space) * 2 + store), warp), 0x5eed);
    for (const Loop* l = f->count.top; l != nullptr; l = l->up) key = mix(mix(key, uint64_t(l->id)), l->n);
    // The thread's k-th access with this key joins the key's k-th group.
    auto it = s->open.find(key);
    uint32_t gi = it == s->open.end() ? kNone : it->second, last = kNone;
    while (gi != kNone && (s->groups[gi].mask >> lane & 1) != 0) {
        last = gi;
        gi = s->groups[gi].next;
    }
    if (gi == kNone) {
        const unsigned threads = blockDim.x * blockDim.y * blockDim.z;
        Group g;
        g.pc = pc;
        g.space = space;
        g.store = store ? 1 : 0;
        g.warp = warp;
        g.lanes = std::min(32u, threads - warp * 32);
        s->groups.push_back(g);
        gi = static_cast<uint32_t>(s->groups.size() - 1);
        if (last == kNone) {
            s->open.emplace(key, gi);
        } else {
            s->groups[last].next = gi;
        }
    }
    Group& g = s->groups[gi];
    g.mask |= uint32_t(1) << lane;
    g.addr[lane] = a;
    g.bytes[lane] = static_cast<uint32_t>(n);
}

GBEMU_NOSAN void model_flush(Worker* w) {
    if (w->model == nullptr) return;
    State* s = static_cast<State*>(w->model);
    for (const Group& g : s->groups) {
        if (g.mask != 0) close(s, g);
    }
    s->groups.clear();
    s->open.clear();
}

GBEMU_NOSAN void model_gather(Worker* w) {
    if (w->model == nullptr) return;
    State* s = static_cast<State*>(w->model);
    model_flush(w); // a failed launch's abandoned block
    std::lock_guard<std::mutex> lock(last_mu);
    for (const auto& kv : s->stats) {
        Stat& d = last[kv.first];
        const Stat& st = kv.second;
        d.pc = st.pc;
        d.space = st.space;
        d.store = st.store;
        d.width = std::max(d.width, st.width);
        d.requests += st.requests;
        d.active += st.active;
        d.divergent += st.divergent;
        d.bytes += st.bytes;
        d.sectors += st.sectors;
        d.ideal_sectors += st.ideal_sectors;
        d.wavefronts += st.wavefronts;
        d.ideal_wavefronts += st.ideal_wavefronts;
        d.conflicts += st.conflicts;
    }
    s->stats.clear();
}

#endif // GBEMU_CHECKS

} // namespace gbemu

// gbemu_model_site is one site's figures for the Go side (model.go).
struct gbemu_model_site {
    uintptr_t pc;
    int space, store, width;
    long long requests, active, divergent, bytes;
    long long sectors, ideal_sectors, wavefronts, ideal_wavefronts, conflicts;
};

extern "C" {

// gbemu_model_enable turns the model on (1) or off (0) for the next
// launches; it returns 0 when the model is unavailable (the access checks
// are off: go test -asan or -race).
int gbemu_model_enable(int on) {
#if GBEMU_CHECKS
    gbemu::model_enabled = on;
    return 1;
#else
    (void)on;
    return 0;
#endif
}

// gbemu_model_take copies up to max sites of the last launch's figures to
// out, forgets them, and returns how many there were.
int gbemu_model_take(gbemu_model_site* out, int max) {
#if GBEMU_CHECKS
    std::lock_guard<std::mutex> lock(gbemu::last_mu);
    int n = 0;
    for (const auto& kv : gbemu::last) {
        if (n < max) {
            const gbemu::Stat& s = kv.second;
            out[n] = gbemu_model_site{s.pc,      s.space,         s.store,      s.width,
                                      s.requests, s.active,       s.divergent,  s.bytes,
                                      s.sectors,  s.ideal_sectors, s.wavefronts, s.ideal_wavefronts,
                                      s.conflicts};
        }
        n++;
    }
    if (n <= max) gbemu::last.clear();
    return n;
#else
    (void)out;
    (void)max;
    return 0;
#endif
}

} // extern "C"
