package main

import (
	"io"
	"testing"
)

// TestTrain checks that training lifts the held-out F1 from chance to a
// good aligner.
func TestTrain(t *testing.T) {
	before, after, err := run(io.Discard, 60)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out F1 %.3f → %.3f", before, after)
	if before > 0.3 || after < 0.8 {
		t.Errorf("held-out F1 %.3f → %.3f, want below 0.3 before and at least 0.8 after", before, after)
	}
}
