package emu

/*
int gbemu_site_count(void);
const char* gbemu_site_file(int i);
int gbemu_site_line(int i);
int gbemu_site_kind(int i);
void gbemu_coverage(unsigned* counts, int* in_loop);
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
	"unsafe"

	"github.com/genband/genband/cudaops"
)

// Coverage: the emulator counts, for every launch, the trips of each `for`
// loop of the kernel sources (the most one thread made in one entry of the
// loop) and the passes of each __syncthreads (the most one block made), and
// keeps, per kernel and site, the best launch so far. A kernel's loops and
// barriers are exercised when some launch of it ran each loop it entered
// at least twice in one entry and passed each barrier at least twice (once
// for a barrier outside every loop): a single trip cannot show that a loop
// carries its state from one trip to the next, nor a single pass that a
// barrier guards the reuse of shared memory.
//
// With GBEMU_COVERAGE set to a directory, each test process writes its
// counts there (a file per process and kernel, rewritten when they
// improve), so that a check after the whole suite (TestKernelCoverage,
// make test) can merge them.

// SiteCount is what the launches of one kernel did at one site.
type SiteCount struct {
	File    string `json:"file"` // relative to cudaops/emu, as the kernel unit includes it
	Line    int    `json:"line"`
	Barrier bool   `json:"barrier,omitempty"` // a __syncthreads; else a for loop
	// Count is the most trips of the loop one thread made in one entry,
	// or the most passes of the barrier one block made, in one launch.
	Count  int  `json:"count"`
	InLoop bool `json:"inLoop,omitempty"` // a barrier reached inside a loop
	// Launch is the first launch that reached Count: the kernel's grid,
	// block, dynamic shared memory and scalars.
	Launch string `json:"launch"`
}

// Site returns "file:line" of the site, the file without its directory.
func (s SiteCount) Site() string { return fmt.Sprintf("%s:%d", filepath.Base(s.File), s.Line) }

var cov struct {
	mu       sync.Mutex
	byKernel map[string]map[string]*SiteCount // kernel → file:line → best
	dir      string
	dirOnce  sync.Once
}

// coverLaunch merges the coverage of the launch that just ran (l, which
// succeeded). The caller holds launchMu.
func coverLaunch(l cudaops.Launch) {
	n := int(C.gbemu_site_count())
	counts := make([]C.uint, n+1)
	inLoop := make([]C.int, n+1)
	C.gbemu_coverage((*C.uint)(unsafe.Pointer(&counts[0])), (*C.int)(unsafe.Pointer(&inLoop[0])))
	cov.mu.Lock()
	defer cov.mu.Unlock()
	if cov.byKernel == nil {
		cov.byKernel = map[string]map[string]*SiteCount{}
	}
	m := cov.byKernel[l.Kernel]
	improved := false
	if m == nil { // the kernel's first launch: it counts even with no loop
		m = map[string]*SiteCount{}
		cov.byKernel[l.Kernel] = m
		improved = true
	}
	for s := 0; s < n; s++ {
		c := int(counts[s])
		barrier := C.gbemu_site_kind(C.int(s)) == 1
		if c == 0 {
			continue // not reached
		}
		if !barrier {
			c-- // trips + 1
		}
		file := C.GoString(C.gbemu_site_file(C.int(s)))
		line := int(C.gbemu_site_line(C.int(s)))
		key := fmt.Sprintf("%s:%d", file, line)
		old := m[key]
		if old == nil {
			old = &SiteCount{File: file, Line: line, Barrier: barrier, Count: -1}
			m[key] = old
		}
		if inLoop[s] != 0 && !old.InLoop {
			old.InLoop = true
			improved = true
		}
		if c > old.Count {
			old.Count = c
			old.Launch = launchString(l)
			improved = true
		}
	}
	if improved {
		writeCoverage(l.Kernel, m)
	}
}

func launchString(l cudaops.Launch) string {
	return fmt.Sprintf("grid %v block %v shared %d args %v", l.Grid, l.Block, l.SharedBytes, l.Args)
}

// writeCoverage writes kernel's counts m to GBEMU_COVERAGE, if set.
func writeCoverage(kernel string, m map[string]*SiteCount) {
	cov.dirOnce.Do(func() {
		cov.dir = os.Getenv("GBEMU_COVERAGE")
		if cov.dir != "" {
			if err := os.MkdirAll(cov.dir, 0o755); err != nil {
				fmt.Fprintln(os.Stderr, "emu: GBEMU_COVERAGE:", err)
				cov.dir = ""
			}
		}
	})
	if cov.dir == "" {
		return
	}
	sites := make([]SiteCount, 0, len(m))
	for _, s := range m {
		sites = append(sites, *s)
	}
	sortSites(sites)
	data, err := json.Marshal(map[string][]SiteCount{kernel: sites})
	if err != nil {
		return
	}
	name := filepath.Join(cov.dir, fmt.Sprintf("%d-%s.json", os.Getpid(), kernel))
	if err := os.WriteFile(name+".tmp", data, 0o644); err == nil {
		os.Rename(name+".tmp", name)
	}
}

// Coverage returns the counts of this process's launches so far, per
// kernel, each kernel's sites in source order.
func Coverage() map[string][]SiteCount {
	cov.mu.Lock()
	defer cov.mu.Unlock()
	out := map[string][]SiteCount{}
	for k, m := range cov.byKernel {
		out[k] = []SiteCount{}
		for _, s := range m {
			out[k] = append(out[k], *s)
		}
		sortSites(out[k])
	}
	return out
}

func sortSites(s []SiteCount) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].File != s[j].File {
			return s[i].File < s[j].File
		}
		return s[i].Line < s[j].Line
	})
}

// ReadCoverage merges the counts written to dir (GBEMU_COVERAGE) by any
// number of processes: per kernel and site the best.
func ReadCoverage(dir string) (map[string][]SiteCount, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	best := map[string]map[string]SiteCount{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var m map[string][]SiteCount
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		for k, sites := range m {
			if best[k] == nil {
				best[k] = map[string]SiteCount{}
			}
			for _, s := range sites {
				key := fmt.Sprintf("%s:%d", s.File, s.Line)
				old, ok := best[k][key]
				if !ok || s.Count > old.Count || (s.Count == old.Count && s.Launch < old.Launch) {
					s.InLoop = s.InLoop || old.InLoop
					best[k][key] = s
				} else if s.InLoop && !old.InLoop {
					old.InLoop = true
					best[k][key] = old
				}
			}
		}
	}
	out := map[string][]SiteCount{}
	for k, m := range best {
		out[k] = []SiteCount{} // launched, if with no loop
		for _, s := range m {
			out[k] = append(out[k], s)
		}
		sortSites(out[k])
	}
	return out, nil
}

// Required is the count a site must reach: 2 for a loop and for a barrier
// inside a loop, 1 for a barrier outside every loop (it can pass only once
// a block).
func (s SiteCount) Required() int {
	if s.Barrier && !s.InLoop {
		return 1
	}
	return 2
}

// coverageString formats a kernel's counts, for reports.
func coverageString(kernel string, sites []SiteCount) string {
	var b strings.Builder
	for _, s := range sites {
		what := "loop trips"
		if s.Barrier {
			what = "barrier passes"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s %d\t%s\n", kernel, s.Site(), what, s.Count, s.Launch)
	}
	return b.String()
}
