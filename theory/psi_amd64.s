//go:build !purego && !amd64.v3

#include "textflag.h"

// Offsets in avx2K (psi_amd64.go) of its 256-bit constants.
#define FASTLO  0(R9)
#define FASTSPAN 32(R9)
#define LOGOFF  64(R9)
#define IDXMASK 96(R9)
#define EXPMASK 128(R9)
#define SIGNBIT 160(R9)
#define MAGIC   192(R9)
#define MAGICK  224(R9)
#define NEGONE  256(R9)
#define LN2HI   288(R9)
#define LN2LO   320(R9)
#define C2      352(R9)
#define C3      384(R9)
#define C4      416(R9)
#define C5      448(R9)
#define C6      480(R9)
#define C7      512(R9)
#define ONE     544(R9)
#define ALLONES 576(R9)
#define HALF    608(R9)
#define TAILMASKS 640 // three masks: lanes < 1, < 2, < 3 (an offset in R9)
#define LOGSPAN 736(R9)

#define INVLN2  768(R9)
#define LN2E    800(R9)
#define LN2LOE  832(R9)
#define EC2     864(R9)
#define EC3     896(R9)
#define EC4     928(R9)
#define EC5     960(R9)
#define EC6     992(R9)
#define EC7     1024(R9)
#define EC8     1056(R9)
#define EC9     1088(R9)
#define EC10    1120(R9)
#define EC11    1152(R9)
#define EC12    1184(R9)
#define EC13    1216(R9)

// psiRowExpAVX2's frame (byte offsets from SP): the tail's store, the
// padded tail block of the row, d of the block, p = γ − 1 in four lanes,
// and the powers of a chunk of the row (32 entries).
#define TAILSTORE 0(SP)
#define TAILX     32(SP)
#define DSLOT     64(SP)
#define PSLOT     96(SP)
#define PWBUF     128 // + 8·(entry − chunk start)

// psiRowsExpAVX2's frame: DSLOT and PSLOT where psiRowExpAVX2 has them
// (LOG1PM4 reads DSLOT), the rows done and left in the chunk, and the
// chunk's x and h (64 entries and a block's overhang each).
#define RDONE     128(SP)
#define RROWS     136(SP)
#define XBUF      160
#define HBUF      736

// LOG4 sets Y10 = Log(Y0) in each lane whose pattern in Y0 is a positive
// normal float64 (garbage in the others), with Log's operations in Log's
// order (Log in log.go, whose comments explain each step; the multiply–adds
// rounded twice, as Go rounds them on amd64, and one FMA for r):
//
//	tmp = ix − logOff; i = (tmp >> 45) % logN; the entries logTab[i] of the
//	four lanes (24 bytes each) loaded through R11–R14 and transposed (loads
//	and shuffles are cheaper than gathers): invc in Y4, logcHi in Y12,
//	logcLo in Y6
//	k = float64(int64(tmp) >> 52): the logical shift of tmp with its sign
//	bit flipped is k + 2048, which added to the pattern of 1.5·2^52 gives the
//	float64 1.5·2^52 + 2048 + k, from which MAGICK is subtracted
//	z = frombits(ix − tmp&(0xfff<<52)); r = FMA(z, invc, −1) in Y8
//	w = k·ln2Hi + logcHi; hi = w + r in Y10
//	lo = ((w − hi) + r) + (k·ln2Lo + logcLo) in Y9
//	q = r2·(((c2 + r·c3) + r2·(c4 + r·c5)) + r2·r2·(c6 + r·c7)) in Y1
//	Log = hi + (lo + q)
//
// It needs R8 = &logTab, R9 = &avx2K, and clobbers Y1–Y12 and R11–R14.
#define LOG4 \
	VPSUBQ  LOGOFF, Y0, Y1; \
	VPSRLQ  $45, Y1, Y2; \
	VPAND   IDXMASK, Y2, Y2; \
	VPSLLQ  $1, Y2, Y3; \
	VPADDQ  Y2, Y3, Y2; \
	VPSLLQ  $3, Y2, Y2; \
	VMOVQ   X2, R11; \
	VPEXTRQ $1, X2, R12; \
	VEXTRACTI128 $1, Y2, X3; \
	VMOVQ   X3, R13; \
	VPEXTRQ $1, X3, R14; \
	VMOVUPD     (R8)(R11*1), X4; \
	VINSERTF128 $1, (R8)(R13*1), Y4, Y4; \
	VMOVUPD     (R8)(R12*1), X5; \
	VINSERTF128 $1, (R8)(R14*1), Y5, Y5; \
	VUNPCKHPD   Y5, Y4, Y12; \
	VUNPCKLPD   Y5, Y4, Y4; \
	VMOVSD      16(R8)(R11*1), X6; \
	VMOVHPD     16(R8)(R12*1), X6, X6; \
	VMOVSD      16(R8)(R13*1), X5; \
	VMOVHPD     16(R8)(R14*1), X5, X5; \
	VINSERTF128 $1, X5, Y6, Y6; \
	VPXOR  SIGNBIT, Y1, Y7; \
	VPSRLQ $52, Y7, Y7; \
	VPADDQ MAGIC, Y7, Y7; \
	VSUBPD MAGICK, Y7, Y7; \
	VPAND  EXPMASK, Y1, Y8; \
	VPSUBQ Y8, Y0, Y8; \
	VFMADD213PD NEGONE, Y4, Y8; \
	VMULPD LN2HI, Y7, Y9; \
	VADDPD Y12, Y9, Y9; \
	VADDPD Y8, Y9, Y10; \
	VSUBPD Y10, Y9, Y9; \
	VADDPD Y8, Y9, Y9; \
	VMULPD LN2LO, Y7, Y7; \
	VADDPD Y6, Y7, Y7; \
	VADDPD Y7, Y9, Y9; \
	VMULPD Y8, Y8, Y11; \
	VMULPD C3, Y8, Y1; \
	VADDPD C2, Y1, Y1; \
	VMULPD C5, Y8, Y2; \
	VADDPD C4, Y2, Y2; \
	VMULPD Y2, Y11, Y2; \
	VADDPD Y2, Y1, Y1; \
	VMULPD C7, Y8, Y2; \
	VADDPD C6, Y2, Y2; \
	VMULPD Y11, Y11, Y3; \
	VMULPD Y2, Y3, Y2; \
	VADDPD Y2, Y1, Y1; \
	VMULPD Y1, Y11, Y1; \
	VADDPD Y1, Y9, Y9; \
	VADDPD Y9, Y10, Y10

