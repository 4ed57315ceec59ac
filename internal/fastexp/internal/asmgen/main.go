// Command asmgen writes package fastexp's vector kernels for amd64
// (vec_amd64.s and their Go declarations, vec_decl_amd64.go) with avo. It
// is a module of its own so that avo is no dependency of genband's users;
// fastexp's go:generate line runs it, and TestGenerated fails when the
// committed files differ from its output.
//
// Every kernel comes in two variants of one algorithm: AVX2+FMA on two
// 256-bit registers and AVX-512 on one 512-bit register, so that a logical
// vector has 16 float32 or 8 float64 lanes in both and the two compute the
// same bits, sums included (the same lanes add the same terms in the same
// order). Where the two instruction sets differ the steps are chosen to
// agree: a scaling by 2^k is one VSCALEF on AVX-512 and two exact
// multiplications by powers of two on AVX2, both a single rounding of the
// exact product; a table is read by VPERMI2PD or by VGATHERQPD. No
// kernel underflows in floating point (each underflowing instruction costs
// a microcode assist of hundreds of cycles): subnormal and zero results are
// rounded in integer arithmetic (scaleSmall).
package main

import (
	"fmt"
	"math"
	"math/big"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The variant being generated.
var (
	z   bool // AVX-512 (else AVX2+FMA)
	f64 bool // float64 lanes (else float32)
)

func main() {
	ConstraintExpr("amd64,!purego")
	for _, zz := range []bool{false, true} {
		z = zz
		for _, ff := range []bool{false, true} {
			f64 = ff
			for _, k := range expKernels() {
				k.generate()
			}
		}
		f64 = true
		logKernel().generate()
		lse3Kernel().generate()
	}
	Generate()
}

func isaName() string {
	if z {
		return "AVX512"
	}
	return "AVX2"
}

func typ() string {
	if f64 {
		return "float64"
	}
	return "float32"
}

func bits() string {
	if f64 {
		return "64"
	}
	return "32"
}

// size is the byte size of a lane, lanes the lanes of a logical vector.
func size() int {
	if f64 {
		return 8
	}
	return 4
}

func lanes() int { return 64 / size() }

// parts is the number of machine registers of a logical vector.
func parts() int {
	if z {
		return 1
	}
	return 2
}

const partBytes = 32 // bytes of a part on AVX2; AVX-512 has one part of 64

func vreg() VecVirtual {
	if z {
		return ZMM()
	}
	return YMM()
}

// ---- constants ----

// consts holds the data sections made so far, by name, and patterns their
// contents.
var (
	consts   = map[string]Mem{}
	patterns = map[string]uint64{}
)

// constant returns a 32-byte section of the given 8-byte or 4-byte
// pattern repeated: a full AVX2 operand, or the source of an AVX-512
// broadcast.
func constant(name string, pattern uint64, width int) Mem {
	if m, ok := consts[name]; ok {
		if patterns[name] != pattern {
			panic(fmt.Sprintf("constant %s: %#x and %#x", name, patterns[name], pattern))
		}
		return m
	}
	patterns[name] = pattern
	m := GLOBL(name, RODATA|NOPTR)
	for off := 0; off < 32; off += width {
		if width == 8 {
			DATA(off, U64(pattern))
		} else {
			DATA(off, U32(uint32(pattern)))
		}
	}
	consts[name] = m
	return m
}

// cf is the float constant v in the lanes' precision.
func cf(name string, v float64) Mem {
	if f64 {
		return constant("f64_"+name, math.Float64bits(v), 8)
	}
	return constant("f32_"+name, uint64(math.Float32bits(float32(v))), 4)
}

// ci is the integer constant v in each lane.
func ci(name string, v uint64) Mem {
	if f64 {
		return constant("i64_"+name, v, 8)
	}
	return constant("i32_"+name, v, 4)
}

// table is a section of float64 values.
func table(name string, vs []float64) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i, v := range vs {
		DATA(8*i, U64(math.Float64bits(v)))
	}
	consts[name] = m
	return m
}

// load returns a register holding constant c in every lane.
func load(c Mem) VecVirtual {
	r := vreg()
	switch {
	case !z:
		VMOVUPS(c, r)
	case f64:
		VBROADCASTSD(c, r)
	default:
		VBROADCASTSS(c, r)
	}
	return r
}

// ---- instructions in the lanes' precision; a may be a constant ----

type op = func(...Op)

// pick chooses the float32 or float64 form, and on AVX-512 the broadcast
// form when a is a constant from memory.
func pick(a Op, ps, pd, psb, pdb op) op {
	_, mem := a.(Mem)
	switch {
	case z && mem && f64:
		return pdb
	case z && mem:
		return psb
	case f64:
		return pd
	}
	return ps
}

// add sets dst = b + a, sub dst = b − a, mul dst = b·a.
func add(a, b, dst Op) { pick(a, VADDPS, VADDPD, VADDPS_BCST, VADDPD_BCST)(a, b, dst) }
func sub(a, b, dst Op) { pick(a, VSUBPS, VSUBPD, VSUBPS_BCST, VSUBPD_BCST)(a, b, dst) }
func mul(a, b, dst Op) { pick(a, VMULPS, VMULPD, VMULPS_BCST, VMULPD_BCST)(a, b, dst) }

