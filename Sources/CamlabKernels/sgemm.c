// Packed, cache-blocked SGEMM (row-major), after Goto & van de Geijn / BLIS.
//
//   for jc in steps of NC            columns of C and B   — B block KC×NC lives in L3 / L2
//     for pc in steps of KC          depth                — each C tile is updated once per KC
//       pack B(pc:pc+KC, jc:jc+NC)   into NR-wide panels, zero-padded (or read B in place, below)
//       for ic in steps of MC        rows of C and A      — A block MC×KC lives in L2
//         pack A(ic:ic+MC, pc:pc+KC) into MR-tall panels, zero-padded
//         for jr in steps of NR      one B panel (KC×NR)  — reused by every A panel of the block
//           for ir in steps of MR    one A panel (MR×KC)  — streamed from L2
//             micro-kernel: C[MR×NR] (+)= A panel · B panel, all MR×NR sums held in registers
//
// Packing makes the micro-kernel's loads contiguous whatever the transpose flags and leading
// dimensions are, and zero padding lets it always compute a full tile; partial edge tiles are
// computed into a small buffer and only their valid part is written to C.
//
// Micro-tiles (MR×NR) and why:
//   AVX-512F  8×48: 24 zmm accumulators + 3 for B + 1 broadcast fit in the 32 registers; MR = 8
//             divides the channel counts of small CNNs (16, 32, 64), so skinny GEMMs waste nothing.
//             8×16 and 8×32 variants compute narrow edge panels (n = 27 pads to 32, not 48).
//   AVX2+FMA  6×16: 12 ymm accumulators + 2 for B + 1 broadcast of the 16 registers (BLIS haswell);
//             a 6×8 variant computes edge panels of at most 5 columns.
//   portable  4×16: plain C the compiler can vectorize for the baseline ISA (SSE2, NEON).
//
// The kernel is chosen once, at first use, with __builtin_cpu_supports. Only the kernel functions
// carry __attribute__((target(...))); the rest of this file, and the whole binary, is compiled for
// the baseline ISA, so it runs on any x86-64 (without FMA, a fused multiply-add would otherwise
// become a library call per lane) and on arm64.
//
// When B is used as is (not transposed) and C has only a few rows, packing B would cost a full
// extra pass over B for little reuse, so the micro-kernel reads B's rows in place (stride ldb).

#include "CamlabKernels.h"
#include "finish.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// C tile (MR×NR at c, row stride ldc) = A panel (kc×MR, packed) · B panel (kc rows of NR floats,
// row stride ldb), added to the tile when `accumulate`.
typedef void (*micro_kernel)(long kc, const float *a, const float *b, long ldb,
                             float *c, long ldc, int accumulate);

typedef struct {
    micro_kernel kernel;
    // Kernels for an edge panel of at most 1, 2 or 3 × nr/3 columns (all `kernel` when absent).
    micro_kernel narrow[3];
    long mr, nr;   // micro-tile
    long mc, kc, nc; // cache blocks; mc is a multiple of mr, nc of nr
    const char *name;
} kernel_config;

// MARK: - Micro-kernels

#if defined(__x86_64__)

// 8 rows × (16·V) columns; V = 3 is the main kernel, V = 1 and 2 serve narrow edge panels
// (a 27-column C computes 48 + 0 padded columns with only the main kernel, 32 with these).
__attribute__((target("avx512f"), always_inline))
static inline void kernel_avx512_8xV(const int V, long kc, const float *a, const float *b, long ldb,
                                     float *c, long ldc, int accumulate) {
    __m512 sums[8][3];
    for (int r = 0; r < 8; r++)
        for (int v = 0; v < V; v++) sums[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < kc; p++) {
        __m512 row[3];
        for (int v = 0; v < V; v++) row[v] = _mm512_loadu_ps(b + 16 * v);
        for (int r = 0; r < 8; r++) {
            __m512 ar = _mm512_set1_ps(a[r]);
            for (int v = 0; v < V; v++) sums[r][v] = _mm512_fmadd_ps(ar, row[v], sums[r][v]);
        }
        a += 8;
        b += ldb;
    }
    for (int r = 0; r < 8; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < V; v++) {
            __m512 result = sums[r][v];
            if (accumulate) result = _mm512_add_ps(result, _mm512_loadu_ps(cr + 16 * v));
            _mm512_storeu_ps(cr + 16 * v, result);
        }
    }
}

