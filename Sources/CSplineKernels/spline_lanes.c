// The rational-quadratic spline maps on eight AVX2 lanes: see include/CSplineKernels.h.
//
// Every function mirrors its namesake in CaloFlows (SplineLanes.swift for the spline steps,
// CaloTensor/VectorMath.swift for exp and log) line by line: the same operations on the same
// operands in the same order. A comment gives the Swift expression where the order matters.
// Compiled with -ffp-contract=off, so no multiply and add are fused.
#include "CSplineKernels.h"

#include <immintrin.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

typedef __m256 V;

#define MAX_BINS 16

static inline __attribute__((always_inline)) V set1(float x) { return _mm256_set1_ps(x); }
static inline __attribute__((always_inline)) V add(V a, V b) { return _mm256_add_ps(a, b); }
static inline __attribute__((always_inline)) V sub(V a, V b) { return _mm256_sub_ps(a, b); }
static inline __attribute__((always_inline)) V mul(V a, V b) { return _mm256_mul_ps(a, b); }
static inline __attribute__((always_inline)) V divv(V a, V b) { return _mm256_div_ps(a, b); }
/// mask ? b : a, as Swift's a.replacing(with: b, where: mask).
static inline __attribute__((always_inline)) V pick(V a, V b, V mask) { return _mm256_blendv_ps(a, b, mask); }
static inline __attribute__((always_inline)) V lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline __attribute__((always_inline)) V le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline __attribute__((always_inline)) V gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline __attribute__((always_inline)) V ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline __attribute__((always_inline)) V eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline __attribute__((always_inline)) V ne(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }

// MARK: - VectorMath

/// VectorMath.exp (Cephes expf).
static inline __attribute__((always_inline)) V vexp(V x) {
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
    __m256i bits = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B3FFF81)), 23);
    V y = mul(p, _mm256_castsi256_ps(bits));
    y = pick(y, _mm256_setzero_ps(), lt(x, set1(-87.0f)));
    return pick(y, set1(INFINITY), gt(x, set1(88.37f)));
}

/// VectorMath.log (Cephes logf).
static inline __attribute__((always_inline)) V vlog(V x) {
    V tiny = lt(x, set1(FLT_MIN));                                                  // Float.leastNormalMagnitude
    V xs = pick(x, mul(x, set1(8388608.0f)), tiny);
    __m256i bits = _mm256_castps_si256(xs);
    V m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007FFFFF)),
                                              _mm256_set1_epi32(0x3F000000)));
    __m256i eBits = _mm256_add_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(0x4B400000 - 126));
    __m256i tinyI = _mm256_castps_si256(tiny);
    eBits = _mm256_blendv_epi8(eBits, _mm256_sub_epi32(eBits, _mm256_set1_epi32(23)), tinyI);
    V small = lt(m, set1(0.707106781f));
    eBits = _mm256_blendv_epi8(eBits, _mm256_sub_epi32(eBits, _mm256_set1_epi32(1)), _mm256_castps_si256(small));
    m = sub(pick(m, add(m, m), small), set1(1.0f));
    V e = sub(_mm256_castsi256_ps(eBits), set1(12582912.0f));
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
    r = pick(r, set1(-INFINITY), eq(x, _mm256_setzero_ps()));
    r = pick(r, set1(INFINITY), eq(x, set1(INFINITY)));
    return pick(r, set1(NAN), _mm256_or_ps(lt(x, _mm256_setzero_ps()), ne(x, x)));
}

/// VectorMath.log1p.
static inline __attribute__((always_inline)) V vlog1p(V z) {
    V u = add(set1(1.0f), z);
    return sub(vlog(u), divv(sub(sub(u, set1(1.0f)), z), u));                      // log(u) - ((u - 1) - z) / u
}

// MARK: - Spline steps (SplineLanes)