// fma213 sets dst = b·dst + a.
func fma213(a, b, dst Op) {
	pick(a, VFMADD213PS, VFMADD213PD, VFMADD213PS_BCST, VFMADD213PD_BCST)(a, b, dst)
}

// fma231 sets dst = b·a + dst.
func fma231(a, b, dst Op) {
	pick(a, VFMADD231PS, VFMADD231PD, VFMADD231PS_BCST, VFMADD231PD_BCST)(a, b, dst)
}

// fnma231 sets dst = dst − b·a.
func fnma231(a, b, dst Op) {
	pick(a, VFNMADD231PS, VFNMADD231PD, VFNMADD231PS_BCST, VFNMADD231PD_BCST)(a, b, dst)
}

// fms213 sets dst = b·dst − a.
func fms213(a, b, dst Op) {
	pick(a, VFMSUB213PS, VFMSUB213PD, VFMSUB213PS_BCST, VFMSUB213PD_BCST)(a, b, dst)
}

// maxv sets dst = max(b, a) and minv dst = min(b, a), both registers: a
// NaN in a gives a (the instruction's second source wins on NaN).
func maxv(a, b, dst Op) {
	if f64 {
		VMAXPD(a, b, dst)
	} else {
		VMAXPS(a, b, dst)
	}
}

func minv(a, b, dst Op) {
	if f64 {
		VMINPD(a, b, dst)
	} else {
		VMINPS(a, b, dst)
	}
}

// Integer lane instructions (qwords for float64 lanes, dwords for float32).
func padd(a, b, dst Op) {
	_, mem := a.(Mem)
	switch {
	case z && mem && f64:
		VPADDQ_BCST(a, b, dst)
	case z && mem:
		VPADDD_BCST(a, b, dst)
	case f64:
		VPADDQ(a, b, dst)
	default:
		VPADDD(a, b, dst)
	}
}

func psub(a, b, dst Op) {
	_, mem := a.(Mem)
	switch {
	case z && mem && f64:
		VPSUBQ_BCST(a, b, dst)
	case z && mem:
		VPSUBD_BCST(a, b, dst)
	case f64:
		VPSUBQ(a, b, dst)
	default:
		VPSUBD(a, b, dst)
	}
}

func pand(a, b, dst Op) {
	_, mem := a.(Mem)
	switch {
	case z && mem && f64:
		VPANDQ_BCST(a, b, dst)
	case z && mem:
		VPANDD_BCST(a, b, dst)
	case z:
		VPANDQ(a, b, dst)
	default:
		VPAND(a, b, dst)
	}
}

func por(a, b, dst Op) {
	_, mem := a.(Mem)
	switch {
	case z && mem && f64:
		VPORQ_BCST(a, b, dst)
	case z && mem:
		VPORD_BCST(a, b, dst)
	case z:
		VPORQ(a, b, dst)
	default:
		VPOR(a, b, dst)
	}
}

func mov(src, dst Op) {
	if f64 {
		VMOVAPD(src, dst)
	} else {
		VMOVAPS(src, dst)
	}
}

func copyOf(src VecVirtual) VecVirtual {
	r := vreg()
	mov(src, r)
	return r
}

// ---- comparisons and selections ----

// Predicates of VCMPP[SD].
const (
	cmpEQ    = 0x00 // equal, ordered, quiet
	cmpLT    = 0x11 // less than, ordered, quiet
	cmpUnord = 0x03 // unordered (either is NaN)
	cmpNGE   = 0x19 // not greater or equal, unordered, quiet
	cmpGE    = 0x1d // greater or equal, ordered, quiet
	cmpLE    = 0x12 // less or equal, ordered, quiet
)

// A mask is an AVX-512 mask register or an AVX2 vector of all-ones lanes.
type mask = Register

// cmp returns the mask of lanes where b <pred> a.
func cmp(pred uint8, a, b Op) mask {
	if z {
		k := K()
		if f64 {
			VCMPPD(U8(pred), a, b, k)
		} else {
			VCMPPS(U8(pred), a, b, k)
		}
		return k
	}
	m := vreg()
	if f64 {
		VCMPPD(U8(pred), a, b, m)
	} else {
		VCMPPS(U8(pred), a, b, m)
	}
	return m
}

// orMask returns a | b.
func orMask(a, b mask) mask {
	if z {
		k := K()
		if f64 {
			KORB(a, b, k)
		} else {
			KORW(a, b, k)
		}
		return k
	}
	m := vreg()
	VORPD(a, b, m)
	return m
}

// sel sets dst = v in the lanes of m.
func sel(m mask, v, dst VecVirtual) {
	switch {
	case z && f64:
		VMOVAPD(v, m, dst)
	case z:
		VMOVAPS(v, m, dst)
	case f64:
		VBLENDVPD(m, v, dst, dst)
	default:
		VBLENDVPS(m, v, dst, dst)
	}
}

// ---- the functions ----

// An expConsts holds the bounds of an exp's argument in registers (so that
// a NaN passes the clamps) and the float64 table.
type expConsts struct {
	lo, loN, hi VecVirtual
	tab         *expTable
}

