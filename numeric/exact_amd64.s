//go:build !purego && !amd64.v3

#include "textflag.h"

// Offsets in exactLanes (exact_amd64.go), from R9.
#define S         0(R9)
#define GAMMA     32(R9)
#define GM2       64(R9)
#define G1        96(R9)
#define G12       128(R9)
#define GM1       160(R9)
#define SC        192(R9)
#define ONE       224(R9)
#define HALF      256(R9)
#define MINNORMAL 288(R9)
#define ABSMASK   320(R9)
#define SUMA      352(R9)
#define SUMB      384(R9)
#define FS        416(R9)
#define FC        448(R9)
#define MAXRHO    480(R9)
#define RHOALL    512(R9)
#define MAXINVD   544(R9)

// func exactTAVX(a *exactLanes, rho, eta, q, x *float64, n, pn int)
//
// Minimize's products t_i = (η_i/q_i)·(pw·(om − (γ·q_i)·x_i)), om = 1 − q_i,
// pw = om^pn for pn in 0..3 formed as pow1m.of forms it, into rho, for the
// first n entries (n a multiple of 4), four at a time, with the scalar
// code's operations in its order (bit for bit); 1 where η_i = 0.
TEXT ·exactTAVX(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), R9
	MOVQ rho+8(FP), R10
	MOVQ eta+16(FP), SI
	MOVQ q+24(FP), DI
	MOVQ x+32(FP), DX
	MOVQ n+40(FP), CX
	MOVQ pn+48(FP), BX
	XORQ AX, AX

tloop:
	CMPQ AX, CX
	JAE  tdone
	VMOVUPD (DI)(AX*8), Y1     // q
	VMOVUPD ONE, Y3
	VSUBPD  Y1, Y3, Y3         // om
	VMULPD  GAMMA, Y1, Y4      // γ·q
	VMULPD  (DX)(AX*8), Y4, Y4 // (γ·q)·x
	VSUBPD  Y4, Y3, Y4         // g = om − …
	// pw·g: pw = 1 (pn = 0, 1·g = g exactly), om, om·om, (om·om)·om
	CMPQ    BX, $1
	JLT     tpw
	VMOVAPD Y3, Y5
	JEQ     tmul
	VMULPD  Y3, Y3, Y5
	CMPQ    BX, $3
	JLT     tmul
	VMULPD  Y3, Y5, Y5

tmul:
	VMULPD Y4, Y5, Y4

tpw:
	VMOVUPD (SI)(AX*8), Y0     // η
	VDIVPD  Y1, Y0, Y2         // η/q
	VMULPD  Y4, Y2, Y2         // t
	VXORPD  Y6, Y6, Y6
	VCMPPD  $0, Y6, Y0, Y6     // η = 0
	VBLENDVPD Y6, ONE, Y2, Y2  // 1 there
	VMOVUPD Y2, (R10)(AX*8)
	ADDQ    $4, AX
	JMP     tloop

tdone:
	VZEROUPPER
	RET

// func exactMainAVX(a *exactLanes, eta, q, x, rho, d, a2 *float64, n, corr int)
//
// Minimize's main pass for the first n entries (n a multiple of 4), four
// at a time: from q_i, x_i = log q_i and rho_i = log t_i, the residual
// r_i = rho_i + s into rho, 1/D_i into d and (if corr ≠ 0) a2_i, each with
// the scalar code's operations in its order (bit for bit); and the sums
// and maxima of the pass added into a's lanes (lane i mod 4 of the block),
// with the entries where η_i = 0 left out (their rho, d and a2 set to 0,
// never garbage: a later solve with the same buffers may read them).
//
// Registers: Y8–Y14 the lane accumulators (sumA, sumB, the compensated
// Σ q_i·sc as fS + fC, maxRho, rhoAll, maxInvd), Y7 the lanes with η_i ≠ 0.
TEXT ·exactMainAVX(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), R9
	MOVQ eta+8(FP), SI
	MOVQ q+16(FP), DI
	MOVQ x+24(FP), DX
	MOVQ rho+32(FP), R10
	MOVQ d+40(FP), R11
	MOVQ a2+48(FP), R12
	MOVQ n+56(FP), CX
	MOVQ corr+64(FP), BX
	VMOVUPD SUMA, Y8
	VMOVUPD SUMB, Y9
	VMOVUPD FS, Y10
	VMOVUPD FC, Y11
	VMOVUPD MAXRHO, Y12
	VMOVUPD RHOALL, Y13
	VMOVUPD MAXINVD, Y14
	XORQ AX, AX

