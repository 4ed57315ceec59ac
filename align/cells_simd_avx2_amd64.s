//go:build amd64 && !purego

#include "textflag.h"

// The AVX2+FMA kernels of the Log cells (cells_simd.go), for processors
// without AVX-512: each takes n consecutive cells of an anti-diagonal
// four at a time, then the last one to three under a mask, and gives the
// same bits as its Go version (and as its AVX-512 version, whose
// arithmetic it follows instruction for instruction; the loads of θ and
// the stores of its gradient, which AVX2 cannot gather or scatter under a
// mask, go cell by cell). A block's body is a macro of its
// loads and stores, whole vectors in the loop (LDF, STF) and the low
// lanes of the mask Y15 in the last block (LDM, STM), so that both run
// the same arithmetic. The lanes a masked load leaves out are 0, which
// gives no flag (a finite term, a sum below 1), and are not stored.

// lane4<> is 0 … 3 as int64, then as int32: the lanes, for the masks.
DATA lane4<>+0(SB)/8, $0
DATA lane4<>+8(SB)/8, $1
DATA lane4<>+16(SB)/8, $2
DATA lane4<>+24(SB)/8, $3
DATA lane4<>+32(SB)/4, $0
DATA lane4<>+36(SB)/4, $1
DATA lane4<>+40(SB)/4, $2
DATA lane4<>+44(SB)/4, $3
GLOBL lane4<>(SB), RODATA|NOPTR, $48

#define LDF(a, r) VMOVUPD a, r
#define STF(r, a) VMOVUPD r, a
#define LDM(a, r) VMASKMOVPD a, Y15, r
#define STM(r, a) VMASKMOVPD r, Y15, a

// ALL sets the masks to every lane: Y15 by float64, X14 by float32 (the
// float32 gathers').
#define ALL \
	VPCMPEQQ Y15, Y15, Y15; \
	VPCMPEQD X14, X14, X14

// TAIL sets the masks to the low CX (1 … 3) lanes.
#define TAIL \
	VMOVQ        CX, X15; \
	VPBROADCASTD X15, X14; \
	VPCMPGTD     lane4<>+32(SB), X14, X14; \
	VPBROADCASTQ X15, Y15; \
	VPCMPGTQ     lane4<>(SB), Y15, Y15

// INDEX sets Y13 to 0, 1, 2, 3 times R8 (a step in bytes): the offsets of
// four cells' θ, for the gathers.
#define INDEX \
	VMOVQ       R8, X13; \
	VPSLLDQ     $8, X13, X13; \
	LEAQ        (R8)(R8*1), R11; \
	VMOVQ       R11, X9; \
	ADDQ        R8, R11; \
	VPINSRQ     $1, R11, X9, X9; \
	VINSERTI128 $1, X9, Y13, Y13

// GATHER64 and GATHER32 set y to the float64s of four cells' θ at m (the
// float32s through x), in the lanes of the mask, and 0 elsewhere.
#define GATHER64(m, x, y) \
	VMOVDQU    Y15, Y8; \
	VXORPD     y, y, y; \
	VGATHERQPD Y8, m, y

#define GATHER32(m, x, y) \
	VMOVDQU    X14, X8; \
	VXORPS     x, x, x; \
	VGATHERQPS X8, m, x; \
	VCVTPS2PD  x, y

