package bandop

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestErrorsShapeOps(t *testing.T) {
	f := newErrFixture()
	a := f.val(t, Real, tensor.Float64, 2, 5, 1, 2)
	g := gorgonia.NewGraph()
	na := f.node(t, g, a)
	rank2 := errFakeNode(g, tensor.Float64, tensor.Shape{2, 5}, 1, 2, 0)
	mism := errFakeNode(g, tensor.Float64, tensor.Shape{2, 5, 3}, 2, 2, 0)
	ints := errFakeNode(g, tensor.Int, tensor.Shape{2, 5, 4}, 1, 2, 0)
	const huge = 1 << 30
	var nilB *Banded
	cases := []errCase{
		{"Transpose graph/nil", wNil, nil, nil, func() error { _, err := Transpose(nil); return err }},
		{"Transpose graph/rank", wShape, nil, nil, func() error { _, err := Transpose(rank2); return err }},
		{"Transpose graph/band vs shape", wShape, nil, nil, func() error { _, err := Transpose(mism); return err }},
		{"Transpose graph/dtype", wDtype, nil, nil, func() error { _, err := Transpose(ints); return err }},
		{"Reband/width", wBand, []*Banded{a}, nil, func() error { _, err := a.Reband(-2, 0); return err }},
		{"Reband/huge", wBand, []*Banded{a}, nil, func() error { _, err := a.Reband(huge, 0); return err }},
		{"Reband/nil", wNil, nil, nil, func() error { _, err := nilB.Reband(1, 1); return err }},
		{"Reband graph/width", wBand, nil, nil, func() error { _, err := Reband(na, 3, -5); return err }},
		{"Reband graph/huge", wBand, nil, nil, func() error { _, err := Reband(na, 0, -huge); return err }},
		{"Reband graph/nil", wNil, nil, nil, func() error { _, err := Reband(nil, 1, 1); return err }},
		{"Reband graph/rank", wShape, nil, nil, func() error { _, err := Reband(rank2, 1, 1); return err }},
		{"Reband graph/dtype", wDtype, nil, nil, func() error { _, err := Reband(ints, 1, 1); return err }},
		{"BandPad/width", wBand + `|shift`, []*Banded{a}, nil, func() error { _, err := a.BandPad(-3); return err }},
		{"BandPad/huge", wBand + `|shift`, []*Banded{a}, nil, func() error { _, err := a.BandPad(huge); return err }},
		{"BandShift/huge", wBand + `|shift`, []*Banded{a}, nil, func() error { _, err := a.BandShift(huge); return err }},
		{"RowShift/huge", wShift + `|band`, []*Banded{a}, nil, func() error { _, err := a.RowShift(huge); return err }},
		{"RowShift/-huge", wShift + `|band`, []*Banded{a}, nil, func() error { _, err := a.RowShift(-huge); return err }},
		{"RowShift/nil", wNil, nil, nil, func() error { _, err := nilB.RowShift(1); return err }},
		{"RowShift graph/huge", wShift + `|band`, nil, nil, func() error { _, err := RowShift(na, huge); return err }},
		{"RowShift graph/nil", wNil, nil, nil, func() error { _, err := RowShift(nil, 1); return err }},
		{"RowShift graph/rank", wShape, nil, nil, func() error { _, err := RowShift(rank2, 1); return err }},
		{"RowShift graph/band vs shape", wShape, nil, nil, func() error { _, err := RowShift(mism, 1); return err }},
		{"ColShift/huge", wShift + `|band`, []*Banded{a}, nil, func() error { _, err := a.ColShift(huge); return err }},
		{"ColShift/-huge", wShift + `|band`, []*Banded{a}, nil, func() error { _, err := a.ColShift(-huge); return err }},
		{"ColShift/nil", wNil, nil, nil, func() error { _, err := nilB.ColShift(1); return err }},
		{"ColShift graph/huge", wShift + `|band`, nil, nil, func() error { _, err := ColShift(na, -huge); return err }},
		{"ColShift graph/nil", wNil, nil, nil, func() error { _, err := ColShift(nil, 1); return err }},
		{"ColShift graph/dtype", wDtype, nil, nil, func() error { _, err := ColShift(ints, 1); return err }},
		{"ColShift graph/band vs shape", wShape, nil, nil, func() error { _, err := ColShift(mism, 1); return err }},
	}
	runErrCases(t, cases)
}