// exp returns e^x for the lanes of x, which it overwrites; label makes the
// labels of its branch.
//
// float32: x = n·ln2 + r, |r| ≤ ln2/2, with n = round(x/ln2) by adding
// 1.5·2^23; ln2 in two parts so that n times the first is exact; e^r from
// its Taylor polynomial of degree 7 (truncation under 5e-9 relative, a
// twentieth of an ulp) by fused Horner steps; then 2^n.
//
// float64: x = n·ln2/16 + r, |r| ≤ ln2/32, 2^(n/16) = 2^(n>>4)·T[n&15]
// with T the correctly rounded 2^(j/16), e^r − 1 from its Taylor
// polynomial of degree 7 (truncation under 2e-18 relative), then
// T + T·(e^r − 1) scaled by 2^(n>>4).
//
// The scaling rounds once. A vector with a lane below loN, where e^x is
// subnormal or 0, takes a second path that makes those lanes without a
// floating-point underflow (which costs a microcode assist of some hundred
// cycles per instruction): see scaleSmall. Above hi e^x is +Inf.
func exp(x VecVirtual, k *expConsts, label func(string) string) VecVirtual {
	res := vreg()
	small := cmp(cmpLT, k.loN, x)
	slow, join := label("expsmall"), label("expdone")
	anyLane(small)
	JNZ(LabelRef(slow))
	minv(x, k.hi, x)
	y, nf, t := expCore(x, k.tab)
	scaleNormal(y, nf, t, res)
	JMP(LabelRef(join))
	Label(slow)
	maxv(x, k.lo, x)
	minv(x, k.hi, x)
	y, nf, t = expCore(x, k.tab)
	scaleSmall(y, nf, t, small, res)
	Label(join)
	return res
}

// anyLane sets the flags so that JNZ jumps where a lane of m is set.
func anyLane(m mask) {
	switch {
	case z && f64:
		KORTESTB(m, m)
	case z:
		KORTESTW(m, m)
	default:
		g := GP32()
		if f64 {
			VMOVMSKPD(m, g)
		} else {
			VMOVMSKPS(m, g)
		}
		TESTL(g, g)
	}
}

// expCore returns e^x unscaled (e^r, or T·e^r for float64), nf (n as a
// float) and t, which holds n in the low bits of its lanes; x becomes r.
func expCore(x VecVirtual, tab *expTable) (y, nf, t VecVirtual) {
	nf = vreg()
	if !f64 {
		t = load(cf("magic23", 12582912))
		fma231(cf("log2e", 1/math.Ln2), x, t) // round(x/ln2) + 1.5·2^23
		sub(cf("magic23", 12582912), t, nf)
		fnma231(cf("ln2hi", ln2Hi32), nf, x)
		fnma231(cf("ln2lo", ln2Lo32), nf, x) // x is now r
		p := load(cf("inv7fact", 1.0/5040))
		for _, k := range []int{6, 5, 4, 3, 2, 1} {
			fma213(cf(fmt.Sprintf("inv%dfact", k), 1/fact(k)), x, p)
		}
		fma213(cf("one", 1), x, p) // e^r
		return p, nf, t
	}
	t = load(cf("magic52", 6755399441055744))
	fma231(cf("16byln2", 16/math.Ln2), x, t) // round(16x/ln2) + 1.5·2^52
	sub(cf("magic52", 6755399441055744), t, nf)
	fnma231(cf("ln2by16hi", ln2Hi/16), nf, x)
	fnma231(cf("ln2by16lo", ln2Lo/16), nf, x) // x is now r
	T := tab.lookup(t)
	q := load(cf("inv7fact", 1.0/5040))
	for _, k := range []int{6, 5, 4, 3, 2} {
		fma213(cf(fmt.Sprintf("inv%dfact", k), 1/fact(k)), x, q)
	}
	r2 := vreg()
	mul(x, x, r2)
	fma213(x, r2, q) // e^r − 1 = r + r²·q
	fma213(T, T, q)  // T·e^r
	return q, nf, t
}

// expInt returns the scaling exponent k as dwords in the low half of each
// lane (AVX2): n for float32, n>>4 for float64.
func expInt(nf, t VecVirtual) VecVirtual {
	k := vreg()
	if f64 {
		VPSRAD(U8(4), t, k)
	} else {
		VCVTPS2DQ(nf, k)
	}
	return k
}

// pow2 returns 2^k for dword exponents k in the low half of each lane,
// for k whose power is normal.
func pow2(k VecVirtual) VecVirtual {
	s := vreg()
	if f64 {
		VPADDD(ci("bias1023", 1023), k, s)
		VPSLLQ(U8(52), s, s)
	} else {
		VPADDD(ci("bias127", 127), k, s)
		VPSLLD(U8(23), s, s)
	}
	return s
}

// scaleNormal sets dst = y·2^k with one rounding, k = nf for float32 and
// floor(nf/16) for float64: VSCALEF on AVX-512, y·2^k1·2^k2 with
// k1 = k>>1, k2 = k − k1 on AVX2 (both powers normal, the first product
// exact).
func scaleNormal(y, nf, t, dst VecVirtual) {
	if z {
		if f64 {
			mul(cf("inv16", 1.0/16), nf, nf)
			VSCALEFPD(nf, y, dst)
		} else {
			VSCALEFPS(nf, y, dst)
		}
		return
	}
	twoStep(y, expInt(nf, t), dst)
}

func twoStep(y, k, dst VecVirtual) {
	k1, k2 := vreg(), vreg()
	VPSRAD(U8(1), k, k1)
	VPSUBD(k1, k, k2)
	mul(pow2(k1), y, dst)
	mul(pow2(k2), dst, dst)
}

