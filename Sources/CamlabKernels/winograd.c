// Winograd's minimal filtering, F(4×4, 3×3), for 3×3 stride-1 convolutions in inference.
//
// Each 4×4 block of outputs ("tile") of one channel pair (k, c) reads a 6×6 patch d of the padded
// input, and (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015)
//
//     y_tile = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A           summed over c inside the brackets,
//
//           ⎡4  0 −5  0  1  0⎤         ⎡ 1/4    0     0 ⎤
//           ⎢0 −4 −4  1  1  0⎥         ⎢−1/6  −1/6  −1/6⎥         ⎡1 1  1 1  1 0⎤
//     Bᵀ =  ⎢0  4 −4 −1  1  0⎥    G =  ⎢−1/6   1/6  −1/6⎥    Aᵀ = ⎢0 1 −1 2 −2 0⎥
//           ⎢0 −2 −1  2  1  0⎥         ⎢1/24  1/12   1/6⎥         ⎢0 1  1 4  4 0⎥
//           ⎢0  2 −1 −2  1  0⎥         ⎢1/24 −1/12   1/6⎥         ⎣0 1 −1 8 −8 1⎦
//           ⎣0  4  0 −5  0  1⎦         ⎣  0     0     1 ⎦
//
// so the sum over input channels is 36 independent matrix products, one per element ξ of the 6×6
// transformed patch:  M_ξ[k][p] = Σ_c U_ξ[k][c] · V_ξ[c][p], with U = G g Gᵀ (the weights,
// transformed and packed once), V = Bᵀ d B (the image, per tile p) and M turned back into
// outputs by Aᵀ · A. That is 36 multiply-adds per tile and channel pair where the direct
// convolution does 144: the products run on the SGEMM, 4 times fewer of them, and the transformed
// image and products are 2.25 floats per output. The transforms scale by small integers (and the
// weights' by sixths, computed in double), so the result differs from the direct sum by rounding
// alone, and its bits do not depend on the number of threads.
//
// Tiles are numbered across images and rows, p = (n·tiles_high + ty)·tiles_wide + tx, and a
// caller transforms a chunk of consecutive tiles at a time; these functions handle the chunk's
// tiles of one image, tile row by tile row.

#include "CamlabKernels.h"
#include "finish.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

long camlab_winograd_weights_size(long out_channels, long in_channels) {
    return CAMLAB_WINOGRAD_PLANES * camlab_sgemm_packed_a_size(out_channels, in_channels);
}

/// G v for a column v of three taps.
static void apply_g(const double v[3], double out[6]) {
    out[0] = v[0] / 4;
    out[1] = -(v[0] + v[1] + v[2]) / 6;
    out[2] = -(v[0] - v[1] + v[2]) / 6;
    out[3] = v[0] / 24 + v[1] / 12 + v[2] / 6;
    out[4] = v[0] / 24 - v[1] / 12 + v[2] / 6;
    out[5] = v[2];
}

void camlab_winograd_pack_weights(const float *weight, long out_channels, long in_channels, float *packed) {
    const long plane = out_channels * in_channels;
    float *u = malloc((size_t)(CAMLAB_WINOGRAD_PLANES * plane) * sizeof(float));
    if (u == NULL) abort();
    for (long k = 0; k < out_channels; k++) {
        for (long c = 0; c < in_channels; c++) {
            const float *g = weight + (k * in_channels + c) * 9;
            double t[3][6]; // (G g)ᵀ: column j of g transformed, for each j
            for (int j = 0; j < 3; j++) apply_g((const double[3]){g[j], g[3 + j], g[6 + j]}, t[j]);
            for (int i = 0; i < 6; i++) { // (G g) Gᵀ, row i
                double row[6];
                apply_g((const double[3]){t[0][i], t[1][i], t[2][i]}, row);
                for (int j = 0; j < 6; j++) u[(6 * i + j) * plane + k * in_channels + c] = (float)row[j];
            }
        }
    }
    const long size = camlab_sgemm_packed_a_size(out_channels, in_channels);
    for (long xi = 0; xi < CAMLAB_WINOGRAD_PLANES; xi++) {
        camlab_sgemm_pack_a(out_channels, in_channels, u + xi * plane, in_channels, false, packed + xi * size);
    }
    free(u);
}

