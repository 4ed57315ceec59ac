package ptxdigest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDigestFile: a digest file Compute wrote passes, and one whose
// header or lines are not Compute's fails with the reason and the fix.
func TestCheckDigestFile(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"a.cu": "kernel a\n", "b.cuh": "header b\n", "notes.txt": "not a source\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, err := Compute(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(good), "notes.txt") || !strings.Contains(string(good), "  a.cu\n") || !strings.Contains(string(good), "  b.cuh\n") {
		t.Fatalf("digest lists other files than a.cu and b.cuh:\n%s", good)
	}
	cases := []struct {
		name string
		text string
		want string // in the error; "" for none
	}{
		{"as written", string(good), ""},
		{"CRLF", strings.ReplaceAll(string(good), "\n", "\r\n"), ""},
		{"no header", strings.SplitN(string(good), "\n", 2)[1], "is not the header"},
		{"a truncated sum", strings.Replace(string(good), "  a.cu", "a.cu", 1), "is not \"<sha256>  <name>\""},
		{"empty", "", "is not the header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sum := filepath.Join(t.TempDir(), "x.sum")
			if err := os.WriteFile(sum, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Check(dir, sum)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("check failed: %v", err)
			case c.want != "" && err == nil:
				t.Errorf("check passed, want an error saying %q", c.want)
			case c.want != "" && (!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "run make ptx")):
				t.Errorf("error %q does not say %q and run make ptx", err, c.want)
			}
		})
	}
	if err := Check(dir, filepath.Join(dir, "missing.sum")); err == nil || !strings.Contains(err.Error(), "run make ptx") {
		t.Errorf("a missing digest file: error %v, want one saying run make ptx", err)
	}
	if _, err := Compute(t.TempDir()); err == nil {
		t.Error("Compute of a directory with no source: no error")
	}
}