// func psiRowAVX2(out, row, lv *float64, k, pn int, gamma float64) (bad uint64)
//
// psiKernel (psi_kernel.go) on the vector unit, four entries at a time:
// out = Ψ^γ(row) for a row of k ≥ 1 entries and γ − 1 = pn, with the same
// operations in the same order as the portable code (multiplications and
// additions rounded one by one, one FMA for Log's r), so bit for bit the
// same: h^γ of each entry into out, their four-lane compensated sum (sum4:
// lane j mod 4, and sum4.total), then out[j] *= 1/total. If lv is not nil,
// lv[j] = Log(row[j]) too (for the tests). bad has its top bit set iff the
// row is refused, out then holding garbage: an entry outside [2^−1022, 1)
// (the OR over j of u | (psiKernelSpan − 1 − u), u = bits(row[j]) −
// psiKernelLo), or 1/total above MaxFloat64. The last k mod 4 entries are
// loaded one by one, with 0.5 in the other lanes, whose h is replaced by 0
// before the sum. out may be row (which a refusal then leaves overwritten).
//
// Registers in the loop: Y13 the range flags, Y14 and Y15 the lane sums s
// and c, Y0 x through the block, the rest scratch. DX is 0 in full blocks
// and the address of the tail's mask in the last.
TEXT ·psiRowAVX2(SB), NOSPLIT, $32-56
	MOVQ out+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ k+24(FP), CX
	MOVQ pn+32(FP), R10
	LEAQ ·logTab(SB), R8
	LEAQ ·avx2K(SB), R9
	VPXOR Y13, Y13, Y13
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15
	XORQ  DX, DX
	XORQ  AX, AX

loop:
	LEAQ    4(AX), BX
	CMPQ    BX, CX
	JA      tail
	VMOVDQU (SI)(AX*8), Y0

block:
	// bad |= u | (psiKernelSpan − 1 − u), u = ix − psiKernelLo, where
	// psiKernelSpan − 1 − u = psiKernelSpan + ^u.
	VPSUBQ FASTLO, Y0, Y1
	VPXOR  ALLONES, Y1, Y2
	VPADDQ FASTSPAN, Y2, Y2
	VPOR   Y1, Y13, Y13
	VPOR   Y2, Y13, Y13

	LOG4

	MOVQ   lv+16(FP), BX
	TESTQ  BX, BX
	JZ     h
	TESTQ  DX, DX
	JNZ    lvtail
	VMOVUPD Y10, (BX)(AX*8)
	JMP    h

lvtail:
	VMOVDQU    (DX), Y5
	VMASKMOVPD Y10, Y5, (BX)(AX*8)

h:
	// h = x / (pw·(w − (γ·x)·log x)), w = 1 − x, pw = powNat(w, pn):
	// r = 1; for each bit of pn, low first: if set, r *= w; then w *= w.
	VMOVUPD ONE, Y1
	VSUBPD  Y0, Y1, Y1         // w
	VMOVAPD Y1, Y2
	CMPQ    R10, $1
	JEQ     powdone            // γ = 2: pw = w (= powNat(w, 1))
	VMOVUPD ONE, Y2
	VMOVAPD Y1, Y3
	MOVQ    R10, BX

pow:
	TESTQ BX, BX
	JZ    powdone
	TESTQ $1, BX
	JZ    square
	VMULPD Y3, Y2, Y2

square:
	VMULPD Y3, Y3, Y3
	SHRQ   $1, BX
	JMP    pow

powdone:
	VBROADCASTSD gamma+40(FP), Y4
	VMULPD  Y0, Y4, Y4         // γ·x
	VMULPD  Y10, Y4, Y4        // (γ·x)·log x
	VSUBPD  Y4, Y1, Y4         // w − …
	VMULPD  Y4, Y2, Y4         // pw·(…)
	VDIVPD  Y4, Y0, Y4         // h
	TESTQ   DX, DX
	JZ      sum
	VANDPD  (DX), Y4, Y4       // h = 0 in the lanes past the row

sum:
	// TwoSum per lane: t = s + h; bp = t − s;
	// c += (s − (t − bp)) + (h − bp); s = t.
	VADDPD  Y4, Y14, Y5        // t
	VSUBPD  Y14, Y5, Y6        // bp
	VSUBPD  Y6, Y5, Y7         // t − bp
	VSUBPD  Y7, Y14, Y7        // s − (t − bp)
	VSUBPD  Y6, Y4, Y6         // h − bp
	VADDPD  Y6, Y7, Y7
	VADDPD  Y7, Y15, Y15
	VMOVAPD Y5, Y14
	TESTQ   DX, DX
	JNZ     tailstore
	VMOVUPD Y4, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     loop

