// CamlabKernels: the one piece of camlab written in C — a single-threaded, packed,
// cache-blocked SGEMM, a direct convolution (strided ones as a sum of phases) and Winograd
// F(4×4, 3×3)'s transforms, with runtime CPU dispatch.
// Threads are added on the Swift side.
#ifndef CAMLAB_KERNELS_H
#define CAMLAB_KERNELS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`. Row-major, single-threaded.
/// op(A) is m×k: A is m×k with leading dimension lda, or k×m when `transpose_a`.
/// op(B) is k×n: B is k×n with leading dimension ldb, or n×k when `transpose_b`.
/// C is m×n with leading dimension ldc. Any of m, n, k may be 0 (k = 0 gives C = 0 or C unchanged).
void camlab_sgemm(long m, long n, long k,
                  const float *a, long lda, bool transpose_a,
                  const float *b, long ldb, bool transpose_b,
                  float *c, long ldc, bool accumulate);

/// Floats of op(A) (m×k) packed once by camlab_sgemm_pack_a.
long camlab_sgemm_packed_a_size(long m, long k);

/// Packs op(A), m×k, for camlab_sgemm_prepacked: for an A that many products share.
void camlab_sgemm_pack_a(long m, long k, const float *a, long lda, bool transpose_a, float *packed);

/// C = op(A)·B (B k×n, not transposed) with op(A) packed beforehand: rows
/// first_row..<first_row + m of an A of packed_rows rows (first_row a multiple of the
/// micro-tile's rows). Then C[i][j] = (C[i][j] + bias[i]) + residual[i·ldc + j] and max(0, ·)
/// when `relu` (bias and residual may be NULL), applied to each tile of C as the last depth
/// block writes it: a convolution's last write, while the tile is still in L1.
void camlab_sgemm_prepacked(long m, long n, long k, const float *packed_a, long packed_rows, long first_row,
                            const float *b, long ldb, float *c, long ldc,
                            const float *bias, const float *residual, bool relu);

/// The micro-tile (rows × columns of C) of the kernel chosen for this CPU. Callers that split C
/// across threads align their blocks to it so no thread computes padded edge tiles needlessly.
void camlab_sgemm_micro_tile(long *rows, long *columns);

/// Name of the kernel chosen for this CPU: "avx512f 8x48", "avx2+fma 6x16" or "portable 4x16".
const char *camlab_sgemm_kernel_name(void);

/// Fused multiply-adds per second one core sustains with the chosen kernel's vectors (12
/// independent chains of `iterations` FMAs): the machine's measured peak, for benchmarks.
double camlab_fma_peak_flops(long iterations);

// MARK: Direct convolution (convolution.c)

/// Floats of `channels` planes padded to (height + 2·pad_h) × (width + 2·pad_w) and split into
/// stride² phases (each ⌈padded/stride⌉ on both axes), plus the slack the kernels may read past
/// the last plane.
long camlab_conv_padded_size(long channels, long height, long width, long pad_h, long pad_w, long stride);

/// Copies an image [channels][height][width] into zero-padded planes, each split into its
/// stride² phases [c][p·stride + q][h][w] = padded[c][stride·h + p][stride·w + q] (stride 1:
/// the padded planes themselves), and zeroes the slack. With a mask (the image's shape; stride 1
/// only; may be NULL), only the elements where mask > 0 are copied, the others are 0: a gradient
/// passed back through the ReLU whose output is mask.
void camlab_conv_pad(const float *image, const float *mask, long channels, long height, long width,
                     long pad_h, long pad_w, long stride, float *padded);

/// Floats of the packed weights of a convolution with `out_channels` outputs (blocks of 8).
long camlab_conv_packed_weights_size(long out_channels, long in_channels, long kh, long kw);

/// Packs OIHW weights [out_channels][in_channels][kh][kw] for camlab_conv_direct at `stride`.
/// With `adjoint` (stride 1 only) the packed convolution maps out_channels to in_channels with
/// flipped taps: the input gradient.
void camlab_conv_pack_weights(const float *weight, long out_channels, long in_channels,
                              long kh, long kw, long stride, bool adjoint, float *packed);

