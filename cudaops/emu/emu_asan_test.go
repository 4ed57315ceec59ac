//go:build asan

package emu

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/genband/genband/cudaops"
)

// Under go test -asan (make sanitize) the buffers have no guard bytes and
// the emulator's own access checks are off: AddressSanitizer catches an
// overrun of a buffer and UndefinedBehaviorSanitizer one of a static
// __shared__ array (which AddressSanitizer cannot: no redzones inside
// templates' thread-locals), each aborting the process. The broken kernel
// runs in a child process, which must die with the sanitizer's report.
func TestSanitizersCatch(t *testing.T) {
	if w := os.Getenv("GBEMU_BROKEN"); w != "" {
		what, _ := strconv.ParseInt(w, 10, 64)
		const n = 40
		in := make([]float32, n)
		l := cudaops.Launch{Kernel: "emutest_broken", Grid: [3]uint{3, 1, 1}, Block: [3]uint{16, 1, 1}, SharedBytes: 64, Args: []any{int64(n), what}}
		Run(l, make([]float32, n), slices.Clone(in))
		return
	}
	for what, want := range map[int]string{
		12: "ERROR: AddressSanitizer: heap-buffer-overflow",
		13: "index 64 out of bounds for type 'float [64]'",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSanitizersCatch$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GBEMU_BROKEN="+strconv.Itoa(what), "UBSAN_OPTIONS=halt_on_error=1")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("what %d: the child %v, want it to die with %q; its output:\n%s", what, err, want, out)
		}
	}
}