// The transforms run on blocks of 16 tiles as vectors of 16 floats (one zmm, two ymm or four xmm,
// whatever the target), so their loops have no scalar remainders: they read zeros and write up to
// 15 tiles past a segment, into the next segment's columns (written after, by the same call) or the
// slack the caller leaves after a chunk. Tile t of a block reads columns 4t … 4t + 5 of a padded
// row: every fourth of the 64 floats at 4·t0, and the first two of every four at 4·t0 + 4.
typedef float v16 __attribute__((vector_size(64), aligned(4), may_alias));
enum { LANES = 16 };

// Unaligned 16-float loads and stores (macros, not functions: a v16 argument outside the
// targets' functions would be passed in memory).
#define load16(p) (*(const v16 *)(p))
#define store16(p, value) (*(v16 *)(p) = (value))
#define EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)

// The first and last 16 of a and b interleaved: a0 b0 a1 b1 …
#define LOW(a, b) __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define HIGH(a, b) __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)

// Bᵀ applied to six values (rows or columns of a patch), and Aᵀ to six of a product.
#define B_T(d, o)                                                                                        \
    do {                                                                                                 \
        (o)[0] = (4 * (d)[0] - 5 * (d)[2]) + (d)[4];                                                     \
        (o)[1] = ((d)[3] + (d)[4]) - 4 * ((d)[1] + (d)[2]);                                              \
        (o)[2] = 4 * ((d)[1] - (d)[2]) + ((d)[4] - (d)[3]);                                              \
        (o)[3] = 2 * ((d)[3] - (d)[1]) + ((d)[4] - (d)[2]);                                              \
        (o)[4] = 2 * ((d)[1] - (d)[3]) + ((d)[4] - (d)[2]);                                              \
        (o)[5] = (4 * (d)[1] - 5 * (d)[3]) + (d)[5];                                                     \
    } while (0)
#define A_T(m, y)                                                                                        \
    do {                                                                                                 \
        const v16 sum12 = (m)[1] + (m)[2], difference12 = (m)[1] - (m)[2];                              \
        const v16 sum34 = (m)[3] + (m)[4], difference34 = (m)[3] - (m)[4];                              \
        (y)[0] = ((m)[0] + sum12) + sum34;                                                               \
        (y)[1] = difference12 + 2 * difference34;                                                        \
        (y)[2] = sum12 + 4 * sum34;                                                                      \
        (y)[3] = (difference12 + 8 * difference34) + (m)[5];                                             \
    } while (0)

static inline long round_up(long n) { return (n + LANES - 1) / LANES * LANES; }

/// Floats of one padded input row (or output row): every block of the row, and the 68 columns a
/// block starting at the last tile reads.
static long row_length(long tiles_wide) { return 4 * round_up(tiles_wide) + 5 * LANES; }

long camlab_winograd_scratch_size(long tiles_wide, long tiles) {
    const long rows = 4 * (tiles / tiles_wide + 2) + 2; // the padded rows of the tile rows a call touches
    return (rows + 1 + 6) * row_length(tiles_wide);     // and a row of zeros, and Bᵀ d of one tile row
}

