// The rational-quadratic spline maps on AVX2 lanes: see include/CSplineKernels.h.
//
// Every function mirrors its namesake in CaloFlows' one-element kernel (SplineKernel.swift and
// SplineKernel+Backward.swift, where a branch or a bin-indexed load becomes a per-lane select)
// or in CaloTensor/VectorMath.swift (exp, log) line by line: the same operations on the same
// operands in the same order. A comment gives the Swift expression where the order matters.
// Compiled with -ffp-contract=off, so no multiply and add are fused.
//
// A vector holds LANES = 16 elements: two AVX2 registers, which clang processes side by side.
// One element's spline is a long chain of dependent steps (softmax, search, knots, root,
// slope, log), too long for the out-of-order window to overlap two consecutive groups;
// interleaving two independent groups instruction by instruction gives the core two chains
// to work on.
#include "CSplineKernels.h"

#include <immintrin.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

// Every function taking or returning V is inlined, so the 512-bit vector ABI never applies.
#pragma clang diagnostic ignored "-Wpsabi"

#define LANES 16
typedef float V __attribute__((ext_vector_type(LANES)));
/// Lane masks (all bits set or clear) and integer views of V.
typedef int32_t I __attribute__((ext_vector_type(LANES)));
typedef uint32_t U __attribute__((ext_vector_type(LANES)));
typedef float V8 __attribute__((ext_vector_type(8)));

#define MAX_BINS 16

#define INLINE static inline __attribute__((always_inline))

INLINE V set1(float x) { return (V)(x); }
INLINE V zero(void) { return (V)(0.0f); }
INLINE V add(V a, V b) { return a + b; }
INLINE V sub(V a, V b) { return a - b; }
INLINE V mul(V a, V b) { return a * b; }
INLINE V divv(V a, V b) { return a / b; }
/// mask ? b : a per lane.
INLINE V pick(V a, V b, I mask) { return mask ? b : a; }
INLINE I lt(V a, V b) { return a < b; }
INLINE I le(V a, V b) { return a <= b; }
INLINE I gt(V a, V b) { return a > b; }
INLINE I ge(V a, V b) { return a >= b; }
INLINE I eq(V a, V b) { return a == b; }
/// Unordered not-equal (true for NaN), as _CMP_NEQ_UQ.
INLINE I ne(V a, V b) { return a != b; }
INLINE I bitsOf(V v) { return __builtin_bit_cast(I, v); }
INLINE V floatsOf(I i) { return __builtin_bit_cast(V, i); }
INLINE V flipSign(V v) { return floatsOf(bitsOf(v) ^ (I)(int32_t)0x80000000); }

INLINE V load(const float *p) { V v; memcpy(&v, p, sizeof v); return v; }
INLINE void store(float *p, V v) { memcpy(p, &v, sizeof v); }

// MARK: - VectorMath

/// VectorMath.exp (Cephes expf).
INLINE V vexp(V x) {
    const V magic = set1(12582912.0f);
    V t = add(mul(x, set1(1.44269504f)), magic);                                   // x * log2e + magic
    V n = sub(t, magic);
    V r = add(sub(x, mul(n, set1(0.693359375f))), mul(n, set1(2.1219444e-4f)));    // x - n*c1 + n*c2
    V p = add(mul(set1(1.98756915e-4f), r), set1(1.39819995e-3f));
    p = add(mul(p, r), set1(8.3334519e-3f));
    p = add(mul(p, r), set1(4.16657959e-2f));
    p = add(mul(p, r), set1(1.66666655e-1f));
    p = add(mul(p, r), set1(5.00000012e-1f));
    p = add(add(mul(mul(p, r), r), r), set1(1.0f));                                 // p * r * r + r + 1
    U bits = ((U)bitsOf(t) - 0x4B3FFF81u) << 23;
    V y = mul(p, floatsOf((I)bits));
    y = pick(y, zero(), lt(x, set1(-87.0f)));
    return pick(y, set1(INFINITY), gt(x, set1(88.37f)));
}

