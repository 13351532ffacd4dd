// Winograd's minimal filtering, F(2×2, 3×3), for 3×3 stride-1 convolutions in inference.
//
// Each 2×2 block of outputs ("tile") of one channel pair (k, c) reads a 4×4 patch d of the padded
// input, and (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015)
//
//     y_tile = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A           summed over c inside the brackets,
//
//           ⎡1  0 −1  0⎤          ⎡ 1   0   0 ⎤
//     Bᵀ =  ⎢0  1  1  0⎥    G =   ⎢1/2 1/2 1/2⎥    Aᵀ = ⎡1 1  1  0⎤
//           ⎢0 −1  1  0⎥          ⎢1/2 −1/2 1/2⎥         ⎣0 1 −1 −1⎦
//           ⎣0  1  0 −1⎦          ⎣ 0   0   1 ⎦
//
// so the sum over input channels is 16 independent matrix products, one per element ξ of the 4×4
// transformed patch:  M_ξ[k][p] = Σ_c U_ξ[k][c] · V_ξ[c][p], with U = G g Gᵀ (the weights,
// transformed and packed once), V = Bᵀ d B (the image, per tile p) and M turned back into
// outputs by Aᵀ · A. That is 16 multiply-adds per tile and channel pair where the direct
// convolution does 36: the products run on the SGEMM, 2.25 times fewer of them. The transforms
// only add, subtract and halve, so the result differs from the direct sum by rounding alone
// (a few units in the last place), and its bits do not depend on the number of threads.
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
    return 16 * camlab_sgemm_packed_a_size(out_channels, in_channels);
}

void camlab_winograd_pack_weights(const float *weight, long out_channels, long in_channels, float *packed) {
    const long plane = out_channels * in_channels;
    float *u = malloc((size_t)(16 * plane) * sizeof(float));
    if (u == NULL) abort();
    for (long k = 0; k < out_channels; k++) {
        for (long c = 0; c < in_channels; c++) {
            const float *g = weight + (k * in_channels + c) * 9;
            float t[4][3]; // G g
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            for (int i = 0; i < 4; i++) { // (G g) Gᵀ
                float *row = u + (4 * i) * plane + k * in_channels + c;
                row[0] = t[i][0];
                row[plane] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                row[2 * plane] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                row[3 * plane] = t[i][2];
            }
        }
    }
    const long size = camlab_sgemm_packed_a_size(out_channels, in_channels);
    for (long xi = 0; xi < 16; xi++) {
        camlab_sgemm_pack_a(out_channels, in_channels, u + xi * plane, in_channels, false, packed + xi * size);
    }
    free(u);
}

// The transforms run on blocks of 16 tiles as vectors of 16 floats (one zmm, two ymm or four xmm,
// whatever the target), so their loops have no scalar remainders: they read zeros and write up to
// 15 tiles past a segment, into the next segment's columns (written after, by the same call) or the
// slack the caller leaves after a chunk. Tile t of a block reads columns 2t … 2t + 3 of a padded
// row: the even and odd elements of the 32 floats at 2·t0 and of the 32 at 2·t0 + 2.
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

static inline long round_up(long n) { return (n + LANES - 1) / LANES * LANES; }

/// Floats of one padded input row (or two output rows): every block of the row, and one more.
static long row_length(long tiles_wide) { return 2 * round_up(tiles_wide) + 4 * LANES; }

long camlab_winograd_scratch_size(long tiles_wide, long tiles) {
    const long rows = 2 * (tiles / tiles_wide + 2) + 2; // the padded rows of the tile rows a call touches
    return (rows + 1) * row_length(tiles_wide); // and a row of zeros
}