__attribute__((always_inline)) static inline void input_body(
    const float *image, long channel_first, long channel_end, long height, long width, long pad,
    long tiles_wide, long tile_first, long tile_end, float *v, long ldv, long plane_stride, float *scratch) {
    const long length = row_length(tiles_wide);
    const long ty_first = tile_first / tiles_wide, ty_last = (tile_end - 1) / tiles_wide;
    const long rows = 4 * (ty_last - ty_first) + 6;
    // Padded rows: zero once; each channel then copies its image rows between the zeros.
    const v16 zero = {0};
    for (long x = 0; x < (rows + 1) * length; x += LANES) store16(scratch + x, zero);
    const float *zeros = scratch + rows * length;
    float *columns = scratch + (rows + 1) * length; // Bᵀ d: row i of every tile of a tile row
    for (long c = channel_first; c < channel_end; c++) {
        const float *plane = image + c * height * width;
        // The next channel's rows are short runs far apart, which the hardware does not fetch
        // ahead: ask for them while this channel is transformed.
        if (c + 1 < channel_end) {
            const long y0 = 4 * ty_first - pad < 0 ? 0 : 4 * ty_first - pad;
            const long y1 = 4 * ty_first + rows - pad > height ? height : 4 * ty_first + rows - pad;
            const char *next = (const char *)(plane + height * width + y0 * width);
            for (long byte = 0; byte < (y1 - y0) * width * (long)sizeof(float); byte += 64) __builtin_prefetch(next + byte);
        }
        for (long r = 0; r < rows; r++) {
            const long y = 4 * ty_first + r - pad;
            if (y < 0 || y >= height) continue;
            float *row = scratch + r * length + pad;
            const float *source = plane + y * width;
            long x = 0;
            for (; x + LANES <= width; x += LANES) store16(row + x, load16(source + x));
            for (; x < width; x++) row[x] = source[x];
        }
        for (long ty = ty_first; ty <= ty_last; ty++) {
            const long first = ty == ty_first ? tile_first % tiles_wide : 0;
            const long end = ty == ty_last ? tile_end - ty_last * tiles_wide : tiles_wide;
            const float *d[6];
            for (int i = 0; i < 6; i++) {
                const long r = 4 * (ty - ty_first) + i, y = 4 * ty_first + r - pad;
                d[i] = y < 0 || y >= height ? zeros : scratch + r * length;
            }
            // Bᵀ d down the columns, for every column the blocks below read (the last block's
            // tiles end at 4·last + 64, and its columns 4t + 4 and 4t + 5 are read 4 further).
            const long last = first + (end - 1 - first) / LANES * LANES;
            for (long x = 4 * first / LANES * LANES; x < 4 * last + 5 * LANES; x += LANES) {
                v16 a[6], o[6];
                for (int i = 0; i < 6; i++) a[i] = load16(d[i] + x);
                B_T(a, o);
                for (int i = 0; i < 6; i++) store16(columns + i * length + x, o[i]);
            }
            float *out = v + c * ldv + (ty * tiles_wide + first - tile_first);
            for (long t = first; t < end; t += LANES, out += LANES) {
                // (Bᵀ d) B along each row: columns 4t + j of the block's tiles, j = 0 … 5.
                for (int i = 0; i < 6; i++) {
                    const float *row = columns + i * length + 4 * t;
                    v16 a[4], b[4]; // the 64 floats at 4t, and at 4t + 4
                    for (int q = 0; q < 4; q++) a[q] = load16(row + q * LANES), b[q] = load16(row + 4 + q * LANES);
                    const v16 e01 = EVEN(a[0], a[1]), o01 = ODD(a[0], a[1]), e23 = EVEN(a[2], a[3]), o23 = ODD(a[2], a[3]);
                    const v16 f01 = EVEN(b[0], b[1]), p01 = ODD(b[0], b[1]), f23 = EVEN(b[2], b[3]), p23 = ODD(b[2], b[3]);
                    const v16 column[6] = {EVEN(e01, e23), EVEN(o01, o23), ODD(e01, e23), ODD(o01, o23),
                                           EVEN(f01, f23), EVEN(p01, p23)};
                    v16 transformed[6];
                    B_T(column, transformed);
                    for (int j = 0; j < 6; j++) store16(out + (6 * i + j) * plane_stride, transformed[j]);
                }
            }
        }
    }
}

__attribute__((always_inline)) static inline bool output_body(
    const float *m, long ldm, long plane_stride, long channel_first, long channel_end, long tiles_wide,
    long tile_first, long tile_end, long out_height, long out_width, const float *bias, const float *residual,
    bool relu, float *output, float *scratch) {
    const long plane = out_height * out_width, length = row_length(tiles_wide);
    float *rows[4] = {scratch, scratch + length, scratch + 2 * length, scratch + 3 * length};
    const long ty_first = tile_first / tiles_wide, ty_last = (tile_end - 1) / tiles_wide;
    v16 infinite = {0}; // y − y: 0 for a finite y, NaN for ±∞ and NaN
    for (long k = channel_first; k < channel_end; k++) {
        const float b = bias ? bias[k] : 0;
        for (long ty = ty_first; ty <= ty_last; ty++) {
            const long first = ty == ty_first ? tile_first % tiles_wide : 0;
            const long end = ty == ty_last ? tile_end - ty_last * tiles_wide : tiles_wide;
            const float *in = m + k * ldm + (ty * tiles_wide + first - tile_first);
            for (long t = 0; t < end - first; t += LANES) {
                v16 s[4][6]; // Aᵀ m, column by column
                for (int j = 0; j < 6; j++) {
                    v16 x[6], y[4];
                    for (int i = 0; i < 6; i++) x[i] = load16(in + (6 * i + j) * plane_stride + t);
                    A_T(x, y);
                    for (int r = 0; r < 4; r++) s[r][j] = y[r];
                }
                for (int r = 0; r < 4; r++) { // (Aᵀ m) A, row r: tile t's outputs 4t … 4t + 3, interleaved
                    v16 q[4];
                    A_T(s[r], q);
                    infinite += ((q[0] - q[0]) + (q[1] - q[1])) + ((q[2] - q[2]) + (q[3] - q[3]));
                    const v16 low02 = LOW(q[0], q[2]), high02 = HIGH(q[0], q[2]);
                    const v16 low13 = LOW(q[1], q[3]), high13 = HIGH(q[1], q[3]);
                    float *row = rows[r] + 4 * t;
                    store16(row, LOW(low02, low13));
                    store16(row + LANES, HIGH(low02, low13));
                    store16(row + 2 * LANES, LOW(high02, high13));
                    store16(row + 3 * LANES, HIGH(high02, high13));
                }
            }
            // The last write, inlined for this target.
            const long x0 = 4 * first, count = (4 * end < out_width ? 4 * end : out_width) - x0;
            for (int r = 0; r < 4 && 4 * ty + r < out_height; r++) {
                const long at = k * plane + (4 * ty + r) * out_width + x0;
                finish_row(rows[r], b, residual ? residual + at : NULL, relu, output + at, count);
            }
        }
    }
    for (int lane = 0; lane < LANES; lane++)
        if (infinite[lane] != 0) return false;
    return true;
}