/// VectorMath.log (Cephes logf).
INLINE V vlog(V x) {
    I tiny = lt(x, set1(FLT_MIN));                                                  // Float.leastNormalMagnitude
    V xs = pick(x, mul(x, set1(8388608.0f)), tiny);
    I bits = bitsOf(xs);
    V m = floatsOf((bits & 0x007FFFFF) | 0x3F000000);
    I eBits = (I)((U)bits >> 23) + (0x4B400000 - 126);
    eBits = tiny ? eBits - 23 : eBits;
    I small = lt(m, set1(0.707106781f));
    eBits = small ? eBits - 1 : eBits;
    m = sub(pick(m, add(m, m), small), set1(1.0f));
    V e = sub(floatsOf(eBits), set1(12582912.0f));
    V z = mul(m, m);
    V y = sub(mul(set1(7.0376836292e-2f), m), set1(1.1514610310e-1f));
    y = add(mul(y, m), set1(1.1676998740e-1f));
    y = sub(mul(y, m), set1(1.2420140846e-1f));
    y = add(mul(y, m), set1(1.4249322787e-1f));
    y = sub(mul(y, m), set1(1.6668057665e-1f));
    y = add(mul(y, m), set1(2.0000714765e-1f));
    y = sub(mul(y, m), set1(2.4999993993e-1f));
    y = add(mul(y, m), set1(3.3333331174e-1f));
    y = mul(mul(y, m), z);                                                          // y * m * z
    y = add(y, mul(e, set1(-2.12194440e-4f)));
    y = sub(y, mul(set1(0.5f), z));
    V r = add(add(m, y), mul(e, set1(0.693359375f)));
    r = pick(r, set1(-INFINITY), eq(x, zero()));
    r = pick(r, set1(INFINITY), eq(x, set1(INFINITY)));
    return pick(r, set1(NAN), lt(x, zero()) | ne(x, x));
}

/// VectorMath.log1p.
INLINE V vlog1p(V z) {
    V u = add(set1(1.0f), z);
    return sub(vlog(u), divv(sub(sub(u, set1(1.0f)), z), u));                      // log(u) - ((u - 1) - z) / u
}

// MARK: - Spline steps (SplineKernel)