/// output[o][ho][wo] = Σ_{c,i,j} w[o][c][i][j] · x[c][stride·ho + i][stride·wo + j] (+ bias[o])
/// (+ residual[o][ho][wo]) for the output channels of weight blocks block_first..<block_end (8
/// channels each), then max(0, ·) when `relu`, where x is the padded image of padded_height ×
/// padded_width that camlab_conv_pad laid out in phases. Output (and residual) is
/// [out_channels][(padded_height − kh)/stride + 1][(padded_width − kw)/stride + 1]; bias and
/// residual may be NULL.
void camlab_conv_direct(const float *padded, long in_channels, long padded_height, long padded_width,
                        long stride, const float *packed, long out_channels, long kh, long kw,
                        long block_first, long block_end, const float *bias, const float *residual,
                        bool relu, float *output);

/// target[p] = (source[p] + b) + residual[p], then (value > 0 ? value : 0) when `relu`, as
/// Tensor.relu() computes it; residual may be NULL and target may be source. The last write of an
/// inference layer: camlab_conv_direct's rows, and the GEMM's output planes.
void camlab_conv_finish(const float *source, float b, const float *residual, bool relu, float *target,
                        long count);

/// Length of one output channel spread to the padded width (a multiple of 16).
long camlab_conv_spread_length(long out_height, long padded_width);

/// Floats of one image's spread output gradient (channels rounded up to the kernel's tile).
long camlab_conv_spread_size(long channels, long out_height, long padded_width);

/// Lays gy [channels][out_height][out_width] out at row stride padded_width, zeros elsewhere;
/// with a mask (gy's shape; may be NULL), as camlab_conv_pad does. sums (may be NULL) gets
/// each channel's sum of what was laid out added to it: the bias gradient.
void camlab_conv_spread(const float *gy, const float *mask, long channels, long out_height, long out_width,
                        long padded_width, float *spread, float *sums);

/// weight_gradient[o][c][i][j] += Σ_n Σ_{ho,wo} gy[n][o][ho][wo] · x[n][c][ho + i][wo + j] over
/// `images` images, from their padded inputs (`padded_image` floats apart) and spread output
/// gradients (`spread_image` floats apart, each row `length` long).
void camlab_conv_weight_gradient(const float *padded, long padded_image, const float *spread,
                                 long spread_image, long images, long in_channels,
                                 long padded_height, long padded_width, long out_channels,
                                 long kh, long kw, long length, float *weight_gradient);

// MARK: Winograd F(4×4, 3×3) (winograd.c)

/// A tile is CAMLAB_WINOGRAD_TILE² outputs; its transformed patch has CAMLAB_WINOGRAD_PLANES
/// elements ξ, each a matrix product of its own.
enum { CAMLAB_WINOGRAD_TILE = 4, CAMLAB_WINOGRAD_PLANES = 36 };

/// Floats of a 3×3 weight [out_channels][in_channels][3][3] transformed for
/// camlab_winograd_*: 36 packed SGEMM A operands U_ξ (out_channels × in_channels).
long camlab_winograd_weights_size(long out_channels, long in_channels);

/// U_ξ = (G g Gᵀ)[ξ] for every (k, c), each packed by camlab_sgemm_pack_a.
void camlab_winograd_pack_weights(const float *weight, long out_channels, long in_channels, float *packed);

/// Floats of scratch one call of the transforms needs, for images `tiles_wide` tiles wide and at
/// most `tiles` tiles per call.
long camlab_winograd_scratch_size(long tiles_wide, long tiles);

/// V_ξ[c][t] = (Bᵀ d B)[ξ] of tiles tile_first..<tile_end (ty·tiles_wide + tx) of one image
/// [channels][height][width] (zero padding `pad`), for channels channel_first..<channel_end: the
/// segment's tile t at v[ξ·plane_stride + c·ldv + t]. Writes up to 15 tiles past the segment.
void camlab_winograd_input(const float *image, long channel_first, long channel_end, long height, long width,
                           long pad, long tiles_wide, long tile_first, long tile_end, float *v, long ldv,
                           long plane_stride, float *scratch);

/// The outputs of those tiles from M_ξ[k][t] at m[ξ·plane_stride + k·ldm + t] (which must be
/// readable, and finite, 15 tiles past the segment): y = Aᵀ M A, (+ bias[k]) (+ residual), then
/// max(0, ·) when `relu` (camlab_conv_finish), for channels channel_first..<channel_end of an
/// output image [channels][out_height][out_width]. False when an output before the bias was not
/// finite: where a direct sum overflows to ±∞, Winograd's differences can give NaN instead.
bool camlab_winograd_output(const float *m, long ldm, long plane_stride, long channel_first, long channel_end,
                            long tiles_wide, long tile_first, long tile_end, long out_height, long out_width,
                            const float *bias, const float *residual, bool relu, float *output, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
