package lattice

import "testing"

// TestRowCols checks StartCols and EndCols against Start and End at every
// cell of every row, in every mode, with and without a gap, for lengths
// up to 6.
func TestRowCols(t *testing.T) {
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for lx := 1; lx <= 6; lx++ {
			for ly := 1; ly <= 6; ly++ {
				for gap := -1; gap <= 2; gap++ {
					l := &Lattice{Item: NewItem(mode, lx, ly, gap >= 0, max(gap, 0)), Top: Linear}
					for i := range lx {
						slo, shi := l.StartCols(i)
						elo, ehi := l.EndCols(i)
						jlo, jhi := l.Cols(i)
						for j := jlo; j <= jhi; j++ {
							if got, want := slo <= j && j <= shi, l.Start(i, j); got != want {
								t.Errorf("%v %dx%d gap %d: row %d starts %d…%d, Start(%d, %d) = %v", mode, lx, ly, gap, i, slo, shi, i, j, want)
							}
							if got, want := elo <= j && j <= ehi, l.End(i, j); got != want {
								t.Errorf("%v %dx%d gap %d: row %d ends %d…%d, End(%d, %d) = %v", mode, lx, ly, gap, i, elo, ehi, i, j, want)
							}
						}
					}
				}
			}
		}
	}
}
