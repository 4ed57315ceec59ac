//go:build cuda

package cudaops

import (
	"runtime"
	"unsafe"

	"gorgonia.org/cu"
)

// Device is a CUDA context on one GPU with the PTX module loaded, for
// running kernels without Gorgonia (the kernel tests and benchmarks). Each
// method locks the calling goroutine to its OS thread and makes the
// context current there for the duration of the call.
type Device struct {
	ctx cu.CUContext
	mod cu.Module
	fns map[string]cu.Function
}

// with runs f with d's context current on a locked OS thread.
func (d *Device) with(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return err
	}
	return f()
}

// OpenDevice creates a context on GPU ordinal and loads Module into it.
func OpenDevice(ordinal int) (*Device, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, errorf(ErrDevice, "OpenDevice", "", "device %d: %w", ordinal, err)
	}
	ctx, err := dev.MakeContext(cu.SchedAuto)
	if err != nil {
		return nil, errorf(ErrDevice, "OpenDevice", "", "device %d: %w", ordinal, err)
	}
	d := &Device{ctx: ctx, fns: make(map[string]cu.Function)}
	if d.mod, err = cu.LoadData(Module()); err != nil {
		ctx.Destroy()
		return nil, errorf(ErrDevice, "OpenDevice", "", "loading the PTX module: %w", err)
	}
	for _, k := range Kernels() {
		fn, err := d.mod.Function(k)
		if err != nil {
			ctx.Destroy()
			return nil, errorf(ErrDevice, "OpenDevice", k, "%w", err)
		}
		d.fns[k] = fn
	}
	return d, nil
}

// Close destroys d's context and everything allocated in it.
func (d *Device) Close() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return d.ctx.Destroy()
}

// Name returns the GPU's name.
func (d *Device) Name() string {
	var name string
	d.with(func() error {
		dev, err := cu.CurrentDevice()
		if err == nil {
			name, _ = dev.Name()
		}
		return err
	})
	return name
}

// Alloc allocates bytes of device memory.
func (d *Device) Alloc(bytes int64) (p cu.DevicePtr, err error) {
	err = d.with(func() (err error) { p, err = cu.MemAlloc(bytes); return })
	return
}

// Free frees memory from Alloc.
func (d *Device) Free(p cu.DevicePtr) error {
	return d.with(func() error { return cu.MemFree(p) })
}

// Upload copies xs into new device memory.
func Upload[T float32 | float64](d *Device, xs []T) (cu.DevicePtr, error) {
	size := int64(len(xs)) * int64(unsafe.Sizeof(T(0)))
	if size == 0 {
		size = 8 // a valid pointer even for an empty operand
	}
	p, err := d.Alloc(size)
	if err != nil || len(xs) == 0 {
		return p, err
	}
	err = d.with(func() error { return cu.MemcpyHtoD(p, unsafe.Pointer(&xs[0]), size) })
	return p, err
}

// Download copies n elements from device memory p.
func Download[T float32 | float64](d *Device, p cu.DevicePtr, n int) ([]T, error) {
	xs := make([]T, n)
	if n == 0 {
		return xs, nil
	}
	size := int64(n) * int64(unsafe.Sizeof(T(0)))
	err := d.with(func() error { return cu.MemcpyDtoH(unsafe.Pointer(&xs[0]), p, size) })
	return xs, err
}

// Run launches l with the device pointers ptrs (then l.Args) and waits for
// the kernel, returning its error if it failed.
func (d *Device) Run(l Launch, ptrs ...cu.DevicePtr) error {
	fn, ok := d.fns[l.Kernel]
	if !ok {
		return errorf(ErrLaunch, "Device.Run", l.Kernel, "no such kernel in the PTX module")
	}
	if err := l.check("Device.Run"); err != nil {
		return err
	}
	return d.with(func() error {
		err := fn.Launch(int(l.Grid[0]), int(l.Grid[1]), int(l.Grid[2]), int(l.Block[0]), int(l.Block[1]), int(l.Block[2]), int(l.SharedBytes), cu.NoStream, l.Params(ptrs...))
		if err != nil {
			return errorf(ErrDevice, "Device.Run", l.Kernel, "launching: %w", err)
		}
		if err := cu.Synchronize(); err != nil {
			return errorf(ErrDevice, "Device.Run", l.Kernel, "%w", err)
		}
		return nil
	})
}

// Time runs l reps times back to back after one warm-up launch and returns
// the mean time of a launch in seconds, measured with CUDA events.
func (d *Device) Time(l Launch, reps int, ptrs ...cu.DevicePtr) (float64, error) {
	if err := d.Run(l, ptrs...); err != nil {
		return 0, err
	}
	fn := d.fns[l.Kernel]
	var ms float64
	err := d.with(func() error {
		start, err := cu.MakeEvent(cu.DefaultEvent)
		if err != nil {
			return err
		}
		defer cu.DestroyEvent(&start)
		stop, err := cu.MakeEvent(cu.DefaultEvent)
		if err != nil {
			return err
		}
		defer cu.DestroyEvent(&stop)
		params := l.Params(ptrs...)
		if err := start.Record(cu.NoStream); err != nil {
			return err
		}
		for i := 0; i < reps; i++ {
			if err := fn.Launch(int(l.Grid[0]), int(l.Grid[1]), int(l.Grid[2]), int(l.Block[0]), int(l.Block[1]), int(l.Block[2]), int(l.SharedBytes), cu.NoStream, params); err != nil {
				return err
			}
		}
		if err := stop.Record(cu.NoStream); err != nil {
			return err
		}
		if err := stop.Synchronize(); err != nil {
			return err
		}
		ms, err = start.Elapsed(stop)
		return err
	})
	return ms / 1e3 / float64(reps), err
}