// The THETA macros set Y3, Y4, Y5 to θ FromLeft, FromDiag and FromAbove
// of four cells, the first at (SI) and the next R11 bytes on each (R12:
// three of them): in the loop (THETA64, THETA32) by loads of each cell's
// elements, which a shuffle transposes (cheaper than three gathers,
// which some processors without AVX-512 run slowly), in the last block
// (THETA64M, THETA32M) by gathers in the lanes of the mask, which read
// nothing past the cells.
#define THETA64 \
	VMOVUPD     (SI), X3; \
	VINSERTF128 $1, (SI)(R11*2), Y3, Y3; \
	VMOVUPD     (SI)(R11*1), X4; \
	VINSERTF128 $1, (SI)(R12*1), Y4, Y4; \
	VMOVSD      16(SI), X5; \
	VMOVHPD     16(SI)(R11*1), X5, X5; \
	VMOVSD      16(SI)(R11*2), X6; \
	VMOVHPD     16(SI)(R12*1), X6, X6; \
	VINSERTF128 $1, X6, Y5, Y5; \
	VUNPCKHPD   Y4, Y3, Y8; \
	VUNPCKLPD   Y4, Y3, Y3; \
	VMOVAPD     Y8, Y4

#define THETA32 \
	VMOVSD    (SI), X3; \
	VMOVHPD   (SI)(R11*2), X3, X3; \
	VMOVSD    (SI)(R11*1), X4; \
	VMOVHPD   (SI)(R12*1), X4, X4; \
	VMOVSS    8(SI), X5; \
	VINSERTPS $0x10, 8(SI)(R11*1), X5, X5; \
	VINSERTPS $0x20, 8(SI)(R11*2), X5, X5; \
	VINSERTPS $0x30, 8(SI)(R12*1), X5, X5; \
	VCVTPS2PD X3, Y3; \
	VCVTPS2PD X4, Y4; \
	VCVTPS2PD X5, Y5; \
	VUNPCKHPD Y4, Y3, Y8; \
	VUNPCKLPD Y4, Y3, Y3; \
	VMOVAPD   Y8, Y4

#define THETA64M \
	GATHER64((SI)(Y13*1), X3, Y3); \
	GATHER64(8(SI)(Y13*1), X4, Y4); \
	GATHER64(16(SI)(Y13*1), X5, Y5)

#define THETA32M \
	GATHER32((SI)(Y13*1), X3, Y3); \
	GATHER32(4(SI)(Y13*1), X4, Y4); \
	GATHER32(8(SI)(Y13*1), X5, Y5)

// MAX sets m to the larger of a and m (neither NaN) as Go's max: of 0
// and −0, 0, where VMAXPD gives its second operand; its two orders differ
// only there, and their AND is 0. Y9 is scratch.
#define MAX(a, m) \
	VMAXPD a, m, Y9; \
	VMAXPD m, a, m; \
	VANDPD Y9, m, m

// TERMS3 is logTerms of four cells of three terms: left (AX), above (BX),
// dg (DX), θ by TH (one of the THETA macros, into Y3, Y4, Y5); e at
// (DI) in planes R9 bytes apart, mx at (R10); the flags of the cells whose
// terms are not all finite ORed into Y12. Y11 is NaN.
#define TERMS3(LD, ST, TH) \
	LD((AX), Y0); \
	LD((BX), Y1); \
	LD((DX), Y2); \
	TH; \
	VADDPD    Y3, Y0, Y0; \
	VADDPD    Y4, Y2, Y2; \
	VADDPD    Y5, Y1, Y1; \
	VMOVAPD   Y0, Y6; \
	MAX(Y2, Y6); \
	MAX(Y1, Y6); \
	VADDPD    Y2, Y0, Y7; \
	VADDPD    Y1, Y7, Y7; \
	VSUBPD    Y7, Y7, Y7; \
	VCMPPD    $3, Y7, Y7, Y7; \
	VORPD     Y7, Y12, Y12; \
	VBLENDVPD Y7, Y11, Y6, Y6; \
	VSUBPD    Y6, Y0, Y0; \
	VSUBPD    Y6, Y2, Y2; \
	VSUBPD    Y6, Y1, Y1; \
	ST(Y0, (DI)); \
	ST(Y2, (DI)(R9*1)); \
	ST(Y1, (DI)(R9*2)); \
	ST(Y6, (R10))

