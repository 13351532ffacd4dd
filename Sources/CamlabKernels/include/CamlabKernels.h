// CamlabKernels: the one piece of camlab written in C — a single-threaded, packed,
// cache-blocked SGEMM with runtime CPU dispatch. Threads are added on the Swift side.
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

/// The micro-tile (rows × columns of C) of the kernel chosen for this CPU. Callers that split C
/// across threads align their blocks to it so no thread computes padded edge tiles needlessly.
void camlab_sgemm_micro_tile(long *rows, long *columns);

/// Name of the kernel chosen for this CPU: "avx512f 8x48", "avx2+fma 6x16" or "portable 4x16".
const char *camlab_sgemm_kernel_name(void);

#ifdef __cplusplus
}
#endif

#endif