// scaleSmall is scaleNormal for vectors with lanes below loN (small),
// whose results are subnormal or 0. Those are made in integer arithmetic:
// t = y·2^(k + b) (b = 1074 for float64, 149 for float32, so that t counts
// the smallest subnormals; exact, and normal) plus 2^p (p = 52 or 23)
// rounds t to an integer, once, and the bits of the sum less those of 2^p
// are the bits of the result. The other lanes are y·2^k, with y = 1 in the
// small lanes so that nothing underflows.
func scaleSmall(y, nf, t VecVirtual, small mask, dst VecVirtual) {
	b, p, kmin := 149.0, 23.0, -126.0
	magic := uint64(0x4b000000)
	if f64 {
		b, p, kmin = 1074, 52, -1022
		magic = 0x4330000000000000
	}
	one := load(cf("one", 1))
	y1, tt := vreg(), vreg()
	if z {
		if f64 {
			mul(cf("inv16", 1.0/16), nf, nf)
		}
		mov(y, y1)
		sel(small, one, y1)
		ka, kb := vreg(), vreg()
		if f64 {
			VMAXPD_BCST(cf("expkmin", kmin), nf, ka)
			VSCALEFPD(ka, y1, dst)
			VADDPD_BCST(cf("expkbias", b), nf, kb)
			VMINPD_BCST(cf("expkcap", 60), kb, kb)
			VSCALEFPD(kb, y, tt)
		} else {
			VMAXPS_BCST(cf("expkmin", kmin), nf, ka)
			VSCALEFPS(ka, y1, dst)
			VADDPS_BCST(cf("expkbias", b), nf, kb)
			VMINPS_BCST(cf("expkcap", 60), kb, kb)
			VSCALEFPS(kb, y, tt)
		}
	} else {
		k := expInt(nf, t)
		if f64 {
			VBLENDVPD(small, one, y, y1)
		} else {
			VBLENDVPS(small, one, y, y1)
		}
		ka, kb := vreg(), vreg()
		VPMAXSD(ci("kminint", uint64(uint32(int32(kmin)))), k, ka)
		twoStep(y1, ka, dst)
		VPADDD(ci("kbiasint", uint64(b)), k, kb)
		VPMINSD(ci("kcapint", 60), kb, kb)
		mul(pow2(kb), y, tt)
	}
	add(cf("twop", math.Ldexp(1, int(p))), tt, tt)
	psub(ci("twopbits", magic), tt, tt)
	sel(small, tt, dst)
}

// An expTable is 2^(j/16), j < 16, for float64 exps: on AVX-512 its first
// half is in a register for VPERMI2PD, on AVX2 its address in a general
// register for VGATHERQPD.
type expTable struct {
	lo   VecVirtual
	base GPVirtual
}

func newExpTable() *expTable {
	if !f64 {
		return nil
	}
	tab := table("exp64tab", exp64Table())
	t := &expTable{}
	if z {
		t.lo = ZMM()
		VMOVUPD(tab, t.lo)
	} else {
		t.base = GP64()
		LEAQ(tab, t.base)
	}
	return t
}

// lookup returns T[t & 15] per lane.
func (tab *expTable) lookup(t VecVirtual) VecVirtual {
	return lookup16(t, tab.lo, consts["exp64tab"], tab.base)
}

// lookup16 returns the table entry of the low 4 bits of each lane of idx,
// from lo (the first 8 entries in a register) and the section at tab+64 on
// AVX-512, from base on AVX2.
func lookup16(idx, lo VecVirtual, tab Mem, base GPVirtual) VecVirtual {
	r := vreg()
	if z {
		mov(idx, r)
		VPERMI2PD(tab.Offset(64), lo, r)
		return r
	}
	i := vreg()
	pand(ci("low4", 15), idx, i)
	all := vreg()
	VPCMPEQQ(all, all, all)
	VXORPD(r, r, r) // the gather merges into r: no stale dependency
	VGATHERQPD(all, Mem{Base: base, Index: i, Scale: 8}, r)
	return r
}

// logTables are log64's tables, as expTable.
type logTables struct {
	invLo, logLo   VecVirtual
	invTab, logTab Mem
	invBase        GPVirtual
	logBase        GPVirtual
}

func newLogTables() *logTables {
	inv, lg := log64Tables()
	t := &logTables{invTab: table("log64inv", inv), logTab: table("log64log", lg)}
	if z {
		t.invLo, t.logLo = ZMM(), ZMM()
		VMOVUPD(t.invTab, t.invLo)
		VMOVUPD(t.logTab, t.logLo)
	} else {
		t.invBase, t.logBase = GP64(), GP64()
		LEAQ(t.invTab, t.invBase)
		LEAQ(t.logTab, t.logBase)
	}
	return t
}