mloop:
	CMPQ AX, CX
	JAE  mdone
	VMOVUPD (SI)(AX*8), Y0
	VXORPD  Y1, Y1, Y1
	VCMPPD  $4, Y1, Y0, Y7     // η ≠ 0
	VMOVUPD (DI)(AX*8), Y1     // q
	VMOVUPD (DX)(AX*8), Y2     // lq
	VMOVUPD ONE, Y3
	VSUBPD  Y1, Y3, Y3         // om = 1 − q
	VMULPD  GAMMA, Y1, Y4      // γ·q
	VMULPD  Y2, Y4, Y4         // (γ·q)·lq
	VSUBPD  Y4, Y3, Y4         // gi = om − …
	VMOVUPD (R10)(AX*8), Y5
	VADDPD  S, Y5, Y5          // r = rho + s
	VANDPD  Y7, Y5, Y5         // 0 where η = 0 (so is every output there)
	VMOVUPD Y5, (R10)(AX*8)
	VMULPD  GAMMA, Y2, Y6      // γ·lq
	VADDPD  G1, Y6, Y6         // (1 + γ) + γ·lq
	VMULPD  Y6, Y1, Y6         // mm = q·(…)

	// invd = (om·gi) / (gi·(1 + (γ−2)·q) + mm·om)
	VMULPD  GM2, Y1, Y0
	VADDPD  ONE, Y0, Y0
	VMULPD  Y0, Y4, Y0
	VMULPD  Y3, Y6, Y15
	VADDPD  Y15, Y0, Y0
	VMULPD  Y4, Y3, Y15        // om·gi
	VDIVPD  Y0, Y15, Y0        // invd
	VANDPD  Y7, Y0, Y0
	VMOVUPD Y0, (R11)(AX*8)
	TESTQ   BX, BX
	JZ      sums

	// a2 = (0.5·invd)·((((γ−1)·q)·iom)·iom + (q·((1 + 2γ) + γ·lq))·ig
	// + mg·mg), rg = 1/(om·gi), iom = gi·rg, ig = om·rg, mg = mm·ig
	VMOVUPD ONE, Y5
	VDIVPD  Y15, Y5, Y5        // rg
	VMULPD  Y5, Y4, Y15        // iom
	VMULPD  Y5, Y3, Y5         // ig
	VMULPD  Y5, Y6, Y6         // mg
	VMULPD  GM1, Y1, Y4
	VMULPD  Y15, Y4, Y4
	VMULPD  Y15, Y4, Y4        // ((γ−1)·q·iom)·iom
	VMULPD  GAMMA, Y2, Y2
	VADDPD  G12, Y2, Y2
	VMULPD  Y2, Y1, Y2
	VMULPD  Y5, Y2, Y2         // (q·(…))·ig
	VADDPD  Y2, Y4, Y4
	VMULPD  Y6, Y6, Y6
	VADDPD  Y6, Y4, Y4
	VMULPD  HALF, Y0, Y2
	VMULPD  Y4, Y2, Y4
	VANDPD  Y7, Y4, Y4
	VMOVUPD Y4, (R12)(AX*8)

