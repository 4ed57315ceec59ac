package emu

/*
#include <stdint.h>
typedef struct {
	uintptr_t pc;
	int space, store, width;
	long long requests, active, divergent, bytes;
	long long sectors, ideal_sectors, wavefronts, ideal_wavefronts, conflicts;
} gbemu_model_site;
int gbemu_model_enable(int on);
int gbemu_model_take(gbemu_model_site* out, int max);
uintptr_t gbemu_launch_addr(void);
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/genband/genband/cudaops"
)

// The GPU memory model: with GBEMU_GPUMODEL set to a directory, every
// launch also measures, for each global and shared load and store site of
// the kernel, the warp requests a GPU would issue there (model.cc says how
// they are reconstructed from the fibers' accesses): their 32-byte sectors
// against the ideal for the access width, their shared-memory bank
// conflicts, and how many ran with inactive threads. Each test process
// writes its figures there, a file per process and kernel rewritten after
// each launch; ReadModel merges them and ModelTable formats them (make
// gpumodel). The model is off by default: it makes launches several times
// slower. It needs the access checks' instrumentation (Checked): under
// go test -asan or -race it measures nothing.
//
// What it cannot say: anything of time. There are no caches (a sector a
// warp reads again is counted again, as the l1tex request metrics count
// it; whether L1 or L2 serves it is not modelled), no occupancy, latency
// or bandwidth, and no instruction costs; warps are grouped from the
// per-thread loop context, not from a real scheduler (see model.cc).

// SiteModel is the model's figures for one load or store site of a kernel,
// summed over the launches measured.
type SiteModel struct {
	// Site is file:line:column of the access in the kernel sources, or
	// pc+0x… (an offset in the binary) when the binary has no line table
	// (go test strips it: build with go test -c, as make gpumodel does).
	Site  string `json:"site"`
	Space string `json:"space"` // "global" (a launch buffer) or "shared"
	Store bool   `json:"store,omitempty"`
	Width int    `json:"width"` // the bytes one thread accesses there (the widest seen)
	// Requests is the number of warp requests; Active the threads that
	// took part in them, summed; Divergent the requests in which fewer
	// threads took part than the warp has; Bytes the bytes accessed.
	Requests  int64 `json:"requests"`
	Active    int64 `json:"active"`
	Divergent int64 `json:"divergent"`
	Bytes     int64 `json:"bytes"`
	// Global memory: the 32-byte sectors the requests touched, and the
	// ideal, Σ ⌈active threads · width / 32⌉.
	Sectors      int64 `json:"sectors,omitempty"`
	IdealSectors int64 `json:"idealSectors,omitempty"`
	// Shared memory: the wavefronts (the most distinct 4-byte words one of
	// the 32 banks delivers for a request), the ideal Σ ⌈active threads ·
	// width / 128⌉, and the bank conflicts, Σ (wavefronts − ideal) over
	// the requests with more than the ideal.
	Wavefronts      int64 `json:"wavefronts,omitempty"`
	IdealWavefronts int64 `json:"idealWavefronts,omitempty"`
	Conflicts       int64 `json:"conflicts,omitempty"`
}

func perRequest(x, requests int64) float64 {
	if requests == 0 {
		return 0
	}
	return float64(x) / float64(requests)
}

// SectorsPerRequest is the mean sectors of a global request.
func (s SiteModel) SectorsPerRequest() float64 { return perRequest(s.Sectors, s.Requests) }

// IdealPerRequest is the mean ideal sectors of a global request.
func (s SiteModel) IdealPerRequest() float64 { return perRequest(s.IdealSectors, s.Requests) }

// ConflictsPerRequest is the mean bank conflicts of a shared request.
func (s SiteModel) ConflictsPerRequest() float64 { return perRequest(s.Conflicts, s.Requests) }

// Divergence is the fraction of the requests with inactive threads.
func (s SiteModel) Divergence() float64 { return perRequest(s.Divergent, s.Requests) }

// Op is "load" or "store" (atomics are stores).
func (s SiteModel) Op() string {
	if s.Store {
		return "store"
	}
	return "load"
}

func (s SiteModel) key() string { return s.Site + " " + s.Space + " " + s.Op() }

func (s *SiteModel) add(o SiteModel) {
	s.Width = max(s.Width, o.Width)
	s.Requests += o.Requests
	s.Active += o.Active
	s.Divergent += o.Divergent
	s.Bytes += o.Bytes
	s.Sectors += o.Sectors
	s.IdealSectors += o.IdealSectors
	s.Wavefronts += o.Wavefronts
	s.IdealWavefronts += o.IdealWavefronts
	s.Conflicts += o.Conflicts
}

var model struct {
	once   sync.Once
	dir    string
	forced bool // tests: on without a directory
	mu     sync.Mutex
	// byKernel sums each kernel's sites (keyed by SiteModel.key) over
	// this process's launches; last is the last launch's.
	byKernel map[string]map[string]*SiteModel
	last     []SiteModel
	sites    map[uintptr]string // pc → Site
}

// modelOn reports whether launches are measured. The caller holds
// launchMu.
func modelOn() bool {
	model.once.Do(func() {
		model.dir = os.Getenv("GBEMU_GPUMODEL")
		if model.dir != "" {
			if err := os.MkdirAll(model.dir, 0o755); err != nil {
				fmt.Fprintln(os.Stderr, "emu: GBEMU_GPUMODEL:", err)
				model.dir = ""
			}
		}
	})
	return model.dir != "" || model.forced
}

// modelLaunch collects the figures of the launch l that just ran (the
// model was on for it), keeps them as the last launch's, adds them to its
// kernel's and writes those to GBEMU_GPUMODEL. The caller holds launchMu.
func modelLaunch(l cudaops.Launch, ok bool) {
	buf := make([]C.gbemu_model_site, 256)
	n := int(C.gbemu_model_take(&buf[0], C.int(len(buf))))
	if n > len(buf) {
		buf = make([]C.gbemu_model_site, n)
		n = int(C.gbemu_model_take(&buf[0], C.int(len(buf))))
	}
	model.mu.Lock()
	defer model.mu.Unlock()
	model.last = nil
	if !ok {
		return // a failed launch's figures are partial
	}
	merged := map[string]*SiteModel{}
	for _, c := range buf[:min(n, len(buf))] {
		s := SiteModel{
			Site: siteName(uintptr(c.pc)), Space: "global", Store: c.store != 0, Width: int(c.width),
			Requests: int64(c.requests), Active: int64(c.active), Divergent: int64(c.divergent), Bytes: int64(c.bytes),
			Sectors: int64(c.sectors), IdealSectors: int64(c.ideal_sectors),
			Wavefronts: int64(c.wavefronts), IdealWavefronts: int64(c.ideal_wavefronts), Conflicts: int64(c.conflicts),
		}
		if c.space != 0 {
			s.Space = "shared"
		}
		if m := merged[s.key()]; m != nil {
			m.add(s)
		} else {
			merged[s.key()] = &s
		}
	}
	if model.byKernel == nil {
		model.byKernel = map[string]map[string]*SiteModel{}
	}
	acc := model.byKernel[l.Kernel]
	if acc == nil {
		acc = map[string]*SiteModel{}
		model.byKernel[l.Kernel] = acc
	}
	for k, s := range merged {
		model.last = append(model.last, *s)
		if a := acc[k]; a != nil {
			a.add(*s)
		} else {
			c := *s
			acc[k] = &c
		}
	}
	sortModel(model.last)
	if model.dir != "" {
		writeModel(l.Kernel, acc)
	}
}

// siteName names the site of the code at pc. The caller holds model.mu.
func siteName(pc uintptr) string {
	if s, ok := model.sites[pc]; ok {
		return s
	}
	if model.sites == nil {
		model.sites = map[uintptr]string{}
	}
	s := fmt.Sprintf("pc+%#x", uint64(pc)-uint64(C.gbemu_launch_addr()))
	if le, ok := sourceLine(pc); ok {
		s = fmt.Sprintf("%s:%d:%d", filepath.Base(le.File.Name), le.Line, le.Column)
	}
	model.sites[pc] = s
	return s
}

func sortModel(s []SiteModel) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Requests != s[j].Requests {
			return s[i].Requests > s[j].Requests
		}
		return s[i].key() < s[j].key()
	})
}

func writeModel(kernel string, acc map[string]*SiteModel) {
	sites := make([]SiteModel, 0, len(acc))
	for _, s := range acc {
		sites = append(sites, *s)
	}
	sortModel(sites)
	data, err := json.Marshal(map[string][]SiteModel{kernel: sites})
	if err != nil {
		return
	}
	name := filepath.Join(model.dir, fmt.Sprintf("%d-%s.json", os.Getpid(), kernel))
	if err := os.WriteFile(name+".tmp", data, 0o644); err == nil {
		os.Rename(name+".tmp", name)
	}
}

// Model returns the model's figures of this process's launches so far,
// per kernel, each kernel's sites by requests (most first); nil when the
// model is off.
func Model() map[string][]SiteModel {
	model.mu.Lock()
	defer model.mu.Unlock()
	if model.byKernel == nil {
		return nil
	}
	out := map[string][]SiteModel{}
	for k, acc := range model.byKernel {
		for _, s := range acc {
			out[k] = append(out[k], *s)
		}
		sortModel(out[k])
	}
	return out
}

// ReadModel merges the figures written to dir (GBEMU_GPUMODEL) by any
// number of processes: per kernel and site, the sums.
func ReadModel(dir string) (map[string][]SiteModel, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	acc := map[string]map[string]*SiteModel{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var m map[string][]SiteModel
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("emu: reading the GPU model's %s: %w", f, err)
		}
		for k, sites := range m {
			if acc[k] == nil {
				acc[k] = map[string]*SiteModel{}
			}
			for _, s := range sites {
				if a := acc[k][s.key()]; a != nil {
					a.add(s)
				} else {
					c := s
					acc[k][s.key()] = &c
				}
			}
		}
	}
	out := map[string][]SiteModel{}
	for k, m := range acc {
		for _, s := range m {
			out[k] = append(out[k], *s)
		}
		sortModel(out[k])
	}
	return out, nil
}

// KernelModel sums a kernel's sites: its global requests' efficiency (the
// ideal sectors over the sectors, 1 at best, weighted by requests since
// it is a ratio of sums) and its shared requests' conflicts.
type KernelModel struct {
	Kernel                                string
	GlobalRequests, Sectors, IdealSectors int64
	SharedRequests, Conflicts             int64
	Requests, Divergent                   int64
}

// Efficiency is IdealSectors/Sectors (1 when there are no global requests).
func (k KernelModel) Efficiency() float64 {
	if k.Sectors == 0 {
		return 1
	}
	return float64(k.IdealSectors) / float64(k.Sectors)
}

// SumModel sums the sites of kernel.
func SumModel(kernel string, sites []SiteModel) KernelModel {
	k := KernelModel{Kernel: kernel}
	for _, s := range sites {
		k.Requests += s.Requests
		k.Divergent += s.Divergent
		if s.Space == "global" {
			k.GlobalRequests += s.Requests
			k.Sectors += s.Sectors
			k.IdealSectors += s.IdealSectors
		} else {
			k.SharedRequests += s.Requests
			k.Conflicts += s.Conflicts
		}
	}
	return k
}

// ModelTable formats the figures m (ReadModel's) as a table, a line per
// kernel and site: its sectors per request against the ideal and their
// ratio (global), bank conflicts per request (shared), the fraction of
// divergent requests, and the site's share of its kernel's requests in
// the same space; then a line per kernel summing them.
func ModelTable(m map[string][]SiteModel) string {
	kernels := make([]string, 0, len(m))
	for k := range m {
		kernels = append(kernels, k)
	}
	sort.Strings(kernels)
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %-24s %-6s %-5s %5s %10s %6s %8s %8s %6s %9s %6s\n", "kernel", "site", "space", "op", "width", "requests", "share", "sect/req", "ideal", "ratio", "confl/req", "diverg")
	for _, k := range kernels {
		sum := SumModel(k, m[k])
		for _, s := range m[k] {
			total := sum.GlobalRequests
			sect, ideal, ratio, confl := fmt.Sprintf("%.2f", s.SectorsPerRequest()), fmt.Sprintf("%.2f", s.IdealPerRequest()), "", "-"
			if s.IdealSectors > 0 {
				ratio = fmt.Sprintf("%.2f", float64(s.Sectors)/float64(s.IdealSectors))
			}
			if s.Space == "shared" {
				total = sum.SharedRequests
				sect, ideal, ratio, confl = "-", "-", "-", fmt.Sprintf("%.2f", s.ConflictsPerRequest())
			}
			fmt.Fprintf(&b, "%-26s %-24s %-6s %-5s %5d %10d %5.1f%% %8s %8s %6s %9s %6.3f\n", k, s.Site, s.Space, s.Op(), s.Width, s.Requests, 100*perRatio(s.Requests, total), sect, ideal, ratio, confl, s.Divergence())
		}
	}
	fmt.Fprintf(&b, "\n%-26s %12s %10s %12s %10s %6s\n", "kernel", "global reqs", "efficiency", "shared reqs", "confl/req", "diverg")
	for _, k := range kernels {
		s := SumModel(k, m[k])
		fmt.Fprintf(&b, "%-26s %12d %10.3f %12d %10.2f %6.3f\n", k, s.GlobalRequests, s.Efficiency(), s.SharedRequests, perRequest(s.Conflicts, s.SharedRequests), perRequest(s.Divergent, s.Requests))
	}
	return b.String()
}

func perRatio(x, total int64) float64 { return perRequest(x, total) }

// modelEnable sets the C side's switch for the next launch. The caller
// holds launchMu.
func modelEnable(on bool) bool {
	v := 0
	if on {
		v = 1
	}
	return C.gbemu_model_enable(C.int(v)) != 0
}