/// out[j] lane l = p[l*stride + j] for j, l in 0..<8: an 8x8 transpose in registers.
INLINE void transpose8(const float *p, size_t stride, __m256 *out) {
    __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + stride);
    __m256 r2 = _mm256_loadu_ps(p + 2 * stride), r3 = _mm256_loadu_ps(p + 3 * stride);
    __m256 r4 = _mm256_loadu_ps(p + 4 * stride), r5 = _mm256_loadu_ps(p + 5 * stride);
    __m256 r6 = _mm256_loadu_ps(p + 6 * stride), r7 = _mm256_loadu_ps(p + 7 * stride);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    out[0] = _mm256_permute2f128_ps(u0, u4, 0x20); out[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    out[2] = _mm256_permute2f128_ps(u2, u6, 0x20); out[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    out[4] = _mm256_permute2f128_ps(u0, u4, 0x31); out[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    out[6] = _mm256_permute2f128_ps(u2, u6, 0x31); out[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/// Lanes 0-7 from `lo`, 8-15 from `hi` (no data movement: V is the register pair).
INLINE V joined(__m256 lo, __m256 hi) {
    return __builtin_shufflevector(__builtin_bit_cast(V8, lo), __builtin_bit_cast(V8, hi),
                                   0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
/// Lanes 0-7 (`upper` false) or 8-15 of v.
INLINE __m256 half(V v, int upper) {
    V8 h = upper ? __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)
                 : __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
    return __builtin_bit_cast(__m256, h);
}

/// The m raw parameters of sixteen consecutive elements, transposed: raw[j] lane l = p[l*m + j].
INLINE void transpose(const float *p, int m, V *raw) {
    if (m < 8) {
        for (int j = 0; j < m; j++) {
            float lanes[LANES];
            for (int l = 0; l < LANES; l++) lanes[l] = p[l * m + j];
            raw[j] = load(lanes);
        }
        return;
    }
    // Blocks of eight; the last starts at m - 8 (overlapping) so no load passes element 15's end.
    const float *q = p + (size_t)8 * m;   // elements 8-15
    for (int j = 0; j < m;) {
        int j0 = j < m - 8 ? j : m - 8;
        __m256 lo[8], hi[8];
        transpose8(p + j0, (size_t)m, lo);
        transpose8(q + j0, (size_t)m, hi);
        for (int r = 0; r < 8; r++) raw[j0 + r] = joined(lo[r], hi[r]);
        j = j0 + 8;
    }
}

/// SplineKernel.exponentials (Float.softmaxExponentials): exp(u_j - max u) into e, and their sum in exponentialSum's order.
INLINE V exponentials(const V *u, V *e, int bins) {
    V hi = u[0];
    for (int j = 1; j < bins; j++) hi = pick(hi, u[j], gt(u[j], hi));
    for (int j = 0; j < bins; j++) e[j] = vexp(sub(u[j], hi));
    if (bins == 8) {
        return add(add(add(e[0], e[1]), add(e[2], e[3])), add(add(e[4], e[5]), add(e[6], e[7])));
    }
    V sum = e[0];
    for (int j = 1; j < bins; j++) sum = add(sum, e[j]);
    return sum;
}

/// SplineKernel.search: the number of interior knots <= v, as a float per lane.
INLINE V search(V v, const V *e, V sum, int bins, float step, float scale, float bound) {
    V a = divv(set1(scale), sum);
    V k = zero(), before = zero();
    for (int j = 1; j < bins; j++) {
        before = add(before, e[j - 1]);
        V knot = add(set1((float)j * step - bound), mul(a, before));
        k = pick(k, add(k, set1(1.0f)), ge(v, knot));
    }
    return k;
}

/// SplineKernel.knots: knots k and k + 1 and the exponential sum of the bins before k.
INLINE void knots(V k, const V *e, V sum, int bins, float step, float scale, float bound,
                         V *lo, V *hi, V *beforeOut) {
    V a = divv(set1(scale), sum);
    V before = zero(), ek = zero();
    for (int j = 0; j < bins; j++) {
        V jf = set1((float)j);
        before = add(before, pick(zero(), e[j], lt(jf, k)));
        ek = pick(ek, e[j], eq(jf, k));
    }
    // k * step - bound + a * before
    *lo = pick(add(sub(mul(k, set1(step)), set1(bound)), mul(a, before)), set1(-bound), eq(k, zero()));
    // (k + 1) * step - bound + a * (before + ek)
    *hi = pick(add(sub(mul(add(k, set1(1.0f)), set1(step)), set1(bound)), mul(a, add(before, ek))),
               set1(bound), eq(k, set1((float)(bins - 1))));
    *beforeOut = before;
}

/// SplineKernel.derivative's softplus: m_d + softplus(raw) and exp(-|raw|).
INLINE V softplusDerivative(V raw, float minDerivative, V *expOut) {
    V negAbs = floatsOf(bitsOf(raw) | (I)(int32_t)0x80000000);
    V e = vexp(negAbs);
    V positive = pick(zero(), raw, gt(raw, zero()));
    *expOut = e;
    return add(add(set1(minDerivative), positive), vlog1p(e));                   // (m_d + positive) + log1p(e)
}

/// SplineKernel.Bin: the bin index k (a float per lane) and everything the maps and the
/// backward passes need about it.
typedef struct {
    V k, xLo, xHi, yLo, yHi, d0, d1, d0Exp, d1Exp;
    V widthSum, widthBefore, heightSum, heightBefore;
} Bins;

/// SplineKernel.bin.
INLINE Bins bin(const caloflow_spline_constants *c, V v, int inverse, const V *raw, V *ew, V *eh) {
    int K = c->bins;
    V sw = exponentials(raw, ew, K);
    V sh = exponentials(raw + K, eh, K);
    V k = inverse ? search(v, eh, sh, K, c->heightStep, c->heightScale, c->bound)
                  : search(v, ew, sw, K, c->widthStep, c->widthScale, c->bound);
    Bins b;
    b.k = k;
    b.widthSum = sw;
    b.heightSum = sh;
    knots(k, ew, sw, K, c->widthStep, c->widthScale, c->bound, &b.xLo, &b.xHi, &b.widthBefore);
    knots(k, eh, sh, K, c->heightStep, c->heightScale, c->bound, &b.yLo, &b.yHi, &b.heightBefore);
    // SplineKernel.derivative at knots k and k + 1 (1, and exp 0, at the ends)
    const V *r = raw + 2 * K;
    V left = zero(), right = zero();
    for (int j = 1; j < K; j++) {
        V jf = set1((float)j);
        left = pick(left, r[j - 1], eq(k, jf));
        right = pick(right, r[j - 1], eq(add(k, set1(1.0f)), jf));
    }
    V e0, e1;
    V s0 = softplusDerivative(left, c->minDerivative, &e0);
    V s1 = softplusDerivative(right, c->minDerivative, &e1);
    I first = eq(k, zero()), last = eq(k, set1((float)(K - 1)));
    b.d0 = pick(s0, set1(1.0f), first);
    b.d1 = pick(s1, set1(1.0f), last);
    b.d0Exp = pick(e0, zero(), first);
    b.d1Exp = pick(e1, zero(), last);
    return b;
}

/// SplineKernel.Local: the rational-quadratic pieces at (th, th1) and the slope (s/D)^2 M.
typedef struct {
    V w, h, invW, s, th, th1, t, n, np, invD, sOverD, m, slope;
} Local;

INLINE Local local(const Bins *b, V th, V th1) {
    Local l;
    l.w = sub(b->xHi, b->xLo);
    l.h = sub(b->yHi, b->yLo);
    l.invW = divv(set1(1.0f), l.w);
    l.s = mul(l.h, l.invW);
    l.th = th;
    l.th1 = th1;
    l.t = mul(th, th1);
    l.n = add(mul(mul(l.s, th), th), mul(b->d0, l.t));                              // s * th * th + d0 * t
    l.np = add(mul(mul(l.s, th1), th1), mul(b->d1, l.t));                           // s * th1 * th1 + d1 * t
    V d = add(l.n, l.np);
    l.invD = divv(set1(1.0f), d);
    l.sOverD = divv(l.s, d);
    // d1 * th * th + 2 * s * t + d0 * th1 * th1
    l.m = add(add(mul(mul(b->d1, th), th), mul(mul(set1(2.0f), l.s), l.t)), mul(mul(b->d0, th1), th1));
    l.slope = mul(mul(l.sOverD, l.sOverD), l.m);
    return l;
}

/// SplineKernel.root: theta and 1 - theta of the points whose spline values are y.
INLINE void root(V y, const Bins *b, V *thOut, V *th1Out) {
    V s = divv(sub(b->yHi, b->yLo), sub(b->xHi, b->xLo));
    V dl = sub(y, b->yLo), dr = sub(b->yHi, y);
    V e = sub(mul(b->d0, dr), mul(b->d1, dl));
    V q = mul(mul(mul(mul(set1(4.0f), s), s), dl), dr);                            // 4 * s * s * dl * dr
    V rt = __builtin_elementwise_sqrt(add(mul(e, e), q));
    V g = pick(divv(q, sub(rt, e)), add(e, rt), ge(e, zero()));
    V a = mul(mul(set1(2.0f), s), dl);
    V den = add(a, g);
    *thOut = divv(a, den);
    *th1Out = divv(g, den);
}

INLINE void forwardLanes(const caloflow_spline_constants *c, V x, const V *raw, V *ew, V *eh,
                                V *yOut, V *ldOut) {
    I inside = ge(x, set1(-c->bound)) & le(x, set1(c->bound));
    Bins b = bin(c, x, 0, raw, ew, eh);
    V w = sub(b.xHi, b.xLo);
    V th = divv(sub(x, b.xLo), w), th1 = divv(sub(b.xHi, x), w);
    Local l = local(&b, th, th1);
    V lower = add(b.yLo, mul(mul(l.h, l.n), l.invD));                               // yLo + h * n * invD
    V upper = sub(b.yHi, mul(mul(l.h, l.np), l.invD));                              // yHi - h * np * invD
    V y = pick(upper, lower, le(th, th1));
    V logSlope = vlog(l.slope);
    *yOut = pick(x, y, inside);
    *ldOut = pick(zero(), logSlope, inside);
}

INLINE void inverseLanes(const caloflow_spline_constants *c, V y, const V *raw, V *ew, V *eh,
                                V *xOut, V *ldOut) {
    I inside = ge(y, set1(-c->bound)) & le(y, set1(c->bound));
    Bins b = bin(c, y, 1, raw, ew, eh);
    V th, th1;
    root(y, &b, &th, &th1);
    Local l = local(&b, th, th1);
    V x = pick(sub(b.xHi, mul(th1, l.w)), add(b.xLo, mul(th, l.w)), le(th, th1));
    // Negation by the sign bit, as the scalar kernel's unary minus (0 - x would turn log 1 = 0 into +0).
    V logSlope = flipSign(vlog(l.slope));
    *xOut = pick(y, x, inside);
    *ldOut = pick(zero(), logSlope, inside);
}

// MARK: - Backward passes (SplineKernel+Backward.swift)


/// SplineKernel.thetaDerivativeOfLogSlope: dL/dtheta with L = log(s^2 M / D^2).
INLINE V thetaDerivativeOfLogSlope(const Local *l, const Bins *b) {
    // 2 * (d1 * th - d0 * th1 + s * (th1 - th))
    V dm = mul(set1(2.0f), add(sub(mul(b->d1, l->th), mul(b->d0, l->th1)), mul(l->s, sub(l->th1, l->th))));
    // (d0 + d1 - 2 * s) * (th1 - th)
    V dd = mul(sub(add(b->d0, b->d1), mul(set1(2.0f), l->s)), sub(l->th1, l->th));
    return sub(divv(dm, l->m), mul(mul(set1(2.0f), dd), l->invD));                  // dm / m - 2 * dd * invD
}

/// SplineKernel.sigmoid: sigmoid(r_j) for the raw derivative j = index of each lane, from e = exp(-|r_j|).
INLINE V sigmoidAt(const V *r, V index, V e, int K) {
    V raw = zero();
    for (int j = 0; j < K - 1; j++) raw = pick(raw, r[j], eq(index, set1((float)j)));
    I notPositive = ~gt(raw, zero());                                                // !(raw > 0)
    return divv(pick(set1(1.0f), e, notPositive), add(set1(1.0f), e));
}

/// SplineKernel.softmaxGradient with a bin index per lane, into g[0..<K]; lanes outside get zeros.
INLINE void softmaxGradient(V a, V c, V k, const V *e, V sum, V before, float scale,
                                  V *g, I inside, int K) {
    V after = zero(), ek = zero();
    for (int j = K - 1; j >= 0; j--) {
        V jf = set1((float)j);
        after = add(after, pick(zero(), e[j], gt(jf, k)));
        ek = pick(ek, e[j], eq(jf, k));
    }
    V f = divv(set1(scale), mul(sum, sum));
    V below = mul(f, add(mul(a, add(ek, after)), mul(c, after)));                  // f * (a * (ek + after) + c * after)
    V at = mul(f, sub(mul(c, after), mul(a, before)));                              // f * (c * after - a * before)
    V above = mul(flipSign(f), add(mul(a, before), mul(c, add(before, ek))));       // -f * (a * before + c * (before + ek))
    for (int i = 0; i < K; i++) {
        V jf = set1((float)i);
        V value = pick(pick(mul(above, e[i]), mul(below, e[i]), lt(jf, k)), mul(at, ek), eq(jf, k));
        g[i] = pick(zero(), value, inside);
    }
}

/// SplineKernel.scatter into the transposed parameter gradients grad[0..<3K-1].
INLINE void scatter(const caloflow_spline_constants *c, V phi, V psi, V kg,
                                                          const Local *l, const Bins *b, const V *raw,
                                                          const V *ew, const V *eh, V *grad, I inside) {
    const int K = c->bins;
    V th2 = mul(l->th, l->th), th12 = mul(l->th1, l->th1);
    V invM = divv(set1(1.0f), l->m);
    V twoTD = mul(mul(set1(2.0f), l->t), l->invD);
    // 2 * t * (invM + (d0 + d1) * invD * w / h)
    V ls = mul(mul(set1(2.0f), l->t), add(invM, divv(mul(mul(add(b->d0, b->d1), l->invD), l->w), l->h)));
    V fh = mul(mul(mul(mul(phi, l->h), l->t), l->invD), l->invD);                  // phi * h * t * invD * invD
    V gs = add(mul(fh, sub(mul(b->d1, th2), mul(b->d0, th12))), mul(psi, ls));
    V gd0 = add(mul(fh, l->np), mul(psi, sub(mul(th12, invM), twoTD)));
    V gd1 = add(mul(flipSign(fh), l->n), mul(psi, sub(mul(th2, invM), twoTD)));
    V gsw = mul(gs, l->invW);
    V gxLo = add(mul(kg, l->th1), mul(gsw, l->s)), gxHi = sub(mul(kg, l->th), mul(gsw, l->s));
    V gyLo = sub(mul(mul(phi, l->np), l->invD), gsw), gyHi = add(mul(mul(phi, l->n), l->invD), gsw);
    softmaxGradient(gxLo, gxHi, b->k, ew, b->widthSum, b->widthBefore, c->widthScale, grad, inside, K);
    softmaxGradient(gyLo, gyHi, b->k, eh, b->heightSum, b->heightBefore, c->heightScale, grad + K, inside, K);
    // Raw derivative j sits at knot j + 1: it receives gd0 when j = k - 1, gd1 when j = k.
    const V *r = raw + 2 * K;
    V *gr = grad + 2 * K;
    V km1 = sub(b->k, set1(1.0f));
    V left = mul(gd0, sigmoidAt(r, km1, b->d0Exp, K)), right = mul(gd1, sigmoidAt(r, b->k, b->d1Exp, K));
    for (int j = 0; j < K - 1; j++) {
        V jf = set1((float)j);
        V value = pick(pick(zero(), left, eq(jf, km1)), right, eq(jf, b->k));
        gr[j] = pick(zero(), value, inside);
    }
}

INLINE V forwardBackwardLanes(const caloflow_spline_constants *c, V x, V gy, V gl,
                                                                    const V *raw, V *ew, V *eh, V *grad) {
    I inside = ge(x, set1(-c->bound)) & le(x, set1(c->bound));
    Bins b = bin(c, x, 0, raw, ew, eh);
    V w = sub(b.xHi, b.xLo);
    Local l = local(&b, divv(sub(x, b.xLo), w), divv(sub(b.xHi, x), w));
    // gy * slope + gl * thetaDerivativeOfLogSlope * invW
    V gin = add(mul(gy, l.slope), mul(mul(gl, thetaDerivativeOfLogSlope(&l, &b)), l.invW));
    scatter(c, gy, gl, flipSign(gin), &l, &b, raw, ew, eh, grad, inside);
    return pick(gy, gin, inside);
}

INLINE V inverseBackwardLanes(const caloflow_spline_constants *c, V y, V gx, V gl,
                                                                    const V *raw, V *ew, V *eh, V *grad) {
    I inside = ge(y, set1(-c->bound)) & le(y, set1(c->bound));
    Bins b = bin(c, y, 1, raw, ew, eh);
    V th, th1;
    root(y, &b, &th, &th1);
    Local l = local(&b, th, th1);
    // (gx - gl * thetaDerivativeOfLogSlope * invW) / slope
    V lambda = divv(sub(gx, mul(mul(gl, thetaDerivativeOfLogSlope(&l, &b)), l.invW)), l.slope);
    scatter(c, flipSign(lambda), flipSign(gl), gx, &l, &b, raw, ew, eh, grad, inside);
    return pick(gx, lambda, inside);
}

/// Writes the transposed gradients back: p[l*m + j] = grad[j] lane l (8x8 transposes of each
/// half in overlapping blocks, as `transpose`; below eight parameters lane by lane).
INLINE void untranspose(const V *grad, int m, float *p) {
    if (m < 8) {
        for (int j = 0; j < m; j++) {
            float lanes[LANES];
            store(lanes, grad[j]);
            for (int l = 0; l < LANES; l++) p[l * m + j] = lanes[l];
        }
        return;
    }
    for (int upper = 0; upper < 2; upper++) {
        float *q = p + (size_t)(8 * upper) * m;
        for (int j = 0; j < m;) {
            int j0 = j < m - 8 ? j : m - 8;
            float block[64];
            for (int r = 0; r < 8; r++) _mm256_storeu_ps(block + 8 * r, half(grad[j0 + r], upper));
            __m256 rows[8];
            transpose8(block, 8, rows);                                              // rows[l] = lane l of grad[j0..j0+7]
            for (int l = 0; l < 8; l++) _mm256_storeu_ps(q + (size_t)l * m + j0, rows[l]);
            j = j0 + 8;
        }
    }
}

/// dst[0..<2n] = src[0..<n] twice: a group of eight elements (or its parameters) padded to a
/// whole vector.
INLINE void twice(float *dst, const float *src, size_t n) {
    memcpy(dst, src, n * sizeof(float));
    memcpy(dst + n, src, n * sizeof(float));
}

/// One vector of LANES elements of the backward pass: inputs at x, gradients out at gx and gp.
INLINE void backwardVector(const caloflow_spline_constants *k, int inverse, int m,
                           const float *x, const float *p, const float *gy, const float *gl,
                           float *gx, float *gp) {
    V raw[3 * MAX_BINS - 1], ew[MAX_BINS], eh[MAX_BINS], grad[3 * MAX_BINS - 1];
    transpose(p, m, raw);
    V v = load(x);
    V upOut = gy ? load(gy) : zero();
    V upLog = gl ? load(gl) : zero();
    V gin = inverse ? inverseBackwardLanes(k, v, upOut, upLog, raw, ew, eh, grad)
                    : forwardBackwardLanes(k, v, upOut, upLog, raw, ew, eh, grad);
    store(gx, gin);
    untranspose(grad, m, gp);
}

/// The group loop (groups of eight elements, two per vector) for `K` bins and one direction;
/// with K and `inverse` constants (the specialisations below) the compiler unrolls every loop
/// over the bins. An odd last group runs in a vector whose upper half repeats it.
INLINE void backwardGroups(const caloflow_spline_constants *c, int K, int inverse,
                           const float *x, const float *p, const float *gy,
                           const float *gl, float *gx, float *gp, size_t groups) {
    caloflow_spline_constants k = *c;
    k.bins = K;
    const int m = 3 * K - 1;
    size_t g = 0;
    for (; g + 2 <= groups; g += 2) {
        const size_t base = g * 8;
        backwardVector(&k, inverse, m, x + base, p + base * (size_t)m, gy ? gy + base : NULL, gl ? gl + base : NULL,
                       gx + base, gp + base * (size_t)m);
    }
    if (g < groups) {
        const size_t base = g * 8;
        float xs[LANES], ys[LANES], ls[LANES], gxs[LANES], ps[LANES * (3 * MAX_BINS - 1)], gps[LANES * (3 * MAX_BINS - 1)];
        twice(xs, x + base, 8);
        if (gy) twice(ys, gy + base, 8);
        if (gl) twice(ls, gl + base, 8);
        twice(ps, p + base * (size_t)m, (size_t)(8 * m));
        backwardVector(&k, inverse, m, xs, ps, gy ? ys : NULL, gl ? ls : NULL, gxs, gps);
        memcpy(gx + base, gxs, 8 * sizeof(float));
        memcpy(gp + base * (size_t)m, gps, (size_t)(8 * m) * sizeof(float));
    }
}

static void backwardForward8(const caloflow_spline_constants *c, const float *x, const float *p, const float *gy,
                             const float *gl, float *gx, float *gp, size_t n) {
    backwardGroups(c, 8, 0, x, p, gy, gl, gx, gp, n);
}
static void backwardInverse8(const caloflow_spline_constants *c, const float *x, const float *p, const float *gy,
                             const float *gl, float *gx, float *gp, size_t n) {
    backwardGroups(c, 8, 1, x, p, gy, gl, gx, gp, n);
}
static void backwardForwardAny(const caloflow_spline_constants *c, const float *x, const float *p, const float *gy,
                               const float *gl, float *gx, float *gp, size_t n) {
    backwardGroups(c, c->bins, 0, x, p, gy, gl, gx, gp, n);
}
static void backwardInverseAny(const caloflow_spline_constants *c, const float *x, const float *p, const float *gy,
                               const float *gl, float *gx, float *gp, size_t n) {
    backwardGroups(c, c->bins, 1, x, p, gy, gl, gx, gp, n);
}

void caloflow_spline_backward_lanes(const caloflow_spline_constants *c, int inverse,
                                    const float *inputs, const float *params,
                                    const float *outputGradients, const float *logDerivativeGradients,
                                    float *inputGradients, float *paramGradients, size_t groups) {
    if (c->bins < 2 || c->bins > MAX_BINS) return;   // the caller handles these element by element
    if (c->bins == 8) {
        (inverse ? backwardInverse8 : backwardForward8)(c, inputs, params, outputGradients, logDerivativeGradients,
                                                        inputGradients, paramGradients, groups);
    } else {
        (inverse ? backwardInverseAny : backwardForwardAny)(c, inputs, params, outputGradients, logDerivativeGradients,
                                                            inputGradients, paramGradients, groups);
    }
}

/// One vector of LANES elements of the map.
INLINE void mapVector(const caloflow_spline_constants *k, int inverse, int m,
                      const float *x, const float *p, float *y, float *ld) {
    V raw[3 * MAX_BINS - 1], ew[MAX_BINS], eh[MAX_BINS];
    transpose(p, m, raw);
    V v = load(x), out, lds;
    if (inverse) inverseLanes(k, v, raw, ew, eh, &out, &lds);
    else forwardLanes(k, v, raw, ew, eh, &out, &lds);
    store(y, out);
    store(ld, lds);
}

/// The group loop (groups of eight elements, two per vector) for `K` bins and one direction;
/// with K and `inverse` constants (the specialisations below) the compiler unrolls every loop
/// over the bins. An odd last group runs in a vector whose upper half repeats it.
INLINE void mapGroups(const caloflow_spline_constants *c, int K, int inverse,
                      const float *inputs, const float *params,
                      float *outputs, float *logDerivatives, size_t groups) {
    caloflow_spline_constants k = *c;
    k.bins = K;
    const int m = 3 * K - 1;
    size_t g = 0;
    for (; g + 2 <= groups; g += 2) {
        const size_t base = g * 8;
        mapVector(&k, inverse, m, inputs + base, params + base * (size_t)m, outputs + base, logDerivatives + base);
    }
    if (g < groups) {
        const size_t base = g * 8;
        float xs[LANES], ys[LANES], lds[LANES], ps[LANES * (3 * MAX_BINS - 1)];
        twice(xs, inputs + base, 8);
        twice(ps, params + base * (size_t)m, (size_t)(8 * m));
        mapVector(&k, inverse, m, xs, ps, ys, lds);
        memcpy(outputs + base, ys, 8 * sizeof(float));
        memcpy(logDerivatives + base, lds, 8 * sizeof(float));
    }
}

static void mapForward8(const caloflow_spline_constants *c, const float *x, const float *p, float *y, float *ld, size_t n) {
    mapGroups(c, 8, 0, x, p, y, ld, n);
}
static void mapInverse8(const caloflow_spline_constants *c, const float *x, const float *p, float *y, float *ld, size_t n) {
    mapGroups(c, 8, 1, x, p, y, ld, n);
}
static void mapForwardAny(const caloflow_spline_constants *c, const float *x, const float *p, float *y, float *ld, size_t n) {
    mapGroups(c, c->bins, 0, x, p, y, ld, n);
}
static void mapInverseAny(const caloflow_spline_constants *c, const float *x, const float *p, float *y, float *ld, size_t n) {
    mapGroups(c, c->bins, 1, x, p, y, ld, n);
}

void caloflow_spline_map_lanes(const caloflow_spline_constants *c, int inverse,
                               const float *inputs, const float *params,
                               float *outputs, float *logDerivatives, size_t groups) {
    if (c->bins < 2 || c->bins > MAX_BINS) return;   // the caller maps these element by element
    if (c->bins == 8) {   // CaloFlow's splines: a version with every bin loop unrolled
        (inverse ? mapInverse8 : mapForward8)(c, inputs, params, outputs, logDerivatives, groups);
    } else {
        (inverse ? mapInverseAny : mapForwardAny)(c, inputs, params, outputs, logDerivatives, groups);
    }
}
