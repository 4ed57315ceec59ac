package anchor

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// LoadNPY reads a NumPy .npy file of little-endian float32 ('<f4') or
// float64 ('<f8') in C order, as the anchors' data files are, and returns
// its shape and its values in float64.
func LoadNPY(path string) (shape []int, data []float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("anchor: %w", err)
	}
	shape, data, err = parseNPY(b)
	if err != nil {
		return nil, nil, fmt.Errorf("anchor: %s: %w", path, err)
	}
	return shape, data, nil
}

var (
	reDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	reOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	reShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

func parseNPY(b []byte) ([]int, []float64, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("not a .npy file")
	}
	var hl, at int
	switch b[6] {
	case 1:
		hl, at = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, nil, fmt.Errorf("short header")
		}
		hl, at = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, nil, fmt.Errorf(".npy version %d", b[6])
	}
	if len(b) < at+hl {
		return nil, nil, fmt.Errorf("short header")
	}
	hdr, body := string(b[at:at+hl]), b[at+hl:]
	descr, order, shp := reDescr.FindStringSubmatch(hdr), reOrder.FindStringSubmatch(hdr), reShape.FindStringSubmatch(hdr)
	if descr == nil || order == nil || shp == nil {
		return nil, nil, fmt.Errorf("header %q lacks descr, fortran_order or shape", hdr)
	}
	if order[1] != "False" {
		return nil, nil, fmt.Errorf("Fortran order is not supported")
	}
	var shape []int
	n := 1
	for _, f := range strings.Split(shp[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("shape %q", shp[1])
		}
		shape, n = append(shape, d), n*d
	}
	var size int
	switch descr[1] {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, nil, fmt.Errorf("dtype %q, want <f4 or <f8", descr[1])
	}
	if len(body) != n*size {
		return nil, nil, fmt.Errorf("%d bytes of data, want %d for shape %v", len(body), n*size, shape)
	}
	data := make([]float64, n)
	for k := range data {
		if size == 4 {
			data[k] = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*k:])))
		} else {
			data[k] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*k:]))
		}
	}
	return shape, data, nil
}

// BatchTheta returns the n potentials of seed_dp_simd's batch mode, in
// θ's row-major order (b, i, j, c): the LCG s ← s·6364136223846793005 +
// 1442695040888963407 (uint64, s₀ = 12345), each value float32(s>>40)/2^24,
// as the anchors' README gives it.
func BatchTheta(n int) []float32 {
	x := make([]float32, n)
	s := uint64(12345)
	for k := range x {
		s = s*6364136223846793005 + 1442695040888963407
		x[k] = float32(s>>40) / (1 << 24)
	}
	return x
}
