package align

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

// A direct runs the nodes of a compiled graph's Ops one after the other on
// the calling goroutine: what a TapeMachine does for a Linear Program on
// the CPU, whose graph is a handful of Ops (the cells, the ends, the sum
// and their gradients), without its cost. TapeMachine.RunAll locks the
// calling goroutine to its thread and runs the Ops on a goroutine of its
// own, so that each run hands the processor to another thread and back:
// about 10 µs a run on a quiet machine, and a scheduler's time slice when
// the processors are busy, next to a seed alignment's 0.3 ms.
//
// It serves graphs whose Ops all compute on the CPU, from inputs bound with
// gorgonia.Let and constants. A run's values stay with it until the next
// run; they are not bound to the nodes (value returns them).
type direct struct {
	order []*gorgonia.Node // inputs first, each node after its children
	args  [][]int          // each node's children, as places in order
	vals  []gorgonia.Value // the last run's values
	at    map[*gorgonia.Node]int
}

// newDirect returns the direct runner of graph g.
func newDirect(g *gorgonia.ExprGraph) (*direct, error) {
	sorted, err := gorgonia.Sort(g) // outputs first
	if err != nil {
		return nil, err
	}
	d := &direct{at: make(map[*gorgonia.Node]int, len(sorted))}
	for k := len(sorted) - 1; k >= 0; k-- {
		d.at[sorted[k]] = len(d.order)
		d.order = append(d.order, sorted[k])
	}
	for _, n := range d.order {
		var args []int
		// g.From lists a node's children in the order of its Op's
		// arguments.
		for it := g.From(n.ID()); it.Next(); {
			c, ok := it.Node().(*gorgonia.Node)
			if !ok {
				return nil, fmt.Errorf("node %v has a child of type %T", n, it.Node())
			}
			k, ok := d.at[c]
			if !ok || k >= d.at[n] {
				return nil, fmt.Errorf("node %v has a child %v out of order", n, c)
			}
			args = append(args, k)
		}
		d.args = append(d.args, args)
	}
	d.vals = make([]gorgonia.Value, len(d.order))
	return d, nil
}

// run computes every node: the value bound to an input, else its Op's Do
// of its children's values. It stops at the first error, which it returns
// as the Op gave it.
func (d *direct) run() error {
	var in []gorgonia.Value
	for k, n := range d.order {
		if n.Op() == nil {
			if d.vals[k] = n.Value(); d.vals[k] == nil {
				return fmt.Errorf("input %v has no value", n)
			}
			continue
		}
		in = in[:0]
		for _, a := range d.args[k] {
			in = append(in, d.vals[a])
		}
		v, err := n.Op().Do(in...)
		if err != nil {
			return err
		}
		d.vals[k] = v
	}
	return nil
}

// value returns node n's value of the last run (nil for a node not in the
// graph).
func (d *direct) value(n *gorgonia.Node) gorgonia.Value {
	k, ok := d.at[n]
	if !ok {
		return nil
	}
	return d.vals[k]
}