// logMain returns ln x for lanes of x that are normal and positive; kadj,
// when not nil, is subtracted from the exponent (a prescaling of
// subnormals). x = 2^k·m with m in [√½, √2), so that k = 0 around x = 1
// and k·ln2 does not cancel against ln m; m = c·(1 + r) with c = 1 + j/16
// the nearest table point, |r| ≤ 1/32, and ln x = k·ln2 + ln c +
// log1p(r) with log1p from its Taylor polynomial of degree 11 (truncation
// under 2^−58 relative). The table holds 1/c rounded and −ln of that
// rounded value: r = m·(1/c) − 1 by one fused step, exact but for its
// rounding; near 1, c = 1 and r = m − 1 exactly.
func logMain(x, kadj VecVirtual, tab *logTables) VecVirtual {
	e := vreg()
	VPSRLQ(U8(52), x, e)
	por(ci("magicexp", 0x4330000000000000), e, e)
	sub(cf("kbias", 0x1p52+1023), e, e) // k, exactly, for m in [1, 2)
	if kadj != nil {
		sub(kadj, e, e)
	}
	m := vreg()
	pand(ci("mantmask", 1<<52-1), x, m)
	por(ci("onebits", 0x3ff0000000000000), m, m)
	big := cmp(cmpGE, load(cf("sqrt2", math.Sqrt2)), m)
	if z {
		VMULPD_BCST(cf("half", 0.5), m, big, m)
		VADDPD_BCST(cf("one", 1), e, big, e)
	} else {
		h := vreg()
		mul(cf("half", 0.5), m, h)
		VBLENDVPD(big, h, m, m)
		VANDPD(cf("one", 1), big, big)
		add(big, e, e)
	}
	t := load(cf("magic52m16", 0x1.8p52-16))
	fma231(cf("sixteen", 16), m, t) // round(16m) − 16 + 1.5·2^52: j in the low bits
	inv := lookup16(t, tab.invLo, tab.invTab, tab.invBase)
	lc := lookup16(t, tab.logLo, tab.logTab, tab.logBase)
	fms213(cf("one", 1), inv, m) // r
	q := load(cf("log1p11", 1.0/11))
	for k := 10; k >= 2; k-- {
		c := 1 / float64(k)
		if k%2 == 0 {
			c = -c
		}
		fma213(cf(fmt.Sprintf("log1p%d", k), c), m, q)
	}
	r2 := vreg()
	mul(m, m, r2)
	fma213(m, r2, q) // log1p(r)
	fma231(cf("ln2lo", ln2Lo), e, q)
	add(lc, q, q)
	fma231(cf("ln2hi", ln2Hi), e, q)
	return q
}

// logSlow returns ln x for any lanes: subnormals scaled by 2^52 first,
// then 0 → −Inf, +Inf → +Inf, negatives and NaN → NaN.
func logSlow(x VecVirtual, tab *logTables) VecVirtual {
	sm := cmp(cmpLT, load(cf("minnormal", 0x1p-1022)), x)
	xs := copyOf(x)
	scaled := vreg()
	mul(cf("two52", 0x1p52), x, scaled)
	sel(sm, scaled, xs)
	kadj := vreg()
	VXORPD(kadj, kadj, kadj)
	sel(sm, load(cf("fiftytwo", 52)), kadj)
	res := logMain(xs, kadj, tab)
	zero := vreg()
	VXORPD(zero, zero, zero)
	sel(cmp(cmpEQ, load(cf("inf", math.Inf(1))), x), x, res)
	sel(cmp(cmpEQ, zero, x), load(cf("neginf", math.Inf(-1))), res)
	sel(cmp(cmpNGE, zero, x), load(cf("nan", math.NaN())), res)
	return res
}

// ---- kernels ----

// A kernel is a loop over logical vectors with a masked tail.
type kernel struct {
	name  string
	sig   string   // Go signature
	ptrs  []string // pointer parameters, advanced per vector
	scals []string // float parameters, broadcast
	sum   bool     // returns the sum of the terms (16 or 8 lane sums)
	named bool     // name is the whole name but the instruction set's
	doc   []string
	// setup runs once before the loop; body once per part.
	setup func(c *kctx)
	body  func(c *kctx, part int)
}

// kctx is the state of a kernel under generation.
type kctx struct {
	ptr    map[string]GPVirtual
	scal   map[string]VecVirtual
	acc    []VecVirtual // per part, when sum
	masked bool         // generating the tail
	kmask  Register     // AVX-512 tail mask
	ymask  []VecVirtual // AVX2 tail masks per part
	ek     *expConsts   // exp's bounds and table
	ltab   *logTables
	label  int
}

func (c *kctx) newLabel(s string) string {
	c.label++
	return fmt.Sprintf("%s%d", s, c.label)
}

func (c *kctx) mem(p string, part int) Mem {
	return Mem{Base: c.ptr[p], Disp: part * partBytes}
}

// load reads part of the vector at p (zeros beyond the tail).
func (c *kctx) load(p string, part int) VecVirtual {
	r := vreg()
	m := c.mem(p, part)
	switch {
	case !c.masked && f64:
		VMOVUPD(m, r)
	case !c.masked:
		VMOVUPS(m, r)
	case z && f64:
		VMOVUPD_Z(m, c.kmask, r)
	case z:
		VMOVUPS_Z(m, c.kmask, r)
	case f64:
		VMASKMOVPD(m, c.ymask[part], r)
	default:
		VMASKMOVPS(m, c.ymask[part], r)
	}
	return r
}

// store writes part of the vector at p (not beyond the tail).
func (c *kctx) store(r VecVirtual, p string, part int) {
	m := c.mem(p, part)
	switch {
	case !c.masked && f64:
		VMOVUPD(r, m)
	case !c.masked:
		VMOVUPS(r, m)
	case z && f64:
		VMOVUPD(r, c.kmask, m)
	case z:
		VMOVUPS(r, c.kmask, m)
	case f64:
		VMASKMOVPD(r, c.ymask[part], m)
	default:
		VMASKMOVPS(r, c.ymask[part], m)
	}
}

