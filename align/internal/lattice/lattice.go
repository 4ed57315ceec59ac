// Package lattice is the pair lattice of package align: the one
// description from which every alignment computation derives (the cells
// Ops' rules, paths and their checks, scores, k-best, sampling,
// log-probabilities, entropies).
//
// A lattice has two parts:
//
//   - a Topology, the model: how many states a cell has (one for linear
//     gaps; match, gap-from-the-left and gap-from-above for affine gaps),
//     how many potential channels, and for every state the options that
//     enter it — a move from a state of a neighbouring cell, reading one
//     channel of the entered cell's potentials, or the start of a path;
//   - an Item, the geometry of one batch item: its mode (where paths start
//     and end), its lengths and its gap band.
//
// Everything else in this package is written once against those two:
// Forward and Backward (the inside and outside values of every state in
// any semiring), Marginals, Used (which potentials some path may read),
// Check (whether a sequence of steps is a path). A new mode is an edit of
// Item; a new model is a new Topology (and, for speed, its own cells
// kernel in align, checked against this package).
package lattice

import (
	"fmt"
	"math"
)

// Mode is where paths start and end; its values are align.Mode's.
type Mode int

const (
	Global     Mode = iota // from (0, 0) to (lenX−1, lenY−1)
	Local                  // from any cell to any cell
	SemiGlobal             // from row 0 or column 0 to row lenX−1 or column lenY−1
)

