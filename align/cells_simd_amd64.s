//go:build amd64 && !purego

#include "textflag.h"

// The AVX-512 kernels of the Log cells (cells_simd.go): each takes n
// consecutive cells of an anti-diagonal, eight at a time, the last block
// under a mask, and gives the same bits as its Go version.

// iota<> is 0 … 7 as int64: times a step, the offsets of eight cells.
DATA iota<>+0(SB)/8, $0
DATA iota<>+8(SB)/8, $1
DATA iota<>+16(SB)/8, $2
DATA iota<>+24(SB)/8, $3
DATA iota<>+32(SB)/8, $4
DATA iota<>+40(SB)/8, $5
DATA iota<>+48(SB)/8, $6
DATA iota<>+56(SB)/8, $7
GLOBL iota<>(SB), RODATA|NOPTR, $64

// LANES sets K1 to the lanes of the next block: all eight, or the low CX.
#define LANES \
	KXNORW K1, K1, K1; \
	CMPQ   CX, $8; \
	JAE    5(PC); \
	MOVQ   $1, R11; \
	SHLQ   CX, R11; \
	DECQ   R11; \
	KMOVW  R11, K1

// MAX sets m to the larger of a and m (neither NaN) as Go's max: of 0
// and −0, 0, where VMAXPD gives its second operand; its two orders differ
// only there, and their AND is 0. Z8 is scratch.
#define MAX(a, m) \
	VMAXPD a, m, Z8; \
	VMAXPD m, a, m; \
	VANDPD Z8, m, m

// func logTermsF64AVX512(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) (bad bool)
TEXT ·logTermsF64AVX512(SB), NOSPLIT, $0-73
	MOVQ nt+0(FP), R12
	MOVQ n+8(FP), CX
	MOVQ left+16(FP), AX
	MOVQ above+24(FP), BX
	MOVQ dg+32(FP), DX
	MOVQ th+40(FP), SI
	MOVQ step+48(FP), R8
	MOVQ e+56(FP), DI
	MOVQ mx+64(FP), R10
	SHLQ $3, R8          // the step in bytes
	VPBROADCASTQ R8, Z31
	VPMULLQ iota<>(SB), Z31, Z31
	SHLQ $3, R8          // eight steps
	MOVQ CX, R9
	SHLQ $3, R9          // a plane of e in bytes
	LEAQ (R9)(R9*2), R13 // three planes
	MOVQ $0x7ff8000000000000, R11
	VPBROADCASTQ R11, Z30 // NaN
	KXORW K4, K4, K4
	CMPQ R12, $4
	JEQ  loop4

loop3:
	TESTQ CX, CX
	JLE   done
	LANES
	VMOVUPD.Z  (AX), K1, Z0
	VMOVUPD.Z  (BX), K1, Z1
	VMOVUPD.Z  (DX), K1, Z2
	KMOVW      K1, K2
	VGATHERQPD (SI)(Z31*1), K2, Z3
	KMOVW      K1, K2
	VGATHERQPD 8(SI)(Z31*1), K2, Z4
	KMOVW      K1, K2
	VGATHERQPD 16(SI)(Z31*1), K2, Z5
	VADDPD     Z3, Z0, Z0 // l
	VADDPD     Z4, Z2, Z2 // d
	VADDPD     Z5, Z1, Z1 // u
	VMOVAPD    Z0, Z6
	MAX(Z2, Z6)
	MAX(Z1, Z6) // m
	VADDPD     Z2, Z0, Z7
	VADDPD     Z1, Z7, Z7
	VSUBPD     Z7, Z7, Z7 // NaN where a term is not finite
	VCMPPD     $3, Z7, Z7, K1, K3
	KORW       K3, K4, K4
	VMOVAPD    Z30, K3, Z6
	VSUBPD     Z6, Z0, Z0
	VSUBPD     Z6, Z2, Z2
	VSUBPD     Z6, Z1, Z1
	VMOVUPD    Z0, K1, (DI)
	VMOVUPD    Z2, K1, (DI)(R9*1)
	VMOVUPD    Z1, K1, (DI)(R9*2)
	VMOVUPD    Z6, K1, (R10)
	ADDQ       $64, AX
	ADDQ       $64, BX
	ADDQ       $64, DX
	ADDQ       $64, DI
	ADDQ       $64, R10
	ADDQ       R8, SI
	SUBQ       $8, CX
	JMP        loop3