tailstore:
	// A masked store is slow (microcoded on AMD Zen): the lanes go through
	// the frame instead, the valid ones copied one by one.
	VMOVUPD Y4, 0(SP)
	XORQ    BX, BX

tailcopy:
	MOVQ (SP)(BX*8), R11
	MOVQ R11, (DI)(AX*8)
	INCQ AX
	INCQ BX
	CMPQ AX, CX
	JB   tailcopy
	JMP  done

tail:
	// The last k mod 4 entries (if any): DX = address of the mask whose
	// lanes below k − AX are set; the other lanes of x are 0.5.
	CMPQ AX, CX
	JAE  done
	MOVQ CX, DX
	SUBQ AX, DX
	SHLQ $5, DX
	LEAQ (TAILMASKS-32)(R9)(DX*1), DX
	// A masked load is slow here (about 15 ns on AMD Zen 3): the one to
	// three entries are loaded one by one, the other lanes zero, then 0.5.
	MOVQ    CX, BX
	SUBQ    AX, BX
	LEAQ    (SI)(AX*8), R11
	VMOVSD  (R11), X0
	CMPQ    BX, $2
	JLT     tailpad
	VMOVHPD 8(R11), X0, X0
	JEQ     tailpad
	VMOVSD  16(R11), X1
	VINSERTF128 $1, X1, Y0, Y0

tailpad:
	VMOVDQU (DX), Y5
	VPANDN  HALF, Y5, Y1
	VPOR    Y1, Y0, Y0
	JMP     block

done:
	// The range flag: refuse the row if its top bit is set.
	VEXTRACTI128 $1, Y13, X0
	VPOR    X0, X13, X0
	VPSHUFD $0x4e, X0, X1
	VPOR    X1, X0, X0
	VMOVQ   X0, R11
	TESTQ   R11, R11
	JS      refuse

	// total = sum4.total(): TwoSum of lanes 0 and 1 and of lanes 2 and 3
	// (side by side in X2 + X3), then of the two.
	VEXTRACTF128 $1, Y14, X1 // s2 s3
	VUNPCKLPD X1, X14, X2    // s0 s2
	VUNPCKHPD X1, X14, X3    // s1 s3
	VEXTRACTF128 $1, Y15, X1 // c2 c3
	VUNPCKLPD X1, X15, X4    // c0 c2
	VUNPCKHPD X1, X15, X5    // c1 c3
	VADDPD    X3, X2, X6     // t = a + b
	VSUBPD    X2, X6, X7     // bp = t − a
	VSUBPD    X7, X6, X8     // t − bp
	VSUBPD    X8, X2, X8     // a − (t − bp)
	VSUBPD    X7, X3, X7     // b − bp
	VADDPD    X7, X8, X8     // e
	VADDPD    X5, X4, X4     // ca + cb
	VADDPD    X8, X4, X4     // (ca + cb) + e: c01 c23
	VUNPCKHPD X6, X6, X9     // s23
	VADDSD    X9, X6, X10    // t = s01 + s23
	VSUBSD    X6, X10, X11   // bp
	VSUBSD    X11, X10, X12  // t − bp
	VSUBSD    X12, X6, X12   // s01 − (t − bp)
	VSUBSD    X11, X9, X11   // s23 − bp
	VADDSD    X11, X12, X12  // e
	VUNPCKHPD X4, X4, X5     // c23
	VADDSD    X5, X4, X5     // c01 + c23
	VADDSD    X12, X5, X5    // + e
	VADDSD    X5, X10, X10   // total

	// inv = 1/total, refused unless inv ≤ MaxFloat64 (as positive
	// patterns: NaN and +Inf are above it); then out[j] *= inv.
	VMOVSD  ONE, X0
	VDIVSD  X10, X0, X0
	VMOVQ   X0, R12
	MOVQ    $0x7fefffffffffffff, R13
	CMPQ    R12, R13
	JHI     refuse
	VBROADCASTSD X0, Y1
	MOVQ    CX, BX
	ANDQ    $-4, BX
	XORQ    AX, AX

scale:
	CMPQ    AX, BX
	JAE     scaletail
	VMULPD  (DI)(AX*8), Y1, Y2
	VMOVUPD Y2, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     scale

scaletail:
	CMPQ    AX, CX
	JAE     accept
	VMULSD  (DI)(AX*8), X0, X2
	VMOVSD  X2, (DI)(AX*8)
	INCQ    AX
	JMP     scaletail

accept:
	VZEROUPPER
	MOVQ    $0, bad+48(FP)
	RET

refuse:
	VZEROUPPER
	MOVQ    $0x8000000000000000, AX
	MOVQ    AX, bad+48(FP)
	RET