__attribute__((target("avx512f")))
static void kernel_avx512_8x48(long kc, const float *a, const float *b, long ldb,
                               float *c, long ldc, int accumulate) {
    kernel_avx512_8xV(3, kc, a, b, ldb, c, ldc, accumulate);
}

__attribute__((target("avx512f")))
static void kernel_avx512_8x32(long kc, const float *a, const float *b, long ldb,
                               float *c, long ldc, int accumulate) {
    kernel_avx512_8xV(2, kc, a, b, ldb, c, ldc, accumulate);
}

__attribute__((target("avx512f")))
static void kernel_avx512_8x16(long kc, const float *a, const float *b, long ldb,
                               float *c, long ldc, int accumulate) {
    kernel_avx512_8xV(1, kc, a, b, ldb, c, ldc, accumulate);
}

__attribute__((target("avx2,fma")))
static void kernel_avx2_6x16(long kc, const float *a, const float *b, long ldb,
                             float *c, long ldc, int accumulate) {
    __m256 c0[6], c1[6];
    for (int r = 0; r < 6; r++) {
        c0[r] = _mm256_setzero_ps();
        c1[r] = _mm256_setzero_ps();
    }
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b);
        __m256 b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < 6; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r);
            c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
        }
        a += 6;
        b += ldb;
    }
    for (int r = 0; r < 6; r++) {
        float *cr = c + r * ldc;
        if (accumulate) {
            c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(cr));
            c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(cr + 8));
        }
        _mm256_storeu_ps(cr, c0[r]);
        _mm256_storeu_ps(cr + 8, c1[r]);
    }
}

// 6 rows × 8 columns, for an edge panel of at most 5: a 7×7 map's 49 columns end in one, and the
// 16-column kernel would compute 15 more.
__attribute__((target("avx2,fma")))
static void kernel_avx2_6x8(long kc, const float *a, const float *b, long ldb,
                            float *c, long ldc, int accumulate) {
    __m256 sums[6];
    for (int r = 0; r < 6; r++) sums[r] = _mm256_setzero_ps();
    for (long p = 0; p < kc; p++) {
        const __m256 row = _mm256_loadu_ps(b);
        for (int r = 0; r < 6; r++) sums[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), row, sums[r]);
        a += 6;
        b += ldb;
    }
    for (int r = 0; r < 6; r++) {
        float *cr = c + r * ldc;
        _mm256_storeu_ps(cr, accumulate ? _mm256_add_ps(sums[r], _mm256_loadu_ps(cr)) : sums[r]);
    }
}

#endif // __x86_64__

static void kernel_portable_4x16(long kc, const float *a, const float *b, long ldb,
                                 float *c, long ldc, int accumulate) {
    float sums[4][16] = {{0}};
    for (long p = 0; p < kc; p++) {
        for (int r = 0; r < 4; r++) {
            float ar = a[r];
            for (int j = 0; j < 16; j++) sums[r][j] += ar * b[j];
        }
        a += 4;
        b += ldb;
    }
    for (int r = 0; r < 4; r++) {
        float *cr = c + r * ldc;
        for (int j = 0; j < 16; j++) cr[j] = accumulate ? cr[j] + sums[r][j] : sums[r][j];
    }
}

// MARK: - Dispatch

static kernel_config chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

// CAMLAB_SGEMM_KERNEL=avx2 or =portable picks a simpler kernel than the CPU allows (to test
// every path on one machine, or to compare them); a kernel the CPU lacks is never chosen.
static void choose_kernel(void) {
    // KC: an A panel (MR×KC) and a B panel (KC×NR) together stay well inside L1/L2;
    // MC×KC (the packed A block) fits in L2; KC×NC (the packed B block) in a slice of L3.
    kernel_config portable = {kernel_portable_4x16,
                              {kernel_portable_4x16, kernel_portable_4x16, kernel_portable_4x16},
                              4, 16, 128, 256, 2048, "portable 4x16"};
    chosen = portable;
    const char *requested = getenv("CAMLAB_SGEMM_KERNEL");
    if (requested != NULL && strcmp(requested, "portable") == 0) return;
#if defined(__x86_64__)
    __builtin_cpu_init();
    const bool allow_avx512 = requested == NULL || strcmp(requested, "avx2") != 0;
    if (allow_avx512 && __builtin_cpu_supports("avx512f")) {
        kernel_config avx512 = {kernel_avx512_8x48,
                                {kernel_avx512_8x16, kernel_avx512_8x32, kernel_avx512_8x48},
                                8, 48, 128, 256, 3072, "avx512f 8x48"};
        chosen = avx512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        kernel_config avx2 = {kernel_avx2_6x16,
                              {kernel_avx2_6x8, kernel_avx2_6x16, kernel_avx2_6x16},
                              6, 16, 120, 256, 3072, "avx2+fma 6x16"};
        chosen = avx2;
    }
#endif
}