// TERMS4 is TERMS3 for four terms, the start (θ FromDiag, Y4) third.
#define TERMS4(LD, ST, TH) \
	LD((AX), Y0); \
	LD((BX), Y1); \
	LD((DX), Y2); \
	TH; \
	VADDPD    Y3, Y0, Y0; \
	VADDPD    Y4, Y2, Y2; \
	VADDPD    Y5, Y1, Y1; \
	VMOVAPD   Y0, Y6; \
	MAX(Y2, Y6); \
	MAX(Y4, Y6); \
	MAX(Y1, Y6); \
	VADDPD    Y2, Y0, Y7; \
	VADDPD    Y4, Y7, Y7; \
	VADDPD    Y1, Y7, Y7; \
	VSUBPD    Y7, Y7, Y7; \
	VCMPPD    $3, Y7, Y7, Y7; \
	VORPD     Y7, Y12, Y12; \
	VBLENDVPD Y7, Y11, Y6, Y6; \
	VSUBPD    Y6, Y0, Y0; \
	VSUBPD    Y6, Y2, Y2; \
	VSUBPD    Y6, Y4, Y4; \
	VSUBPD    Y6, Y1, Y1; \
	ST(Y0, (DI)); \
	ST(Y2, (DI)(R9*1)); \
	ST(Y4, (DI)(R9*2)); \
	ST(Y1, (DI)(R13*1)); \
	ST(Y6, (R10))

// TSTEP moves logTerms' pointers on by four cells (R8: four steps of θ).
#define TSTEP \
	ADDQ $32, AX; \
	ADDQ $32, BX; \
	ADDQ $32, DX; \
	ADDQ $32, DI; \
	ADDQ $32, R10; \
	ADDQ R8, SI; \
	SUBQ $4, CX

// TSETUP loads logTerms' arguments but nt, R8 the step in elements of
// size 1<<shift: the step in bytes (R11, INDEX), three (R12), four (R8).
#define TSETUP(shift) \
	MOVQ         n+8(FP), CX; \
	MOVQ         left+16(FP), AX; \
	MOVQ         above+24(FP), BX; \
	MOVQ         dg+32(FP), DX; \
	MOVQ         th+40(FP), SI; \
	MOVQ         step+48(FP), R8; \
	MOVQ         e+56(FP), DI; \
	MOVQ         mx+64(FP), R10; \
	MOVQ         $0x7ff8000000000000, R11; \
	VMOVQ        R11, X11; \
	VPBROADCASTQ X11, Y11; \
	SHLQ         $shift, R8; \
	INDEX; \
	MOVQ         R8, R11; \
	LEAQ         (R8)(R8*2), R12; \
	SHLQ         $2, R8; \
	MOVQ         CX, R9; \
	SHLQ         $3, R9; \
	LEAQ         (R9)(R9*2), R13; \
	VPXOR        Y12, Y12, Y12; \
	ALL

// MUSETUP loads mu's arguments (here, above every TEXT, for vet, which
// takes a macro's arguments for those of the function above it): R11 the
// step in bytes (elements of size 1<<shift), R12 three of them, R10 four.
#define MUSETUP(shift) \
	MOVQ   n+0(FP), CX; \
	MOVQ   gam+8(FP), SI; \
	MOVQ   wl+16(FP), AX; \
	MOVQ   wd+24(FP), BX; \
	MOVQ   ws+32(FP), DX; \
	MOVQ   wa+40(FP), R8; \
	MOVQ   dth+48(FP), DI; \
	MOVQ   step+56(FP), R11; \
	SHLQ   $shift, R11; \
	LEAQ   (R11)(R11*2), R12; \
	MOVQ   R11, R10; \
	SHLQ   $2, R10; \
	VXORPD Y10, Y10, Y10; \
	ALL

// func logTermsF64AVX2(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) (bad bool)
TEXT ·logTermsF64AVX2(SB), NOSPLIT, $0-73
	TSETUP(3)
	CMPQ nt+0(FP), $4
	JEQ  loop4

