// Prefix-packed masked-layer products (see CInferenceKernels.h) on AVX2 + FMA + F16C.
#include "CInferenceKernels.h"
#include <immintrin.h>

// Loads eight consecutive weights as floats.
static inline __m256 load_fp32(const void *w, size_t i) { return _mm256_loadu_ps((const float *)w + i); }
static inline __m256 load_fp16(const void *w, size_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)w + i)));
}

// Lane r of the result: the sum of a_r's eight lanes, always in the order
// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
static inline __m128 reduce4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// Writes the four sums of one shower's tile rows: bias + add first, then the product.
static inline void store_rows(__m128 sums, const float *bias, const float *add, float *y, int rows, int relu) {
    float s[4];
    _mm_storeu_ps(s, sums);
    for (int r = 0; r < rows; r++) {
        float v = add ? bias[r] + add[r] : bias[r];
        v = v + s[r];
        y[r] = (relu && !(v > 0)) ? 0.0f : v;
    }
}

// One tile for NB showers (1 to 3): four weight rows against NB input rows, 4 x NB accumulators.
#define TILE_KERNEL(NAME, LOAD, NB)                                                                 \
    static inline void NAME(const void *w, size_t base, size_t length, const float *x, size_t ldx,  \
                            const float *bias, const float *add, size_t ldadd, float *y, size_t ldy, \
                            int rows, int relu) {                                                   \
        __m256 acc[NB][4];                                                                          \
        for (int b = 0; b < NB; b++)                                                                \
            for (int r = 0; r < 4; r++) acc[b][r] = _mm256_setzero_ps();                            \
        for (size_t c = 0; c < length; c += 8) {                                                    \
            const size_t o = base + 4 * c;                                                          \
            const __m256 w0 = LOAD(w, o), w1 = LOAD(w, o + 8), w2 = LOAD(w, o + 16),                \
                         w3 = LOAD(w, o + 24);                                                      \
            for (int b = 0; b < NB; b++) {                                                          \
                const __m256 v = _mm256_loadu_ps(x + b * ldx + c);                                 \
                acc[b][0] = _mm256_fmadd_ps(w0, v, acc[b][0]);                                      \
                acc[b][1] = _mm256_fmadd_ps(w1, v, acc[b][1]);                                      \
                acc[b][2] = _mm256_fmadd_ps(w2, v, acc[b][2]);                                      \
                acc[b][3] = _mm256_fmadd_ps(w3, v, acc[b][3]);                                      \
            }                                                                                       \
        }                                                                                           \
        for (int b = 0; b < NB; b++)                                                                \
            store_rows(reduce4(acc[b][0], acc[b][1], acc[b][2], acc[b][3]), bias,                   \
                       add ? add + b * ldadd : 0, y + b * ldy, rows, relu);                         \
    }

TILE_KERNEL(tile1_fp32, load_fp32, 1)
TILE_KERNEL(tile2_fp32, load_fp32, 2)
TILE_KERNEL(tile3_fp32, load_fp32, 3)
TILE_KERNEL(tile1_fp16, load_fp16, 1)
TILE_KERNEL(tile2_fp16, load_fp16, 2)
TILE_KERNEL(tile3_fp16, load_fp16, 3)

// The same tile on AVX-512 for NB showers (2 to 8): one 512-bit register holds the 8-column
// chunk of rows (0, 1), another that of rows (2, 3), and the shower's 8 inputs are broadcast to
// both halves. Each 256-bit half accumulates exactly what the AVX2 kernel's register for that
// row does, and the halves are reduced by the same `reduce4`, so the results are bit-identical
// to the AVX2 kernel's; with 32 registers a pass covers up to 8 showers, with half the loads
// per multiply-add.
#define TARGET512 __attribute__((target("avx512f,avx512dq,avx512vl,fma,f16c")))
TARGET512 static inline __m512 load16_fp32(const void *w, size_t i) { return _mm512_loadu_ps((const float *)w + i); }
TARGET512 static inline __m512 load16_fp16(const void *w, size_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i)));
}
#define TILE_KERNEL_512(NAME, LOAD, NB)                                                             \
    TARGET512 static void NAME(const void *w, size_t base, size_t length, const float *x, size_t ldx,   \
                               const float *bias, const float *add, size_t ldadd, float *y, size_t ldy, \
                               int rows, int relu) {                                                \
        __m512 lo[NB], hi[NB];                                                                      \
        for (int b = 0; b < NB; b++) { lo[b] = _mm512_setzero_ps(); hi[b] = _mm512_setzero_ps(); }  \
        for (size_t c = 0; c < length; c += 8) {                                                    \
            const size_t o = base + 4 * c;                                                          \
            const __m512 w01 = LOAD(w, o), w23 = LOAD(w, o + 16);                                   \
            for (int b = 0; b < NB; b++) {                                                          \
                const __m512 v = _mm512_broadcast_f32x8(_mm256_loadu_ps(x + b * ldx + c));          \
                lo[b] = _mm512_fmadd_ps(w01, v, lo[b]);                                             \
                hi[b] = _mm512_fmadd_ps(w23, v, hi[b]);                                             \
            }                                                                                       \
        }                                                                                           \
        for (int b = 0; b < NB; b++)                                                                \
            store_rows(reduce4(_mm512_castps512_ps256(lo[b]), _mm512_extractf32x8_ps(lo[b], 1),     \
                               _mm512_castps512_ps256(hi[b]), _mm512_extractf32x8_ps(hi[b], 1)),    \
                       bias, add ? add + b * ldadd : 0, y + b * ldy, rows, relu);                   \
    }