/// raw[j] lane l = p[l*stride + j] for j in 0..<8: an 8x8 transpose in registers.
static inline __attribute__((always_inline)) void transpose8(const float *p, size_t stride, V *out) {
    V r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + stride);
    V r2 = _mm256_loadu_ps(p + 2 * stride), r3 = _mm256_loadu_ps(p + 3 * stride);
    V r4 = _mm256_loadu_ps(p + 4 * stride), r5 = _mm256_loadu_ps(p + 5 * stride);
    V r6 = _mm256_loadu_ps(p + 6 * stride), r7 = _mm256_loadu_ps(p + 7 * stride);
    V t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    V t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    V t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    V t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    V u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    V u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    V u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    V u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    out[0] = _mm256_permute2f128_ps(u0, u4, 0x20); out[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    out[2] = _mm256_permute2f128_ps(u2, u6, 0x20); out[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    out[4] = _mm256_permute2f128_ps(u0, u4, 0x31); out[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    out[6] = _mm256_permute2f128_ps(u2, u6, 0x31); out[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/// The m raw parameters of eight consecutive elements, transposed: raw[j] lane l = p[l*m + j].
static inline __attribute__((always_inline)) void transpose(const float *p, int m, V *raw) {
    if (m < 8) {
        for (int j = 0; j < m; j++) {
            raw[j] = _mm256_setr_ps(p[j], p[m + j], p[2 * m + j], p[3 * m + j],
                                    p[4 * m + j], p[5 * m + j], p[6 * m + j], p[7 * m + j]);
        }
        return;
    }
    // Blocks of eight; the last starts at m - 8 (overlapping) so no load passes element 7's end.
    for (int j = 0; j < m;) {
        int j0 = j < m - 8 ? j : m - 8;
        transpose8(p + j0, (size_t)m, raw + j0);
        j = j0 + 8;
    }
}

/// SplineLanes.exponentials: exp(u_j - max u) into e, and their sum in exponentialSum's order.
static inline __attribute__((always_inline)) V exponentials(const V *u, V *e, int bins) {
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

/// SplineLanes.search: the number of interior knots <= v, as a float per lane.
static inline __attribute__((always_inline)) V search(V v, const V *e, V sum, int bins, float step, float scale, float bound) {
    V a = divv(set1(scale), sum);
    V k = _mm256_setzero_ps(), before = _mm256_setzero_ps();
    for (int j = 1; j < bins; j++) {
        before = add(before, e[j - 1]);
        V knot = add(set1((float)j * step - bound), mul(a, before));
        k = pick(k, add(k, set1(1.0f)), ge(v, knot));
    }
    return k;
}

/// SplineLanes.knots: knots k and k + 1 and the exponential sum of the bins before k.
static inline __attribute__((always_inline)) void knots(V k, const V *e, V sum, int bins, float step, float scale, float bound,
                         V *lo, V *hi, V *beforeOut) {
    V a = divv(set1(scale), sum);
    V before = _mm256_setzero_ps(), ek = _mm256_setzero_ps();
    for (int j = 0; j < bins; j++) {
        V jf = set1((float)j);
        before = add(before, pick(_mm256_setzero_ps(), e[j], lt(jf, k)));
        ek = pick(ek, e[j], eq(jf, k));
    }
    // k * step - bound + a * before
    *lo = pick(add(sub(mul(k, set1(step)), set1(bound)), mul(a, before)), set1(-bound), eq(k, _mm256_setzero_ps()));
    // (k + 1) * step - bound + a * (before + ek)
    *hi = pick(add(sub(mul(add(k, set1(1.0f)), set1(step)), set1(bound)), mul(a, add(before, ek))),
               set1(bound), eq(k, set1((float)(bins - 1))));
    *beforeOut = before;
}

/// SplineLanes.softplusDerivative: m_d + softplus(raw) and exp(-|raw|).
static inline __attribute__((always_inline)) V softplusDerivative(V raw, float minDerivative, V *expOut) {
    V negAbs = _mm256_or_ps(raw, set1(-0.0f));
    V e = vexp(negAbs);
    V positive = pick(_mm256_setzero_ps(), raw, gt(raw, _mm256_setzero_ps()));
    *expOut = e;
    return add(add(set1(minDerivative), positive), vlog1p(e));                   // (m_d + positive) + log1p(e)
}

typedef struct {
    V xLo, xHi, yLo, yHi, d0, d1;
} Bins;

/// SplineLanes.bin (the parts the maps use).
static inline __attribute__((always_inline)) Bins bin(const caloflow_spline_constants *c, V v, int inverse, const V *raw, V *ew, V *eh) {
    int K = c->bins;
    V sw = exponentials(raw, ew, K);
    V sh = exponentials(raw + K, eh, K);
    V k = inverse ? search(v, eh, sh, K, c->heightStep, c->heightScale, c->bound)
                  : search(v, ew, sw, K, c->widthStep, c->widthScale, c->bound);
    Bins b;
    V before;
    knots(k, ew, sw, K, c->widthStep, c->widthScale, c->bound, &b.xLo, &b.xHi, &before);
    knots(k, eh, sh, K, c->heightStep, c->heightScale, c->bound, &b.yLo, &b.yHi, &before);
    // SplineLanes.derivatives
    const V *r = raw + 2 * K;
    V left = _mm256_setzero_ps(), right = _mm256_setzero_ps();
    for (int j = 1; j < K; j++) {
        V jf = set1((float)j);
        left = pick(left, r[j - 1], eq(k, jf));
        right = pick(right, r[j - 1], eq(add(k, set1(1.0f)), jf));
    }
    V e0, e1;
    V s0 = softplusDerivative(left, c->minDerivative, &e0);
    V s1 = softplusDerivative(right, c->minDerivative, &e1);
    b.d0 = pick(s0, set1(1.0f), eq(k, _mm256_setzero_ps()));
    b.d1 = pick(s1, set1(1.0f), eq(k, set1((float)(K - 1))));
    return b;
}

/// SplineLanes.Local's slope (s/D)^2 M and the bin width, at (th, th1).
typedef struct {
    V w, h, n, np, invD, slope;
} Local;

static inline __attribute__((always_inline)) Local local(const Bins *b, V th, V th1) {
    Local l;
    l.w = sub(b->xHi, b->xLo);
    l.h = sub(b->yHi, b->yLo);
    V invW = divv(set1(1.0f), l.w);
    V s = mul(l.h, invW);
    V t = mul(th, th1);
    l.n = add(mul(mul(s, th), th), mul(b->d0, t));                                  // s * th * th + d0 * t
    l.np = add(mul(mul(s, th1), th1), mul(b->d1, t));                               // s * th1 * th1 + d1 * t
    V d = add(l.n, l.np);
    l.invD = divv(set1(1.0f), d);
    V sOverD = divv(s, d);
    // d1 * th * th + 2 * s * t + d0 * th1 * th1
    V m = add(add(mul(mul(b->d1, th), th), mul(mul(set1(2.0f), s), t)), mul(mul(b->d0, th1), th1));
    l.slope = mul(mul(sOverD, sOverD), m);
    return l;
}

static inline __attribute__((always_inline)) void forwardLanes(const caloflow_spline_constants *c, V x, const V *raw, V *ew, V *eh,
                                V *yOut, V *ldOut) {
    V inside = _mm256_and_ps(ge(x, set1(-c->bound)), le(x, set1(c->bound)));
    Bins b = bin(c, x, 0, raw, ew, eh);
    V w = sub(b.xHi, b.xLo);
    V th = divv(sub(x, b.xLo), w), th1 = divv(sub(b.xHi, x), w);
    Local l = local(&b, th, th1);
    V lower = add(b.yLo, mul(mul(l.h, l.n), l.invD));                               // yLo + h * n * invD
    V upper = sub(b.yHi, mul(mul(l.h, l.np), l.invD));                              // yHi - h * np * invD
    V y = pick(upper, lower, le(th, th1));
    V logSlope = vlog(l.slope);
    *yOut = pick(x, y, inside);
    *ldOut = pick(_mm256_setzero_ps(), logSlope, inside);
}

static inline __attribute__((always_inline)) void inverseLanes(const caloflow_spline_constants *c, V y, const V *raw, V *ew, V *eh,
                                V *xOut, V *ldOut) {
    V inside = _mm256_and_ps(ge(y, set1(-c->bound)), le(y, set1(c->bound)));
    Bins b = bin(c, y, 1, raw, ew, eh);
    // SplineLanes.root
    V s = divv(sub(b.yHi, b.yLo), sub(b.xHi, b.xLo));
    V dl = sub(y, b.yLo), dr = sub(b.yHi, y);
    V e = sub(mul(b.d0, dr), mul(b.d1, dl));
    V q = mul(mul(mul(mul(set1(4.0f), s), s), dl), dr);                            // 4 * s * s * dl * dr
    V rt = _mm256_sqrt_ps(add(mul(e, e), q));
    V g = pick(divv(q, sub(rt, e)), add(e, rt), ge(e, _mm256_setzero_ps()));
    V a = mul(mul(set1(2.0f), s), dl);
    V den = add(a, g);
    V th = divv(a, den), th1 = divv(g, den);
    Local l = local(&b, th, th1);
    V x = pick(sub(b.xHi, mul(th1, l.w)), add(b.xLo, mul(th, l.w)), le(th, th1));
    // Negation by the sign bit, as the Swift kernel's flipSign.
    V logSlope = _mm256_xor_ps(vlog(l.slope), set1(-0.0f));
    *xOut = pick(y, x, inside);
    *ldOut = pick(_mm256_setzero_ps(), logSlope, inside);
}

/// The group loop for `K` bins and one direction; with K and `inverse` constants (the
/// specialisations below) the compiler unrolls every loop over the bins.
static inline __attribute__((always_inline)) void mapGroups(const caloflow_spline_constants *c, int K, int inverse,
                                                            const float *inputs, const float *params,
                                                            float *outputs, float *logDerivatives, size_t groups) {
    caloflow_spline_constants k = *c;
    k.bins = K;
    const int m = 3 * K - 1;
    V raw[3 * MAX_BINS - 1], ew[MAX_BINS], eh[MAX_BINS];
    for (size_t g = 0; g < groups; g++) {
        const size_t base = g * 8;
        transpose(params + base * (size_t)m, m, raw);
        V v = _mm256_loadu_ps(inputs + base), out, ld;
        if (inverse) inverseLanes(&k, v, raw, ew, eh, &out, &ld);
        else forwardLanes(&k, v, raw, ew, eh, &out, &ld);
        _mm256_storeu_ps(outputs + base, out);
        _mm256_storeu_ps(logDerivatives + base, ld);
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
