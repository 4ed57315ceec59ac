# genband. `make demo` runs the examples, `make test` is what CI runs.
GO ?= go
OUT ?= out

# -trimpath keys Go's build cache by a package's content rather than by
# the folder of the checkout, so a fresh clone reuses what another clone
# of the same code built (make test on a warm cache: about 1 min instead of
# 2, most of the difference the emulator's C++); file paths in stack
# traces read module-relative.
export GOFLAGS := -trimpath $(GOFLAGS)

.PHONY: demo test bench bench-mul fuzz

demo:
	$(GO) run ./examples/notebook -out $(OUT)/notebook
	$(GO) run ./examples/alignment -out $(OUT)/alignment
	$(GO) run ./examples/train -out $(OUT)/train
	$(GO) run ./examples/attention -out $(OUT)/attention
	$(GO) run ./examples/ctc -out $(OUT)/ctc
	$(GO) run ./examples/affine -out $(OUT)/affine

# test also checks the kernels' coverage: every emulated launch of the
# suite counts its loops' trips and barriers' passes into build/emucov, and
# TestKernelCoverage then requires two of each for every kernel (its
# report: build/emucov/report.txt). Then it runs internal/fastexp's pure-Go
# loops (what runs without AVX2 and FMA or off amd64: the purego tag) and
# the kernels of bandop and genmul on them against their references (~20 s).
# The cross checks (no cgo, as in any cross build: cudaops/emu's nocgo.go)
# keep other architectures compiling: 386's vet, tests included, covers the
# pure-Go fallback and a 32-bit int; arm64 (64-bit, no file of its own) is
# only built, as its vet would check the same files again (~20 s cold).
EMUCOV = $(CURDIR)/build/emucov

test:
	$(GO) vet ./...
	CGO_ENABLED=0 GOARCH=386 $(GO) vet ./...
	CGO_ENABLED=0 GOARCH=arm64 $(GO) build ./...
	rm -rf $(EMUCOV)
	GBEMU_COVERAGE=$(EMUCOV) $(GO) test -count=1 ./...
	GBEMU_COVERAGE_CHECK=$(EMUCOV) $(GO) test -count=1 -run '^TestKernelCoverage$$' ./cudaops/emu
	$(GO) test -count=1 -tags purego ./internal/fastexp
	$(GO) test -count=1 -short -tags purego -run 'Dense|Ref|Products|MaxTies|NegInf|LogGrad|Scan' ./bandop ./genmul

# sanitize runs the emulation tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (go test -asan; cudaops/emu/checks_asan.go adds
# UBSan), then replays every launch they make under ThreadSanitizer
# (cudaops/emu/tsan/replay.cc, built here with -fsanitize=thread around the
# emulator): a race between threads of a block with no barrier between
# them, or between blocks, fails it. The replay first proves it sees a
# barrier-less read (emutest_broken) and no race in the same kernel with
# its barrier. CI runs it after make test. Needs g++ with libasan, libubsan
# and libtsan (Debian's g++ has them; installed when missing).
SANITIZE_PKGS = ./cudaops/emu ./bandop ./align ./genmul ./attention ./ctc
SANITIZE_RUN = Emu|Geometry|Checks|Reduce|Early|RunErrors|Arith|Sanitizers
TSAN = build/tsan
CXX ?= g++
# ThreadSanitizer needs a low-entropy address layout on some kernels.
NOASLR = $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)

.PHONY: sanitize sanitize-asan sanitize-tsan

sanitize: sanitize-asan sanitize-tsan

sanitize-asan:
	command -v g++ >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends g++; }
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $(GO) test -asan -count=1 -run '$(SANITIZE_RUN)' $(SANITIZE_PKGS)

sanitize-tsan:
	command -v g++ >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends g++; }
	mkdir -p $(TSAN)
	$(CXX) -std=c++17 -O1 -g -fsanitize=thread -DGBEMU_TSAN -o $(TSAN)/replay cudaops/emu/emu.cc \
		cudaops/emu/emu_check.cc cudaops/emu/zkernels.cc cudaops/emu/tsan/replay.cc -lpthread
	$(NOASLR) $(TSAN)/replay -selftest 0
	if $(NOASLR) $(TSAN)/replay -selftest 11 2>$(TSAN)/selftest.log; then \
		echo "sanitize: the replay missed the race of emutest_broken without its barrier"; exit 1; fi
	grep -q 'SUMMARY: ThreadSanitizer: data race .*broken.cu:.* in emutest_broken' $(TSAN)/selftest.log || \
		{ cat $(TSAN)/selftest.log; exit 1; }
	rm -rf $(TSAN)/launches
	GBEMU_RECORD=$(CURDIR)/$(TSAN)/launches GBEMU_RECORD_KERNELS='^[^e]' \
		$(GO) test -count=1 -run 'Emu|Geometry' ./bandop ./align ./genmul ./attention ./ctc ./cudaops/emu
	$(NOASLR) $(TSAN)/replay $(TSAN)/launches

