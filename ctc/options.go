package ctc

// An Option changes how Loss, Align, AlignMask or Posteriors read their
// arguments.
type Option func(*options)

type options struct {
	blank     int
	maxTarget int
}

func makeOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// Blank makes class k the blank instead of class 0 (gorgonia.CTCLoss's).
// k must be one of logProbs' classes; no label may equal it.
func Blank(k int) Option { return func(o *options) { o.blank = k } }

// MaxTargetLength bounds the labels of one item where the targets are
// concatenated (1-D). Each item's states are 2·L + 1 for the longest item
// L the graph allows, which for 1-D targets is otherwise the smaller of
// their count N and T: a bound near the real longest target saves time
// and memory in proportion. A run whose item has more labels than n fails
// with an error of kind ErrLength, unless the item has fewer frames than
// labels (its loss is +Inf whatever the bound). n ≤ 0 means no bound;
// padded (2-D) targets ignore it (their width is the bound).
func MaxTargetLength(n int) Option { return func(o *options) { o.maxTarget = n } }
