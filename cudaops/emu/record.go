//go:build cgo

package emu

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/genband/genband/cudaops"
)

// Recording launches for the ThreadSanitizer replay (make sanitize,
// tsan/replay.cc): with GBEMU_RECORD set to a directory, every launch whose
// kernel matches the regular expression GBEMU_RECORD_KERNELS (all when it
// is unset) is written there, before it runs, as one file: its geometry,
// scalars and buffers, enough for the replay driver to launch it again.
//
// The format (all numbers in decimal, one header line each):
//
//	gbemu-launch 1
//	<kernel>
//	<grid x y z> <block x y z> <shared bytes>
//	<n> <word 0> ... <word n-1>        (every parameter's 8-byte word; pointers 0)
//	<buffers>
//	then per buffer: "<output 0|1> <element size> <bytes>\n" and the bytes
var rec struct {
	once    sync.Once
	dir     string
	kernels *regexp.Regexp
	mu      sync.Mutex
	n       int
	err     error
}

// recBuf is one buffer of a launch being recorded.
type recBuf struct {
	data   []byte
	elem   int
	output bool
}

func recording() bool {
	rec.once.Do(func() {
		rec.dir = os.Getenv("GBEMU_RECORD")
		if re := os.Getenv("GBEMU_RECORD_KERNELS"); re != "" && rec.dir != "" {
			rec.kernels, rec.err = regexp.Compile(re)
		}
		if rec.dir != "" && rec.err == nil {
			rec.err = os.MkdirAll(rec.dir, 0o755)
		}
		if rec.err != nil {
			fmt.Fprintln(os.Stderr, "emu: GBEMU_RECORD:", rec.err)
			rec.dir = ""
		}
	})
	return rec.dir != ""
}

// record writes launch l, whose parameter words are words (scalars in
// place, pointers 0) and buffers bufs.
func record(l cudaops.Launch, scalars []uint64, bufs []recBuf) {
	if rec.kernels != nil && !rec.kernels.MatchString(l.Kernel) {
		return
	}
	k := table[l.Kernel]
	words := make([]uint64, len(k.params))
	si := 0
	for i := range k.params {
		if c := k.params[i]; c == 'j' || c == 'x' {
			words[i] = scalars[si]
			si++
		}
	}
	rec.mu.Lock()
	rec.n++
	name := filepath.Join(rec.dir, fmt.Sprintf("%d-%05d-%s.launch", os.Getpid(), rec.n, l.Kernel))
	rec.mu.Unlock()
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "emu: recording:", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "gbemu-launch 1\n%s\n%d %d %d %d %d %d %d\n%d", l.Kernel, l.Grid[0], l.Grid[1], l.Grid[2], l.Block[0], l.Block[1], l.Block[2], l.SharedBytes, len(words))
	for _, w := range words {
		fmt.Fprintf(f, " %d", w)
	}
	fmt.Fprintf(f, "\n%d\n", len(bufs))
	for _, b := range bufs {
		out := 0
		if b.output {
			out = 1
		}
		fmt.Fprintf(f, "%d %d %d\n", out, b.elem, len(b.data))
		if _, err := f.Write(b.data); err != nil {
			fmt.Fprintln(os.Stderr, "emu: recording:", err)
			return
		}
	}
}
