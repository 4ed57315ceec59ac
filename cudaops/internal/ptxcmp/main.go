// Command ptxcmp reports whether two PTX modules are the same program:
// equal once each function's virtual registers and block labels are
// numbered in the order they first appear. make ptx-check runs it on the
// committed module and one nvcc builds from the kernels' source, because
// nvcc does not number them the same way on every run (two builds of
// align_cells_bwd from one source differ only in which of two constants
// went into %fd340 and which into %fd341).
//
//	go run ./cudaops/internal/ptxcmp built.ptx committed.ptx
//
// It exits 0 when they are the same, 1 with the first differing line when
// not, 2 on bad usage.
package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ptxcmp built.ptx committed.ptx")
		os.Exit(2)
	}
	var texts [2]string
	for k, name := range os.Args[1:] {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ptxcmp:", err)
			os.Exit(2)
		}
		texts[k] = string(b)
	}
	if line, a, b, same := compare(texts[0], texts[1]); !same {
		fmt.Fprintf(os.Stderr, "ptxcmp: %s and %s differ at line %d:\n\t%s\n\t%s\n", os.Args[1], os.Args[2], line, a, b)
		os.Exit(1)
	}
}

// compare returns whether x and y are the same modules up to numbering,
// and when not the first line (1-based) where their canonical forms differ.
func compare(x, y string) (line int, a, b string, same bool) {
	cx, cy := strings.Split(canonical(x), "\n"), strings.Split(canonical(y), "\n")
	for k := range max(len(cx), len(cy)) {
		var lx, ly string
		if k < len(cx) {
			lx = cx[k]
		}
		if k < len(cy) {
			ly = cy[k]
		}
		if lx != ly || k >= len(cx) || k >= len(cy) {
			return k + 1, lx, ly, false
		}
	}
	return 0, "", "", true
}

// name matches a virtual register (%r12, %rd3, %fd340, %p7, …) or a block
// label ($L__BB2_172); group 1 is its kind, group 2 its number.
var name = regexp.MustCompile(`(%[a-z]+|\$L__BB[0-9]+_)([0-9]+)\b`)

// canonical renumbers the registers and labels of each function (from one
// .entry or .func line to the next) in the order they first appear, per
// kind. Declarations such as .reg .f64 %fd<377> are left as they are.
func canonical(ptx string) string {
	var out strings.Builder
	var seen map[string]int
	var count map[string]int
	for _, line := range strings.SplitAfter(ptx, "\n") {
		if seen == nil || strings.Contains(line, ".entry ") || strings.Contains(line, ".func ") {
			seen, count = map[string]int{}, map[string]int{}
		}
		out.WriteString(name.ReplaceAllStringFunc(line, func(tok string) string {
			m := name.FindStringSubmatch(tok)
			n, ok := seen[tok]
			if !ok {
				n = count[m[1]]
				count[m[1]]++
				seen[tok] = n
			}
			return m[1] + strconv.Itoa(n)
		}))
	}
	return out.String()
}