// accumulate adds t to the part's lane sums, but not the lanes beyond the
// tail (their terms may be anything).
func (c *kctx) accumulate(t VecVirtual, part int) {
	if c.masked {
		switch {
		case z && f64:
			VMOVAPD_Z(t, c.kmask, t)
		case z:
			VMOVAPS_Z(t, c.kmask, t)
		default:
			VANDPS(c.ymask[part], t, t)
		}
	}
	add(t, c.acc[part], c.acc[part])
}

func (c *kctx) exp(x VecVirtual) VecVirtual { return exp(x, c.ek, c.newLabel) }

func (k kernel) generate() {
	name := k.name + bits() + isaName()
	if k.named {
		name = k.name + isaName()
	}
	TEXT(name, NOSPLIT, "func"+k.sig)
	Pragma("noescape")
	doc := append([]string{name + " " + k.doc[0]}, k.doc[1:]...)
	Doc(doc...)
	c := &kctx{ptr: map[string]GPVirtual{}, scal: map[string]VecVirtual{}}
	for _, p := range k.ptrs {
		c.ptr[p] = Load(Param(p), GP64()).(GPVirtual)
	}
	n := Load(Param("n"), GP64()).(GPVirtual)
	for _, s := range k.scals {
		x := XMM()
		Load(Param(s), x)
		r := vreg()
		if f64 {
			VBROADCASTSD(x, r)
		} else {
			VBROADCASTSS(x, r)
		}
		c.scal[s] = r
	}
	if k.sum {
		for range parts() {
			a := vreg()
			VXORPS(a, a, a)
			c.acc = append(c.acc, a)
		}
	}
	if k.setup != nil {
		k.setup(c)
	}
	L := lanes()
	Label("loop")
	CMPQ(n, U32(L))
	JB(LabelRef("tail"))
	for part := range parts() {
		k.body(c, part)
	}
	for _, p := range k.ptrs {
		ADDQ(U32(64), c.ptr[p])
	}
	SUBQ(U32(L), n)
	JMP(LabelRef("loop"))

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	c.masked = true
	if z {
		// The mask of the first n lanes.
		all, m := GP32(), GP32()
		MOVL(U32(0xffffffff), all)
		BZHIL(n.As32(), all, m)
		c.kmask = K()
		if f64 {
			KMOVB(m, c.kmask)
		} else {
			KMOVW(m, c.kmask)
		}
	} else {
		// Lanes [64 − n·size, 128 − n·size) of 64 bytes of ones then 64
		// of zeros.
		tm := GLOBLmask()
		base := GP64()
		LEAQ(tm.Offset(64), base)
		off := GP64()
		MOVQ(n, off)
		if f64 {
			SHLQ(U8(3), off)
		} else {
			SHLQ(U8(2), off)
		}
		SUBQ(off, base)
		for part := range parts() {
			mk := vreg()
			VMOVDQU(Mem{Base: base, Disp: part * partBytes}, mk)
			c.ymask = append(c.ymask, mk)
		}
	}
	for part := range parts() {
		k.body(c, part)
	}

	Label("done")
	var sum VecVirtual
	if k.sum {
		sum = reduce(c.acc)
	}
	VZEROUPPER() // before the result's store, an SSE instruction
	if k.sum {
		Store(sum, ReturnIndex(0))
	}
	RET()
}

// GLOBLmask is the section of AVX2 tail masks.
func GLOBLmask() Mem {
	if m, ok := consts["tailmask"]; ok {
		return m
	}
	m := GLOBL("tailmask", RODATA|NOPTR)
	for off := 0; off < 128; off += 8 {
		v := uint64(0)
		if off < 64 {
			v = math.MaxUint64
		}
		DATA(off, U64(v))
	}
	consts["tailmask"] = m
	return m
}

// reduce returns the sum of the lanes of acc in the low lane of an XMM
// register: the two halves of the logical vector, then the halves of that,
// down to one lane.
func reduce(acc []VecVirtual) VecVirtual {
	var s4 VecVirtual // four float64 or eight float32 lanes
	if z {
		hi := YMM()
		VEXTRACTF64X4(U8(1), acc[0], hi)
		s4 = YMM()
		add(hi, acc[0].AsY(), s4)
	} else {
		s4 = YMM()
		add(acc[1], acc[0], s4)
	}
	hi := XMM()
	VEXTRACTF128(U8(1), s4, hi)
	s2 := XMM()
	if f64 {
		VADDPD(hi, s4.AsX(), s2)
		h := XMM()
		VPERMILPD(U8(1), s2, h)
		VADDSD(h, s2, s2)
	} else {
		VADDPS(hi, s4.AsX(), s2)
		h := XMM()
		VMOVHLPS(s2, s2, h)
		VADDPS(h, s2, s2)
		h1 := XMM()
		VMOVSHDUP(s2, h1)
		VADDSS(h1, s2, s2)
	}
	return s2
}

// expSetup loads the exp's bounds and table: e^x is 0 below lo, subnormal
// below loN (the log of the smallest normal), +Inf above hi.
func expSetup(c *kctx) {
	lo, hi := -110.0, 89.0
	loN := float64(float32(-126 * math.Ln2))
	if f64 {
		lo, hi = -746, 710
		loN = -1022 * math.Ln2
	}
	c.ek = &expConsts{lo: load(cf("explo", lo)), loN: load(cf("exploN", loN)), hi: load(cf("exphi", hi)), tab: newExpTable()}
}

