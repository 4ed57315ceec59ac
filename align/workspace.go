package align

import "github.com/genband/genband/internal/errkind"

// inUse is the claim (errkind.Claim) on memory that an Op, or a pair of
// Ops, keeps from run to run: a Do holds it while it runs, and a Do that
// finds it held returns an error of kind ErrBusy.
type inUse struct{ c errkind.Claim }

func (u *inUse) claim(op string) error { return u.c.Take(pkgName, op) }
func (u *inUse) release()              { u.c.Release() }
