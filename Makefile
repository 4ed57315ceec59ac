# genband. `make demo` runs the examples, `make test` is what CI runs.
GO ?= go
OUT ?= out

.PHONY: demo test bench bench-mul fuzz

demo:
	$(GO) run ./examples/notebook -out $(OUT)/notebook
	$(GO) run ./examples/alignment -out $(OUT)/alignment

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./bandop

# The figures of BENCHMARKS.md.
bench-mul:
	$(GO) test -run '^$$' -bench '^BenchmarkMul' -benchtime 40x -cpu 1 ./bandop

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzMul$$' -fuzztime 60s ./bandop