typedef void (*input_transform)(const float *, long, long, long, long, long, long, long, long, float *, long,
                                long, float *);
typedef bool (*output_transform)(const float *, long, long, long, long, long, long, long, long, long,
                                 const float *, const float *, bool, float *, float *);

#define TRANSFORMS(suffix, attributes)                                                                    \
    attributes static void input_##suffix(const float *image, long cf, long ce, long h, long w, long pad,   \
                                          long tw, long first, long end, float *v, long ldv, long ps,       \
                                          float *scratch) {                                                  \
        input_body(image, cf, ce, h, w, pad, tw, first, end, v, ldv, ps, scratch);                          \
    }                                                                                                        \
    attributes static bool output_##suffix(const float *m, long ldm, long ps, long kf, long ke, long tw,    \
                                           long first, long end, long oh, long ow, const float *bias,       \
                                           const float *residual, bool relu, float *output, float *scratch) { \
        return output_body(m, ldm, ps, kf, ke, tw, first, end, oh, ow, bias, residual, relu, output, scratch); \
    }

TRANSFORMS(portable, __attribute__((no_builtin("memcpy", "memset"))))
#if defined(__x86_64__)
TRANSFORMS(avx512, __attribute__((target("avx512f"), no_builtin("memcpy", "memset"))))
TRANSFORMS(avx2, __attribute__((target("avx2,fma"), no_builtin("memcpy", "memset"))))
#endif

static input_transform chosen_input = input_portable;
static output_transform chosen_output = output_portable;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

// Follows the SGEMM's choice of vector width (and its CAMLAB_SGEMM_KERNEL override).
static void choose(void) {
#if defined(__x86_64__)
    const char *name = camlab_sgemm_kernel_name();
    if (strncmp(name, "avx512f", 7) == 0) {
        chosen_input = input_avx512;
        chosen_output = output_avx512;
    } else if (strncmp(name, "avx2", 4) == 0) {
        chosen_input = input_avx2;
        chosen_output = output_avx2;
    }
#endif
}

void camlab_winograd_input(const float *image, long channel_first, long channel_end, long height, long width,
                           long pad, long tiles_wide, long tile_first, long tile_end, float *v, long ldv,
                           long plane_stride, float *scratch) {
    pthread_once(&chosen_once, choose);
    chosen_input(image, channel_first, channel_end, height, width, pad, tiles_wide, tile_first, tile_end, v, ldv,
                 plane_stride, scratch);
}

bool camlab_winograd_output(const float *m, long ldm, long plane_stride, long channel_first, long channel_end,
                            long tiles_wide, long tile_first, long tile_end, long out_height, long out_width,
                            const float *bias, const float *residual, bool relu, float *output, float *scratch) {
    pthread_once(&chosen_once, choose);
    return chosen_output(m, ldm, plane_stride, channel_first, channel_end, tiles_wide, tile_first, tile_end, out_height,
                  out_width, bias, residual, relu, output, scratch);
}