// LOG1PM4 sets Y11 + Y9 = log(1−x) (hi, lo) in each lane from Y0 = w =
// 1−x rounded and DSLOT = d = (1−x) − w, with log1pmParts' operations in
// its order (pow1m_exp.go): LOG4's steps on w, with s = 2^−k = bits(1) −
// (tmp & 0xfff<<52), r = FMA(d·s, invc, FMA(z, invc, −1)), and the last
// addition split: t = lo + q, hi = h + t in Y11, lo = t − (hi − h) in Y9.
// It needs R8 = &logTab, R9 = &avx2K, and clobbers Y1–Y12 and R11–R14.
#define LOG1PM4 \
	VPSUBQ  LOGOFF, Y0, Y1; \
	VPSRLQ  $45, Y1, Y2; \
	VPAND   IDXMASK, Y2, Y2; \
	VPSLLQ  $1, Y2, Y3; \
	VPADDQ  Y2, Y3, Y2; \
	VPSLLQ  $3, Y2, Y2; \
	VMOVQ   X2, R11; \
	VPEXTRQ $1, X2, R12; \
	VEXTRACTI128 $1, Y2, X3; \
	VMOVQ   X3, R13; \
	VPEXTRQ $1, X3, R14; \
	VMOVUPD     (R8)(R11*1), X4; \
	VINSERTF128 $1, (R8)(R13*1), Y4, Y4; \
	VMOVUPD     (R8)(R12*1), X5; \
	VINSERTF128 $1, (R8)(R14*1), Y5, Y5; \
	VUNPCKHPD   Y5, Y4, Y12; \
	VUNPCKLPD   Y5, Y4, Y4; \
	VMOVSD      16(R8)(R11*1), X6; \
	VMOVHPD     16(R8)(R12*1), X6, X6; \
	VMOVSD      16(R8)(R13*1), X5; \
	VMOVHPD     16(R8)(R14*1), X5, X5; \
	VINSERTF128 $1, X5, Y6, Y6; \
	VPXOR  SIGNBIT, Y1, Y7; \
	VPSRLQ $52, Y7, Y7; \
	VPADDQ MAGIC, Y7, Y7; \
	VSUBPD MAGICK, Y7, Y7; \
	VPAND  EXPMASK, Y1, Y8; \
	VMOVDQU ONE, Y3; \
	VPSUBQ Y8, Y3, Y3; \
	VMULPD DSLOT, Y3, Y3; \
	VPSUBQ Y8, Y0, Y8; \
	VFMADD213PD NEGONE, Y4, Y8; \
	VFMADD231PD Y3, Y4, Y8; \
	VMULPD LN2HI, Y7, Y9; \
	VADDPD Y12, Y9, Y9; \
	VADDPD Y8, Y9, Y10; \
	VSUBPD Y10, Y9, Y9; \
	VADDPD Y8, Y9, Y9; \
	VMULPD LN2LO, Y7, Y7; \
	VADDPD Y6, Y7, Y7; \
	VADDPD Y7, Y9, Y9; \
	VMULPD Y8, Y8, Y11; \
	VMULPD C3, Y8, Y1; \
	VADDPD C2, Y1, Y1; \
	VMULPD C5, Y8, Y2; \
	VADDPD C4, Y2, Y2; \
	VMULPD Y2, Y11, Y2; \
	VADDPD Y2, Y1, Y1; \
	VMULPD C7, Y8, Y2; \
	VADDPD C6, Y2, Y2; \
	VMULPD Y11, Y11, Y3; \
	VMULPD Y2, Y3, Y2; \
	VADDPD Y2, Y1, Y1; \
	VMULPD Y1, Y11, Y1; \
	VADDPD Y1, Y9, Y9; \
	VADDPD Y9, Y10, Y11; \
	VSUBPD Y10, Y11, Y10; \
	VSUBPD Y10, Y9, Y9

// EXP4 sets Y2 = e^{yh+yl} in each lane from Y0 = yh and Y2 = yl, with
// expParts' operations in its order (pow1m_exp.go): t = FMA(yh, 1/ln2,
// 1.5·2^52), k = t − 1.5·2^52, k·2^52 = bits(t) << 52; r1 = FMA(−k, ln2,
// yh), r2 = FMA(−k, ln2lo, yl), r = r1 + r2, rl = (r1 − r) + r2; P by
// Estrin's scheme; 1 + r split; the result's exponent field plus k.
// It needs R9 = &avx2K and clobbers Y0–Y12.
#define EXP4 \
	VMOVDQU MAGIC, Y3; \
	VFMADD231PD INVLN2, Y0, Y3; \
	VSUBPD  MAGIC, Y3, Y4; \
	VPSLLQ  $52, Y3, Y5; \
	VFNMADD231PD LN2E, Y4, Y0; \
	VFNMADD231PD LN2LOE, Y4, Y2; \
	VADDPD  Y2, Y0, Y6; \
	VSUBPD  Y6, Y0, Y7; \
	VADDPD  Y2, Y7, Y7; \
	VMULPD  Y6, Y6, Y8; \
	VMULPD  Y8, Y8, Y9; \
	VMOVUPD EC4, Y10; \
	VFMADD231PD EC5, Y6, Y10; \
	VMOVUPD EC2, Y11; \
	VFMADD231PD EC3, Y6, Y11; \
	VFMADD231PD Y10, Y8, Y11; \
	VMOVUPD EC8, Y10; \
	VFMADD231PD EC9, Y6, Y10; \
	VMOVUPD EC6, Y12; \
	VFMADD231PD EC7, Y6, Y12; \
	VFMADD231PD Y10, Y8, Y12; \
	VMOVUPD EC12, Y10; \
	VFMADD231PD EC13, Y6, Y10; \
	VMOVUPD EC10, Y1; \
	VFMADD231PD EC11, Y6, Y1; \
	VFMADD231PD Y10, Y8, Y1; \
	VFMADD231PD Y12, Y9, Y11; \
	VMULPD  Y9, Y9, Y9; \
	VFMADD231PD Y1, Y9, Y11; \
	VADDPD  ONE, Y6, Y10; \
	VMOVUPD ONE, Y12; \
	VSUBPD  Y10, Y12, Y12; \
	VADDPD  Y6, Y12, Y12; \
	VFMADD231PD Y11, Y8, Y7; \
	VADDPD  Y7, Y12, Y12; \
	VADDPD  Y12, Y10, Y10; \
	VPADDQ  Y5, Y10, Y2