__attribute__((always_inline)) static inline void input_body(
    const float *image, long channel_first, long channel_end, long height, long width, long pad,
    long tiles_wide, long tile_first, long tile_end, float *v, long ldv, long plane_stride, float *scratch) {
    const long length = row_length(tiles_wide);
    const long ty_first = tile_first / tiles_wide, ty_last = (tile_end - 1) / tiles_wide;
    const long rows = 2 * (ty_last - ty_first) + 4;
    // Padded rows: zero once; each channel then copies its image rows between the zeros.
    const v16 zero = {0};
    for (long x = 0; x < (rows + 1) * length; x += LANES) store16(scratch + x, zero);
    const float *zeros = scratch + rows * length;
    for (long c = channel_first; c < channel_end; c++) {
        const float *plane = image + c * height * width;
        // The next channel's rows are short runs far apart, which the hardware does not fetch
        // ahead: ask for them while this channel is transformed.
        if (c + 1 < channel_end) {
            const long y0 = 2 * ty_first - pad < 0 ? 0 : 2 * ty_first - pad;
            const long y1 = 2 * ty_first + rows - pad > height ? height : 2 * ty_first + rows - pad;
            const char *next = (const char *)(plane + height * width + y0 * width);
            for (long byte = 0; byte < (y1 - y0) * width * (long)sizeof(float); byte += 64) __builtin_prefetch(next + byte);
        }
        for (long r = 0; r < rows; r++) {
            const long y = 2 * ty_first + r - pad;
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
            const float *d[4];
            for (int i = 0; i < 4; i++) {
                const long r = 2 * (ty - ty_first) + i, y = 2 * ty_first + r - pad;
                d[i] = y < 0 || y >= height ? zeros : scratch + r * length;
            }
            float *out = v + c * ldv + (ty * tiles_wide + first - tile_first);
            for (long t = first; t < end; t += LANES, out += LANES) {
                v16 a[4], b[4], an[4], bn[4];
                for (int i = 0; i < 4; i++) {
                    a[i] = load16(d[i] + 2 * t), b[i] = load16(d[i] + 2 * t + LANES);
                    an[i] = load16(d[i] + 2 * t + 2), bn[i] = load16(d[i] + 2 * t + 2 + LANES);
                }
                // Bᵀ d, down the columns, then each row's columns 2t, 2t + 1 (E, O) and 2t + 2, 2t + 3 (En, On).
                const v16 va[4] = {a[0] - a[2], a[1] + a[2], a[2] - a[1], a[1] - a[3]};
                const v16 vb[4] = {b[0] - b[2], b[1] + b[2], b[2] - b[1], b[1] - b[3]};
                const v16 van[4] = {an[0] - an[2], an[1] + an[2], an[2] - an[1], an[1] - an[3]};
                const v16 vbn[4] = {bn[0] - bn[2], bn[1] + bn[2], bn[2] - bn[1], bn[1] - bn[3]};
                // (Bᵀ d) B, along the rows: element (i, j) goes to plane 4i + j.
                for (int i = 0; i < 4; i++) {
                    const v16 e = EVEN(va[i], vb[i]), o = ODD(va[i], vb[i]);
                    const v16 en = EVEN(van[i], vbn[i]), on = ODD(van[i], vbn[i]);
                    store16(out + (4 * i) * plane_stride, e - en);
                    store16(out + (4 * i + 1) * plane_stride, o + en);
                    store16(out + (4 * i + 2) * plane_stride, en - o);
                    store16(out + (4 * i + 3) * plane_stride, o - on);
                }
            }
        }
    }
}

__attribute__((always_inline)) static inline bool output_body(
    const float *m, long ldm, long plane_stride, long channel_first, long channel_end, long tiles_wide,
    long tile_first, long tile_end, long out_height, long out_width, const float *bias, const float *residual,
    bool relu, float *output, float *scratch) {
    const long plane = out_height * out_width;
    float *rows[2] = {scratch, scratch + row_length(tiles_wide)};
    const long ty_first = tile_first / tiles_wide, ty_last = (tile_end - 1) / tiles_wide;
    v16 infinite = {0}; // y − y: 0 for a finite y, NaN for ±∞ and NaN
    for (long k = channel_first; k < channel_end; k++) {
        const float b = bias ? bias[k] : 0;
        for (long ty = ty_first; ty <= ty_last; ty++) {
            const long first = ty == ty_first ? tile_first % tiles_wide : 0;
            const long end = ty == ty_last ? tile_end - ty_last * tiles_wide : tiles_wide;
            const float *in = m + k * ldm + (ty * tiles_wide + first - tile_first);
            for (long t = 0; t < end - first; t += LANES) {
                v16 x[16], s0[4], s1[4];
                for (int i = 0; i < 16; i++) x[i] = load16(in + i * plane_stride + t);
                for (int j = 0; j < 4; j++) { // Aᵀ m, column by column
                    s0[j] = (x[j] + x[4 + j]) + x[8 + j];
                    s1[j] = (x[4 + j] - x[8 + j]) - x[12 + j];
                }
                const v16 y00 = (s0[0] + s0[1]) + s0[2], y01 = (s0[1] - s0[2]) - s0[3];
                const v16 y10 = (s1[0] + s1[1]) + s1[2], y11 = (s1[1] - s1[2]) - s1[3];
                infinite += ((y00 - y00) + (y01 - y01)) + ((y10 - y10) + (y11 - y11));
                store16(rows[0] + 2 * t, LOW(y00, y01));
                store16(rows[0] + 2 * t + LANES, HIGH(y00, y01));
                store16(rows[1] + 2 * t, LOW(y10, y11));
                store16(rows[1] + 2 * t + LANES, HIGH(y10, y11));
            }
            // The last write, inlined for this target.
            const long x0 = 2 * first, count = (2 * end < out_width ? 2 * end : out_width) - x0;
            for (int r = 0; r < 2 && 2 * ty + r < out_height; r++) {
                const long at = k * plane + (2 * ty + r) * out_width + x0;
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
