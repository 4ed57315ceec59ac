#!/usr/bin/env bash
# Writes build/cu (a copy of gorgonia.org/cu whose dnn package is our
# stand-in, cudaops/dnnstub) and build/go.cuda.mod + build/go.cuda.sum, an
# alternate go.mod that replaces gorgonia.org/cu with it. Use as
#   go build -tags cuda -modfile build/go.cuda.mod ./...
# Everything it writes is git-ignored and rebuilt on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
ver=$(go list -m -f '{{.Version}}' gorgonia.org/cu)
src=$(go mod download -json "gorgonia.org/cu@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "cuda-modfile: no module directory for gorgonia.org/cu@$ver" >&2; exit 1; }
rm -rf build/cu
mkdir -p build
cp -r "$src" build/cu
chmod -R u+w build/cu
rm -rf build/cu/dnn
mkdir build/cu/dnn
cp cudaops/dnnstub/cudnn.go.txt build/cu/dnn/cudnn.go
cp go.mod build/go.cuda.mod
cp go.sum build/go.cuda.sum
# The replace path is relative to the main module root, not to the modfile.
go mod edit -modfile build/go.cuda.mod -replace gorgonia.org/cu=./build/cu
echo "cuda-modfile: build/go.cuda.mod replaces gorgonia.org/cu@$ver with build/cu (dnn: stand-in)"