// func psiRowExpAVX2(out, row, lv *float64, k int, gamma float64) (bad uint64)
//
// psiKernel with n = psiExpPow (psi_kernel.go) on the vector unit, for
// any γ of the direct path: out = Ψ^γ(row) with the power (1−x)^{γ−1} =
// pow1mExp(x, γ−1), with the same operations in the same order as the
// portable code, so bit for bit the same; lv, bad and the sums as in
// psiRowAVX2. The row goes in chunks of 32 entries, each in two
// passes over its blocks of four: pass A forms the range flags and the
// powers (LOG1PM4, then EXP4) into the frame, pass B the logarithms, the
// h (reading the powers back), their sum and out. The blocks of one pass
// are independent, so the CPU overlaps them; done in one pass, a block's
// long chain of dependent operations (the two steps of the power, then the
// division) would keep it waiting. The last k mod 4 entries are copied
// once into TAILX, with 0.5 in the other lanes, whose h is replaced by 0
// before the sum. out may be row (which a refusal then leaves
// overwritten): pass B writes a block after reading it, and the tail was
// copied first.
//
// Registers: Y13 the range flags, Y14 and Y15 the lane sums s and c; AX
// the chunk's start, R10 its end (at most k), BX the block, DX 0 in full
// blocks and the address of the tail's mask in the last (pass B).
TEXT ·psiRowExpAVX2(SB), NOSPLIT, $384-48
	MOVQ out+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ k+24(FP), CX
	LEAQ ·logTab(SB), R8
	LEAQ ·avx2K(SB), R9
	VBROADCASTSD gamma+32(FP), Y0
	VSUBPD  ONE, Y0, Y0        // p = γ − 1
	VMOVUPD Y0, PSLOT
	VPXOR Y13, Y13, Y13
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15

	// TAILX = the last k mod 4 entries (if any), loaded one by one, and
	// 0.5 in the other lanes.
	MOVQ CX, BX
	ANDQ $3, BX
	JZ   chunks
	MOVQ CX, AX
	ANDQ $-4, AX
	LEAQ (SI)(AX*8), R11
	MOVQ BX, DX
	SHLQ $5, DX
	LEAQ (TAILMASKS-32)(R9)(DX*1), DX
	VMOVSD  (R11), X0
	CMPQ    BX, $2
	JLT     tailpad
	VMOVHPD 8(R11), X0, X0
	JEQ     tailpad
	VMOVSD  16(R11), X1
	VINSERTF128 $1, X1, Y0, Y0

tailpad:
	VMOVDQU (DX), Y5
	VPANDN  HALF, Y5, Y1
	VPOR    Y1, Y0, Y0
	VMOVUPD Y0, TAILX

chunks:
	XORQ AX, AX

chunk:
	CMPQ AX, CX
	JAE  done
	LEAQ 32(AX), R10           // a chunk: 32 entries
	CMPQ R10, CX
	CMOVQHI CX, R10
	MOVQ AX, BX

passA:
	CMPQ BX, R10
	JAE  passAdone
	LEAQ 4(BX), R11
	CMPQ R11, CX
	JA   atail
	VMOVDQU (SI)(BX*8), Y0
	JMP  ablock

atail:
	VMOVDQU TAILX, Y0

ablock:
	// bad |= u | (psiKernelSpan − 1 − u), u = ix − psiKernelLo.
	VPSUBQ FASTLO, Y0, Y1
	VPXOR  ALLONES, Y1, Y2
	VPADDQ FASTSPAN, Y2, Y2
	VPOR   Y1, Y13, Y13
	VPOR   Y2, Y13, Y13

	// pw = pow1mExp(x, p): w = 1 − x, d = (1 − w) − x, log(1−x) = hi +
	// lo (LOG1PM4), yh = p·hi, yl = FMA(p, lo, FMA(p, hi, −yh)),
	// e^{yh+yl} (EXP4).
	VMOVUPD ONE, Y1
	VSUBPD  Y0, Y1, Y2         // w
	VSUBPD  Y2, Y1, Y3         // 1 − w
	VSUBPD  Y0, Y3, Y3         // d
	VMOVUPD Y3, DSLOT
	VMOVAPD Y2, Y0
	LOG1PM4
	VMOVUPD PSLOT, Y12
	VMULPD  Y11, Y12, Y0       // yh = p·hi
	VMOVAPD Y0, Y2
	VFMSUB231PD Y11, Y12, Y2   // p·hi − yh
	VFMADD231PD Y9, Y12, Y2    // yl
	EXP4
	MOVQ    BX, R11
	SUBQ    AX, R11
	VMOVUPD Y2, PWBUF(SP)(R11*8)
	ADDQ    $4, BX
	JMP     passA

passAdone:
	MOVQ AX, BX

passB:
	CMPQ BX, R10
	JAE  passBdone
	XORQ DX, DX
	LEAQ 4(BX), R11
	CMPQ R11, CX
	JA   btail
	VMOVDQU (SI)(BX*8), Y0
	JMP  bblock

btail:
	VMOVDQU TAILX, Y0
	MOVQ CX, DX
	SUBQ BX, DX
	SHLQ $5, DX
	LEAQ (TAILMASKS-32)(R9)(DX*1), DX

bblock:
	LOG4

	MOVQ   lv+16(FP), R11
	TESTQ  R11, R11
	JZ     bh
	TESTQ  DX, DX
	JNZ    blvtail
	VMOVUPD Y10, (R11)(BX*8)
	JMP    bh

