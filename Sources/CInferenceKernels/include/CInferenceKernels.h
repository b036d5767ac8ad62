// Kernels of caloflow's embedding library (CaloInference): the products of a MADE's masked
// layers for a few showers at a time, with the weights in a packed layout that holds only the
// connections of the mask, and a memory-bandwidth probe for `caloflow bench`.
//
// Layout ("prefix-packed"): with the units of every layer ordered by MADE degree, each output
// unit r of a masked layer reads a prefix of its (reordered) inputs, of length len(r). Rows are
// grouped in tiles of four; a tile stores its rows up to the longest of the four, rounded up to a
// multiple of 8 (the padding holds zeros), interleaved in chunks of eight columns:
//     tile t = [row 4t, cols 0..7][row 4t+1, cols 0..7][row 4t+2, 0..7][row 4t+3, 0..7][row 4t, 8..15]...
// so one tile is one contiguous stream of 4 * length values. A last tile with fewer than four
// rows is padded with zero rows that are computed and not written.
//
// Every output is the same sum whatever the batch size and kernel: eight partial sums over
// k = j mod 8 in increasing k (fused multiply-adds), then a fixed pairwise reduction, then
// + (bias + add). So a shower's result does not depend on the showers computed next to it, nor on
// whether the AVX2 or the AVX-512 kernel ran.
#ifndef CALOFLOW_INFERENCE_KERNELS_H
#define CALOFLOW_INFERENCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Weight storage of a packed layer.
enum { CIK_FP32 = 0, CIK_FP16 = 1 };

/// One packed masked linear layer (see the layout above). The pointers are owned by the caller.
typedef struct {
    int32_t rows;               ///< output units
    int32_t tiles;              ///< (rows + 3) / 4
    int32_t precision;          ///< CIK_FP32 or CIK_FP16 (IEEE binary16, converted on load)
    int32_t reserved;
    const int64_t *tileOffset;  ///< element offset of each tile's first weight
    const int32_t *tileLength;  ///< padded input length of each tile (a multiple of 8)
    const void *weights;        ///< float or uint16_t (binary16) values
    const float *bias;          ///< rows values
} cik_layer;

/// y[b][r - 4 tileBegin] = act(bias[r] + add[b][r - 4 tileBegin] + sum_k W[r][k] x[b][k]) for
/// the rows r of tiles tileBegin ..< tileEnd (rows past `rows` are not written) and b < batch.
///
/// - x: batch rows of stride ldx; every entry up to the longest tile length must be finite
///   (padding columns are multiplied by zero weights).
/// - add: NULL, or batch rows of stride ldadd laid out like y.
/// - relu: nonzero applies max(0, .).
void cik_layer_forward(const cik_layer *layer, int32_t tileBegin, int32_t tileEnd,
                       const float *x, size_t ldx, size_t batch,
                       const float *add, size_t ldadd,
                       float *y, size_t ldy, int relu);

/// Converts n floats to IEEE binary16 (round to nearest even); returns the number of values
/// whose magnitude does not fit (they become infinities).
size_t cik_convert_to_fp16(const float *source, uint16_t *destination, size_t n);

/// The kernels' name for reports.
const char *cik_kernel_name(void);

/// Kernels: AVX2 + FMA (this project's x86-64-v3 baseline) always; AVX-512 for passes of 2 to 8
/// showers when the CPU has it (chosen at the first call). Both give bit-identical results.
/// cik_select_kernels(0) forces AVX2 only, (1) AVX-512 where available; returns the choice (1 or 0).
int cik_select_kernels(int avx512);

/// Sums n floats (a multiple of 64; p aligned to 64 bytes) with wide loads: reads the whole
/// buffer once, for measuring memory bandwidth. The result only keeps the reads alive.
float cik_read_all(const float *p, size_t n);

#endif
