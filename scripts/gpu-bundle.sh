#!/usr/bin/env bash
# Usage: scripts/gpu-bundle.sh OUTDIR   (make cuda-bundle: OUTDIR build/gpu)
#
# Packs what a GPU machine runs into OUTDIR, small enough to travel with the
# working tree: OUTDIR/bundle.tar.gz and OUTDIR/run.sh (scripts/gpu-run.sh).
# The bundle holds the cuda-tagged test binaries of the packages that have
# GPU tests (a _test.go file under the cuda build tag with a TestCUDA or
# BenchmarkCUDA function; found here, not listed by hand), linked stripped
# (-ldflags='-s -w': Go's stack traces need neither the symbol table nor
# DWARF), lib/libcublas.so.11 (scripts/cublas-stub.sh), and tests.txt and
# bench.txt, the binaries that have CUDA tests and CUDA benchmarks. It fails when the bundle is over
# MAX_MIB (default 40) MiB. Needs build/go.cuda.mod (scripts/cuda-modfile.sh)
# and the CUDA toolkit's headers and libcuda.so (scripts/cuda-toolkit.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
max_mib=${MAX_MIB:-40}
GO=${GO:-go}

# The packages with GPU tests or benchmarks, and the binaries with each.
pkgs=() tests=() benches=()
while IFS= read -r f; do
	grep -qE '^//go:build (.*[^!])?\bcuda\b' "$f" || continue
	d=./$(dirname "${f#./}")
	grep -qE '^func TestCUDA|^func BenchmarkCUDA' "$f" || continue
	[[ " ${pkgs[*]} " == *" $d "* ]] || pkgs+=("$d")
	b=$(basename "$d").test
	if grep -qE '^func TestCUDA' "$f" && [[ " ${tests[*]} " != *" $b "* ]]; then
		tests+=("$b")
	fi
	if grep -qE '^func BenchmarkCUDA' "$f" && [[ " ${benches[*]} " != *" $b "* ]]; then
		benches+=("$b")
	fi
done < <(find . -path ./build -prune -o -name '*_test.go' -print | sort)
[ ${#pkgs[@]} -gt 0 ] || { echo "gpu-bundle: no package has a cuda-tagged TestCUDA or BenchmarkCUDA" >&2; exit 1; }
# go test -c names each binary after the package's last element.
dups=$(for p in "${pkgs[@]}"; do basename "$p"; done | sort | uniq -d)
[ -z "$dups" ] || { echo "gpu-bundle: two GPU test packages named $dups: their binaries would collide" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
$GO test -c -tags cuda -modfile build/go.cuda.mod -ldflags='-s -w' -o "$stage/" "${pkgs[@]}"
./scripts/cublas-stub.sh "$stage/lib" "$stage"/*.test
rm -f "$stage/lib/cublas_stub.c" "$stage/lib/cublas_stub.map"
printf '%s\n' "${tests[@]}" >"$stage/tests.txt"
printf '%s\n' "${benches[@]}" >"$stage/bench.txt"

rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -cf - . | gzip -9 >"$out/bundle.tar.gz"
cp scripts/gpu-run.sh "$out/run.sh"
size=$(stat -c %s "$out/bundle.tar.gz")
echo "gpu-bundle: $out/bundle.tar.gz: $(cd "$stage" && echo *.test) ($((size / 1024)) KiB; limit $max_mib MiB)"
if [ "$size" -gt $((max_mib * 1024 * 1024)) ]; then
	echo "gpu-bundle: $out/bundle.tar.gz is $((size / 1024 / 1024)) MiB, over $max_mib MiB: with the working tree it would not fit a device call's 64 MiB" >&2
	exit 1
fi