blvtail:
	VMOVDQU    (DX), Y5
	VMASKMOVPD Y10, Y5, (R11)(BX*8)

bh:
	// h = x / (pw·(w − (γ·x)·log x)), w = 1 − x.
	MOVQ    BX, R11
	SUBQ    AX, R11
	VMOVUPD PWBUF(SP)(R11*8), Y2
	VMOVUPD ONE, Y1
	VSUBPD  Y0, Y1, Y1         // w
	VBROADCASTSD gamma+32(FP), Y4
	VMULPD  Y0, Y4, Y4         // γ·x
	VMULPD  Y10, Y4, Y4        // (γ·x)·log x
	VSUBPD  Y4, Y1, Y4         // w − …
	VMULPD  Y4, Y2, Y4         // pw·(…)
	VDIVPD  Y4, Y0, Y4         // h
	TESTQ   DX, DX
	JZ      bsum
	VANDPD  (DX), Y4, Y4       // h = 0 in the lanes past the row

bsum:
	// TwoSum per lane, as psiRowAVX2.
	VADDPD  Y4, Y14, Y5        // t
	VSUBPD  Y14, Y5, Y6        // bp
	VSUBPD  Y6, Y5, Y7         // t − bp
	VSUBPD  Y7, Y14, Y7        // s − (t − bp)
	VSUBPD  Y6, Y4, Y6         // h − bp
	VADDPD  Y6, Y7, Y7
	VADDPD  Y7, Y15, Y15
	VMOVAPD Y5, Y14
	TESTQ   DX, DX
	JNZ     btailstore
	VMOVUPD Y4, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     passB

btailstore:
	// The tail is the row's last block: its valid lanes are copied one
	// by one through the frame, then the row is done.
	VMOVUPD Y4, TAILSTORE
	XORQ    R11, R11

btailcopy:
	MOVQ (SP)(R11*8), R12
	MOVQ R12, (DI)(BX*8)
	INCQ BX
	INCQ R11
	CMPQ BX, CX
	JB   btailcopy
	JMP  done

passBdone:
	MOVQ R10, AX
	JMP  chunk

done:
	// The range flag, the total and the scaling, as psiRowAVX2.
	VEXTRACTI128 $1, Y13, X0
	VPOR    X0, X13, X0
	VPSHUFD $0x4e, X0, X1
	VPOR    X1, X0, X0
	VMOVQ   X0, R11
	TESTQ   R11, R11
	JS      refuse
	VEXTRACTF128 $1, Y14, X1 // s2 s3
	VUNPCKLPD X1, X14, X2    // s0 s2
	VUNPCKHPD X1, X14, X3    // s1 s3
	VEXTRACTF128 $1, Y15, X1 // c2 c3
	VUNPCKLPD X1, X15, X4    // c0 c2
	VUNPCKHPD X1, X15, X5    // c1 c3
	VADDPD    X3, X2, X6     // t = a + b
	VSUBPD    X2, X6, X7     // bp = t − a
	VSUBPD    X7, X6, X8     // t − bp
	VSUBPD    X8, X2, X8     // a − (t − bp)
	VSUBPD    X7, X3, X7     // b − bp
	VADDPD    X7, X8, X8     // e
	VADDPD    X5, X4, X4     // ca + cb
	VADDPD    X8, X4, X4     // (ca + cb) + e: c01 c23
	VUNPCKHPD X6, X6, X9     // s23
	VADDSD    X9, X6, X10    // t = s01 + s23
	VSUBSD    X6, X10, X11   // bp
	VSUBSD    X11, X10, X12  // t − bp
	VSUBSD    X12, X6, X12   // s01 − (t − bp)
	VSUBSD    X11, X9, X11   // s23 − bp
	VADDSD    X11, X12, X12  // e
	VUNPCKHPD X4, X4, X5     // c23
	VADDSD    X5, X4, X5     // c01 + c23
	VADDSD    X12, X5, X5    // + e
	VADDSD    X5, X10, X10   // total
	VMOVSD  ONE, X0
	VDIVSD  X10, X0, X0
	VMOVQ   X0, R12
	MOVQ    $0x7fefffffffffffff, R13
	CMPQ    R12, R13
	JHI     refuse
	VBROADCASTSD X0, Y1
	MOVQ    CX, BX
	ANDQ    $-4, BX
	XORQ    AX, AX

scale:
	CMPQ    AX, BX
	JAE     scaletail
	VMULPD  (DI)(AX*8), Y1, Y2
	VMOVUPD Y2, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     scale

scaletail:
	CMPQ    AX, CX
	JAE     accept
	VMULSD  (DI)(AX*8), X0, X2
	VMOVSD  X2, (DI)(AX*8)
	INCQ    AX
	JMP     scaletail

accept:
	VZEROUPPER
	MOVQ    $0, bad+40(FP)
	RET

refuse:
	VZEROUPPER
	MOVQ    $0x8000000000000000, AX
	MOVQ    AX, bad+40(FP)
	RET