func (m Mode) String() string {
	switch m {
	case Global:
		return "Global"
	case Local:
		return "Local"
	case SemiGlobal:
		return "SemiGlobal"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// An Option is one way into a state of cell (i, j): the start of a path
// there (Start), or a move from state From of cell (i−DI, j−DJ). Either
// way it scores channel Channel of the potentials of (i, j).
type Option struct {
	Start   bool
	From    int
	DI, DJ  int
	Channel int
}

// A Topology is a lattice's model: the states of a cell, the potential
// channels of a cell, and the options into every state. Every channel
// enters one state by one step (StateOf, StepOf), so a path's steps,
// which record the channel each scores, also say the state each is in.
type Topology struct {
	Name     string
	States   int
	Channels int
	// In[s] lists the options into state s in tie order: where two give
	// the best score, the Max semiring's best path takes the first.
	In [][]Option
	// Out[s] lists the options that leave state s: Out[s][k] is option
	// Opt of state To.
	Out [][]struct{ To, Opt int }
	// StartState and StartChannel: the state of a path's first cell and
	// the channel it scores there.
	StartState, StartChannel int
	// ChannelNames and StateNames name channels and states in errors.
	ChannelNames, StateNames []string
	state                    []int    // StateOf
	step                     [][2]int // StepOf
	maxOpts                  int
}

// newTopology completes t: Out, the channel tables and MaxOptions. It
// panics on an inconsistent description, a programming error of this
// package (the topologies are package variables, checked at init).
func newTopology(t Topology) *Topology {
	t.Out = make([][]struct{ To, Opt int }, t.States)
	t.state = make([]int, t.Channels)
	t.step = make([][2]int, t.Channels)
	for c := range t.state {
		t.state[c] = -1
	}
	for s, in := range t.In {
		t.maxOpts = max(t.maxOpts, len(in))
		for o, op := range in {
			if op.Start {
				if s != t.StartState || op.Channel != t.StartChannel {
					panic("lattice: " + t.Name + ": a start option outside the start state")
				}
				continue
			}
			t.Out[op.From] = append(t.Out[op.From], struct{ To, Opt int }{s, o})
			c := op.Channel
			if t.state[c] >= 0 && (t.state[c] != s || t.step[c] != [2]int{op.DI, op.DJ}) {
				panic("lattice: " + t.Name + ": a channel enters two states or by two steps")
			}
			t.state[c], t.step[c] = s, [2]int{op.DI, op.DJ}
		}
	}
	return &t
}

// StateOf returns the state a step scored by channel c is in.
func (t *Topology) StateOf(c int) int { return t.state[c] }

// StepOf returns the step back (di, dj) of a move scored by channel c.
func (t *Topology) StepOf(c int) (di, dj int) { return t.step[c][0], t.step[c][1] }

// MaxOptions is the largest number of options into one state.
func (t *Topology) MaxOptions() int { return t.maxOpts }

// ChannelName names channel c, or says that it is none.
func (t *Topology) ChannelName(c int) string {
	if c >= 0 && c < len(t.ChannelNames) {
		return t.ChannelNames[c]
	}
	return fmt.Sprintf("channel %d", c)
}

// The channels of the linear-gap model (align.FromLeft, FromDiag,
// FromAbove).
const (
	LinLeft  = 0
	LinDiag  = 1
	LinAbove = 2
)

// Linear is the linear-gap model: one state a cell, entered from the
// left (a gap in x), the diagonal or above (a gap in y), each move
// scoring its own channel; a path starts scoring the diagonal channel.
// Its tie order (left, start, diagonal, above) is the Max cells'.
var Linear = newTopology(Topology{
	Name: "linear", States: 1, Channels: 3,
	In: [][]Option{{
		{From: 0, DI: 0, DJ: 1, Channel: LinLeft},
		{Start: true, Channel: LinDiag},
		{From: 0, DI: 1, DJ: 1, Channel: LinDiag},
		{From: 0, DI: 1, DJ: 0, Channel: LinAbove},
	}},
	StartState: 0, StartChannel: LinDiag,
	ChannelNames: []string{"FromLeft", "FromDiag", "FromAbove"},
	StateNames:   []string{"cell"},
})

// The states and channels of the affine-gap model (align.Match and so on).
const (
	AffMatch = 0 // state: the cell was entered diagonally (or a path starts there)
	AffLeft  = 1 // state: entered from the left, inside a gap in x
	AffAbove = 2 // state: entered from above, inside a gap in y

	ChMatch       = 0 // a diagonal move, or a path's start
	ChOpenLeft    = 1 // a move from the left out of a match (or, with turns, out of a gap from above)
	ChExtendLeft  = 2 // a move from the left out of a gap from the left
	ChOpenAbove   = 3
	ChExtendAbove = 4
)

// Affine returns the affine-gap (Gotoh) model: a cell's three states are
// how it was entered. A diagonal move from any state scores Match; a move
// from the left scores ExtendLeft out of the left state and OpenLeft out
// of the others, and a move from above likewise. With noTurns a gap is
// never followed directly by a gap of the other direction (the turn
// options are left out). Ties go to match, then left, then above.
func Affine(noTurns bool) *Topology {
	if noTurns {
		return affineNoTurns
	}
	return affineTurns
}

var affineTurns, affineNoTurns = newAffine(false), newAffine(true)

func newAffine(noTurns bool) *Topology {
	match := []Option{
		{From: AffMatch, DI: 1, DJ: 1, Channel: ChMatch},
		{Start: true, Channel: ChMatch},
		{From: AffLeft, DI: 1, DJ: 1, Channel: ChMatch},
		{From: AffAbove, DI: 1, DJ: 1, Channel: ChMatch},
	}
	left := []Option{
		{From: AffMatch, DI: 0, DJ: 1, Channel: ChOpenLeft},
		{From: AffLeft, DI: 0, DJ: 1, Channel: ChExtendLeft},
	}
	above := []Option{
		{From: AffMatch, DI: 1, DJ: 0, Channel: ChOpenAbove},
		{From: AffAbove, DI: 1, DJ: 0, Channel: ChExtendAbove},
	}
	name := "affine"
	if noTurns {
		name = "affine without turns"
	} else {
		left = append(left, Option{From: AffAbove, DI: 0, DJ: 1, Channel: ChOpenLeft})
		above = append(above, Option{From: AffLeft, DI: 1, DJ: 0, Channel: ChOpenAbove})
	}
	return newTopology(Topology{
		Name: name, States: 3, Channels: 5,
		In:         [][]Option{match, left, above},
		StartState: AffMatch, StartChannel: ChMatch,
		ChannelNames: []string{"Match", "OpenLeft", "ExtendLeft", "OpenAbove", "ExtendAbove"},
		StateNames:   []string{"match", "left gap", "above gap"},
	})
}

const maxFloat = math.MaxFloat64
