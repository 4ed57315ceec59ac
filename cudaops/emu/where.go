package emu

/*
#include <stdint.h>
uintptr_t gbemu_launch_addr(void);
*/
import "C"

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// where returns " (at file:line)", the kernel source line of the code at
// pc (a return address into the kernel unit, from an access check), a
// hint when the test binary has no line table (go test strips it; go test
// -c and go build keep it), or "" when pc is 0 or unknown.
func where(pc uintptr) string {
	if pc == 0 {
		return ""
	}
	lines.once.Do(loadLines)
	if lines.d == nil {
		return " (for the kernel's source line, run a test binary built with go test -c: go test strips the line table)"
	}
	le, ok := sourceLine(pc)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (at %s:%d)", filepath.Base(le.File.Name), le.Line)
}

// sourceLine returns the line table's row for the code at pc (a return
// address into the kernel unit), if the binary has a line table and pc is
// in it.
func sourceLine(pc uintptr) (dwarf.LineEntry, bool) {
	lines.once.Do(loadLines)
	if lines.d == nil || pc == 0 {
		return dwarf.LineEntry{}, false
	}
	target := uint64(pc-1) - lines.bias
	r := lines.d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			return dwarf.LineEntry{}, false
		}
		if e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
			continue
		}
		ranges, err := lines.d.Ranges(e)
		in := false
		for _, rg := range ranges {
			if target >= rg[0] && target < rg[1] {
				in = true
			}
		}
		if err != nil || !in {
			r.SkipChildren()
			continue
		}
		lr, err := lines.d.LineReader(e)
		if err != nil || lr == nil {
			return dwarf.LineEntry{}, false
		}
		// The row of the sequence holding target with the greatest address
		// at or below it (SeekPC gives up on g++'s split sequences).
		var le, prev, best dwarf.LineEntry
		found := false
		for lr.Next(&le) == nil {
			if !le.EndSequence && prev.File != nil && !prev.EndSequence && prev.Address <= target && target < le.Address {
				if !found || prev.Address > best.Address {
					best, found = prev, true
				}
			}
			prev = le
		}
		if !found || best.File == nil {
			return dwarf.LineEntry{}, false
		}
		return best, true
	}
}

var lines struct {
	once sync.Once
	d    *dwarf.Data
	bias uint64
}

func loadLines() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := elf.Open(exe)
	if err != nil {
		return
	}
	syms, err := f.Symbols()
	if err != nil {
		return
	}
	for _, s := range syms {
		if s.Name == "gbemu_launch" {
			lines.bias = uint64(C.gbemu_launch_addr()) - s.Value
			d, err := f.DWARF()
			if err == nil {
				lines.d = d
			}
			return
		}
	}
}