// func psiRowsExpAVX2(out, src *float64, k, rows, per int, gamma float64) (done int)
//
// psiRowExpAVX2 over a matrix of rows of k entries, for short rows: out
// row r = Ψ^γ(src row r), bit for bit, for rows 0, 1, … until the first row
// it refuses, whose index it returns (rows if none). Rows go in chunks of
// per rows (per·k ≤ 64 entries), each in three passes: A and B over the
// chunk's entries as one flat array, in blocks of four that run across the
// rows (no lane is wasted on a row's end): A copies x into XBUF, forms the
// range flags and the powers into HBUF, B the logarithms and h in place of
// the powers; C, row by row, the sum of the row's h in the lanes j mod 4
// of the row (sum4), the total, 1/total and out. A chunk with an entry
// outside [2^−1022, 1) is refused before anything of it is written: done is
// then its first row; a row whose 1/total is not finite is refused before
// it is written. out may be src: each chunk is read into XBUF before its
// rows are written, and only its rows are.
//
// Registers: SI and DI the chunk in src and out, CX = k, BX the entry or
// the row's entry, R10 the chunk's entries (A, B) or the row's start (C),
// DX the address of a tail's mask; the rest in the frame.
TEXT ·psiRowsExpAVX2(SB), $1312-56
	MOVQ out+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), CX
	LEAQ ·logTab(SB), R8
	LEAQ ·avx2K(SB), R9
	VBROADCASTSD gamma+40(FP), Y0
	VSUBPD  ONE, Y0, Y0        // p = γ − 1
	VMOVUPD Y0, PSLOT
	MOVQ    $0, RDONE

rchunk:
	// R = min(per, rows − done) rows, E = R·k entries.
	MOVQ rows+24(FP), AX
	SUBQ RDONE, AX
	JLE  rfinish
	MOVQ per+32(FP), BX
	CMPQ AX, BX
	CMOVQGT BX, AX
	MOVQ AX, RROWS
	IMULQ CX, AX
	MOVQ AX, R10
	VPXOR Y13, Y13, Y13
	XORQ BX, BX

rpassA:
	CMPQ BX, R10
	JAE  rpassAdone
	LEAQ 4(BX), R11
	CMPQ R11, R10
	JA   ratail
	VMOVDQU (SI)(BX*8), Y0
	JMP  rablock

ratail:
	// The chunk's last E mod 4 entries, loaded one by one, 0.5 in the
	// other lanes.
	MOVQ    R10, DX
	SUBQ    BX, DX
	MOVQ    DX, R12
	SHLQ    $5, DX
	LEAQ    (TAILMASKS-32)(R9)(DX*1), DX
	LEAQ    (SI)(BX*8), R11
	VMOVSD  (R11), X0
	CMPQ    R12, $2
	JLT     rapad
	VMOVHPD 8(R11), X0, X0
	JEQ     rapad
	VMOVSD  16(R11), X1
	VINSERTF128 $1, X1, Y0, Y0

rapad:
	VMOVDQU (DX), Y5
	VPANDN  HALF, Y5, Y1
	VPOR    Y1, Y0, Y0

rablock:
	VMOVUPD Y0, XBUF(SP)(BX*8)
	VPSUBQ FASTLO, Y0, Y1
	VPXOR  ALLONES, Y1, Y2
	VPADDQ FASTSPAN, Y2, Y2
	VPOR   Y1, Y13, Y13
	VPOR   Y2, Y13, Y13
	// pw = pow1mExp(x, p), as in psiRowExpAVX2.
	VMOVUPD ONE, Y1
	VSUBPD  Y0, Y1, Y2         // w
	VSUBPD  Y2, Y1, Y3         // 1 − w
	VSUBPD  Y0, Y3, Y3         // d
	VMOVUPD Y3, DSLOT
	VMOVAPD Y2, Y0
	LOG1PM4
	VMOVUPD PSLOT, Y12
	VMULPD  Y11, Y12, Y0       // yh = p·hi
	VMOVAPD Y0, Y2
	VFMSUB231PD Y11, Y12, Y2   // p·hi − yh
	VFMADD231PD Y9, Y12, Y2    // yl
	EXP4
	VMOVUPD Y2, HBUF(SP)(BX*8)
	ADDQ    $4, BX
	JMP     rpassA

rpassAdone:
	// Refuse the chunk if an entry is outside the domain.
	VEXTRACTI128 $1, Y13, X0
	VPOR    X0, X13, X0
	VPSHUFD $0x4e, X0, X1
	VPOR    X1, X0, X0
	VMOVQ   X0, R11
	TESTQ   R11, R11
	JS      rfinish
	XORQ    BX, BX

rpassB:
	// h = x / (pw·(w − (γ·x)·log x)), w = 1 − x, in place of pw.
	CMPQ    BX, R10
	JAE     rpassBdone
	VMOVUPD XBUF(SP)(BX*8), Y0
	LOG4
	VMOVUPD HBUF(SP)(BX*8), Y2
	VMOVUPD ONE, Y1
	VSUBPD  Y0, Y1, Y1         // w
	VBROADCASTSD gamma+40(FP), Y4
	VMULPD  Y0, Y4, Y4         // γ·x
	VMULPD  Y10, Y4, Y4        // (γ·x)·log x
	VSUBPD  Y4, Y1, Y4         // w − …
	VMULPD  Y4, Y2, Y4         // pw·(…)
	VDIVPD  Y4, Y0, Y4         // h
	VMOVUPD Y4, HBUF(SP)(BX*8)
	ADDQ    $4, BX
	JMP     rpassB

rpassBdone:
	XORQ R10, R10              // the row's start in the chunk

rrow:
	VPXOR Y14, Y14, Y14
	VPXOR Y15, Y15, Y15
	XORQ  BX, BX