loop4:
	TESTQ CX, CX
	JLE   done
	LANES
	VMOVUPD.Z  (AX), K1, Z0
	VMOVUPD.Z  (BX), K1, Z1
	VMOVUPD.Z  (DX), K1, Z2
	KMOVW      K1, K2
	VGATHERQPD (SI)(Z31*1), K2, Z3
	KMOVW      K1, K2
	VGATHERQPD 8(SI)(Z31*1), K2, Z4
	KMOVW      K1, K2
	VGATHERQPD 16(SI)(Z31*1), K2, Z5
	VADDPD     Z3, Z0, Z0 // l
	VADDPD     Z4, Z2, Z2 // d
	VADDPD     Z5, Z1, Z1 // u; the start is Z4
	VMOVAPD    Z0, Z6
	MAX(Z2, Z6)
	MAX(Z4, Z6)
	MAX(Z1, Z6) // m
	VADDPD     Z2, Z0, Z7
	VADDPD     Z4, Z7, Z7
	VADDPD     Z1, Z7, Z7
	VSUBPD     Z7, Z7, Z7
	VCMPPD     $3, Z7, Z7, K1, K3
	KORW       K3, K4, K4
	VMOVAPD    Z30, K3, Z6
	VSUBPD     Z6, Z0, Z0
	VSUBPD     Z6, Z2, Z2
	VSUBPD     Z6, Z4, Z4
	VSUBPD     Z6, Z1, Z1
	VMOVUPD    Z0, K1, (DI)
	VMOVUPD    Z2, K1, (DI)(R9*1)
	VMOVUPD    Z4, K1, (DI)(R9*2)
	VMOVUPD    Z1, K1, (DI)(R13*1)
	VMOVUPD    Z6, K1, (R10)
	ADDQ       $64, AX
	ADDQ       $64, BX
	ADDQ       $64, DX
	ADDQ       $64, DI
	ADDQ       $64, R10
	ADDQ       R8, SI
	SUBQ       $8, CX
	JMP        loop4

done:
	KORTESTW K4, K4
	SETNE    bad+72(FP)
	VZEROUPPER
	RET

// func logTermsF32AVX512(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) (bad bool)
TEXT ·logTermsF32AVX512(SB), NOSPLIT, $0-73
	MOVQ nt+0(FP), R12
	MOVQ n+8(FP), CX
	MOVQ left+16(FP), AX
	MOVQ above+24(FP), BX
	MOVQ dg+32(FP), DX
	MOVQ th+40(FP), SI
	MOVQ step+48(FP), R8
	MOVQ e+56(FP), DI
	MOVQ mx+64(FP), R10
	SHLQ $2, R8
	VPBROADCASTQ R8, Z31
	VPMULLQ iota<>(SB), Z31, Z31
	SHLQ $3, R8
	MOVQ CX, R9
	SHLQ $3, R9
	LEAQ (R9)(R9*2), R13
	MOVQ $0x7ff8000000000000, R11
	VPBROADCASTQ R11, Z30
	KXORW K4, K4, K4
	CMPQ R12, $4
	JEQ  floop4

