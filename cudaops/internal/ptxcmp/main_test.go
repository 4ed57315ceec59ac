package main

import (
	"strings"
	"testing"
)

// TestCompare: a swap of two registers' numbers, or of two labels', is the
// same program; a changed instruction, constant, register kind or order,
// or a missing line is not; the numbering starts again in each function.
// Each case is an edit of base.
func TestCompare(t *testing.T) {
	const base = `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %fd1, 0d3FF0000000000000;
	@%p1 bra $L__BB0_2;
	mov.f64 %fd2, 0d0000000000000000;
$L__BB0_2:
	add.f64 %fd3, %fd1, %fd2;
}
.visible .entry l(
	mov.f64 %fd2, 0d3FF0000000000000;
}
`
	// k is base's first function, l its second.
	k, l := base[:strings.Index(base, ".visible .entry l(")], base[strings.Index(base, ".visible .entry l("):]
	cases := []struct {
		name  string
		other string
		same  bool
	}{
		{"itself", base, true},
		{"registers swapped", strings.NewReplacer("%fd1", "%fd2", "%fd2", "%fd1").Replace(k) + l, true},
		{"labels and registers renumbered, numbering restarted per function",
			strings.NewReplacer("%fd1", "%fd7", "%fd2", "%fd8", "%p1", "%p9", "$L__BB0_2", "$L__BB0_5").Replace(k) +
				strings.Replace(l, "%fd2", "%fd0", 1), true},
		{"operands swapped", strings.Replace(base, "%fd1, %fd2;", "%fd2, %fd1;", 1), false},
		{"a constant changed", strings.Replace(base, "%fd1, 0d3FF0000000000000", "%fd1, 0d4000000000000000", 1), false},
		{"another register kind", strings.ReplaceAll(k, "%fd1", "%f1") + l, false},
		{"a line missing", base[:len(base)-2], false},
	}
	for _, c := range cases {
		if c.other == base && c.name != "itself" {
			t.Fatalf("%s: the edit changed nothing", c.name)
		}
		if _, _, _, same := compare(base, c.other); same != c.same {
			t.Errorf("%s: same %v, want %v", c.name, same, c.same)
		}
	}
}
