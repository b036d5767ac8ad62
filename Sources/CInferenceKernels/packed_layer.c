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

// Showers per pass over a tile: threes, with a remainder of one taken as two twos (a lone
// shower streams the tile from cache for a quarter of the arithmetic of a three).
static inline size_t chunk(size_t left) {
    if (left >= 3 && left != 4) return 3;
    return left >= 2 ? 2 : 1;
}

void cik_layer_forward(const cik_layer *layer, int32_t tileBegin, int32_t tileEnd,
                       const float *x, size_t ldx, size_t batch,
                       const float *add, size_t ldadd,
                       float *y, size_t ldy, int relu) {
    const int fp16 = layer->precision == CIK_FP16;
    const void *w = layer->weights;
    for (int32_t t = tileBegin; t < tileEnd; t++) {
        const size_t base = (size_t)layer->tileOffset[t], length = (size_t)layer->tileLength[t];
        const int row0 = 4 * t, rows = layer->rows - row0 < 4 ? layer->rows - row0 : 4;
        const size_t column = (size_t)(4 * (t - tileBegin));
        const float *bias = layer->bias + row0;
        for (size_t b = 0; b < batch;) {
            const size_t nb = chunk(batch - b);
            const float *xb = x + b * ldx;
            const float *ab = add ? add + b * ldadd + column : 0;
            float *yb = y + b * ldy + column;
            if (fp16) {
                if (nb == 3) tile3_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else if (nb == 2) tile2_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else tile1_fp16(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            } else {
                if (nb == 3) tile3_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else if (nb == 2) tile2_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
                else tile1_fp32(w, base, length, xb, ldx, bias, ab, ldadd, yb, ldy, rows, relu);
            }
            b += nb;
        }
    }
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

const char *cik_kernel_name(void) { return "avx2-fma (x86-64-v3), 4 rows x 1-3 showers per tile"; }

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