floop3:
	TESTQ CX, CX
	JLE   fdone
	LANES
	VMOVUPD.Z  (AX), K1, Z0
	VMOVUPD.Z  (BX), K1, Z1
	VMOVUPD.Z  (DX), K1, Z2
	KMOVW      K1, K2
	VGATHERQPS (SI)(Z31*1), K2, Y3
	KMOVW      K1, K2
	VGATHERQPS 4(SI)(Z31*1), K2, Y4
	KMOVW      K1, K2
	VGATHERQPS 8(SI)(Z31*1), K2, Y5
	VCVTPS2PD  Y3, Z3
	VCVTPS2PD  Y4, Z4
	VCVTPS2PD  Y5, Z5
	VADDPD     Z3, Z0, Z0
	VADDPD     Z4, Z2, Z2
	VADDPD     Z5, Z1, Z1
	VMOVAPD    Z0, Z6
	MAX(Z2, Z6)
	MAX(Z1, Z6)
	VADDPD     Z2, Z0, Z7
	VADDPD     Z1, Z7, Z7
	VSUBPD     Z7, Z7, Z7
	VCMPPD     $3, Z7, Z7, K1, K3
	KORW       K3, K4, K4
	VMOVAPD    Z30, K3, Z6
	VSUBPD     Z6, Z0, Z0
	VSUBPD     Z6, Z2, Z2
	VSUBPD     Z6, Z1, Z1
	VMOVUPD    Z0, K1, (DI)
	VMOVUPD    Z2, K1, (DI)(R9*1)
	VMOVUPD    Z1, K1, (DI)(R9*2)
	VMOVUPD    Z6, K1, (R10)
	ADDQ       $64, AX
	ADDQ       $64, BX
	ADDQ       $64, DX
	ADDQ       $64, DI
	ADDQ       $64, R10
	ADDQ       R8, SI
	SUBQ       $8, CX
	JMP        floop3

floop4:
	TESTQ CX, CX
	JLE   fdone
	LANES
	VMOVUPD.Z  (AX), K1, Z0
	VMOVUPD.Z  (BX), K1, Z1
	VMOVUPD.Z  (DX), K1, Z2
	KMOVW      K1, K2
	VGATHERQPS (SI)(Z31*1), K2, Y3
	KMOVW      K1, K2
	VGATHERQPS 4(SI)(Z31*1), K2, Y4
	KMOVW      K1, K2
	VGATHERQPS 8(SI)(Z31*1), K2, Y5
	VCVTPS2PD  Y3, Z3
	VCVTPS2PD  Y4, Z4
	VCVTPS2PD  Y5, Z5
	VADDPD     Z3, Z0, Z0
	VADDPD     Z4, Z2, Z2
	VADDPD     Z5, Z1, Z1
	VMOVAPD    Z0, Z6
	MAX(Z2, Z6)
	MAX(Z4, Z6)
	MAX(Z1, Z6)
	VADDPD     Z2, Z0, Z7
	VADDPD     Z4, Z7, Z7
	VADDPD     Z1, Z7, Z7
	VSUBPD     Z7, Z7, Z7
	VCMPPD     $3, Z7, Z7, K1, K3
	KORW       K3, K4, K4
	VMOVAPD    Z30, K3, Z6
	VSUBPD     Z6, Z0, Z0
	VSUBPD     Z6, Z2, Z2
	VSUBPD     Z6, Z4, Z4
	VSUBPD     Z6, Z1, Z1
	VMOVUPD    Z0, K1, (DI)
	VMOVUPD    Z2, K1, (DI)(R9*1)
	VMOVUPD    Z4, K1, (DI)(R9*2)
	VMOVUPD    Z1, K1, (DI)(R13*1)
	VMOVUPD    Z6, K1, (R10)
	ADDQ       $64, AX
	ADDQ       $64, BX
	ADDQ       $64, DX
	ADDQ       $64, DI
	ADDQ       $64, R10
	ADDQ       R8, SI
	SUBQ       $8, CX
	JMP        floop4

fdone:
	KORTESTW K4, K4
	SETNE    bad+72(FP)
	VZEROUPPER
	RET