static const kernel_config *config(void) {
    pthread_once(&chosen_once, choose_kernel);
    return &chosen;
}

void camlab_sgemm_micro_tile(long *rows, long *columns) {
    const kernel_config *cfg = config();
    *rows = cfg->mr;
    *columns = cfg->nr;
}

const char *camlab_sgemm_kernel_name(void) { return config()->name; }

// MARK: - Per-thread packing workspace

// Each thread keeps its packing buffer between calls: allocating megabytes per call would cost
// page faults on every small GEMM (convolutions call this once per image). Freed at thread exit.
typedef struct {
    float *data;
    size_t capacity; // floats
} workspace;

static pthread_key_t workspace_key;
static pthread_once_t workspace_once = PTHREAD_ONCE_INIT;

static void free_workspace(void *pointer) {
    workspace *w = pointer;
    free(w->data);
    free(w);
}

static void make_workspace_key(void) { pthread_key_create(&workspace_key, free_workspace); }

static float *workspace_of_size(size_t count) {
    pthread_once(&workspace_once, make_workspace_key);
    workspace *w = pthread_getspecific(workspace_key);
    if (w == NULL) {
        w = calloc(1, sizeof(workspace));
        if (w == NULL) abort();
        pthread_setspecific(workspace_key, w);
    }
    if (w->capacity < count) {
        free(w->data);
        size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
        w->data = aligned_alloc(64, bytes);
        if (w->data == NULL) abort();
        w->capacity = count;
    }
    return w->data;
}

// MARK: - Packing

// A block (mc×kc of op(A), starting at row i0, depth p0) into MR-tall panels: panel by panel,
// for each depth p the MR values of its rows. Rows past mc are zero.
static void pack_a(long mc, long kc, const float *a, long lda, bool transpose, long i0, long p0,
                   long mr, float *packed) {
    for (long ir = 0; ir < mc; ir += mr) {
        long rows = mc - ir < mr ? mc - ir : mr;
        if (transpose) { // op(A)(i, p) = a[p·lda + i]: each depth's rows are contiguous
            for (long p = 0; p < kc; p++) {
                const float *src = a + (p0 + p) * lda + i0 + ir;
                long r = 0;
                for (; r < rows; r++) packed[p * mr + r] = src[r];
                for (; r < mr; r++) packed[p * mr + r] = 0;
            }
        } else { // op(A)(i, p) = a[i·lda + p]: read each row contiguously
            for (long r = 0; r < rows; r++) {
                const float *src = a + (i0 + ir + r) * lda + p0;
                for (long p = 0; p < kc; p++) packed[p * mr + r] = src[p];
            }
            for (long r = rows; r < mr; r++)
                for (long p = 0; p < kc; p++) packed[p * mr + r] = 0;
        }
        packed += mr * kc;
    }
}

// One B panel (kc×cols of op(B), starting at depth p0, column j0) into kc rows of NR floats.
// Columns past cols are zero.
static void pack_b_panel(long kc, long cols, const float *b, long ldb, bool transpose,
                         long p0, long j0, long nr, float *packed) {
    if (transpose) { // op(B)(p, j) = b[j·ldb + p]: read each of B's rows contiguously
        for (long j = 0; j < cols; j++) {
            const float *src = b + (j0 + j) * ldb + p0;
            for (long p = 0; p < kc; p++) packed[p * nr + j] = src[p];
        }
        for (long j = cols; j < nr; j++)
            for (long p = 0; p < kc; p++) packed[p * nr + j] = 0;
    } else {
        for (long p = 0; p < kc; p++) {
            const float *src = b + (p0 + p) * ldb + j0;
            memcpy(packed + p * nr, src, (size_t)cols * sizeof(float));
            for (long j = cols; j < nr; j++) packed[p * nr + j] = 0;
        }
    }
}

// MARK: - Driver

static void clear_matrix(long m, long n, float *c, long ldc) {
    for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
}

// A whole op(A) packed once, for an A that many products share (a network's weights): for each
// depth block of KC, all of A's MR-tall panels, [depth block][panel][p][r], rows padded to MR.
// Panel i of the depth block starting at p0 is at p0·rows_padded + i·MR·kc.
static long padded_rows(long m) { return (m + config()->mr - 1) / config()->mr * config()->mr; }

