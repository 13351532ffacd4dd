// Direct convolution on zero-padded planes: no im2col columns, no packing of the image.
//
// Pad each input plane to Hp × Wp (Hp = H + 2·pad_h, Wp = W + 2·pad_w) and number the output
// positions in the padded width: t = ho·Wp + wo. Then every tap (c, i, j) of the kernel reads the
// padded planes at one constant offset from t,
//
//     y[o][t] = Σ_{c,i,j} w[o][c][i][j] · x[c][t + i·Wp + j]                        (forward)
//
// so a run of consecutive t is a contiguous load for every tap. Positions with wo ≥ Wo wrap into
// the next row: they are computed and thrown away (2 of every 34 columns for a 32-wide image), the
// price of contiguous loads. The micro-kernel holds an 8-channel × TW-position tile of y in
// registers and runs over all C·kh·kw taps: one load of TW positions and 8 broadcast weights per
// tap — a GEMM whose B operand is read in place from the image.
//
// The input gradient of a stride-1 convolution is the same computation (a "full" convolution):
//
//     dx[c][h][w] = Σ_{o,i,j} w[o][c][kh−1−i][kw−1−j] · gy_padded[o][h + i][w + j]
//
// with gy padded by kh−1−pad_h rows and kw−1−pad_w columns, and the weights transposed and
// flipped when they are packed. The weight gradient sums over t instead:
//
//     dw[o][c][i][j] = Σ_n Σ_t gy_spread[n][o][t] · x[n][c][t + i·Wp + j]
//
// where gy_spread holds gy's rows at stride Wp with zeros in the wrapped columns, so the thrown-away
// positions contribute nothing. Its micro-kernel keeps a 4-channel × 6-tap tile of partial sums
// (16 positions per register) and reduces the registers once per call.
//
// A stride-s convolution is a sum of s² stride-1 ones. Split the padded image into its phases,
//
//     x_pq[c][h][w] = x_padded[c][s·h + p][s·w + q]        (0 ≤ p, q < s),
//
// then tap (i, j) = (s·a + p, s·b + q) of the kernel reads x_pq at (ho + a, wo + b): the same
// shifted contiguous loads, with phase (p, q) owning the taps ⌈(kh − p)/s⌉ × ⌈(kw − q)/s⌉. The
// kernels sum the phases into one tile, so nothing is computed at the positions a strided
// convolution skips, and no column matrix is built (the 7×7/2 stem and the 3×3/2 convolutions of
// a ResNet). Stride 1 is the one phase x_00 = x_padded.
//
// As in sgemm.c, only the micro-kernels carry target attributes, chosen at run time.

#include "CamlabKernels.h"
#include "finish.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { BLOCK = 8 };          // output channels per packed weight block
enum { MAX_TILE = 48 };      // widest forward tile (positions)
enum { GRAD_ROWS = 4, GRAD_TAPS = 6 }; // weight-gradient tile
enum { L1_BUDGET = 24 * 1024 }; // bytes of input rows and weights one forward call may touch

// MARK: - Layout helpers

/// Rows or columns of one phase of a padded axis of `padded` floats at stride `stride`.
static long phase_length(long padded, long stride) { return (padded + stride - 1) / stride; }

/// The unpadded image index that phase element h of phase p reads: s·h + p − pad.
static inline long s_index(long h, long stride, long p, long pad) { return stride * h + p - pad; }

long camlab_conv_padded_size(long channels, long height, long width, long pad_h, long pad_w, long stride) {
    const long hq = phase_length(height + 2 * pad_h, stride), wq = phase_length(width + 2 * pad_w, stride);
    // Slack after the last plane: a thrown-away position of the last tile reads at most
    // MAX_TILE + kw − 2 floats past it, and kw ≤ s·Wq.
    return channels * stride * stride * hq * wq + MAX_TILE + stride * wq;
}

// Rows here are short (tens of floats): calls to memcpy/memset cost more than the copies, so these
// loops are kept as loops (no_builtin stops the compiler turning them back into calls).
#define SHORT_COPIES __attribute__((no_builtin("memcpy", "memset")))