// NORM3 sets Z0, Z1, Z2 to the weights of eight cells of three terms
// from their exps at (SI) (planes R9 bytes apart), and Z3 to their sums.
#define NORM3 \
	VMOVUPD.Z (SI), K1, Z0; \
	VMOVUPD.Z (SI)(R9*1), K1, Z1; \
	VMOVUPD.Z (SI)(R9*2), K1, Z2; \
	VADDPD    Z1, Z0, Z3; \
	VADDPD    Z2, Z3, Z3; \
	VCMPPD    $0x19, Z29, Z3, K1, K2; \
	VMOVAPD   Z29, K2, Z3; \
	VDIVPD    Z3, Z29, Z4; \
	VMULPD    Z4, Z0, Z0; \
	VMULPD    Z4, Z1, Z1; \
	VMULPD    Z4, Z2, Z2

// NORM4 is NORM3 for four terms, the fourth in Z5.
#define NORM4 \
	VMOVUPD.Z (SI), K1, Z0; \
	VMOVUPD.Z (SI)(R9*1), K1, Z1; \
	VMOVUPD.Z (SI)(R9*2), K1, Z2; \
	VMOVUPD.Z (SI)(R13*1), K1, Z5; \
	VADDPD    Z1, Z0, Z3; \
	VADDPD    Z2, Z3, Z3; \
	VADDPD    Z5, Z3, Z3; \
	VCMPPD    $0x19, Z29, Z3, K1, K2; \
	VMOVAPD   Z29, K2, Z3; \
	VDIVPD    Z3, Z29, Z4; \
	VMULPD    Z4, Z0, Z0; \
	VMULPD    Z4, Z1, Z1; \
	VMULPD    Z4, Z2, Z2; \
	VMULPD    Z4, Z5, Z5

// NSTEP moves logNorm's pointers on by eight cells.
#define NSTEP \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R10; \
	SUBQ $8, CX

// func logNormAVX512(nt, n int, e, w *float64, per int, sums *float64)
TEXT ·logNormAVX512(SB), NOSPLIT, $0-48
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
	VPBROADCASTQ R11, Z29 // 1
	CMPQ R12, $4
	JEQ  nloop4

nloop3:
	TESTQ CX, CX
	JLE   ndone
	LANES
	NORM3
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K1, (DI)(R8*1)
	VMOVUPD Z2, K1, (DI)(R8*2)
	VMOVUPD Z3, K1, (R10)
	NSTEP
	JMP     nloop3

nloop4:
	TESTQ CX, CX
	JLE   ndone
	LANES
	NORM4
	VMOVUPD Z0, K1, (DI)
	VMOVUPD Z1, K1, (DI)(R8*1)
	VMOVUPD Z2, K1, (DI)(R8*2)
	VMOVUPD Z5, K1, (DI)(BX*1)
	VMOVUPD Z3, K1, (R10)
	NSTEP
	JMP     nloop4

ndone:
	VZEROUPPER
	RET

// func copyNTAVX512(dst, src *byte, n int)
//
// dst[:n] = src[:n] past the caches, for dst 64-byte aligned and n a
// multiple of 64; the caller fences (sfence).
TEXT ·copyNTAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

cloop:
	TESTQ    CX, CX
	JLE      cdone
	VMOVDQU64 (SI), Z0
	VMOVNTDQ Z0, (DI)
	ADDQ     $64, SI
	ADDQ     $64, DI
	SUBQ     $64, CX
	JMP      cloop

cdone:
	VZEROUPPER
	RET

// func sfence()
//
// Orders the stores past the caches before all later stores: the kernels
// that stream leave it to their callers, once an item.
TEXT ·sfence(SB), NOSPLIT, $0-0
	SFENCE
	RET

// func addToAVX512(n int, dst, x, y *float64)
TEXT ·addToAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), BX

aloop:
	TESTQ CX, CX
	JLE   adone
	LANES
	VMOVUPD.Z (SI), K1, Z0
	VMOVUPD.Z (BX), K1, Z1
	VADDPD    Z1, Z0, Z0
	VMOVUPD   Z0, K1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, BX
	ADDQ      $64, DI
	SUBQ      $8, CX
	JMP       aloop