long camlab_sgemm_packed_a_size(long m, long k) { return padded_rows(m) * k; }

void camlab_sgemm_pack_a(long m, long k, const float *a, long lda, bool transpose_a, float *packed) {
    const kernel_config *cfg = config();
    for (long pc = 0; pc < k; pc += cfg->kc) {
        const long kc = k - pc < cfg->kc ? k - pc : cfg->kc;
        pack_a(m, kc, a, lda, transpose_a, 0, pc, cfg->mr, packed + pc * padded_rows(m));
    }
}

// What is done to C's final values as they are written (see camlab_sgemm_prepacked).
typedef struct {
    const float *bias, *residual;
    bool relu;
} epilogue;

static const epilogue no_epilogue = {NULL, NULL, false};

static bool has_work(epilogue e) { return e.bias || e.residual || e.relu; }

// Rows `rows` × `cols` of C at row i0, column j0 (and at c_tile), finished in place.
static void finish_tile(epilogue e, float *c_tile, long ldc, long i0, long j0, long rows, long cols) {
    for (long r = 0; r < rows; r++)
        finish_row(c_tile + r * ldc, e.bias ? e.bias[i0 + r] : 0.0f,
                   e.residual ? e.residual + (i0 + r) * ldc + j0 : NULL, e.relu, c_tile + r * ldc, cols);
}

static void sgemm(long m, long n, long k, const float *a, long lda, bool transpose_a,
                  const float *prepacked, long prepacked_rows, long first_row,
                  const float *b, long ldb, bool transpose_b, float *c, long ldc, bool accumulate,
                  epilogue finish);

void camlab_sgemm(long m, long n, long k,
                  const float *a, long lda, bool transpose_a,
                  const float *b, long ldb, bool transpose_b,
                  float *c, long ldc, bool accumulate) {
    sgemm(m, n, k, a, lda, transpose_a, NULL, 0, 0, b, ldb, transpose_b, c, ldc, accumulate, no_epilogue);
}

void camlab_sgemm_prepacked(long m, long n, long k, const float *packed_a, long packed_rows, long first_row,
                            const float *b, long ldb, float *c, long ldc,
                            const float *bias, const float *residual, bool relu) {
    const epilogue finish = {bias, residual, relu};
    sgemm(m, n, k, NULL, 0, false, packed_a, padded_rows(packed_rows), first_row, b, ldb, false, c, ldc, false,
          finish);
}

