//go:build cgo

package emu

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/genband/genband/cudaops/emu/internal/kgen"
)

// coverageExempt lists the sites that no launch of a kernel can run twice,
// keyed "kernel file:line", with the reason.
var coverageExempt = map[string]string{
	"mul_fwd_f64 mul.cu:101": "the loop staging A's slots runs e from the thread's index to MUL_TR·KA = 16·16 = 256 in steps of the block's 256 threads: one trip by construction for double (two for float, where KA = 32)",
}

// TestKernelCoverage checks, after the whole suite has run with
// GBEMU_COVERAGE set (make test), that every kernel of the PTX was launched
// and that each of its loops made at least two trips in one entry, and each
// of its barriers at least two passes in one block (one for a barrier
// outside every loop), in some launch of the suite; and that every loop
// and barrier of the kernel sources was reached that way by some kernel.
// It names the launch (kernel, grid, block, scalars) that does it for each
// site, in GBEMU_COVERAGE_CHECK/report.txt; it is skipped unless
// GBEMU_COVERAGE_CHECK names the directory the suite wrote.
func TestKernelCoverage(t *testing.T) {
	dir := os.Getenv("GBEMU_COVERAGE_CHECK")
	if dir == "" {
		t.Skip("GBEMU_COVERAGE_CHECK is not set (make test sets it after the suite)")
	}
	got, err := ReadCoverage(dir)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := kgen.Sites(".")
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	reached := map[string]bool{} // file:line → some kernel reached it
	var failures []string
	for _, k := range Kernels() {
		cs, ok := got[k]
		if !ok {
			failures = append(failures, fmt.Sprintf("kernel %s was never launched (or never succeeded)", k))
			continue
		}
		report.WriteString(coverageString(k, cs))
		for _, s := range cs {
			key := fmt.Sprintf("%s:%d", s.File, s.Line)
			reached[key] = true
			if s.Count >= s.Required() {
				continue
			}
			if why, ok := coverageExempt[k+" "+s.Site()]; ok {
				report.WriteString(fmt.Sprintf("%s\t%s\texempt: %s\n", k, s.Site(), why))
				continue
			}
			what := "loop made at most %d trips in one entry, want %d"
			if s.Barrier {
				what = "barrier was passed at most %d times by one block, want %d"
			}
			failures = append(failures, fmt.Sprintf("%s: the %s (best launch: %s)", k, fmt.Sprintf("%s at %s: "+what, map[bool]string{true: "barrier", false: "loop"}[s.Barrier], s.Site(), s.Count, s.Required()), s.Launch))
		}
	}
	for _, s := range sites {
		key := fmt.Sprintf("%s:%d", s.File, s.Line)
		site := fmt.Sprintf("%s:%d", filepath.Base(s.File), s.Line)
		if reached[key] {
			continue // reported above, per kernel
		}
		failures = append(failures, fmt.Sprintf("the %s at %s was never reached by any launch", map[bool]string{true: "barrier", false: "loop"}[s.Barrier], site))
	}
	sort.Strings(failures)
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(report.String()), 0o644); err != nil {
		t.Error(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) > 0 {
		t.Logf("every site's best launch: %s", filepath.Join(dir, "report.txt"))
	}
}