SHORT_COPIES static inline void copy_floats(float *target, const float *source, long count) {
    for (long i = 0; i < count; i++) target[i] = source[i];
}

SHORT_COPIES static inline void zero_floats(float *target, long count) {
    for (long i = 0; i < count; i++) target[i] = 0;
}

/// copy_floats where mask is NULL, else source[i] where mask[i] > 0 and 0 elsewhere: a
/// gradient passed back through the ReLU whose output is mask.
SHORT_COPIES static inline void copy_floats_masked(float *restrict target, const float *restrict source,
                                                   const float *restrict mask, long count) {
    if (mask == NULL) {
        copy_floats(target, source, count);
        return;
    }
    // Both loads unconditional, so that the loop vectorizes as a compare and a select.
    for (long i = 0; i < count; i++) {
        const float value = source[i];
        target[i] = mask[i] > 0 ? value : 0;
    }
}

SHORT_COPIES
void camlab_conv_pad(const float *image, const float *mask, long channels, long height, long width,
                     long pad_h, long pad_w, long stride, float *padded) {
    const long total = camlab_conv_padded_size(channels, height, width, pad_h, pad_w, stride);
    if (mask != NULL && stride != 1) abort(); // the backward passes that mask run at stride 1
    if (stride == 1) {
        const long wp = width + 2 * pad_w, hp = height + 2 * pad_h;
        for (long c = 0; c < channels; c++) {
            float *plane = padded + c * hp * wp;
            const float *source = image + c * height * width, *gate = mask ? mask + c * height * width : NULL;
            zero_floats(plane, pad_h * wp);
            for (long h = 0; h < height; h++) {
                float *row = plane + (h + pad_h) * wp;
                zero_floats(row, pad_w);
                copy_floats_masked(row + pad_w, source + h * width, gate ? gate + h * width : NULL, width);
                zero_floats(row + pad_w + width, pad_w);
            }
            zero_floats(plane + (height + pad_h) * wp, pad_h * wp);
        }
        zero_floats(padded + channels * hp * wp, total - channels * hp * wp);
        return;
    }
    // Phase planes of a channel follow each other: [c][p·s + q][Hq][Wq].
    const long hq = phase_length(height + 2 * pad_h, stride), wq = phase_length(width + 2 * pad_w, stride);
    for (long c = 0; c < channels; c++) {
        const float *source = image + c * height * width;
        for (long p = 0; p < stride; p++)
            for (long q = 0; q < stride; q++) {
                float *plane = padded + ((c * stride + p) * stride + q) * hq * wq;
                for (long h = 0; h < hq; h++) {
                    const long row = s_index(h, stride, p, pad_h);
                    float *target = plane + h * wq;
                    if (row < 0 || row >= height) {
                        zero_floats(target, wq);
                        continue;
                    }
                    // Columns w with 0 ≤ s·w + q − pad < width, zeros on either side.
                    const long first = q >= pad_w ? 0 : (pad_w - q + stride - 1) / stride;
                    const long last = width - 1 + pad_w - q < 0 ? -1 : (width - 1 + pad_w - q) / stride;
                    const long end = last + 1 < wq ? last + 1 : wq;
                    const float *from = source + row * width;
                    zero_floats(target, first < wq ? first : wq);
                    for (long w = first; w < end; w++) target[w] = from[s_index(w, stride, q, pad_w)];
                    if (end > first) zero_floats(target + end, wq - end);
                    else if (first < wq) zero_floats(target + first, wq - first);
                }
            }
    }
    zero_floats(padded + channels * stride * stride * hq * wq, total - channels * stride * stride * hq * wq);
}

long camlab_conv_spread_length(long out_height, long padded_width) {
    return (out_height * padded_width + 15) / 16 * 16;
}

long camlab_conv_spread_size(long channels, long out_height, long padded_width) {
    return (channels + GRAD_ROWS - 1) / GRAD_ROWS * GRAD_ROWS
        * camlab_conv_spread_length(out_height, padded_width);
}

