package main

import "testing"

// TestCompare: a swap of two registers' numbers, or of two labels', is the
// same program; a changed instruction, constant, register kind or order,
// or a missing line is not; the numbering starts again in each function.
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
	cases := []struct {
		name  string
		other string
		same  bool
	}{
		{"itself", base, true},
		{"registers swapped", `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %fd2, 0d3FF0000000000000;
	@%p1 bra $L__BB0_2;
	mov.f64 %fd1, 0d0000000000000000;
$L__BB0_2:
	add.f64 %fd3, %fd2, %fd1;
}
.visible .entry l(
	mov.f64 %fd2, 0d3FF0000000000000;
}
`, true},
		{"labels renumbered, and numbering restarts per function", `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %fd7, 0d3FF0000000000000;
	@%p9 bra $L__BB0_5;
	mov.f64 %fd8, 0d0000000000000000;
$L__BB0_5:
	add.f64 %fd3, %fd7, %fd8;
}
.visible .entry l(
	mov.f64 %fd0, 0d3FF0000000000000;
}
`, true},
		{"operands swapped", `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %fd1, 0d3FF0000000000000;
	@%p1 bra $L__BB0_2;
	mov.f64 %fd2, 0d0000000000000000;
$L__BB0_2:
	add.f64 %fd3, %fd2, %fd1;
}
.visible .entry l(
	mov.f64 %fd2, 0d3FF0000000000000;
}
`, false},
		{"a constant changed", `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %fd1, 0d4000000000000000;
	@%p1 bra $L__BB0_2;
	mov.f64 %fd2, 0d0000000000000000;
$L__BB0_2:
	add.f64 %fd3, %fd1, %fd2;
}
.visible .entry l(
	mov.f64 %fd2, 0d3FF0000000000000;
}
`, false},
		{"another register kind", `.visible .entry k(
	.reg .f64 %fd<4>;
	mov.f64 %f1, 0d3FF0000000000000;
	@%p1 bra $L__BB0_2;
	mov.f64 %fd2, 0d0000000000000000;
$L__BB0_2:
	add.f64 %fd3, %f1, %fd2;
}
.visible .entry l(
	mov.f64 %fd2, 0d3FF0000000000000;
}
`, false},
		{"a line missing", base[:len(base)-2], false},
	}
	for _, c := range cases {
		if _, _, _, same := compare(base, c.other); same != c.same {
			t.Errorf("%s: same %v, want %v", c.name, same, c.same)
		}
	}
}
