#!/usr/bin/env bash
# Runs the GPU suite that scripts/gpu-bundle.sh packed beside this script
# (bundle.tar.gz; make cuda-bundle puts both into build/gpu, as run.sh), on
# a machine with an NVIDIA GPU and driver, within a time budget:
#
#	run.sh OUTDIR [BUDGET_SECONDS]   (or GPU_RUN_BUDGET; default 480)
#
# It unpacks the bundle into a temporary folder and runs, in this order,
# each step under its own timeout, no step past the budget:
#
#  1. the TestCUDA* tests of each binary that has some (tests.txt), plainly;
#  2. the BenchmarkCUDA* benchmarks of each binary that has some (bench.txt);
#  3. the tests of step 1 under compute-sanitizer's memcheck;
#  4. the same under racecheck, then synccheck, then initcheck.
#
# A step whose time limit would be under MIN_STEP (20) seconds is skipped,
# as are the sanitizer steps where there is no compute-sanitizer. Each
# phase's steps write one log, OUTDIR/<phase>.log (test, bench, memcheck,
# racecheck, synccheck, initcheck: with the summary, eight files at most,
# what a device call brings back), a section per binary; OUTDIR/summary.txt
# starts with the GPU (nvidia-smi -L) and gets one line per step as it
# ends: the step (<binary>-<phase>), its exit status (124 or 137: its
# timeout; "skip" when it did not run) and its seconds. Go's own
# -test.timeout stops a test binary a little before its step's timeout, so
# that a hung test's log ends with every goroutine's stack. lib/ holds the
# cuBLAS 11 stand-in that Gorgonia's cuda build links
# (scripts/cublas-stub.sh); GPU_RUN_CUBLAS=system leaves it out, for a
# machine with a real cuBLAS 11. Exits 1 when a step failed or timed out, 0 otherwise (skipped
# steps do not fail it: the summary shows them).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
start=$SECONDS
out=${1:?usage: run.sh OUTDIR [BUDGET_SECONDS]}
budget=${2:-${GPU_RUN_BUDGET:-480}}
[[ $budget =~ ^[0-9]+$ ]] || { echo "run.sh: budget $budget is not a number of seconds" >&2; exit 2; }
MIN_STEP=${MIN_STEP:-20}
mkdir -p "$out"
out=$(cd "$out" && pwd)
summary=$out/summary.txt
rm -f "$summary" "$out"/{test,bench,memcheck,racecheck,synccheck,initcheck}.log

work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-run.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$here/bundle.tar.gz" || { echo "run.sh: cannot unpack $here/bundle.tar.gz" >&2; exit 2; }
[ "${GPU_RUN_CUBLAS:-}" = system ] || export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
bins=("$work"/*.test)
rc=0

# step PHASE BINARY CAP COMMAND...: runs COMMAND under a timeout of CAP
# seconds or what is left of the budget, whichever is less; its output is
# appended to OUTDIR/PHASE.log, its line to the summary. The test binary's
# -test.timeout (the placeholder GOTIMEOUT in COMMAND) comes from the same
# limit.
step() {
	local phase=$1 name=$2-$1 cap=$3
	shift 3
	local left=$((budget - (SECONDS - start)))
	local t=$((cap < left ? cap : left))
	if [ "$t" -lt "$MIN_STEP" ]; then
		printf '%-28s %4s %5d\n' "$name" skip 0 >>"$summary"
		echo "=== $name: skipped, a limit of $t s ($left s of the budget left)"
		return
	fi
	local args=() a
	for a in "$@"; do
		[ "$a" = GOTIMEOUT ] && a=-test.timeout=$((t > 20 ? t - 10 : (t + 1) / 2))s
		args+=("$a")
	done
	local log=$out/$phase.log s=$SECONDS
	echo "=== $name (at most $t s): ${args[*]}" | tee -a "$log"
	local from=$(($(wc -l <"$log") + 1))
	timeout -k 10 "$t" "${args[@]}" >>"$log" 2>&1
	local r=$?
	printf '%-28s %4d %5d\n' "$name" "$r" $((SECONDS - s)) >>"$summary"
	tail -n +"$from" "$log" | tail -n 10
	echo "=== $name: exit $r after $((SECONDS - s)) s" | tee -a "$log"
	[ $r -eq 0 ] || rc=1
}

{
	echo "# $(nvidia-smi -L 2>&1 | head -n 4 | tr '\n' ' ')"
	echo "# budget $budget s; step, exit status, seconds"
} | tee "$summary"

# 1. The tests, plainly: a quarter of the budget at most each.
for t in "${bins[@]}"; do
	n=$(basename "$t" .test)
	grep -qx "$n.test" "$work/tests.txt" || continue
	step test "$n" $((budget / 4)) "$t" -test.count=1 -test.v -test.run '^TestCUDA' GOTIMEOUT
done

# 2. The benchmarks, three iterations each: the alignment benchmark alone
# is 128 alignments of 900×900 forward and backward.
for t in "${bins[@]}"; do
	n=$(basename "$t" .test)
	grep -qx "$n.test" "$work/bench.txt" || continue
	step bench "$n" $((budget / 4)) "$t" -test.count=1 -test.run '^$' -test.bench '^BenchmarkCUDA' -test.benchtime 3x GOTIMEOUT
done

# 3, 4. compute-sanitizer, memcheck first, each tool over every binary.
san=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1 || true)
for tool in memcheck racecheck synccheck initcheck; do
	for t in "${bins[@]}"; do
		n=$(basename "$t" .test)
		grep -qx "$n.test" "$work/tests.txt" || continue
		if [ -z "$san" ]; then
			printf '%-28s %4s %5d\n' "$n-$tool" skip 0 >>"$summary"
			echo "=== $n-$tool: skipped, no compute-sanitizer"
			continue
		fi
		step "$tool" "$n" "$budget" "$san" --tool "$tool" --error-exitcode 3 "$t" -test.count=1 -test.run '^TestCUDA' GOTIMEOUT
	done
done

echo "=== summary ($((SECONDS - start)) s of $budget):"
cat "$summary"
exit $rc