SHORT_COPIES
void camlab_conv_spread(const float *gy, const float *mask, long channels, long out_height, long out_width,
                        long padded_width, float *spread, float *sums) {
    const long length = camlab_conv_spread_length(out_height, padded_width);
    for (long o = 0; o < channels; o++) {
        float *target = spread + o * length;
        const float *source = gy + o * out_height * out_width;
        const float *gate = mask ? mask + o * out_height * out_width : NULL;
        for (long h = 0; h < out_height; h++) {
            copy_floats_masked(target + h * padded_width, source + h * out_width, gate ? gate + h * out_width : NULL,
                               out_width);
            zero_floats(target + h * padded_width + out_width, padded_width - out_width);
        }
        zero_floats(target + out_height * padded_width, length - out_height * padded_width);
        if (sums) {
            // The channel's sum, read back from the spread row while it is in cache: 16 lanes
            // of partial sums, then the lanes in order.
            float lanes[16] = {0};
            for (long t = 0; t < length; t += 16)
                for (int lane = 0; lane < 16; lane++) lanes[lane] += target[t + lane];
            float total = 0;
            for (int lane = 0; lane < 16; lane++) total += lanes[lane];
            sums[o] += total;
        }
    }
    const long size = camlab_conv_spread_size(channels, out_height, padded_width);
    zero_floats(spread + channels * length, size - channels * length);
}

long camlab_conv_packed_weights_size(long out_channels, long in_channels, long kh, long kw) {
    return (out_channels + BLOCK - 1) / BLOCK * BLOCK * in_channels * kh * kw;
}

/// Taps of phase (p, q) along an axis of k taps at stride s: i = s·a + p < k.
static long phase_taps(long k, long stride, long p) { return p < k ? (k - p + stride - 1) / stride : 0; }