loop3:
	CMPQ CX, $4
	JLT  tail3
	TERMS3(LDF, STF, THETA64)
	TSTEP
	JMP  loop3

tail3:
	TESTQ CX, CX
	JLE   done
	TAIL
	TERMS3(LDM, STM, THETA64M)
	JMP   done

loop4:
	CMPQ CX, $4
	JLT  tail4
	TERMS4(LDF, STF, THETA64)
	TSTEP
	JMP  loop4

tail4:
	TESTQ CX, CX
	JLE   done
	TAIL
	TERMS4(LDM, STM, THETA64M)

done:
	VPTEST Y12, Y12
	SETNE  bad+72(FP)
	VZEROUPPER
	RET

// func logTermsF32AVX2(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) (bad bool)
TEXT ·logTermsF32AVX2(SB), NOSPLIT, $0-73
	TSETUP(2)
	CMPQ nt+0(FP), $4
	JEQ  floop4

floop3:
	CMPQ CX, $4
	JLT  ftail3
	TERMS3(LDF, STF, THETA32)
	TSTEP
	JMP  floop3

ftail3:
	TESTQ CX, CX
	JLE   fdone
	TAIL
	TERMS3(LDM, STM, THETA32M)
	JMP   fdone

floop4:
	CMPQ CX, $4
	JLT  ftail4
	TERMS4(LDF, STF, THETA32)
	TSTEP
	JMP  floop4

ftail4:
	TESTQ CX, CX
	JLE   fdone
	TAIL
	TERMS4(LDM, STM, THETA32M)

fdone:
	VPTEST Y12, Y12
	SETNE  bad+72(FP)
	VZEROUPPER
	RET

// NORM3 is logNorm of four cells of three terms: their exps at (SI)
// (planes R9 bytes apart), weights to (DI) (planes R8 bytes apart), sums
// to (R10). Y11 is 1.
#define NORM3(LD, ST) \
	LD((SI), Y0); \
	LD((SI)(R9*1), Y1); \
	LD((SI)(R9*2), Y2); \
	VADDPD    Y1, Y0, Y3; \
	VADDPD    Y2, Y3, Y3; \
	VCMPPD    $0x19, Y11, Y3, Y7; \
	VBLENDVPD Y7, Y11, Y3, Y3; \
	VDIVPD    Y3, Y11, Y4; \
	VMULPD    Y4, Y0, Y0; \
	VMULPD    Y4, Y1, Y1; \
	VMULPD    Y4, Y2, Y2; \
	ST(Y0, (DI)); \
	ST(Y1, (DI)(R8*1)); \
	ST(Y2, (DI)(R8*2)); \
	ST(Y3, (R10))

// NORM4 is NORM3 for four terms.
#define NORM4(LD, ST) \
	LD((SI), Y0); \
	LD((SI)(R9*1), Y1); \
	LD((SI)(R9*2), Y2); \
	LD((SI)(R13*1), Y5); \
	VADDPD    Y1, Y0, Y3; \
	VADDPD    Y2, Y3, Y3; \
	VADDPD    Y5, Y3, Y3; \
	VCMPPD    $0x19, Y11, Y3, Y7; \
	VBLENDVPD Y7, Y11, Y3, Y3; \
	VDIVPD    Y3, Y11, Y4; \
	VMULPD    Y4, Y0, Y0; \
	VMULPD    Y4, Y1, Y1; \
	VMULPD    Y4, Y2, Y2; \
	VMULPD    Y4, Y5, Y5; \
	ST(Y0, (DI)); \
	ST(Y1, (DI)(R8*1)); \
	ST(Y2, (DI)(R8*2)); \
	ST(Y5, (DI)(BX*1)); \
	ST(Y3, (R10))

#define NSTEP \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	ADDQ $32, R10; \
	SUBQ $4, CX