sums:
	// qs = q·sc, w = qs·invd; sumA += w·r; sumB += w; f += qs (TwoSum);
	// maxRho, rhoAll, maxInvd: |r| where q ≥ minNormal, |r|, invd. VMAXPD
	// keeps the accumulator when the new value is NaN, as the scalar
	// comparisons do.
	VCMPPD  $13, MINNORMAL, Y1, Y3 // q ≥ minNormal
	VMULPD  SC, Y1, Y1
	VANDPD  Y7, Y1, Y1         // qs, 0 where η = 0
	VMULPD  Y0, Y1, Y2
	VMOVUPD (R10)(AX*8), Y5
	VMULPD  Y5, Y2, Y6
	VADDPD  Y6, Y8, Y8
	VADDPD  Y2, Y9, Y9
	VADDPD  Y1, Y10, Y6        // t
	VSUBPD  Y10, Y6, Y4        // bp
	VSUBPD  Y4, Y6, Y15        // t − bp
	VSUBPD  Y15, Y10, Y15      // fS − (t − bp)
	VSUBPD  Y4, Y1, Y4         // qs − bp
	VADDPD  Y4, Y15, Y15
	VADDPD  Y15, Y11, Y11
	VMOVAPD Y6, Y10
	VANDPD  ABSMASK, Y5, Y5    // |r|
	VMAXPD  Y13, Y5, Y13
	VANDPD  Y3, Y5, Y5
	VMAXPD  Y12, Y5, Y12
	VMAXPD  Y14, Y0, Y14
	ADDQ    $4, AX
	JMP     mloop

mdone:
	VMOVUPD Y8, SUMA
	VMOVUPD Y9, SUMB
	VMOVUPD Y10, FS
	VMOVUPD Y11, FC
	VMOVUPD Y12, MAXRHO
	VMOVUPD Y13, RHOALL
	VMOVUPD Y14, MAXINVD
	VZEROUPPER
	RET

// Offsets in exactStepLanes (exact.go), from R9.
#define ST_DS         0(R9)
#define ST_DS1        32(R9)
#define ST_CHEB       64(R9)
#define ST_LOGHALF    96(R9)
#define ST_NEGMAXSTEP 128(R9)
#define ST_HALF       160(R9)
#define ST_ONE        192(R9)
#define ST_MINNORMAL  224(R9)
#define ST_ABSMASK    256(R9)
#define ST_T10        288(R9)
#define ST_T4         320(R9)
#define ST_C6         352(R9)
#define ST_C24        384(R9)
#define ST_C120       416(R9)
#define ST_C720       448(R9)
#define ST_C5040      480(R9)
#define ST_C40320     512(R9)
#define ST_MQ         544(R9)
#define ST_MAXSTEP    576(R9)
#define ST_CLAMPED    608(R9)

// func exactStepAVX(a *exactStepLanes, eta, q, x, rho, d, a2 *float64, n int) (done int)
//
// Minimize's step for the first n entries (n a multiple of 4), four at a
// time, while every entry of a block with η_i ≠ 0 takes the fast path of
// the scalar loop (|dx| < 2^−4, q_i and its update normal): dx from rho, d
// and a2 with the two clamps, x_i += dx, q_i *= e^dx by the same Taylor
// polynomials, each with the scalar code's operations in its order (bit
// for bit); the largest new q_i and |dx| and the lanes a clamp changed
// accumulate in a's lanes. It stops before the first block with another
// entry, which it leaves alone for the scalar loop, and returns the
// number of entries it did. Entries with η_i = 0 are left alone.
//
// Registers: Y12 mq, Y13 maxStep (= maxNormal on this path), Y15 the
// clamp lanes; Y7 the lanes with η_i ≠ 0, Y8 x, Y9 q.
TEXT ·exactStepAVX(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), R9
	MOVQ eta+8(FP), SI
	MOVQ q+16(FP), DI
	MOVQ x+24(FP), DX
	MOVQ rho+32(FP), R10
	MOVQ d+40(FP), R11
	MOVQ a2+48(FP), R12
	MOVQ n+56(FP), CX
	VMOVUPD ST_MQ, Y12
	VMOVUPD ST_MAXSTEP, Y13
	VMOVUPD ST_CLAMPED, Y15
	XORQ AX, AX

