// Command ptxdigest writes or checks cudaops/ptx/genband.ptx.sum, the
// digest of the kernel sources the committed PTX was built from (package
// ptxdigest). Run from the module root:
//
//	go run ./cudaops/internal/ptxdigest/cmd/ptxdigest          # make ptx, after nvcc
//	go run ./cudaops/internal/ptxdigest/cmd/ptxdigest -check   # make ptx-check
//
// It exits 0 on success, 1 when -check finds the digest stale or a file
// cannot be read or written, 2 on bad usage.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/genband/genband/cudaops/internal/ptxdigest"
)

func main() {
	check := flag.Bool("check", false, "check the digest instead of writing it")
	dir := flag.String("kernels", ptxdigest.KernelsDir, "the kernel sources")
	sum := flag.String("sum", ptxdigest.SumFile, "the digest file")
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *check {
		if err := ptxdigest.Check(*dir, *sum); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	text, err := ptxdigest.Compute(*dir)
	if err == nil {
		err = os.WriteFile(*sum, text, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ptxdigest:", err)
		os.Exit(1)
	}
	fmt.Printf("ptxdigest: wrote %s\n", *sum)
}