# gpumodel runs every package's emulation tests (those named *Emu*, among
# them the TestGPUModelEmu drivers at realistic sizes) under the emulator's
# GPU memory model (cudaops/emu/model.go: per load and store site, warp
# requests, 32-byte sectors against the ideal, shared bank conflicts,
# divergence), with the line table kept so that sites are file:line:col,
# then writes the table, a line per kernel and site and one per kernel, to
# build/gpumodel/report.txt (BENCHMARKS.md, "GPU memory model").
GPUMODEL = $(CURDIR)/build/gpumodel

.PHONY: gpumodel

gpumodel:
	rm -rf $(GPUMODEL)
	GBEMU_GPUMODEL=$(GPUMODEL) $(GO) test -count=1 -ldflags='-s=false -w=false' -run 'Emu' ./...
	GBEMU_GPUMODEL_REPORT=$(GPUMODEL) $(GO) test -count=1 -run '^TestGPUModelReport$$' ./cudaops/emu
	@echo "gpumodel: $(GPUMODEL)/report.txt"

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./bandop

# The figures of BENCHMARKS.md.
bench-mul:
	$(GO) test -run '^$$' -bench '^BenchmarkMul' -benchtime 40x -cpu 1 ./bandop

# fuzz runs each fuzz target for a minute (see README "Testing" for longer
# runs): FuzzMul, the banded product against the dense one, and FuzzAlign,
# the alignment's log Z and marginals against the plain references.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzMul$$' -fuzztime 60s ./bandop
	$(GO) test -run '^$$' -fuzz '^FuzzAlign$$' -fuzztime 60s ./align

# CUDA (see README "CUDA"). cuda-toolkit installs Debian's CUDA 11.8 when nvcc
# is missing. cuda-build compiles every package and links every test binary
# with -tags cuda through build/go.cuda.mod, whose gorgonia.org/cu has our
# cuDNN stand-in (scripts/cuda-modfile.sh). cuda-bundle packs the stripped
# test binaries of the packages with GPU tests and a cuBLAS 11 stand-in into
# build/gpu/bundle.tar.gz, beside run.sh (scripts/gpu-bundle.sh), and fails
# when the bundle is over 40 MiB (it travels to a GPU machine with the
# working tree; CI runs it). cuda-test runs build/gpu/run.sh when a GPU is
# present (logs in build/gpu-logs).
CUDA_GO = -tags cuda -modfile build/go.cuda.mod

.PHONY: cuda-toolkit cuda-modfile cuda-build cuda-bundle cuda-test ptx ptx-check

# ptx rebuilds the committed PTX module from the one translation unit that
# includes every kernel (cudaops/kernels/genband.cu, generated with the
# emulator's table by go generate ./cudaops/emu). ptx-check rebuilds it
# into build/ and fails when the committed copy is another program
# (cudaops/internal/ptxcmp: nvcc does not number the registers of every
# function the same way on every run, so the texts may differ there).
# make ptx also writes cudaops/ptx/genband.ptx.sum, the digest of the
# kernel sources it built from (cudaops/internal/ptxdigest): make test
# (cudaops TestPTXDigest) and make ptx-check fail when a source changed
# since, so a kernel edit without make ptx fails even where there is no nvcc.
PTXDIGEST = $(GO) run ./cudaops/internal/ptxdigest/cmd/ptxdigest
NVCC ?= nvcc
NVCC_FLAGS = -ptx -arch=compute_70 -std=c++14

ptx:
	command -v $(NVCC) >/dev/null || ./scripts/cuda-toolkit.sh
	$(NVCC) $(NVCC_FLAGS) -o cudaops/ptx/genband.ptx cudaops/kernels/genband.cu
	$(PTXDIGEST)

ptx-check:
	command -v $(NVCC) >/dev/null || ./scripts/cuda-toolkit.sh
	mkdir -p build
	$(NVCC) $(NVCC_FLAGS) -o build/genband.ptx cudaops/kernels/genband.cu
	$(GO) run ./cudaops/internal/ptxcmp build/genband.ptx cudaops/ptx/genband.ptx || { echo "ptx-check: cudaops/ptx/genband.ptx is stale: run make ptx (after go generate ./cudaops/emu) and commit it"; exit 1; }
	$(PTXDIGEST) -check

cuda-toolkit:
	./scripts/cuda-toolkit.sh

cuda-modfile:
	./scripts/cuda-modfile.sh

# cuda-build's last step links every test binary without running it (-exec
# /bin/true: a cuda-tagged binary exits where no GPU is; go test -c -o dir/
# refuses two packages of one name, such as ctc and examples/ctc).
cuda-build: cuda-toolkit cuda-modfile
	$(GO) build $(CUDA_GO) ./...
	$(GO) vet $(CUDA_GO) ./...
	$(GO) test -count=1 -exec /bin/true $(CUDA_GO) ./... >build/cuda-tests.log 2>&1 || { cat build/cuda-tests.log; exit 1; }

cuda-bundle: cuda-toolkit cuda-modfile
	GO=$(GO) ./scripts/gpu-bundle.sh build/gpu

cuda-test: cuda-bundle
	if nvidia-smi -L >/dev/null 2>&1; then build/gpu/run.sh build/gpu-logs; \
	else echo "cuda-test: no GPU here; carry build/gpu to a GPU machine and run build/gpu/run.sh LOGDIR [SECONDS] (README, CUDA)"; fi
