package doccheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the module root, seen from this package's folder.
const root = "../.."

// TestDocPaths: every file path that README.md and the package
// documentation of every package name exists (or is a build output).
func TestDocPaths(t *testing.T) {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not %s: %v", root, err)
	}
	type doc struct{ name, dir, text string }
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs := []doc{{"README.md", ".", string(readme)}}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || isOutput(rel+"/")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		if f.Doc != nil {
			docs = append(docs, doc{rel, filepath.Dir(rel), f.Doc.Text()})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	checked := 0
	for _, d := range docs {
		m, err := Missing(root, d.dir, d.text)
		if err != nil {
			t.Fatal(err)
		}
		dirs, _ := subdirs(root)
		checked += len(Paths(d.text, dirs))
		for _, p := range m {
			missing = append(missing, d.name+": "+p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d paths the documentation names do not exist (add a build output to NotChecked):\n\t%s",
			len(missing), strings.Join(missing, "\n\t"))
	}
	// The check is not vacuous: README's own paths are among those found.
	dirs, _ := subdirs(root)
	readmePaths := Paths(string(readme), dirs)
	for _, want := range []string{"cudaops/kernels/*.cu", "scripts/cuda-toolkit.sh", "cudaops/emu/testdata/broken.cu", "internal/"} {
		if !slices.Contains(readmePaths, want) {
			t.Errorf("README.md: %s not found among its paths %v", want, readmePaths)
		}
	}
	if len(docs) < 10 || checked < 50 {
		t.Errorf("only %d documents and %d paths checked", len(docs), checked)
	}
}

// TestMissing runs Missing on a small tree: paths that exist relative to
// the documented package or the root, globs and <name> wildcards that
// match, bare names anywhere, URLs, import paths and outputs pass; each
// path that names nothing is reported, once.
func TestMissing(t *testing.T) {
	tree := t.TempDir()
	for _, f := range []string{"go.mod", "pkg/doc.go", "pkg/kernels/a.cu", "pkg/deep/emu.h", "scripts/x.sh", "other/op_cuda.go"} {
		p := filepath.Join(tree, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, dir, text string
		want            []string
	}{
		{"root paths", ".", "see `pkg/doc.go`, scripts/x.sh and ./scripts/x.sh.", nil},
		{"a missing file", ".", "see `pkg/gone.go` (and pkg/gone.go again)", []string{"pkg/gone.go"}},
		{"a folder", ".", "lives in `pkg/kernels/`; not in pkg/nothing/", []string{"pkg/nothing/"}},
		{"globs", ".", "pkg/kernels/*.cu, <package>/<op>_cuda.go, pkg/kernels/*.cuh", []string{"pkg/kernels/*.cuh"}},
		{"relative to the package", "pkg", "kernels/a.cu and deep/emu.h; kernels/b.cu", []string{"kernels/b.cu"}},
		{"bare names anywhere", ".", "emu.h, a.cu, go.mod; nope.cc", []string{"nope.cc"}},
		{"not paths", ".", "https://github.com/x/y.go, gorgonia.org/cu/dnn.go, bandop.Mul, and/or, x/y", nil},
		{"outputs", ".", "build/gpu/bundle.tar.gz, build/go.cuda.mod, out/train, run.sh, cuda.h", nil},
		{"a script", ".", "run scripts/y.sh", []string{"scripts/y.sh"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Missing(tree, c.dir, c.text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Missing(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

// TestReadmeListsInternal: the Layout table's internal/ row names every
// package under internal/, so that a new one cannot go undescribed.
func TestReadmeListsInternal(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "| `internal/` |") {
			row = l
		}
	}
	if row == "" {
		t.Fatal("README.md has no Layout row for internal/")
	}
	entries, err := os.ReadDir(filepath.Join(root, "internal"))
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if gofiles, _ := filepath.Glob(filepath.Join(root, "internal", e.Name(), "*.go")); len(gofiles) == 0 {
			continue
		}
		listed++
		if !strings.Contains(row, "`"+e.Name()+"`") {
			t.Errorf("README.md's internal/ row does not name package internal/%s", e.Name())
		}
	}
	if listed == 0 {
		t.Error("no package found under internal/")
	}
}
