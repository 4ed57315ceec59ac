//go:build amd64 && !purego

#include "textflag.h"

// func affNorm3F32AVX512(cnt, n int, e *float64, w *float32, per int, sums *float64)
//
// affLogNorm of the first cnt cells of one state of three terms into
// float32 weights, 16 cells a step (cnt a multiple of 16): the three
// planes of e (n apart), their sum s, 1 where s is NaN or below 1, into
// sums, and e/s, rounded to float32, into the three planes of w (per
// apart).
TEXT ·affNorm3F32AVX512(SB), NOSPLIT, $0-48
	MOVQ cnt+0(FP), CX
	MOVQ n+8(FP), R9
	MOVQ e+16(FP), SI
	MOVQ w+24(FP), DI
	MOVQ per+32(FP), R8
	MOVQ sums+40(FP), R10
	SHLQ $3, R9          // a plane of e in bytes
	SHLQ $2, R8          // a plane of w in bytes
	MOVQ $0x3ff0000000000000, R11
	VPBROADCASTQ R11, Z29 // 1

aloop:
	TESTQ CX, CX
	JLE   adone
	VMOVUPD (SI), Z0
	VMOVUPD 64(SI), Z10
	VMOVUPD (SI)(R9*1), Z1
	VMOVUPD 64(SI)(R9*1), Z11
	VMOVUPD (SI)(R9*2), Z2
	VMOVUPD 64(SI)(R9*2), Z12
	VADDPD  Z1, Z0, Z3
	VADDPD  Z2, Z3, Z3
	VADDPD  Z11, Z10, Z13
	VADDPD  Z12, Z13, Z13
	// max(s, 1), 1 where s is NaN (VMAXPD gives its second operand).
	VMAXPD  Z29, Z3, Z3
	VMAXPD  Z29, Z13, Z13
	VDIVPD  Z3, Z29, Z4
	VDIVPD  Z13, Z29, Z14
	VMOVUPD Z3, (R10)
	VMOVUPD Z13, 64(R10)
	VMULPD  Z4, Z0, Z0
	VMULPD  Z14, Z10, Z10
	VMULPD  Z4, Z1, Z1
	VMULPD  Z14, Z11, Z11
	VMULPD  Z4, Z2, Z2
	VMULPD  Z14, Z12, Z12
	VCVTPD2PS Z0, Y0
	VCVTPD2PS Z10, Y10
	VINSERTF32X8 $1, Y10, Z0, Z0
	VCVTPD2PS Z1, Y1
	VCVTPD2PS Z11, Y11
	VINSERTF32X8 $1, Y11, Z1, Z1
	VCVTPD2PS Z2, Y2
	VCVTPD2PS Z12, Y12
	VINSERTF32X8 $1, Y12, Z2, Z2
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(R8*1)
	VMOVUPS Z2, (DI)(R8*2)
	ADDQ $128, SI
	ADDQ $64, DI
	ADDQ $128, R10
	SUBQ $16, CX
	JMP  aloop

adone:
	VZEROUPPER
	RET

// func pullF32AVX512(n int, gam, da, gd *float64, wd *float32, ga *float64, wa *float32, gl *float64, wl *float32) (fin bool)
//
// γ = da + gd·wd + ga·wa + gl·wl (a fused multiply-add each) for n cells,
// 8 a step (n a multiple of 8), the weights float32; fin reports whether
// every γ is finite (the caller takes the others again with the rules of
// the special values).
TEXT ·pullF32AVX512(SB), NOSPLIT, $0-73
	MOVQ n+0(FP), CX
	MOVQ gam+8(FP), DI
	MOVQ da+16(FP), SI
	MOVQ gd+24(FP), AX
	MOVQ wd+32(FP), BX
	MOVQ ga+40(FP), DX
	MOVQ wa+48(FP), R8
	MOVQ gl+56(FP), R9
	MOVQ wl+64(FP), R10
	KXORW K4, K4, K4

floop:
	TESTQ CX, CX
	JLE   fdone
	VMOVUPD     (SI), Z0
	VMOVUPD     (AX), Z1
	VCVTPS2PD   (BX), Z2
	VFMADD231PD Z2, Z1, Z0
	VMOVUPD     (DX), Z1
	VCVTPS2PD   (R8), Z2
	VFMADD231PD Z2, Z1, Z0
	VMOVUPD     (R9), Z1
	VCVTPS2PD   (R10), Z2
	VFMADD231PD Z2, Z1, Z0
	VMOVUPD     Z0, (DI)
	VSUBPD      Z0, Z0, Z7
	VCMPPD      $3, Z7, Z7, K5
	KORW        K5, K4, K4
	ADDQ        $64, DI
	ADDQ        $64, SI
	ADDQ        $64, AX
	ADDQ        $32, BX
	ADDQ        $64, DX
	ADDQ        $32, R8
	ADDQ        $64, R9
	ADDQ        $32, R10
	SUBQ        $8, CX
	JMP         floop

fdone:
	KORTESTW K4, K4
	SETEQ    AX
	MOVB     AX, fin+72(FP)
	VZEROUPPER
	RET