adone:
	VZEROUPPER
	RET

// PULL adds the term of a successor, γ at (g) and weight at (w), to Z0:
// one FMA, undone in the lanes where the product is NaN and γ is 0.
#define PULL(g, w) \
	VMOVUPD.Z   (g), K1, Z1; \
	VMOVUPD.Z   (w), K1, Z2; \
	VMOVAPD     Z0, Z3; \
	VFMADD231PD Z2, Z1, Z3; \
	VCMPPD      $3, Z3, Z3, K1, K5; \
	VCMPPD      $0, Z28, Z1, K5, K6; \
	VMOVAPD     Z0, K6, Z3; \
	VMOVAPD     Z3, Z0

// func pullAVX512(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) (fin bool)
TEXT ·pullAVX512(SB), NOSPLIT, $0-73
	MOVQ n+0(FP), CX
	MOVQ gam+8(FP), DI
	MOVQ da+16(FP), SI
	MOVQ gd+24(FP), AX
	MOVQ wd+32(FP), BX
	MOVQ ga+40(FP), DX
	MOVQ wa+48(FP), R8
	MOVQ gl+56(FP), R9
	MOVQ wl+64(FP), R10
	VPXORQ Z28, Z28, Z28
	KXORW  K4, K4, K4

ploop:
	TESTQ CX, CX
	JLE   pdone
	LANES
	// First without the undoing: where every γ is finite none of the FMAs
	// was NaN (a NaN would have reached γ), so there was nothing to undo.
	VMOVUPD.Z   (SI), K1, Z0
	VMOVUPD.Z   (AX), K1, Z1
	VMOVUPD.Z   (BX), K1, Z2
	VFMADD231PD Z2, Z1, Z0
	VMOVUPD.Z   (DX), K1, Z1
	VMOVUPD.Z   (R8), K1, Z2
	VFMADD231PD Z2, Z1, Z0
	VMOVUPD.Z   (R9), K1, Z1
	VMOVUPD.Z   (R10), K1, Z2
	VFMADD231PD Z2, Z1, Z0
	VSUBPD      Z0, Z0, Z7
	VCMPPD      $3, Z7, Z7, K1, K5
	KORTESTW    K5, K5
	JEQ         pstore
	// The rare block with a γ that is not finite: term by term.
	VMOVUPD.Z (SI), K1, Z0
	PULL(AX, BX)
	PULL(DX, R8)
	PULL(R9, R10)
	VSUBPD    Z0, Z0, Z7
	VCMPPD    $3, Z7, Z7, K1, K5
	KORW      K5, K4, K4

pstore:
	VMOVUPD   Z0, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, AX
	ADDQ      $64, BX
	ADDQ      $64, DX
	ADDQ      $64, R8
	ADDQ      $64, R9
	ADDQ      $64, R10
	SUBQ      $8, CX
	JMP       ploop

pdone:
	KORTESTW K4, K4
	SETEQ    fin+72(FP)
	VZEROUPPER
	RET

// MU sets Z1, Z2, Z3 to the gradients of the potentials of eight cells:
// γ (Z0) times the weights wl, wd (+ ws where DX is not nil), wa, and 0 in
// the lanes where a product is NaN and γ is 0.
#define MU \
	VMOVUPD.Z (SI), K1, Z0; \
	VMOVUPD.Z (AX), K1, Z1; \
	VMOVUPD.Z (BX), K1, Z2; \
	VMOVUPD.Z (R8), K1, Z3; \
	TESTQ     DX, DX; \
	JEQ       3(PC); \
	VMOVUPD.Z (DX), K1, Z5; \
	VADDPD    Z5, Z2, Z2; \
	VMULPD    Z1, Z0, Z1; \
	VMULPD    Z2, Z0, Z2; \
	VMULPD    Z3, Z0, Z3; \
	VCMPPD    $3, Z1, Z1, K1, K5; \
	VCMPPD    $3, Z2, Z2, K1, K6; \
	KORW      K6, K5, K5; \
	VCMPPD    $3, Z3, Z3, K1, K6; \
	KORW      K6, K5, K5; \
	VCMPPD    $0, Z28, Z0, K5, K6; \
	VMOVAPD   Z28, K6, Z1; \
	VMOVAPD   Z28, K6, Z2; \
	VMOVAPD   Z28, K6, Z3

