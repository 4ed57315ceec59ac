// Package doccheck finds the file paths that genband's documentation names
// and reports those that do not exist, so that a renamed or deleted file
// cannot leave a false claim behind. Its test runs it over README.md and
// the package documentation of every package of the module.
//
// A path is a word of the text (words end at white space, backquotes,
// quotes, brackets, commas and semicolons) that either has a slash and
// starts with a folder of the module (of the module root, or of the
// documented package's folder, as cudaops' doc names its kernels), or ends
// in a source file extension (.go, .cu, .cuh, .cc, .h, .c, .s, .sh, .md,
// .mod, .sum, .ptx, .txt). A path exists when a file or folder matches it
// relative to the package's folder or the module root; a path without a
// slash (emu.h) may lie in any folder of the module. * and <name> are
// wildcards (<package>/*_cuda.go). URLs, Go import paths, and the outputs
// that builds and programs write and the other names in NotChecked
// (build/..., out/...), are not checked.
package doccheck

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// NotChecked are the paths the documentation names that are not the
// module's files: mostly outputs, written by a build or a program rather
// than committed. A path equal to one, or under one that ends in a slash,
// is not checked.
var NotChecked = []string{
	"build/",        // every build output (git-ignored)
	"out/",          // make demo's pictures
	"run.sh",        // scripts/gpu-run.sh, copied into build/gpu
	"cuda.h",        // the CUDA toolkit's header, not the module's
	"cudnn.h",       // cuDNN's
	"report.txt",    // build/emucov/report.txt, named on its own
	"summary.txt",   // written by run.sh into its log folder
	"built.ptx",     // the arguments of ptxcmp's usage
	"committed.ptx", // ptxcmp's usage, too
}

var (
	urlRE   = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s)>\]]*`)
	splitRE = regexp.MustCompile("[\\s`'\"()\\[\\]{},;]+")
	extRE   = regexp.MustCompile(`[^/.][^/]*\.(go|cu|cuh|cc|h|c|s|sh|md|mod|sum|ptx|txt)$`)
	angleRE = regexp.MustCompile(`<[^<>/]*>`)
)

// Paths returns the paths text names, each once, in order of appearance;
// dirs are the folders a path with a slash may start with.
func Paths(text string, dirs []string) []string {
	var out []string
	for _, w := range splitRE.Split(urlRE.ReplaceAllString(text, " "), -1) {
		w = strings.TrimPrefix(w, "./")
		w = strings.TrimRight(w, ".:!?…")
		if w == "" {
			continue
		}
		first, _, hasSlash := strings.Cut(w, "/")
		var isPath bool
		switch {
		case !hasSlash:
			isPath = extRE.MatchString(w)
		case strings.Contains(first, "."):
			isPath = false // an import path (gorgonia.org/cu) or ../
		default:
			isPath = extRE.MatchString(w) || slices.Contains(dirs, first) || strings.HasPrefix(first, "<")
		}
		if isPath && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// isOutput reports whether p is one of NotChecked or lies under one.
func isOutput(p string) bool {
	for _, o := range NotChecked {
		if p == o || p == strings.TrimSuffix(o, "/") || strings.HasSuffix(o, "/") && strings.HasPrefix(p, o) {
			return true
		}
	}
	return false
}

// Missing returns the paths of text (documentation of the folder docDir,
// relative to the module root root) that exist neither relative to docDir
// nor to root, nor, for a path with no slash, anywhere in the module.
func Missing(root, docDir, text string) ([]string, error) {
	dirs, err := subdirs(root)
	if err != nil {
		return nil, err
	}
	if docDir != "." {
		local, err := subdirs(filepath.Join(root, docDir))
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, local...)
	}
	var missing []string
	for _, p := range Paths(text, dirs) {
		if isOutput(p) {
			continue
		}
		pattern := angleRE.ReplaceAllString(strings.TrimSuffix(p, "/"), "*")
		found := false
		for _, base := range []string{docDir, "."} {
			if m, _ := filepath.Glob(filepath.Join(root, base, filepath.FromSlash(pattern))); len(m) > 0 {
				found = true
				break
			}
		}
		if !found && !strings.Contains(pattern, "/") {
			found, err = anywhere(root, pattern)
			if err != nil {
				return nil, err
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// subdirs returns the names of the folders in dir, but the outputs'.
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != ".git" && !isOutput(e.Name()+"/") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// anywhere reports whether a file or folder of the module (outputs and
// .git aside) has a name that matches pattern.
func anywhere(root, pattern string) (bool, error) {
	found := false
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (d.Name() == ".git" || isOutput(filepath.ToSlash(rel)+"/")) {
			return filepath.SkipDir
		}
		if ok, _ := path.Match(pattern, d.Name()); ok && rel != "." {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found, err
}