// func logNormAVX2(nt, n int, e, w *float64, per int, sums *float64)
TEXT ·logNormAVX2(SB), NOSPLIT, $0-48
	MOVQ nt+0(FP), R12
	MOVQ n+8(FP), CX
	MOVQ e+16(FP), SI
	MOVQ w+24(FP), DI
	MOVQ per+32(FP), R8
	MOVQ sums+40(FP), R10
	MOVQ CX, R9
	SHLQ $3, R9          // a plane of e in bytes
	LEAQ (R9)(R9*2), R13
	SHLQ $3, R8          // a plane of w in bytes
	LEAQ (R8)(R8*2), BX
	MOVQ $0x3ff0000000000000, R11
	VMOVQ        R11, X11
	VPBROADCASTQ X11, Y11 // 1
	CMPQ R12, $4
	JEQ  nloop4

nloop3:
	CMPQ  CX, $4
	JLT   ntail3
	NORM3(LDF, STF)
	NSTEP
	JMP   nloop3

ntail3:
	TESTQ CX, CX
	JLE   ndone
	TAIL
	NORM3(LDM, STM)
	JMP   ndone

nloop4:
	CMPQ  CX, $4
	JLT   ntail4
	NORM4(LDF, STF)
	NSTEP
	JMP   nloop4

ntail4:
	TESTQ CX, CX
	JLE   ndone
	TAIL
	NORM4(LDM, STM)

ndone:
	VZEROUPPER
	RET

// func copyNTAVX2(dst, src *byte, n int)
//
// dst[:n] = src[:n] past the caches, for dst 64-byte aligned and n a
// multiple of 64; the caller fences (sfence).
TEXT ·copyNTAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

cloop:
	TESTQ    CX, CX
	JLE      cdone
	VMOVDQU  (SI), Y0
	VMOVDQU  32(SI), Y1
	VMOVNTDQ Y0, (DI)
	VMOVNTDQ Y1, 32(DI)
	ADDQ     $64, SI
	ADDQ     $64, DI
	SUBQ     $64, CX
	JMP      cloop

cdone:
	VZEROUPPER
	RET

#define ADD(LD, ST) \
	LD((SI), Y0); \
	LD((BX), Y1); \
	VADDPD Y1, Y0, Y0; \
	ST(Y0, (DI))

// func addToAVX2(n int, dst, x, y *float64)
TEXT ·addToAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), BX
	ALL

aloop:
	CMPQ CX, $4
	JLT  atail
	ADD(LDF, STF)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  aloop

atail:
	TESTQ CX, CX
	JLE   adone
	TAIL
	ADD(LDM, STM)

adone:
	VZEROUPPER
	RET

// PULL adds the term of a successor, γ at (g) and weight at (w), to Y0:
// one FMA, undone in the lanes where the product is NaN and γ is 0 (Y10
// is 0).
#define PULL(LD, g, w) \
	LD((g), Y1); \
	LD((w), Y2); \
	VMOVAPD     Y0, Y3; \
	VFMADD231PD Y2, Y1, Y3; \
	VCMPPD      $3, Y3, Y3, Y5; \
	VCMPPD      $0, Y10, Y1, Y6; \
	VANDPD      Y5, Y6, Y6; \
	VBLENDVPD   Y6, Y0, Y3, Y0

// PULLS is pull of four cells, the lanes whose γ is not finite ORed into
// Y12.
#define PULLS(LD, ST) \
	LD((SI), Y0); \
	PULL(LD, AX, BX); \
	PULL(LD, DX, R8); \
	PULL(LD, R9, R10); \
	VSUBPD Y0, Y0, Y7; \
	VCMPPD $3, Y7, Y7, Y7; \
	VORPD  Y7, Y12, Y12; \
	ST(Y0, (DI))