// MUSTEP moves the pointers of MU on by eight cells.
#define MUSTEP \
	ADDQ $64, SI; \
	ADDQ $64, AX; \
	ADDQ $64, BX; \
	ADDQ $64, R8; \
	TESTQ DX, DX; \
	JEQ  2(PC); \
	ADDQ $64, DX; \
	ADDQ R10, DI; \
	SUBQ $8, CX

// func muF64AVX512(n int, gam, wl, wd, ws, wa, dth *float64, step int)
TEXT ·muF64AVX512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ gam+8(FP), SI
	MOVQ wl+16(FP), AX
	MOVQ wd+24(FP), BX
	MOVQ ws+32(FP), DX
	MOVQ wa+40(FP), R8
	MOVQ dth+48(FP), DI
	MOVQ step+56(FP), R10
	SHLQ $3, R10
	VPBROADCASTQ R10, Z31
	VPMULLQ iota<>(SB), Z31, Z31
	SHLQ $3, R10
	VPXORQ Z28, Z28, Z28

mloop:
	TESTQ CX, CX
	JLE   mdone
	LANES
	MU
	KMOVW       K1, K2
	VSCATTERQPD Z1, K2, (DI)(Z31*1)
	KMOVW       K1, K2
	VSCATTERQPD Z2, K2, 8(DI)(Z31*1)
	KMOVW       K1, K2
	VSCATTERQPD Z3, K2, 16(DI)(Z31*1)
	MUSTEP
	JMP         mloop

mdone:
	VZEROUPPER
	RET

// func muF32AVX512(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int)
TEXT ·muF32AVX512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ gam+8(FP), SI
	MOVQ wl+16(FP), AX
	MOVQ wd+24(FP), BX
	MOVQ ws+32(FP), DX
	MOVQ wa+40(FP), R8
	MOVQ dth+48(FP), DI
	MOVQ step+56(FP), R10
	SHLQ $2, R10
	VPBROADCASTQ R10, Z31
	VPMULLQ iota<>(SB), Z31, Z31
	SHLQ $3, R10
	VPXORQ Z28, Z28, Z28

m32loop:
	TESTQ CX, CX
	JLE   m32done
	LANES
	MU
	VCVTPD2PS   Z1, Y1
	VCVTPD2PS   Z2, Y2
	VCVTPD2PS   Z3, Y3
	KMOVW       K1, K2
	VSCATTERQPS Y1, K2, (DI)(Z31*1)
	KMOVW       K1, K2
	VSCATTERQPS Y2, K2, 4(DI)(Z31*1)
	KMOVW       K1, K2
	VSCATTERQPS Y3, K2, 8(DI)(Z31*1)
	MUSTEP
	JMP         m32loop

m32done:
	VZEROUPPER
	RET

// func prefetchAMD64(p *byte, n int, write bool)
//
// Asks for the lines of p[:n] in the caches, for writing (PREFETCHW) or
// reading (PREFETCHT0).
TEXT ·prefetchAMD64(SB), NOSPLIT, $0-17
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVBLZX write+16(FP), DX
	TESTQ   DX, DX
	JNE     pwloop

prloop:
	TESTQ      CX, CX
	JLE        pdone2
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	SUBQ       $64, CX
	JMP        prloop

pwloop:
	TESTQ     CX, CX
	JLE       pdone2
	// PREFETCHW (SI), which the assembler does not know: 0F 0D /1.
	BYTE $0x0f; BYTE $0x0d; BYTE $0x0e
	ADDQ      $64, SI
	SUBQ      $64, CX
	JMP       pwloop

pdone2:
	RET
