#!/usr/bin/env bash
# Runs the cuda-tagged test binaries that `make cuda-test` put beside this
# script, on a machine with an NVIDIA GPU and driver. lib/ holds the cuBLAS 11
# stand-in (scripts/cublas-stub.sh) that Gorgonia's cuda build links. Each
# binary's TestCUDA* tests run plainly, then under compute-sanitizer's
# memcheck, racecheck, synccheck and initcheck, then its BenchmarkCUDA*.
# Usage: run.sh [OUTDIR]   (logs go to OUTDIR, default: this folder)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
rc=0
nvidia-smi -L || true
step() { # name, command...
	local name=$1
	shift
	echo "=== $name: $*"
	"$@" >"$out/$name.log" 2>&1
	local r=$?
	tail -n 40 "$out/$name.log"
	echo "=== $name: exit $r"
	[ $r -eq 0 ] || rc=1
}
san=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
for t in "$here"/*.test; do
	n=$(basename "$t" .test)
	step "$n" "$t" -test.count=1 -test.v -test.run '^TestCUDA'
	if [ -n "$san" ]; then
		for tool in memcheck racecheck synccheck initcheck; do
			step "$n-$tool" "$san" --tool "$tool" --error-exitcode 3 "$t" -test.count=1 -test.run '^TestCUDA'
		done
	fi
	if "$t" -test.list '^BenchmarkCUDA' | grep -q .; then
		# Three runs: the alignment benchmark alone is 128 alignments of
		# 900×900 forward and backward, and device time is short.
		step "$n-bench" "$t" -test.run '^$' -test.bench '^BenchmarkCUDA' -test.benchtime 3x
	fi
done
exit $rc