// PULLFAST is pull of four cells without the undoing (in Y0), and sets
// the flags NE where a γ is not finite. Where every γ is finite none of
// the FMAs was NaN (a NaN would have reached γ), so that there was
// nothing to undo and γ is PULLS's: the loop takes PULLS only for the
// rare blocks this sets NE.
#define PULLFAST \
	VMOVUPD     (SI), Y0; \
	VMOVUPD     (AX), Y1; \
	VFMADD231PD (BX), Y1, Y0; \
	VMOVUPD     (DX), Y2; \
	VFMADD231PD (R8), Y2, Y0; \
	VMOVUPD     (R9), Y3; \
	VFMADD231PD (R10), Y3, Y0; \
	VSUBPD      Y0, Y0, Y7; \
	VCMPPD      $3, Y7, Y7, Y7; \
	VPTEST      Y7, Y7

// func pullAVX2(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) (fin bool)
TEXT ·pullAVX2(SB), NOSPLIT, $0-73
	MOVQ n+0(FP), CX
	MOVQ gam+8(FP), DI
	MOVQ da+16(FP), SI
	MOVQ gd+24(FP), AX
	MOVQ wd+32(FP), BX
	MOVQ ga+40(FP), DX
	MOVQ wa+48(FP), R8
	MOVQ gl+56(FP), R9
	MOVQ wl+64(FP), R10
	VXORPD Y10, Y10, Y10
	VXORPD Y12, Y12, Y12
	ALL

ploop:
	CMPQ CX, $4
	JLT  ptail
	PULLFAST
	JNE  pslow
	VMOVUPD Y0, (DI)

pnext:
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	SUBQ $4, CX
	JMP  ploop

ptail:
	TESTQ CX, CX
	JLE   pdone
	TAIL
	PULLS(LDM, STM)
	JMP   pdone

pslow:
	PULLS(LDF, STF)
	JMP pnext

pdone:
	VPTEST Y12, Y12
	SETEQ  fin+72(FP)
	VZEROUPPER
	RET

// MU sets Y1, Y2, Y3 to the gradients of the potentials of four cells:
// γ (Y0) times the weights wl, wd (+ ws where DX is not nil), wa, and 0 in
// the lanes where a product is NaN and γ is 0 (Y10 is 0).
#define MU(LD) \
	LD((SI), Y0); \
	LD((AX), Y1); \
	LD((BX), Y2); \
	LD((R8), Y3); \
	TESTQ   DX, DX; \
	JEQ     3(PC); \
	LD((DX), Y5); \
	VADDPD  Y5, Y2, Y2; \
	VMULPD  Y1, Y0, Y1; \
	VMULPD  Y2, Y0, Y2; \
	VMULPD  Y3, Y0, Y3; \
	VCMPPD  $3, Y1, Y1, Y5; \
	VCMPPD  $3, Y2, Y2, Y6; \
	VORPD   Y6, Y5, Y5; \
	VCMPPD  $3, Y3, Y3, Y6; \
	VORPD   Y6, Y5, Y5; \
	VCMPPD  $0, Y10, Y0, Y6; \
	VANDPD  Y6, Y5, Y5; \
	VANDNPD Y1, Y5, Y1; \
	VANDNPD Y2, Y5, Y2; \
	VANDNPD Y3, Y5, Y3

// MUSTEP moves the pointers of MU on by four cells (R10: four steps of
// dθ).
#define MUSTEP \
	ADDQ  $32, SI; \
	ADDQ  $32, AX; \
	ADDQ  $32, BX; \
	ADDQ  $32, R8; \
	TESTQ DX, DX; \
	JEQ   2(PC); \
	ADDQ  $32, DX; \
	ADDQ  R10, DI; \
	SUBQ  $4, CX

// The scatters of four cells' (Y1, Y2, Y3) gradients, cell by cell: cell
// q's three at q steps from DI, FromLeft, FromDiag, FromAbove. The third
// and fourth come from the high halves, which SC64HI and SC32HI move
// down.
#define SC64LANE0 \
	VMOVSD X1, (DI); \
	VMOVSD X2, 8(DI); \
	VMOVSD X3, 16(DI)