void camlab_conv_pack_weights(const float *weight, long out_channels, long in_channels,
                              long kh, long kw, long stride, bool adjoint, float *packed) {
    // The convolution computed: `outs` output channels from `ins` input channels.
    const long outs = adjoint ? in_channels : out_channels;
    const long ins = adjoint ? out_channels : in_channels;
    const long blocks = (outs + BLOCK - 1) / BLOCK;
    // [block][phase][c][tap of the phase][r]: a block's weights are contiguous, each phase's
    // channels one after another as the driver walks them.
    for (long block = 0; block < blocks; block++)
        for (long p = 0; p < stride; p++)
            for (long q = 0; q < stride; q++)
                for (long c = 0; c < ins; c++)
                    for (long i = p; i < kh; i += stride)
                        for (long j = q; j < kw; j += stride)
                            for (long r = 0; r < BLOCK; r++) {
                                const long o = block * BLOCK + r;
                                float value = 0;
                                if (o < outs) {
                                    value = adjoint
                                        ? weight[((c * in_channels + o) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
                                        : weight[((o * in_channels + c) * kh + i) * kw + j];
                                }
                                *packed++ = value;
                            }
}

// MARK: - Micro-kernels

// tile[r][0..<width] (+)= Σ_tap w[tap][r] · x[offset(tap) + 0..<width], for the 8 rows of one
// block, added to the tile when `accumulate`. x points at position t0 of the first channel's plane;
// offsets[] holds i·Wp + j for the kh·kw taps of one channel.
typedef void (*direct_kernel)(const float *x, long channels, long plane, const long *offsets,
                              long taps, const float *w, float *tile, int accumulate);

// sums[r][q] += Σ_n Σ_t g[r][t] · x[offset(q) + t] over `images` images, t < length (a multiple
// of 16). g rows are `length` apart, images `g_image` and `x_image` apart.
typedef void (*gradient_kernel)(const float *g, long length, long g_image, const float *const *x,
                                long x_image, long images, long rows, long taps, float *sums);

#if defined(__x86_64__)

__attribute__((target("avx512f"), always_inline))
static inline void direct_avx512_8xV(const int V, const float *x, long channels, long plane,
                                     const long *offsets, long taps, const float *w, float *tile,
                                     int accumulate) {
    __m512 sums[8][3];
    for (int r = 0; r < 8; r++)
        for (int v = 0; v < V; v++)
            sums[r][v] = accumulate ? _mm512_loadu_ps(tile + r * MAX_TILE + 16 * v) : _mm512_setzero_ps();
    for (long c = 0; c < channels; c++, x += plane) {
        for (long tap = 0; tap < taps; tap++, w += 8) {
            const float *source = x + offsets[tap];
            __m512 row[3];
            for (int v = 0; v < V; v++) row[v] = _mm512_loadu_ps(source + 16 * v);
            for (int r = 0; r < 8; r++) {
                const __m512 weight = _mm512_set1_ps(w[r]);
                for (int v = 0; v < V; v++) sums[r][v] = _mm512_fmadd_ps(weight, row[v], sums[r][v]);
            }
        }
    }
    for (int r = 0; r < 8; r++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(tile + r * MAX_TILE + 16 * v, sums[r][v]);
}

__attribute__((target("avx512f")))
static void direct_avx512_8x48(const float *x, long channels, long plane, const long *offsets,
                               long taps, const float *w, float *tile, int accumulate) {
    direct_avx512_8xV(3, x, channels, plane, offsets, taps, w, tile, accumulate);
}

__attribute__((target("avx512f")))
static void direct_avx512_8x32(const float *x, long channels, long plane, const long *offsets,
                               long taps, const float *w, float *tile, int accumulate) {
    direct_avx512_8xV(2, x, channels, plane, offsets, taps, w, tile, accumulate);
}

__attribute__((target("avx512f")))
static void direct_avx512_8x16(const float *x, long channels, long plane, const long *offsets,
                               long taps, const float *w, float *tile, int accumulate) {
    direct_avx512_8xV(1, x, channels, plane, offsets, taps, w, tile, accumulate);
}

// AVX2 has 16 registers. The block's 8 rows run as passes of R rows × 8·V positions with R·V ≤ 12
// accumulators, R broadcast weights and one vector of positions (each loaded once, used R times):
// 2 × 48 for whole tiles, 4 × 16 and 2 × 32 for the narrow last tile of a row of planes. A 4 × 24
// tile would need all 16 registers, and the compiler then spills an accumulator on every tap.
__attribute__((target("avx2,fma"), always_inline))
static inline void direct_avx2_RxV(const int R, const int V, const float *x, long channels, long plane,
                                   const long *offsets, long taps, const float *w, float *tile,
                                   int accumulate) {
    __m256 sums[4][6];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++)
            sums[r][v] = accumulate ? _mm256_loadu_ps(tile + r * MAX_TILE + 8 * v) : _mm256_setzero_ps();
    for (long c = 0; c < channels; c++, x += plane) {
        for (long tap = 0; tap < taps; tap++, w += 8) {
            const float *source = x + offsets[tap];
            __m256 weight[4];
            for (int r = 0; r < R; r++) weight[r] = _mm256_broadcast_ss(w + r);
            for (int v = 0; v < V; v++) {
                const __m256 row = _mm256_loadu_ps(source + 8 * v);
                for (int r = 0; r < R; r++) sums[r][v] = _mm256_fmadd_ps(weight[r], row, sums[r][v]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) _mm256_storeu_ps(tile + r * MAX_TILE + 8 * v, sums[r][v]);
}

#define DIRECT_AVX2(R, V, positions)                                                                  \
    __attribute__((target("avx2,fma")))                                                              \
    static void direct_avx2_##positions(const float *x, long channels, long plane, const long *offsets, \
                                        long taps, const float *w, float *tile, int accumulate) {    \
        for (int first = 0; first < 8; first += R)                                                   \
            direct_avx2_RxV(R, V, x, channels, plane, offsets, taps, w + first, tile + first * MAX_TILE, \
                            accumulate);                                                             \
    }
DIRECT_AVX2(4, 2, 16)
DIRECT_AVX2(2, 4, 32)
DIRECT_AVX2(2, 6, 48)

__attribute__((target("avx512f")))
static void gradient_avx512(const float *g, long length, long g_image, const float *const *x,
                            long x_image, long images, long rows, long taps, float *sums) {
    __m512 acc[GRAD_ROWS][GRAD_TAPS];
    for (int r = 0; r < GRAD_ROWS; r++)
        for (int q = 0; q < GRAD_TAPS; q++) acc[r][q] = _mm512_setzero_ps();
    for (long n = 0; n < images; n++) {
        const float *gn = g + n * g_image;
        const long shift = n * x_image;
        for (long t = 0; t < length; t += 16) {
            __m512 gr[GRAD_ROWS];
            for (int r = 0; r < GRAD_ROWS; r++) gr[r] = _mm512_loadu_ps(gn + r * length + t);
            for (int q = 0; q < GRAD_TAPS; q++) {
                const __m512 xq = _mm512_loadu_ps(x[q] + shift + t);
                for (int r = 0; r < GRAD_ROWS; r++) acc[r][q] = _mm512_fmadd_ps(gr[r], xq, acc[r][q]);
            }
        }
    }
    for (long r = 0; r < rows; r++)
        for (long q = 0; q < taps; q++) sums[r * GRAD_TAPS + q] += _mm512_reduce_add_ps(acc[r][q]);
}

__attribute__((target("avx2,fma")))
static void gradient_avx2(const float *g, long length, long g_image, const float *const *x,
                          long x_image, long images, long rows, long taps, float *sums) {
    // 2 rows × 6 taps at a time: 12 accumulators of the 16 registers.
    for (int half = 0; half < 2; half++) {
        __m256 acc[2][GRAD_TAPS];
        for (int r = 0; r < 2; r++)
            for (int q = 0; q < GRAD_TAPS; q++) acc[r][q] = _mm256_setzero_ps();
        const float *gh = g + 2 * half * length;
        for (long n = 0; n < images; n++) {
            const float *gn = gh + n * g_image;
            const long shift = n * x_image;
            for (long t = 0; t < length; t += 8) {
                const __m256 g0 = _mm256_loadu_ps(gn + t), g1 = _mm256_loadu_ps(gn + length + t);
                for (int q = 0; q < GRAD_TAPS; q++) {
                    const __m256 xq = _mm256_loadu_ps(x[q] + shift + t);
                    acc[0][q] = _mm256_fmadd_ps(g0, xq, acc[0][q]);
                    acc[1][q] = _mm256_fmadd_ps(g1, xq, acc[1][q]);
                }
            }
        }
        for (long r = 0; r < 2 && 2 * half + r < rows; r++)
            for (long q = 0; q < taps; q++) {
                float lanes[8];
                _mm256_storeu_ps(lanes, acc[r][q]);
                float total = 0;
                for (int lane = 0; lane < 8; lane++) total += lanes[lane];
                sums[(2 * half + r) * GRAD_TAPS + q] += total;
            }
    }
}

#endif // __x86_64__

static void direct_portable(const float *x, long channels, long plane, const long *offsets,
                            long taps, const float *w, float *tile, int accumulate) {
    float sums[8][MAX_TILE] = {{0}};
    if (accumulate) memcpy(sums, tile, sizeof sums);
    for (long c = 0; c < channels; c++, x += plane) {
        for (long tap = 0; tap < taps; tap++, w += 8) {
            const float *source = x + offsets[tap];
            for (int r = 0; r < 8; r++)
                for (int p = 0; p < MAX_TILE; p++) sums[r][p] += w[r] * source[p];
        }
    }
    for (int r = 0; r < 8; r++) memcpy(tile + r * MAX_TILE, sums[r], sizeof sums[r]);
}

static void gradient_portable(const float *g, long length, long g_image, const float *const *x,
                              long x_image, long images, long rows, long taps, float *sums) {
    for (long r = 0; r < rows; r++)
        for (long q = 0; q < taps; q++) {
            float lanes[16] = {0};
            for (long n = 0; n < images; n++) {
                const float *gr = g + n * g_image + r * length, *xq = x[q] + n * x_image;
                for (long t = 0; t < length; t += 16)
                    for (int lane = 0; lane < 16; lane++) lanes[lane] += gr[t + lane] * xq[t + lane];
            }
            float total = 0;
            for (int lane = 0; lane < 16; lane++) total += lanes[lane];
            sums[r * GRAD_TAPS + q] += total;
        }
}

// MARK: - Dispatch

typedef struct {
    // direct[v − 1] computes v·step positions; the last, partial tile uses the narrowest that fits.
    direct_kernel direct[3];
    long step;
    gradient_kernel gradient;
} convolution_kernels;

static convolution_kernels chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

// Follows the SGEMM's choice (and its CAMLAB_SGEMM_KERNEL override), so one name describes both.
static void choose(void) {
    const char *name = camlab_sgemm_kernel_name();
    convolution_kernels portable = {{direct_portable, direct_portable, direct_portable}, 16,
                                    gradient_portable};
    chosen = portable;
#if defined(__x86_64__)
    if (strncmp(name, "avx512f", 7) == 0) {
        convolution_kernels avx512 = {{direct_avx512_8x16, direct_avx512_8x32, direct_avx512_8x48}, 16,
                                      gradient_avx512};
        chosen = avx512;
    } else if (strncmp(name, "avx2", 4) == 0) {
        convolution_kernels avx2 = {{direct_avx2_16, direct_avx2_32, direct_avx2_48}, 16, gradient_avx2};
        chosen = avx2;
    }
#endif
}

static const convolution_kernels *kernels(void) {
    pthread_once(&chosen_once, choose);
    return &chosen;
}

// MARK: - Drivers

void camlab_conv_finish(const float *source, float b, const float *residual, bool relu, float *target,
                        long count) {
    finish_row(source, b, residual, relu, target, count);
}

void camlab_conv_direct(const float *padded, long in_channels, long padded_height, long padded_width,
                        long stride, const float *packed, long out_channels, long kh, long kw,
                        long block_first, long block_end, const float *bias, const float *residual,
                        bool relu, float *output) {
    const convolution_kernels *k = kernels();
    const long hq = phase_length(padded_height, stride), wq = phase_length(padded_width, stride);
    const long phase_plane = hq * wq, channel_stride = stride * stride * phase_plane;
    const long out_height = (padded_height - kh) / stride + 1, out_width = (padded_width - kw) / stride + 1;
    const long positions = out_height * wq, taps = kh * kw;
    _Alignas(64) float tile[BLOCK * MAX_TILE];
    const long width = 3 * k->step;

    // Each phase: where its planes start, its taps' offsets, where its weights start in a
    // block, and how many channels one kernel call takes — as many as keep the rows a tile
    // reads and their weights in L1 (the AVX2 kernels read them once per pass), the tile
    // summing over the calls.
    // (On the heap: a 64×64 kernel at stride 64 has 4,096 phases, too many for a thread's stack.)
    const long phases = stride * stride;
    long *const phase_table = malloc(sizeof(long) * (size_t)(4 * phases + taps));
    if (phase_table == NULL) abort();
    long *const phase_taps_count = phase_table, *const phase_weights = phase_table + phases;
    long *const chunk = phase_table + 2 * phases, *const phase_offsets = phase_table + 3 * phases;
    long *const offsets = phase_table + 4 * phases; // each phase's taps one after another
    long weights_so_far = 0, taps_so_far = 0;
    for (long p = 0; p < stride; p++)
        for (long q = 0; q < stride; q++) {
            const long phase = p * stride + q, ta = phase_taps(kh, stride, p), tb = phase_taps(kw, stride, q);
            for (long a = 0; a < ta; a++)
                for (long b = 0; b < tb; b++) offsets[taps_so_far + a * tb + b] = a * wq + b;
            phase_offsets[phase] = taps_so_far;
            taps_so_far += ta * tb;
            phase_taps_count[phase] = ta * tb;
            phase_weights[phase] = weights_so_far;
            weights_so_far += in_channels * ta * tb * BLOCK;
            const long bytes_per_channel = 4 * (width + (ta > 0 ? ta - 1 : 0) * wq + tb) + 4 * BLOCK * ta * tb;
            chunk[phase] = L1_BUDGET / bytes_per_channel > 1 ? L1_BUDGET / bytes_per_channel : 1;
        }

    for (long block = block_first; block < block_end; block++) {
        const float *w = packed + block * BLOCK * in_channels * taps;
        const long rows = out_channels - block * BLOCK < BLOCK ? out_channels - block * BLOCK : BLOCK;
        for (long t0 = 0; t0 < positions; t0 += width) {
            const long end = positions - t0 < width ? positions : t0 + width;
            const direct_kernel kernel = k->direct[(end - t0 + k->step - 1) / k->step - 1];
            int accumulate = 0;
            for (long phase = 0; phase < phases; phase++) {
                const long n = phase_taps_count[phase];
                if (n == 0) continue;
                for (long c0 = 0; c0 < in_channels; c0 += chunk[phase]) {
                    const long count = in_channels - c0 < chunk[phase] ? in_channels - c0 : chunk[phase];
                    kernel(padded + c0 * channel_stride + phase * phase_plane + t0, count, channel_stride,
                           offsets + phase_offsets[phase], n, w + phase_weights[phase] + c0 * n * BLOCK, tile,
                           accumulate);
                    accumulate = 1;
                }
            }
            // Copy the tile's real positions (wo < out_width) into NCHW rows, adding the bias
            // and the residual (and applying the ReLU) on the way.
            for (long t = t0; t < end;) {
                const long ho = t / wq, wo = t - ho * wq;
                const long run = wq - wo < end - t ? wq - wo : end - t;
                const long valid = wo >= out_width ? 0 : (out_width - wo < run ? out_width - wo : run);
                for (long r = 0; r < rows; r++) {
                    const long o = block * BLOCK + r;
                    const float b = bias ? bias[o] : 0.0f;
                    const long at = (o * out_height + ho) * out_width + wo;
                    finish_row(tile + r * MAX_TILE + (t - t0), b, residual ? residual + at : NULL, relu,
                               output + at, valid);
                }
                t += run;
            }
        }
    }
    free(phase_table);
}

void camlab_conv_weight_gradient(const float *padded, long padded_image, const float *spread,
                                 long spread_image, long images, long in_channels,
                                 long padded_height, long padded_width, long out_channels,
                                 long kh, long kw, long length, float *weight_gradient) {
    const convolution_kernels *k = kernels();
    const long plane = padded_height * padded_width, taps = in_channels * kh * kw;
    for (long o0 = 0; o0 < out_channels; o0 += GRAD_ROWS) {
        const long rows = out_channels - o0 < GRAD_ROWS ? out_channels - o0 : GRAD_ROWS;
        // Rows past the last channel are the zero rows camlab_conv_spread adds: the kernel
        // always computes a full tile, and their sums are dropped.
        const float *g = spread + o0 * length;
        for (long q0 = 0; q0 < taps; q0 += GRAD_TAPS) {
            const long count = taps - q0 < GRAD_TAPS ? taps - q0 : GRAD_TAPS;
            const float *x[GRAD_TAPS];
            for (long q = 0; q < GRAD_TAPS; q++) {
                const long tap = q0 + (q < count ? q : count - 1);
                const long c = tap / (kh * kw), i = tap / kw % kh, j = tap % kw;
                x[q] = padded + c * plane + i * padded_width + j;
            }
            float sums[GRAD_ROWS * GRAD_TAPS] = {0};
            k->gradient(g, length, spread_image, x, padded_image, images, rows, count, sums);
            for (long r = 0; r < rows; r++)
                for (long q = 0; q < count; q++)
                    weight_gradient[(o0 + r) * taps + q0 + q] += sums[r * GRAD_TAPS + q];
        }
    }
}
