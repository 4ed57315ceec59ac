package errkind

import (
	"errors"
	"testing"
)

func TestClaim(t *testing.T) {
	var c Claim
	if err := c.Take("pkg", "Op"); err != nil {
		t.Fatalf("first Take: %v", err)
	}
	err := c.Take("pkg", "Op")
	var e *Error
	if !errors.Is(err, Busy) || !errors.As(err, &e) || e.Pkg != "pkg" || e.Op != "Op" {
		t.Fatalf("second Take: %v (%#v), want a Busy error of pkg.Op", err, e)
	}
	c.Release()
	if err := c.Take("pkg", "Op"); err != nil {
		t.Fatalf("Take after Release: %v", err)
	}
}