#define SC64LANE1 \
	VMOVHPD X1, (DI)(R11*1); \
	VMOVHPD X2, 8(DI)(R11*1); \
	VMOVHPD X3, 16(DI)(R11*1)

#define SC64HI \
	VEXTRACTF128 $1, Y1, X1; \
	VEXTRACTF128 $1, Y2, X2; \
	VEXTRACTF128 $1, Y3, X3

#define SC64LANE2 \
	VMOVSD X1, (DI)(R11*2); \
	VMOVSD X2, 8(DI)(R11*2); \
	VMOVSD X3, 16(DI)(R11*2)

#define SC64LANE3 \
	VMOVHPD X1, (DI)(R12*1); \
	VMOVHPD X2, 8(DI)(R12*1); \
	VMOVHPD X3, 16(DI)(R12*1)

// func muF64AVX2(n int, gam, wl, wd, ws, wa, dth *float64, step int)
TEXT ·muF64AVX2(SB), NOSPLIT, $0-64
	MUSETUP(3)

mloop:
	CMPQ CX, $4
	JLT  mtail
	MU(LDF)
	SC64LANE0
	SC64LANE1
	SC64HI
	SC64LANE2
	SC64LANE3
	MUSTEP
	JMP  mloop

mtail:
	TESTQ CX, CX
	JLE   mdone
	TAIL
	MU(LDM)
	SC64LANE0
	CMPQ  CX, $2
	JLT   mdone
	SC64LANE1
	CMPQ  CX, $3
	JLT   mdone
	SC64HI
	SC64LANE2

mdone:
	VZEROUPPER
	RET

// CVT32 rounds the gradients to float32, four in each of X1, X2, X3.
#define CVT32 \
	VCVTPD2PSY Y1, X1; \
	VCVTPD2PSY Y2, X2; \
	VCVTPD2PSY Y3, X3

#define SC32LANE0 \
	VMOVSS X1, (DI); \
	VMOVSS X2, 4(DI); \
	VMOVSS X3, 8(DI)

// func muF32AVX2(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int)
TEXT ·muF32AVX2(SB), NOSPLIT, $0-64
	MUSETUP(2)

m32loop:
	CMPQ CX, $4
	JLT  m32tail
	MU(LDF)
	CVT32
	SC32LANE0
	VEXTRACTPS $1, X1, (DI)(R11*1)
	VEXTRACTPS $1, X2, 4(DI)(R11*1)
	VEXTRACTPS $1, X3, 8(DI)(R11*1)
	VEXTRACTPS $2, X1, (DI)(R11*2)
	VEXTRACTPS $2, X2, 4(DI)(R11*2)
	VEXTRACTPS $2, X3, 8(DI)(R11*2)
	VEXTRACTPS $3, X1, (DI)(R12*1)
	VEXTRACTPS $3, X2, 4(DI)(R12*1)
	VEXTRACTPS $3, X3, 8(DI)(R12*1)
	MUSTEP
	JMP  m32loop

m32tail:
	TESTQ CX, CX
	JLE   m32done
	TAIL
	MU(LDM)
	CVT32
	SC32LANE0
	CMPQ  CX, $2
	JLT   m32done
	VEXTRACTPS $1, X1, (DI)(R11*1)
	VEXTRACTPS $1, X2, 4(DI)(R11*1)
	VEXTRACTPS $1, X3, 8(DI)(R11*1)
	CMPQ  CX, $3
	JLT   m32done
	VEXTRACTPS $2, X1, (DI)(R11*2)
	VEXTRACTPS $2, X2, 4(DI)(R11*2)
	VEXTRACTPS $2, X3, 8(DI)(R11*2)

m32done:
	VZEROUPPER
	RET
