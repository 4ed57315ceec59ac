package lattice

import "fmt"

// An Item is the geometry of one batch item: the cells its paths may
// visit (those within the lengths and the gap band Lo ≤ j − i ≤ Hi) and
// where they start and end (Mode).
type Item struct {
	Mode       Mode
	LenX, LenY int
	Lo, Hi     int
}

// NewItem returns the geometry of an item with lengths lenX, lenY ≥ 1.
// With gapped, only offsets min(0, d) − maxGap ≤ j − i ≤ max(0, d) + maxGap
// are allowed, where d = lenY − lenX in global mode and 0 otherwise.
func NewItem(mode Mode, lenX, lenY int, gapped bool, maxGap int) Item {
	it := Item{Mode: mode, LenX: lenX, LenY: lenY, Lo: -(lenX - 1), Hi: lenY - 1}
	if gapped {
		d := 0
		if mode == Global {
			d = lenY - lenX
		}
		it.Lo = max(it.Lo, min(0, d)-maxGap)
		it.Hi = min(it.Hi, max(0, d)+maxGap)
	}
	return it
}

// Valid reports whether a path may visit cell (i, j).
func (it Item) Valid(i, j int) bool {
	return i >= 0 && j >= 0 && i < it.LenX && j < it.LenY && j-i >= it.Lo && j-i <= it.Hi
}

// Cols returns the first and last column of row i within the band; the
// row is empty when the first exceeds the last.
func (it Item) Cols(i int) (lo, hi int) { return max(0, i+it.Lo), min(it.LenY-1, i+it.Hi) }

// Start reports whether a path may begin at (i, j).
func (it Item) Start(i, j int) bool { return it.Valid(i, j) && it.StartsIn(i, j) }

// StartsIn is Start for a cell the caller knows is valid, for the passes
// that test every cell of a row.
func (it Item) StartsIn(i, j int) bool {
	switch it.Mode {
	case Global:
		return i == 0 && j == 0
	case Local:
		return true
	}
	return i == 0 || j == 0
}

// End reports whether a path may finish at (i, j), in any state.
func (it Item) End(i, j int) bool {
	if !it.Valid(i, j) {
		return false
	}
	switch it.Mode {
	case Global:
		return i == it.LenX-1 && j == it.LenY-1
	case Local:
		return true
	}
	return i == it.LenX-1 || j == it.LenY-1
}

// Why returns why a path may not visit (i, j), or "" when it may.
func (it Item) Why(i, j int) string {
	switch {
	case i < 0 || j < 0:
		return fmt.Sprintf("cell (%d, %d) is outside the grid", i, j)
	case i >= it.LenX || j >= it.LenY:
		return fmt.Sprintf("cell (%d, %d) is past the lengths (lenX %d, lenY %d)", i, j, it.LenX, it.LenY)
	case j-i < it.Lo || j-i > it.Hi:
		return fmt.Sprintf("cell (%d, %d) is outside the gap band %d ≤ j−i ≤ %d", i, j, it.Lo, it.Hi)
	}
	return ""
}

// StartsWhere says where a path of the item starts.
func (it Item) StartsWhere() string {
	switch it.Mode {
	case Global:
		return "it starts at (0, 0)"
	case Local:
		return "it starts at any cell"
	}
	return "it starts in row 0 or column 0"
}

// EndsWhere says where a path of the item ends.
func (it Item) EndsWhere() string {
	switch it.Mode {
	case Global:
		return fmt.Sprintf("it ends at (lenX−1, lenY−1) = (%d, %d)", it.LenX-1, it.LenY-1)
	case Local:
		return "it ends at any cell"
	}
	return fmt.Sprintf("it ends in row lenX−1 = %d or column lenY−1 = %d", it.LenX-1, it.LenY-1)
}

// A Lattice is one item's geometry under a model.
type Lattice struct {
	Item
	Top  *Topology
	live []bool // Live, made on first use
}

// Size is the number of states of the item's LenX·LenY cells, the length
// of the tables of Forward and Backward.
func (l *Lattice) Size() int { return l.Top.States * l.LenX * l.LenY }

// Index returns the position of state s of cell (i, j) in a table:
// state-major, then row-major.
func (l *Lattice) Index(s, i, j int) int { return (s*l.LenX+i)*l.LenY + j }

