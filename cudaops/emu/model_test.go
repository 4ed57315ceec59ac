//go:build cgo

package emu

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genband/genband/cudaops"
)

// modelRun runs l with the model on and returns the launch's figures.
func modelRun(t *testing.T, l cudaops.Launch, bufs ...any) []SiteModel {
	t.Helper()
	if !Checked() {
		t.Skip("the GPU model needs the access checks' instrumentation (off under -asan and -race)")
	}
	launchMu.Lock()
	model.forced = true
	launchMu.Unlock()
	defer func() {
		launchMu.Lock()
		model.forced = false
		launchMu.Unlock()
	}()
	if err := Run(l, bufs...); err != nil {
		t.Fatal(err)
	}
	model.mu.Lock()
	defer model.mu.Unlock()
	return append([]SiteModel(nil), model.last...)
}

// modelSum sums the sites of one space and op (a kernel's copies of one
// access, should the compiler have duplicated it, are one site here).
func modelSum(sites []SiteModel, space string, store bool) (SiteModel, int) {
	var s SiteModel
	n := 0
	for _, x := range sites {
		if x.Space == space && x.Store == store {
			s.add(x)
			n++
		}
	}
	return s, n
}

// want is what a test expects of a space and op: the figures that must
// match exactly (the others are zero).
type modelWant struct {
	space                              string
	store                              bool
	requests, divergent, active, bytes int64
	sectors, ideal                     int64
	wavefronts, idealWavefronts, confl int64
}

func checkModel(t *testing.T, name string, sites []SiteModel, w modelWant) {
	t.Helper()
	got, n := modelSum(sites, w.space, w.store)
	if n == 0 {
		t.Errorf("%s: no %s %s site among %+v", name, w.space, map[bool]string{false: "load", true: "store"}[w.store], sites)
		return
	}
	g := modelWant{w.space, w.store, got.Requests, got.Divergent, got.Active, got.Bytes, got.Sectors, got.IdealSectors, got.Wavefronts, got.IdealWavefronts, got.Conflicts}
	if g != w {
		t.Errorf("%s %s %s:\n got %+v\nwant %+v", name, w.space, got.Op(), g, w)
	}
}

// TestModelGlobal proves the sectors, ideal sectors, requests and
// divergence of global loads and stores: emutest_model_copy over 80
// threads in blocks of 64, so that block 0 has two full warps, block 1 a
// warp with 16 active threads (divergent) and one with none (no request).
func TestModelGlobal(t *testing.T) {
	const n, block = 80, 64
	cases := []struct {
		name           string
		elem           int
		stride, offset int64
		sectors        int64 // of the load, over its 3 requests
	}{
		// 4-byte elements: a full warp's 128 bytes are 4 sectors, the
		// partial warp's 64 bytes 2: ideal 4 + 4 + 2.
		{"f32 coalesced", 4, 1, 0, 4 + 4 + 2},
		{"f32 misaligned", 4, 1, 1, 5 + 5 + 3},
		{"f32 stride 2", 4, 2, 0, 8 + 8 + 4},
		{"f32 stride 8", 4, 8, 0, 32 + 32 + 16},
		{"f32 broadcast", 4, 0, 3, 1 + 1 + 1},
		// 8-byte elements: 8 + 8 + 4 ideal.
		{"f64 coalesced", 8, 1, 0, 8 + 8 + 4},
		{"f64 stride 2", 8, 2, 0, 16 + 16 + 8},
		{"f64 stride 4", 8, 4, 0, 32 + 32 + 16},
	}
	for _, c := range cases {
		size := int((n-1)*c.stride + c.offset + 1)
		l := cudaops.Launch{Kernel: "emutest_model_copy_f32", Grid: [3]uint{2, 1, 1}, Block: [3]uint{block, 1, 1}, Args: []any{int64(n), c.stride, c.offset}}
		var sites []SiteModel
		if c.elem == 4 {
			sites = modelRun(t, l, make([]float32, n), make([]float32, size))
		} else {
			l.Kernel = "emutest_model_copy_f64"
			sites = modelRun(t, l, make([]float64, n), make([]float64, size))
		}
		e := int64(c.elem)
		ideal := (32*e+31)/32*2 + (16*e+31)/32
		checkModel(t, c.name, sites, modelWant{space: "global", requests: 3, divergent: 1, active: n, bytes: n * e, sectors: c.sectors, ideal: ideal})
		checkModel(t, c.name, sites, modelWant{space: "global", store: true, requests: 3, divergent: 1, active: n, bytes: n * e, sectors: ideal, ideal: ideal})
		if _, k := modelSum(sites, "shared", false); k != 0 {
			t.Errorf("%s: shared sites in a kernel without shared memory: %+v", c.name, sites)
		}
	}
}

