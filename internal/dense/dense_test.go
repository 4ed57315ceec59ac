package dense

import (
	"reflect"
	"testing"

	"gorgonia.org/tensor"
)

func TestContiguous(t *testing.T) {
	plain := func() *tensor.Dense {
		return tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	}
	lazyT := plain()
	if err := lazyT.T(); err != nil {
		t.Fatal(err)
	}
	view, err := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9})).Slice(tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   *tensor.Dense
		want []float64
		same bool // Contiguous returns its argument itself
	}{
		{"row-major", plain(), []float64{1, 2, 3, 4, 5, 6}, true},
		{"pending transpose", lazyT, []float64{1, 4, 2, 5, 3, 6}, false},
		{"row slice view", view.(*tensor.Dense), []float64{4, 5, 6, 7, 8, 9}, false},
	}
	for _, c := range cases {
		before := append([]float64(nil), c.in.Data().([]float64)...)
		got := Contiguous(c.in)
		if (got == c.in) != c.same {
			t.Errorf("%s: returned its argument %t, want %t", c.name, got == c.in, c.same)
		}
		if d := got.Data().([]float64); !reflect.DeepEqual(d, c.want) {
			t.Errorf("%s: data %v, want %v", c.name, d, c.want)
		}
		if after := c.in.Data().([]float64); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: argument's data changed from %v to %v", c.name, before, after)
		}
	}
}