// expArg returns av + src − m for the part (the order of the pure-Go
// loops).
func expArg(c *kctx, part int) VecVirtual {
	x := c.load("src", part)
	add(c.scal["av"], x, x)
	sub(c.load("m", part), x, x)
	return x
}

func expKernels() []kernel {
	T := typ()
	return []kernel{
		{
			name: "exp", sig: fmt.Sprintf("(dst, x *%s, n int)", T), ptrs: []string{"dst", "x"},
			doc:   []string{"sets dst[i] = e^x[i] for i < n."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				c.store(c.exp(c.load("x", part)), "dst", part)
			},
		},
		{
			name: "shift", sig: fmt.Sprintf("(x *%s, n int, m %s)", T, T), ptrs: []string{"x"}, scals: []string{"m"},
			doc:   []string{"sets x[i] = e^(x[i] − m) for i < n."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				x := c.load("x", part)
				sub(c.scal["m"], x, x)
				c.store(c.exp(x), "x", part)
			},
		},
		{
			name: "acc", sig: fmt.Sprintf("(dst, src, m *%s, n int, av %s)", T, T), ptrs: []string{"dst", "src", "m"}, scals: []string{"av"},
			doc:   []string{"adds e^(av + src[i] − m[i]) to dst[i] for i < n."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				e := c.exp(expArg(c, part))
				d := c.load("dst", part)
				add(e, d, d)
				c.store(d, "dst", part)
			},
		},
		{
			name: "accW", sig: fmt.Sprintf("(dst, w, src, m *%s, n int, av %s)", T, T), ptrs: []string{"dst", "w", "src", "m"}, scals: []string{"av"},
			doc:   []string{"adds w[i]·e^(av + src[i] − m[i]) to dst[i] for i < n."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				e := c.exp(expArg(c, part))
				mul(c.load("w", part), e, e)
				d := c.load("dst", part)
				add(e, d, d)
				c.store(d, "dst", part)
			},
		},
		{
			name: "accWSum", sig: fmt.Sprintf("(dst, w, src, m *%s, n int, av %s) %s", T, T, T), ptrs: []string{"dst", "w", "src", "m"}, scals: []string{"av"}, sum: true,
			doc:   []string{"adds w[i]·e^(av + src[i] − m[i]) to dst[i] for i < n and", "returns the sum of the terms."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				e := c.exp(expArg(c, part))
				mul(c.load("w", part), e, e)
				d := c.load("dst", part)
				add(e, d, d)
				c.store(d, "dst", part)
				c.accumulate(e, part)
			},
		},
		{
			name: "dot", sig: fmt.Sprintf("(w, src, m *%s, n int, av %s) %s", T, T, T), ptrs: []string{"w", "src", "m"}, scals: []string{"av"}, sum: true,
			doc:   []string{"returns Σ w[i]·e^(av + src[i] − m[i]) over i < n."},
			setup: expSetup,
			body: func(c *kctx, part int) {
				e := c.exp(expArg(c, part))
				mul(c.load("w", part), e, e)
				c.accumulate(e, part)
			},
		},
	}
}

func logKernel() kernel {
	return kernel{
		name: "log", sig: "(dst, x *float64, n int)", ptrs: []string{"dst", "x"},
		doc: []string{"sets dst[i] = ln x[i] for i < n."},
		setup: func(c *kctx) {
			c.ltab = newLogTables()
		},
		body: func(c *kctx, part int) {
			x := c.load("x", part)
			slow, next := c.newLabel("slow"), c.newLabel("next")
			// Lanes not normal and positive take the slow path.
			if z {
				k := K()
				if c.masked {
					VFPCLASSPDZ(U8(0xff), x, c.kmask, k)
				} else {
					VFPCLASSPDZ(U8(0xff), x, k)
				}
				KORTESTB(k, k)
				JNZ(LabelRef(slow))
			} else {
				ok := cmp(cmpGE, load(cf("minnormal", 0x1p-1022)), x)
				VANDPD(cmp(cmpLE, load(cf("maxfloat", math.MaxFloat64)), x), ok, ok)
				if c.masked {
					VANDNPD(c.ymask[part], ok, ok) // the lanes to fix
				} else {
					VXORPD(ci("ones", math.MaxUint64), ok, ok)
				}
				g := GP32()
				VMOVMSKPD(ok, g)
				TESTL(g, g)
				JNZ(LabelRef(slow))
			}
			c.store(logMain(x, nil, c.ltab), "dst", part)
			JMP(LabelRef(next))
			Label(slow)
			c.store(logSlow(x, c.ltab), "dst", part)
			Label(next)
		},
	}
}