TILE_KERNEL_512(tile2_fp32_512, load16_fp32, 2)
TILE_KERNEL_512(tile4_fp32_512, load16_fp32, 4)
TILE_KERNEL_512(tile8_fp32_512, load16_fp32, 8)
TILE_KERNEL_512(tile2_fp16_512, load16_fp16, 2)
TILE_KERNEL_512(tile4_fp16_512, load16_fp16, 4)
TILE_KERNEL_512(tile8_fp16_512, load16_fp16, 8)

// Which kernels run: 1 = AVX-512 for passes of 2 to 8 showers (AVX2 for single showers, where
// memory bandwidth decides), 0 = AVX2 only. Chosen once from the CPU, or forced by
// cik_select_kernels; both give the same bits.
static _Atomic int kernels = -1;

static int avx512_usable(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

static inline int use512(void) {
    int k = kernels;
    if (k < 0) {
        k = avx512_usable();
        kernels = k;
    }
    return k;
}

int cik_select_kernels(int avx512) {
    kernels = avx512 && avx512_usable() ? 1 : 0;
    return kernels;
}

// Showers per AVX2 pass over a tile: threes, with a remainder of one taken as two twos (a lone
// shower streams the tile from cache for a quarter of the arithmetic of a three).
static inline size_t chunk(size_t left) {
    if (left >= 3 && left != 4) return 3;
    return left >= 2 ? 2 : 1;
}

// Showers per AVX-512 pass: eights, then a four, a two, a one.
static inline size_t chunk512(size_t left) { return left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1; }

// Tiles whose weights stay in the L2 cache while every shower of a large batch passes over them
// (the showers' inputs then come from L1): 256 kB of weights.
static inline int32_t tiles_per_block(size_t length, int fp16) {
    const size_t bytes = 4 * (length ? length : 8) * (fp16 ? 2 : 4);
    const size_t n = (256u << 10) / bytes;
    return n < 1 ? 1 : (int32_t)n;
}

// One tile for showers b0 ..< b0 + nb of the batch.
static inline void run_tile(const cik_layer *layer, int32_t t, int32_t tileBegin, const float *x, size_t ldx,
                            size_t b0, size_t nb, const float *add, size_t ldadd, float *y, size_t ldy, int relu,
                            int fp16, int wide) {
    const void *w = layer->weights;
    const size_t base = (size_t)layer->tileOffset[t], length = (size_t)layer->tileLength[t];
    const int row0 = 4 * t, rows = layer->rows - row0 < 4 ? layer->rows - row0 : 4;
    const size_t column = (size_t)(4 * (t - tileBegin));
    const float *bias = layer->bias + row0;
    for (size_t b = b0; b < b0 + nb;) {
        const size_t left = b0 + nb - b;
        const size_t n = wide && left >= 2 ? chunk512(left) : chunk(left);
        const float *xb = x + b * ldx;
        const float *ab = add ? add + b * ldadd + column : 0;
        float *yb = y + b * ldy + column;
        if (wide && n >= 2) {
            if (fp16) {
                if (n == 8) tile8_fp16_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else if (n == 4) tile4_fp16_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else tile2_fp16_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            } else {
                if (n == 8) tile8_fp32_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else if (n == 4) tile4_fp32_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else tile2_fp32_512(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            }
        } else if (fp16) {
            if (n == 3) tile3_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            else if (n == 2) tile2_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            else tile1_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
        } else {
            if (n == 3) tile3_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            else if (n == 2) tile2_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            else tile1_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
        }
        b += n;
    }
}

void cik_layer_forward(const cik_layer *layer, int32_t tileBegin, int32_t tileEnd,
                       const float *x, size_t ldx, size_t batch,
                       const float *add, size_t ldadd,
                       float *y, size_t ldy, int relu) {
    const int fp16 = layer->precision == CIK_FP16, wide = use512();
    // A few showers: each tile once, all showers on it. Many: blocks of tiles that stay in L2,
    // with the showers in groups of 8 whose inputs stay in L1.
    const size_t group = batch > 16 ? 8 : batch;
    for (int32_t t0 = tileBegin; t0 < tileEnd;) {
        const int32_t span = batch > 16 ? tiles_per_block((size_t)layer->tileLength[t0], fp16) : tileEnd - t0;
        const int32_t t1 = tileEnd - t0 < span ? tileEnd : t0 + span;
        for (size_t b0 = 0; b0 < batch; b0 += group) {
            const size_t nb = batch - b0 < group ? batch - b0 : group;
            for (int32_t t = t0; t < t1; t++)
                run_tile(layer, t, tileBegin, x, ldx, b0, nb, add, ldadd, y, ldy, relu, fp16, wide);
        }
        t0 = t1;
    }
}

const char *cik_kernel_name(void) {
    return use512() ? "avx512 (4 rows x 2-8 showers per tile) and avx2-fma (single showers)"
                    : "avx2-fma (x86-64-v3), 4 rows x 1-3 showers per tile";
}

size_t cik_convert_to_fp16(const float *source, uint16_t *destination, size_t n) {
    size_t overflow = 0;
    for (size_t i = 0; i < n; i++) {
        const float v = source[i];
        if (v > 65504.0f || v < -65504.0f) overflow++;
        destination[i] = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
    }
    return overflow;
}


float cik_read_all(const float *p, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (size_t i = 0; i < n; i += 64) {
        s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
        s4 = _mm256_add_ps(s4, _mm256_load_ps(p + i + 32));
        s5 = _mm256_add_ps(s5, _mm256_load_ps(p + i + 40));
        s6 = _mm256_add_ps(s6, _mm256_load_ps(p + i + 48));
        s7 = _mm256_add_ps(s7, _mm256_load_ps(p + i + 56));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                             _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}