// Pred returns the state and cell that option o of state s at the valid
// cell (i, j) extends, and whether the option is open there: a start
// where a path may start, a move where its source cell is valid. This is
// the rule every pass uses, here and in align's kernels, because it needs
// no table; it opens some options no path takes (out of a state no prefix
// reaches, or into one no suffix leaves: see Live), which is harmless once
// Clean has set the potentials only they read to the semiring's zero.
func (l *Lattice) Pred(s, o, i, j int) (ps, pi, pj int, ok bool) {
	op := l.Top.In[s][o]
	if op.Start {
		return -1, i, j, l.Start(i, j)
	}
	pi, pj = i-op.DI, j-op.DJ
	return op.From, pi, pj, l.Valid(pi, pj)
}

// Used reports whether some path reads channel c of cell (i, j): an
// option scoring c is open there (Pred), out of a live state or a start,
// into a live state (Live). Every computation gives a NaN or +Inf
// potential there its IEEE effect and ignores one anywhere else (Clean).
func (l *Lattice) Used(i, j, c int) bool {
	if !l.Valid(i, j) {
		return false
	}
	for s, in := range l.Top.In {
		if !l.Live(s, i, j) {
			continue
		}
		for o, op := range in {
			if op.Channel != c {
				continue
			}
			if ps, pi, pj, ok := l.Pred(s, o, i, j); ok && (ps < 0 || l.Live(ps, pi, pj)) {
				return true
			}
		}
	}
	return false
}

// Ends calls fn with every end state of the item, cell by cell in
// row-major order and by state within a cell.
func (l *Lattice) Ends(fn func(s, i, j int)) {
	if l.Mode == Global {
		if l.Valid(l.LenX-1, l.LenY-1) {
			for s := range l.Top.States {
				fn(s, l.LenX-1, l.LenY-1)
			}
		}
		return
	}
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			if l.End(i, j) {
				for s := range l.Top.States {
					fn(s, i, j)
				}
			}
		}
	}
}

// Check returns the index of the step where a sequence of n steps breaks
// and what is wrong, or −1 and "" when it is a path of l. step(k) returns
// step k's cell and the channel it scores.
func (l *Lattice) Check(n int, step func(k int) (i, j, c int)) (int, string) {
	t := l.Top
	if n == 0 {
		return 0, "empty path"
	}
	var pi, pj, ps int
	for k := range n {
		i, j, c := step(k)
		if c < 0 || c >= t.Channels {
			return k, fmt.Sprintf("move %d at (%d, %d), want one of the %s model's channels %s", c, i, j, t.Name, channelList(t))
		}
		if w := l.Why(i, j); w != "" {
			return k, w
		}
		s := t.StateOf(c)
		if k == 0 {
			if c != t.StartChannel {
				return 0, fmt.Sprintf("the first step enters (%d, %d) %s, want %s (the start of a path)", i, j, t.ChannelName(c), t.ChannelName(t.StartChannel))
			}
			if !l.Start(i, j) {
				return 0, fmt.Sprintf("a %v path cannot start at (%d, %d): %s", l.Mode, i, j, l.StartsWhere())
			}
			pi, pj, ps = i, j, t.StartState
			continue
		}
		di, dj := t.StepOf(c)
		if pi != i-di || pj != j-dj {
			return k, fmt.Sprintf("illegal move: (%d, %d) entered %s comes from (%d, %d), but the previous step is (%d, %d)",
				i, j, t.ChannelName(c), i-di, j-dj, pi, pj)
		}
		if !t.allows(ps, s, c) {
			return k, fmt.Sprintf("illegal move: (%d, %d) entered %s cannot follow a step in the %s state", i, j, t.ChannelName(c), t.StateNames[ps])
		}
		pi, pj, ps = i, j, s
	}
	if !l.End(pi, pj) {
		return n - 1, fmt.Sprintf("a %v path cannot end at (%d, %d): %s", l.Mode, pi, pj, l.EndsWhere())
	}
	return -1, ""
}

// allows reports whether a move scoring c may take state from to state to.
func (t *Topology) allows(from, to, c int) bool {
	for _, op := range t.In[to] {
		if !op.Start && op.From == from && op.Channel == c {
			return true
		}
	}
	return false
}

func channelList(t *Topology) string {
	s := ""
	for c := range t.Channels {
		if c > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (%d)", t.ChannelName(c), c)
	}
	return s
}
