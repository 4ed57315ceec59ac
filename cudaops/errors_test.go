package cudaops

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorKinds checks launches that cannot run: each error is an *Error
// of kind ErrLaunch that names the function called and the kernel.
func TestErrorKinds(t *testing.T) {
	big := MulForward(Float64, Real, 1, 64, 3, 3, 3, 3)
	big.SharedBytes = MaxSharedBytes + 1
	wide := Linear("k_f32", 10)
	wide.Block = [3]uint{1025, 1, 1}
	deep := Linear("k_f32", 10)
	deep.Block = [3]uint{1, 1, 65}
	huge := Linear("k_f32", 10)
	huge.Grid = [3]uint{1, 65536, 1}
	badArg := Linear("k_f32", 10, "seven")
	cases := []struct {
		name   string
		kernel string
		op     string
		call   func() error
		want   string
	}{
		{"empty grid", "vecmul_fwd_f32", "Launch.Check", VecMulForward(Float32, Log, 0, 4, 1, 1).Check, "empty launch"},
		{"threads", "k_f32", "Launch.Check", wide.Check, "threads in a block"},
		{"blockDim.z", "k_f32", "Launch.Check", deep.Check, "blockDim.z"},
		{"grid", "k_f32", "Launch.Check", huge.Check, "CUDA limits"},
		{"shared memory", big.Kernel, "Launch.Check", big.Check, "shared memory"},
		{"argument type", "k_f32", "Launch.Check", badArg.Check, "scalar argument 0"},
		{"ArgWords", "k_f32", "Launch.ArgWords", func() error { _, err := badArg.ArgWords(); return err }, "scalar argument 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, ErrLaunch) || errors.Is(err, ErrDevice) {
				t.Fatalf("error %v: want kind ErrLaunch only", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != c.op || e.Kernel != c.kernel {
				t.Fatalf("error %v: want an *Error of %s for kernel %s", err, c.op, c.kernel)
			}
			if !strings.HasPrefix(err.Error(), "cudaops."+c.op+": "+c.kernel+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %s, %s and %q", err, c.op, c.kernel, c.want)
			}
		})
	}
	cause := errors.New("driver says no")
	if err := errorf(ErrDevice, "Device.Run", "k_f32", "launching: %w", cause); !errors.Is(err, cause) || !errors.Is(err, ErrDevice) || errors.Unwrap(err) != cause {
		t.Errorf("%v: the cause or the kind is lost", err)
	}
}