rcblock:
	// The row's blocks: lane j mod 4 of the row; its last k mod 4 entries
	// (read with what follows them in HBUF) masked to 0.
	XORQ DX, DX
	CMPQ BX, CX
	JAE  rtotal
	LEAQ (R10)(BX*1), R11
	VMOVUPD HBUF(SP)(R11*8), Y4
	LEAQ 4(BX), R12
	CMPQ R12, CX
	JBE  rcsum
	MOVQ CX, DX
	SUBQ BX, DX
	SHLQ $5, DX
	LEAQ (TAILMASKS-32)(R9)(DX*1), DX
	VANDPD (DX), Y4, Y4

rcsum:
	VADDPD  Y4, Y14, Y5        // t
	VSUBPD  Y14, Y5, Y6        // bp
	VSUBPD  Y6, Y5, Y7         // t − bp
	VSUBPD  Y7, Y14, Y7        // s − (t − bp)
	VSUBPD  Y6, Y4, Y6         // h − bp
	VADDPD  Y6, Y7, Y7
	VADDPD  Y7, Y15, Y15
	VMOVAPD Y5, Y14
	ADDQ    $4, BX
	JMP     rcblock

rtotal:
	// total = sum4.total(), as psiRowAVX2.
	VEXTRACTF128 $1, Y14, X1 // s2 s3
	VUNPCKLPD X1, X14, X2    // s0 s2
	VUNPCKHPD X1, X14, X3    // s1 s3
	VEXTRACTF128 $1, Y15, X1 // c2 c3
	VUNPCKLPD X1, X15, X4    // c0 c2
	VUNPCKHPD X1, X15, X5    // c1 c3
	VADDPD    X3, X2, X6     // t = a + b
	VSUBPD    X2, X6, X7     // bp = t − a
	VSUBPD    X7, X6, X8     // t − bp
	VSUBPD    X8, X2, X8     // a − (t − bp)
	VSUBPD    X7, X3, X7     // b − bp
	VADDPD    X7, X8, X8     // e
	VADDPD    X5, X4, X4     // ca + cb
	VADDPD    X8, X4, X4     // (ca + cb) + e: c01 c23
	VUNPCKHPD X6, X6, X9     // s23
	VADDSD    X9, X6, X10    // t = s01 + s23
	VSUBSD    X6, X10, X11   // bp
	VSUBSD    X11, X10, X12  // t − bp
	VSUBSD    X12, X6, X12   // s01 − (t − bp)
	VSUBSD    X11, X9, X11   // s23 − bp
	VADDSD    X11, X12, X12  // e
	VUNPCKHPD X4, X4, X5     // c23
	VADDSD    X5, X4, X5     // c01 + c23
	VADDSD    X12, X5, X5    // + e
	VADDSD    X5, X10, X10   // total
	VMOVSD  ONE, X0
	VDIVSD  X10, X0, X0
	VMOVQ   X0, R12
	MOVQ    $0x7fefffffffffffff, R13
	CMPQ    R12, R13
	JHI     rrefuserow
	// out row = h·(1/total): blocks of four, then the last k mod 4 one by
	// one.
	VBROADCASTSD X0, Y1
	MOVQ    CX, R13
	ANDQ    $-4, R13
	ADDQ    R10, R13           // the end of the row's full blocks
	MOVQ    R10, BX
	ADDQ    R10, CX            // the row's end (CX = k again below)

rscale:
	CMPQ    BX, R13
	JAE     rscaletail
	VMULPD  HBUF(SP)(BX*8), Y1, Y2
	VMOVUPD Y2, (DI)(BX*8)
	ADDQ    $4, BX
	JMP     rscale

rscaletail:
	CMPQ    BX, CX
	JAE     rrowdone
	VMULSD  HBUF(SP)(BX*8), X0, X2
	VMOVSD  X2, (DI)(BX*8)
	INCQ    BX
	JMP     rscaletail

rrowdone:
	MOVQ    CX, R10            // the next row's start
	MOVQ    k+16(FP), CX
	INCQ    RDONE
	DECQ    RROWS
	JNZ     rrow
	// The chunk is done: on to the next.
	MOVQ    R10, AX
	LEAQ    (SI)(AX*8), SI
	LEAQ    (DI)(AX*8), DI
	JMP     rchunk

rrefuserow:
	// done = this row (the rows before it in the chunk are written).

rfinish:
	VZEROUPPER
	MOVQ    RDONE, AX
	MOVQ    AX, done+48(FP)
	RET


// func logsAVX2(dst, x *float64, n int) (done int)
//
// dst[j] = Log(x[j]) for the first n entries (n a multiple of 4), four at
// a time, bit for bit, up to the first block of four that holds an entry
// which is not a positive normal float64 (0, subnormal, negative, ±Inf or
// NaN), which it leaves alone: done is the number of entries written
// before it (n if none). dst may be x.
TEXT ·logsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LEAQ ·logTab(SB), R8
	LEAQ ·avx2K(SB), R9
	XORQ AX, AX

logsloop:
	CMPQ AX, CX
	JAE  logsdone
	VMOVDQU (SI)(AX*8), Y0

	// The top bit of u | (LOGSPAN − 1 − u), u = ix − psiKernelLo, is set in
	// the lanes outside [2^−1022, +Inf).
	VPSUBQ    FASTLO, Y0, Y14
	VPXOR     ALLONES, Y14, Y15
	VPADDQ    LOGSPAN, Y15, Y15
	VPOR      Y15, Y14, Y14
	VMOVMSKPD Y14, BX
	TESTQ     BX, BX
	JNZ       logsdone

	LOG4
	VMOVUPD Y10, (DI)(AX*8)
	ADDQ    $4, AX
	JMP     logsloop

logsdone:
	VZEROUPPER
	MOVQ AX, done+24(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