sloop:
	CMPQ AX, CX
	JAE  sdone
	VMOVUPD (SI)(AX*8), Y0
	VXORPD  Y1, Y1, Y1
	VCMPPD  $4, Y1, Y0, Y7     // η ≠ 0
	VMOVUPD (DX)(AX*8), Y8     // x
	VMOVUPD (DI)(AX*8), Y9     // q
	VMOVUPD (R11)(AX*8), Y10   // d

	// dx0 = (rho + ds)·d; dx = (dx0 + ds1·d) − ((cheb·a2)·dx0)·dx0
	VMOVUPD (R10)(AX*8), Y0
	VADDPD  ST_DS, Y0, Y0
	VMULPD  Y10, Y0, Y0        // dx0
	VMULPD  ST_DS1, Y10, Y1
	VADDPD  Y1, Y0, Y1
	VMOVUPD ST_CHEB, Y2
	VMULPD  (R12)(AX*8), Y2, Y2
	VMULPD  Y0, Y2, Y2
	VMULPD  Y0, Y2, Y2
	VSUBPD  Y2, Y1, Y1         // dx

	// x + dx > logHalf: dx = (logHalf − x)·0.5 (the scalar code's
	// division by 2, exact); dx < −maxLogStep: dx = −maxLogStep.
	VADDPD    Y1, Y8, Y3
	VCMPPD    $30, ST_LOGHALF, Y3, Y3
	VMOVUPD   ST_LOGHALF, Y4
	VSUBPD    Y8, Y4, Y4
	VMULPD    ST_HALF, Y4, Y4
	VBLENDVPD Y3, Y4, Y1, Y1
	VANDPD    Y7, Y3, Y3
	VORPD     Y3, Y15, Y11     // clamp lanes of this block (kept on success)
	VCMPPD    $17, ST_NEGMAXSTEP, Y1, Y3
	VBLENDVPD Y3, ST_NEGMAXSTEP, Y1, Y1
	VANDPD    Y7, Y3, Y3
	VORPD     Y3, Y11, Y11

	VADDPD  Y1, Y8, Y5         // x + dx
	VANDPD  ST_ABSMASK, Y1, Y6 // adx

	// p4 = 1 + dx·(1 + dx·(1/2 + dx·(1/6 + dx·(1/24))))
	VMULPD  ST_C24, Y1, Y2
	VADDPD  ST_C6, Y2, Y2
	VMULPD  Y2, Y1, Y2
	VADDPD  ST_HALF, Y2, Y2
	VMULPD  Y2, Y1, Y2
	VADDPD  ST_ONE, Y2, Y2
	VMULPD  Y2, Y1, Y2
	VADDPD  ST_ONE, Y2, Y2
	// p8 = 1 + dx·(1 + dx·(1/2 + … + dx·(1/5040 + dx·(1/40320))))
	VMULPD  ST_C40320, Y1, Y3
	VADDPD  ST_C5040, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_C720, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_C120, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_C24, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_C6, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_HALF, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_ONE, Y3, Y3
	VMULPD  Y3, Y1, Y3
	VADDPD  ST_ONE, Y3, Y3
	VCMPPD    $17, ST_T10, Y6, Y4 // adx < 2^−10
	VBLENDVPD Y4, Y2, Y3, Y2
	VMULPD    Y2, Y9, Y2          // v = q·p

	// The fast path: adx < 2^−4, q ≥ minNormal, v ≥ minNormal, in every
	// lane with η ≠ 0; otherwise leave the block to the scalar loop.
	VCMPPD    $17, ST_T4, Y6, Y4
	VCMPPD    $13, ST_MINNORMAL, Y9, Y0
	VANDPD    Y0, Y4, Y4
	VCMPPD    $13, ST_MINNORMAL, Y2, Y0
	VANDPD    Y0, Y4, Y4
	VANDNPD   Y7, Y4, Y0          // η ≠ 0 and not fast
	VMOVMSKPD Y0, BX
	TESTQ     BX, BX
	JNZ       sdone

	VBLENDVPD Y7, Y5, Y8, Y5      // x + dx where η ≠ 0, x elsewhere
	VMOVUPD   Y5, (DX)(AX*8)
	VBLENDVPD Y7, Y2, Y9, Y9      // v where η ≠ 0, q elsewhere
	VMOVUPD   Y9, (DI)(AX*8)
	VANDPD    Y7, Y2, Y2
	VMAXPD    Y12, Y2, Y12
	VANDPD    Y7, Y6, Y6
	VMAXPD    Y13, Y6, Y13
	VMOVAPD   Y11, Y15
	ADDQ      $4, AX
	JMP       sloop

sdone:
	VMOVUPD Y12, ST_MQ
	VMOVUPD Y13, ST_MAXSTEP
	VMOVUPD Y15, ST_CLAMPED
	VZEROUPPER
	MOVQ AX, done+64(FP)
	RET