static void sgemm(long m, long n, long k, const float *a, long lda, bool transpose_a,
                  const float *prepacked, long prepacked_rows, long first_row,
                  const float *b, long ldb, bool transpose_b, float *c, long ldc, bool accumulate,
                  epilogue finish) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate) clear_matrix(m, n, c, ldc);
        if (has_work(finish)) finish_tile(finish, c, ldc, 0, 0, m, n);
        return;
    }
    const kernel_config *cfg = config();
    const long mr = cfg->mr, nr = cfg->nr;

    // Read B in place when it is not transposed and few A panels would reuse a packed copy.
    const bool b_in_place = !transpose_b && m <= cfg->mc;

    const long kc_max = k < cfg->kc ? k : cfg->kc;
    const long nc_max = n < cfg->nc ? n : cfg->nc;
    const long mc_max = m < cfg->mc ? m : cfg->mc;
    const long nc_panels = (nc_max + nr - 1) / nr;
    const long mc_panels = (mc_max + mr - 1) / mr;
    const size_t a_size = prepacked ? 0 : (size_t)(mc_panels * mr * kc_max);
    const size_t b_size = (size_t)((b_in_place ? 1 : nc_panels) * nr * kc_max);
    float *packed_a = workspace_of_size(a_size + b_size);
    float *packed_b = packed_a + a_size;

    // Edge tiles are computed here, then their valid part is copied to C.
    _Alignas(64) float edge[8 * 48];

    for (long jc = 0; jc < n; jc += cfg->nc) {
        const long nc = n - jc < cfg->nc ? n - jc : cfg->nc;
        for (long pc = 0; pc < k; pc += cfg->kc) {
            const long kc = k - pc < cfg->kc ? k - pc : cfg->kc;
            // The first depth block writes C (or adds to it); later blocks always add. The last
            // one finishes each tile it writes.
            const int add = accumulate || pc > 0;
            const bool last = pc + kc >= k && has_work(finish);

            if (!b_in_place) {
                for (long jr = 0; jr < nc; jr += nr) {
                    long cols = nc - jr < nr ? nc - jr : nr;
                    pack_b_panel(kc, cols, b, ldb, transpose_b, pc, jc + jr, nr,
                                 packed_b + (jr / nr) * nr * kc);
                }
            }

            for (long ic = 0; ic < m; ic += cfg->mc) {
                const long mc = m - ic < cfg->mc ? m - ic : cfg->mc;
                const float *a_block = packed_a;
                if (prepacked) a_block = prepacked + pc * prepacked_rows + (first_row + ic) / mr * mr * kc;
                else pack_a(mc, kc, a, lda, transpose_a, ic, pc, mr, packed_a);

                for (long jr = 0; jr < nc; jr += nr) {
                    const long cols = nc - jr < nr ? nc - jr : nr;
                    const float *b_panel;
                    long b_stride;
                    if (!b_in_place) {
                        b_panel = packed_b + (jr / nr) * nr * kc;
                        b_stride = nr;
                    } else if (cols == nr) {
                        b_panel = b + pc * ldb + jc + jr;
                        b_stride = ldb;
                    } else { // a partial last panel is packed so the kernel can read NR columns
                        pack_b_panel(kc, cols, b, ldb, false, pc, jc + jr, nr, packed_b);
                        b_panel = packed_b;
                        b_stride = nr;
                    }
                    const micro_kernel edge_kernel = cfg->narrow[(3 * cols + nr - 1) / nr - 1];

                    for (long ir = 0; ir < mc; ir += mr) {
                        const long rows = mc - ir < mr ? mc - ir : mr;
                        const float *a_panel = a_block + (ir / mr) * mr * kc;
                        float *c_tile = c + (ic + ir) * ldc + jc + jr;
                        if (rows == mr && cols == nr) {
                            cfg->kernel(kc, a_panel, b_panel, b_stride, c_tile, ldc, add);
                            if (last) finish_tile(finish, c_tile, ldc, ic + ir, jc + jr, rows, cols);
                        } else {
                            edge_kernel(kc, a_panel, b_panel, b_stride, edge, nr, 0);
                            for (long r = 0; r < rows; r++) {
                                float *dst = c_tile + r * ldc;
                                const float *src = edge + r * nr;
                                if (add) {
                                    for (long j = 0; j < cols; j++) dst[j] += src[j];
                                } else {
                                    memcpy(dst, src, (size_t)cols * sizeof(float));
                                }
                            }
                            if (last) finish_tile(finish, c_tile, ldc, ic + ir, jc + jr, rows, cols);
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Peak

// 12 independent chains, more than FMA latency × FMA units on any of these cores, so the loop
// runs at the FMA units' throughput.
#if defined(__x86_64__)
#define PEAK_LOOP(type, set1, fmadd, lanes)                                                    \
    type acc[12];                                                                              \
    for (int i = 0; i < 12; i++) acc[i] = set1(1.0f + 0.001f * i);                             \
    const type a = set1(0.9999f), b = set1(0.0001f);                                           \
    struct timespec start, end;                                                                \
    clock_gettime(CLOCK_MONOTONIC, &start);                                                    \
    for (long n = 0; n < iterations; n++)                                                      \
        for (int i = 0; i < 12; i++) acc[i] = fmadd(acc[i], a, b);                             \
    clock_gettime(CLOCK_MONOTONIC, &end);                                                      \
    float keep[lanes];                                                                         \
    for (int i = 1; i < 12; i++) acc[0] = fmadd(acc[0], acc[i], b);                            \
    memcpy(keep, &acc[0], sizeof keep);                                                        \
    const double seconds = (end.tv_sec - start.tv_sec) + 1e-9 * (end.tv_nsec - start.tv_nsec); \
    return keep[0] == -1.0f ? 0 : 2.0 * lanes * 12 * iterations / seconds;

__attribute__((target("avx512f"))) static double peak_avx512(long iterations) {
    PEAK_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}

__attribute__((target("avx2,fma"))) static double peak_avx2(long iterations) {
    PEAK_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}
#endif

double camlab_fma_peak_flops(long iterations) {
#if defined(__x86_64__)
    const char *name = camlab_sgemm_kernel_name();
    if (strncmp(name, "avx512f", 7) == 0) return peak_avx512(iterations);
    if (strncmp(name, "avx2", 4) == 0) return peak_avx2(iterations);
#endif
    return 0; // the portable kernel has no one vector width to measure
}
