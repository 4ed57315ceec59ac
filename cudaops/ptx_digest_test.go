package cudaops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genband/genband/cudaops/internal/ptxdigest"
)

// The paths of ptxdigest's constants, seen from this package's directory.
var (
	kernelsDir = filepath.Join("kernels")
	sumFile    = filepath.Join("ptx", "genband.ptx.sum")
)

// TestPTXDigest fails when a kernel source changed (or was added or
// removed) since make ptx built ptx/genband.ptx: the Go build cache does
// not see the .cu files, and without nvcc nothing else would notice that
// the embedded PTX is not what the emulation tests test.
func TestPTXDigest(t *testing.T) {
	if ptxdigest.KernelsDir != "cudaops/"+filepath.ToSlash(kernelsDir) || ptxdigest.SumFile != "cudaops/"+filepath.ToSlash(sumFile) {
		t.Fatalf("ptxdigest's paths %s, %s are not this test's %s, %s", ptxdigest.KernelsDir, ptxdigest.SumFile, kernelsDir, sumFile)
	}
	if err := ptxdigest.Check(kernelsDir, sumFile); err != nil {
		t.Error(err)
	}
}

// TestPTXDigestCatchesEdits runs the check of TestPTXDigest on copies of
// the kernel sources against the committed digest: a copy as it is (and
// one with CRLF line ends) passes, and each edit fails with an error that
// names the source and says to run make ptx.
func TestPTXDigestCatchesEdits(t *testing.T) {
	names, err := ptxdigest.Sources(kernelsDir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(t *testing.T, dir string)
		names string // the source the error names; "" when the check passes
	}{
		{"unedited", func(*testing.T, string) {}, ""},
		{"CRLF line ends", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, "mul.cu"), func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") })
		}, ""},
		{"a kernel edited", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, "mul.cu"), func(s string) string { return strings.Replace(s, "__syncthreads();", "", 1) })
		}, "mul.cu changed"},
		{"a header edited", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, "common.cuh"), func(s string) string { return s + "\n" })
		}, "common.cuh changed"},
		{"a kernel added", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "zz.cu"), []byte("// new\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "zz.cu is new"},
		{"a kernel removed", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "vecmul.cu")); err != nil {
				t.Fatal(err)
			}
		}, "vecmul.cu is gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range names {
				text, err := os.ReadFile(filepath.Join(kernelsDir, n))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, n), text, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c.edit(t, dir)
			err := ptxdigest.Check(dir, sumFile)
			switch {
			case c.names == "" && err != nil:
				t.Errorf("check failed: %v", err)
			case c.names != "" && err == nil:
				t.Errorf("check passed, want an error naming %q", c.names)
			case c.names != "" && (!strings.Contains(err.Error(), c.names) || !strings.Contains(err.Error(), "run make ptx")):
				t.Errorf("error %q does not say %q and %q", err, c.names, "run make ptx")
			}
		})
	}
}

// rewrite replaces the text of the file at path by f of it, and fails the
// test if f changes nothing (an edit that does not edit proves nothing).
func rewrite(t *testing.T, path string, f func(string) string) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := f(string(text))
	if edited == string(text) {
		t.Fatalf("%s: the edit changed nothing", path)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
}