// TestModelBanks proves the wavefronts and bank conflicts of shared loads
// and stores: emutest_model_banks with two warps of 32 threads, each
// request of a warp's 32 threads at word (or double) t·stride.
func TestModelBanks(t *testing.T) {
	const threads = 64
	cases := []struct {
		name       string
		elem       int
		stride     int64
		wavefronts int64 // of one request
	}{
		{"f32 consecutive", 4, 1, 1},
		{"f32 stride 2", 4, 2, 2},    // banks 0, 2, …, 30 twice each
		{"f32 stride 32", 4, 32, 32}, // every thread in bank 0
		{"f32 stride 33", 4, 33, 1},  // bank t mod 32: no conflict
		{"f32 broadcast", 4, 0, 1},   // one word for every thread
		{"f64 consecutive", 8, 1, 2}, // 256 bytes: two wavefronts, the ideal
		{"f64 stride 2", 8, 2, 4},    // words 4t, 4t+1: 16 banks, 4 words each
		{"f64 stride 16", 8, 16, 32}, // banks 0 and 1, 32 words each
		{"f64 broadcast", 8, 0, 1},   // two words in two banks
	}
	for _, c := range cases {
		words := threads * max(c.stride, 1)
		l := cudaops.Launch{Kernel: "emutest_model_banks_f32", Grid: [3]uint{1, 1, 1}, Block: [3]uint{threads, 1, 1}, SharedBytes: uint(words) * uint(c.elem), Args: []any{c.stride}}
		var sites []SiteModel
		if c.elem == 4 {
			sites = modelRun(t, l, make([]float32, threads))
		} else {
			l.Kernel = "emutest_model_banks_f64"
			sites = modelRun(t, l, make([]float64, threads))
		}
		e := int64(c.elem)
		ideal := (32*e + 127) / 128
		confl := max(c.wavefronts-ideal, 0)
		for _, store := range []bool{true, false} {
			checkModel(t, c.name, sites, modelWant{space: "shared", store: store, requests: 2, active: threads, bytes: threads * e,
				wavefronts: 2 * c.wavefronts, idealWavefronts: 2 * ideal, confl: 2 * confl})
		}
		checkModel(t, c.name, sites, modelWant{space: "global", store: true, requests: 2, active: threads, bytes: threads * e, sectors: 2 * 4 * e / 4, ideal: 2 * 4 * e / 4})
	}
}

// TestModelLoop proves that a warp's requests are grouped by loop trip: in
// emutest_model_loop each of the 4 trips loads for the 16 threads of one
// parity (a request each, divergent, 4 sectors where 2 would do); grouping
// by each thread's count of its own loads would make 2 full requests.
func TestModelLoop(t *testing.T) {
	l := cudaops.Launch{Kernel: "emutest_model_loop", Grid: [3]uint{1, 1, 1}, Block: [3]uint{32, 1, 1}}
	sites := modelRun(t, l, make([]float32, 32), make([]float32, 128))
	checkModel(t, "loop", sites, modelWant{space: "global", requests: 4, divergent: 4, active: 64, bytes: 256, sectors: 16, ideal: 8})
	checkModel(t, "loop", sites, modelWant{space: "global", store: true, requests: 1, active: 32, bytes: 128, sectors: 4, ideal: 4})
}

// TestModelTwice proves that a site reached twice by each thread in the
// same loop context (a function not inlined, called twice) makes two
// requests of the whole warp, not one request a thread.
func TestModelTwice(t *testing.T) {
	l := cudaops.Launch{Kernel: "emutest_model_twice", Grid: [3]uint{1, 1, 1}, Block: [3]uint{32, 1, 1}}
	sites := modelRun(t, l, make([]float32, 32), make([]float32, 64))
	checkModel(t, "twice", sites, modelWant{space: "global", requests: 2, active: 64, bytes: 256, sectors: 8, ideal: 8})
}