func lse3Kernel() kernel {
	return kernel{
		name: "lse3", named: true, sig: "(dst, a, b, c *float64, n int)", ptrs: []string{"dst", "a", "b", "c"},
		doc: []string{"sets dst[i] = ln(e^a[i] + e^b[i] + e^c[i]) for i < n."},
		setup: func(c *kctx) {
			expSetup(c)
			c.ltab = newLogTables()
		},
		body: func(c *kctx, part int) {
			a, b, cc := c.load("a", part), c.load("b", part), c.load("c", part)
			nan := orMask(cmp(cmpUnord, a, b), cmp(cmpUnord, cc, cc))
			// m the largest term, mid and lo the others: the sum does
			// not depend on the terms' order.
			hi, lo1, m, lo2 := vreg(), vreg(), vreg(), vreg()
			maxv(b, a, hi)
			minv(b, a, lo1)
			maxv(cc, hi, m)
			minv(cc, hi, lo2)
			mid, lo := vreg(), vreg()
			maxv(lo2, lo1, mid)
			minv(lo2, lo1, lo)
			sub(m, mid, mid)
			sub(m, lo, lo)
			e1 := c.exp(mid)
			e2 := c.exp(lo)
			add(e1, e2, e2)
			add(cf("one", 1), e2, e2) // 1 + (e^(lo−m) + e^(mid−m)), in [1, 3]
			res := logMain(e2, nil, c.ltab)
			add(m, res, res)
			// m not finite: m itself; a NaN among the terms: NaN.
			d := vreg()
			sub(m, m, d)
			sel(cmp(cmpUnord, d, d), m, res)
			sel(nan, load(cf("nan", math.NaN())), res)
			c.store(res, "dst", part)
		},
	}
}

// ---- numbers ----

// The two parts of ln2 of fdlibm: k·ln2Hi is exact for |k| < 2^20.
const (
	ln2Hi = 6.93147180369123816490e-01
	ln2Lo = 1.90821492927058770002e-10
)

// ln2 for float32: n·ln2Hi32 is exact for |n| < 2^9.
var (
	ln2Hi32 = float64(math.Float32frombits(0x3f317200))
	ln2Lo32 = float64(float32(math.Ln2 - float64(math.Float32frombits(0x3f317200))))
)

func fact(k int) float64 {
	f := 1.0
	for i := 2; i <= k; i++ {
		f *= float64(i)
	}
	return f
}

const prec = 256

// exp64Table returns 2^(j/16) for j < 16, correctly rounded.
func exp64Table() []float64 {
	root := new(big.Float).SetPrec(prec).SetInt64(2)
	for range 4 {
		root.Sqrt(root) // 2^(1/16)
	}
	p := new(big.Float).SetPrec(prec).SetInt64(1)
	t := make([]float64, 16)
	for j := range t {
		t[j], _ = p.Float64()
		p.Mul(p, root)
	}
	return t
}

// log64Tables returns, for the table points c = 1 + j/16 of j = −8 … 7 at
// index j & 15, inv near 1/c and lg = −ln inv rounded. inv is a double
// near 1/c whose −ln is within 2^−10 ulp of a double (Gal's accurate
// tables: r = m·inv − 1 is as good for any inv near 1/c, and the table's
// rounding error would otherwise add up to an ulp where ln c and log1p(r)
// cancel); at c = 1, inv = 1 and lg = 0.
func log64Tables() (inv, lg []float64) {
	for i := range 16 {
		j := i
		if j >= 8 {
			j -= 16
		}
		v, l := 1.0, 0.0
		switch {
		case j < -5: // not taken: m ≥ √½ rounds to j ≥ −5
			v = 1 / (1 + float64(j)/16)
			l, _ = bigLog(v).Float64()
			l = -l
		case j != 0:
			v, l = accurateLog(1 / (1 + float64(j)/16))
		}
		inv = append(inv, v)
		lg = append(lg, l)
	}
	return inv, lg
}

// accurateLog returns a double v within 2^−17 of v0 with −ln v within
// 2^−10 ulp of a double, and that double. It tries v0 + k·h, h near
// 2^−30: with v0 a simple fraction, steps of whole ulps of v move the log
// by nearly a simple fraction of its ulp, so the candidates' rounding
// errors spread evenly only through the change of 1/v over the window.
func accurateLog(v0 float64) (v, lg float64) {
	const h = 0x1.3c6ef372fe94fp-30
	for k := range 1 << 12 {
		for _, s := range []float64{1, -1} {
			c := v0 + s*float64(k)*h
			l := bigLog(c)
			l.Neg(l)
			f, _ := l.Float64()
			d, _ := new(big.Float).SetPrec(prec).Sub(l, new(big.Float).SetPrec(prec).SetFloat64(f)).Float64()
			if ulp := math.Nextafter(math.Abs(f), math.Inf(1)) - math.Abs(f); math.Abs(d) <= ulp*0x1p-10 {
				return c, f
			}
		}
	}
	panic(fmt.Sprintf("no accurate log near %v", v0))
}

// bigLog returns ln v for v in (1/2, 2] from 2·atanh((v − 1)/(v + 1)).
func bigLog(v float64) *big.Float {
	x := new(big.Float).SetPrec(prec).SetFloat64(v)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	num := new(big.Float).SetPrec(prec).Sub(x, one)
	den := new(big.Float).SetPrec(prec).Add(x, one)
	f := new(big.Float).SetPrec(prec).Quo(num, den)
	f2 := new(big.Float).SetPrec(prec).Mul(f, f)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).Set(f)
	for k := int64(1); term.Sign() != 0 && term.MantExp(nil) > f.MantExp(nil)-prec; k += 2 {
		sum.Add(sum, new(big.Float).SetPrec(prec).Quo(term, new(big.Float).SetPrec(prec).SetInt64(k)))
		term.Mul(term, f2)
	}
	return sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
}