// The figures of several launches add up per kernel and site, and a
// process's files merge into ModelTable's lines.
func TestModelReadAndTable(t *testing.T) {
	dir := t.TempDir()
	a := map[string][]SiteModel{"k": {{Site: "k.cu:3:5", Space: "global", Width: 4, Requests: 2, Active: 64, Bytes: 256, Sectors: 16, IdealSectors: 8}}}
	b := map[string][]SiteModel{"k": {{Site: "k.cu:3:5", Space: "global", Width: 4, Requests: 2, Active: 48, Divergent: 1, Bytes: 192, Sectors: 8, IdealSectors: 6},
		{Site: "k.cu:4:1", Space: "shared", Store: true, Width: 4, Requests: 4, Active: 128, Bytes: 512, Wavefronts: 12, IdealWavefronts: 4, Conflicts: 8}}}
	for i, m := range []map[string][]SiteModel{a, b} {
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got["k"]) != 2 {
		t.Fatalf("ReadModel: %+v, want 2 sites of k", got)
	}
	bySite := map[string]SiteModel{}
	for _, s := range got["k"] {
		bySite[s.Site] = s
	}
	if g := bySite["k.cu:4:1"]; !g.Store || g.ConflictsPerRequest() != 2 {
		t.Errorf("shared store %+v, want 2 conflicts a request", g)
	}
	l := bySite["k.cu:3:5"]
	if l.Requests != 4 || l.Sectors != 24 || l.IdealSectors != 14 || l.Divergence() != 0.25 || l.SectorsPerRequest() != 6 || l.IdealPerRequest() != 3.5 {
		t.Errorf("merged load %+v: want 4 requests, 24 sectors, 14 ideal, divergence 0.25", l)
	}
	sum := SumModel("k", got["k"])
	if sum.GlobalRequests != 4 || sum.SharedRequests != 4 || sum.Efficiency() != 14.0/24 {
		t.Errorf("SumModel %+v", sum)
	}
	table := ModelTable(got)
	for _, want := range []string{"k.cu:3:5", "k.cu:4:1", "100.0%", "6.00", "3.50", "1.71", "2.00", "0.250"} {
		if !strings.Contains(table, want) {
			t.Errorf("ModelTable lacks %q:\n%s", want, table)
		}
	}
}

// TestModelOff: without GBEMU_GPUMODEL a launch measures nothing.
func TestModelOff(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") != "" {
		t.Skip("GBEMU_GPUMODEL is set")
	}
	before := len(Model()["emutest_model_loop"])
	model.mu.Lock()
	model.last = nil
	model.mu.Unlock()
	l := cudaops.Launch{Kernel: "emutest_model_loop", Grid: [3]uint{1, 1, 1}, Block: [3]uint{32, 1, 1}}
	if err := Run(l, make([]float32, 32), make([]float32, 128)); err != nil {
		t.Fatal(err)
	}
	model.mu.Lock()
	last := model.last
	model.mu.Unlock()
	if last != nil || len(Model()["emutest_model_loop"]) != before {
		t.Errorf("the model measured a launch while off: %+v", last)
	}
}

// TestGPUModelReport writes the table of the figures the emulation tests
// wrote to GBEMU_GPUMODEL_REPORT (make gpumodel) into report.txt there,
// without the emulator's own test kernels; it is skipped unless that is
// set.
func TestGPUModelReport(t *testing.T) {
	dir := os.Getenv("GBEMU_GPUMODEL_REPORT")
	if dir == "" {
		t.Skip("GBEMU_GPUMODEL_REPORT is not set (make gpumodel sets it)")
	}
	m, err := ReadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if strings.HasPrefix(k, "emutest_") {
			delete(m, k) // the emulator's own test kernels
		}
	}
	if len(m) == 0 {
		t.Fatalf("no figures of the kernels in %s", dir)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(ModelTable(m)), 0o644); err != nil {
		t.Fatal(err)
	}
}
