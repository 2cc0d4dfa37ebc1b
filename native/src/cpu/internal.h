/*
 * Internals shared by the CPU backend: the per-ISA kernel table, the dispatcher, the thread pool and errors.
 * The table functions do no validation and no threading: api.cpp checks arguments, splits the work and calls
 * them on sub-ranges. Tests include this header to reach each ISA level's table directly (test_isa.cpp).
 */
#ifndef DBN4J_CPU_INTERNAL_H
#define DBN4J_CPU_INTERNAL_H

#include <stdint.h>

#include "dbn4j/kernels.h"

namespace dbn4j {

// One ISA level's kernels. All pointers are already offset to the sub-range being computed; row kernels take
// `rows` rows of `N` (or K) contiguous columns. Shapes are those of the matching dbn4j_* function.
struct KernelTable {
    const char *name;
    void (*add_row_bias)(float *x, const float *b, int64_t rows, int64_t N);
    void (*bias_sigmoid)(float *x, const float *b, int64_t rows, int64_t N);
    void (*sigmoid_forward)(const float *x, float *y, int64_t n);
    void (*sigmoid_backward)(const float *y, const float *dy, float *dx, int64_t n);
    void (*tanh_forward)(const float *x, float *y, int64_t n);
    void (*tanh_backward)(const float *y, const float *dy, float *dx, int64_t n);
    void (*relu_forward)(const float *x, float *y, int64_t n);
    void (*relu_backward)(const float *y, const float *dy, float *dx, int64_t n);
    void (*softmax_forward)(const float *x, float *y, int64_t rows, int64_t K);
    void (*log_softmax_forward)(const float *x, float *y, int64_t rows, int64_t K);
    // Losses write the unscaled per-row sum into row_loss[r] (row_loss may be null); gradients use divisor B.
    void (*softmax_cross_entropy)(const float *z, const float *t, float *p, float *dz, int64_t rows, int64_t K,
                                  float B, double *row_loss);
    void (*sigmoid_cross_entropy)(const float *z, const float *t, float *p, float *dz, int64_t rows, int64_t N,
                                  float B, double *row_loss);
    void (*squared_error)(const float *y, const float *t, float *dy, int64_t rows, int64_t N, float B,
                          double *row_loss);
    // Columns [0, ncols) of x(B, ld): out[c] = alpha * sum_r x[r*ld + c] + beta * out[c].
    void (*column_sums)(const float *x, float *out, int64_t B, int64_t ld, int64_t ncols, float alpha, float beta);
    // One chunk of column_sums: part[c] = sum over rows [0, rows) of x[r*ld + c], in row order from +0, in double.
    void (*column_chunk_sums)(const float *x, int64_t rows, int64_t ld, int64_t ncols, double *part);
    void (*axpy)(float alpha, const float *x, float *y, int64_t n);
    void (*scale)(float alpha, float *x, int64_t n);
    void (*sgd_momentum)(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                         float weight_decay, int nesterov);
    // Blocks i = 0..nblocks-1 of Philox4x32-10 with counter {ctr0 + i (64-bit carry into ctr1), ctr2, ctr3}.
    void (*philox_blocks)(const uint32_t ctr[4], const uint32_t key[2], uint32_t *out, int64_t nblocks);
    void (*random_bits)(uint64_t seed, uint64_t offset, uint32_t *out, int64_t n);
    void (*random_uniform)(uint64_t seed, uint64_t offset, float *out, int64_t n);
    // The Bernoulli samplers take the half word of element 0 (2 * the API's word offset, + elements before it).
    void (*random_bernoulli)(uint64_t seed, uint64_t half, const float *p, float *out, int64_t n);
    void (*random_gaussian)(uint64_t seed, uint64_t offset, const float *mean, float stddev, float *out,
                            int64_t n);
    // half is the half word of the first row; row r uses half words half + r*N ...
    void (*sigmoid_bernoulli)(uint64_t seed, uint64_t half, const float *x, const float *b, float *p, float *s,
                              int64_t rows, int64_t N);
    // out[r] = sum over row r's N columns of log(1 + exp(x)), in double, rounded to float once.
    void (*softplus_row_sums)(const float *x, float *out, int64_t rows, int64_t N);
};

namespace scalar { extern const KernelTable table; }
namespace avx2 { extern const KernelTable table; }
namespace avx512 { extern const KernelTable table; }

// The table in use (selected on first call, or by dbn4j_isa_force).
const KernelTable &kernels();
// The table of a level, or nullptr if this CPU (or build) lacks it. For tests.
const KernelTable *kernels_for_level(int level);

// ---- dbn4j's own SGEMM (gemm_impl.inc, built as avx2:: and avx512::; x86-64 builds only) ----
// Both levels declare the same three functions and give the same bits; blas.cpp calls the build of the active
// (possibly forced) level, or the AVX2 one where only it competes with OpenBLAS (own_build_avx512).
// own_sgemm: row-major C = alpha op(A) op(B) + beta C, threads from the kernel pool, arguments as checked by
//   dbn4j_sgemm (M, N, K > 0); sparse: DBN4J_GEMM_SPARSE_* (op(A) not transposed only; see gemm_impl.inc).
// own_sgemm_sparse: its sparse path alone (op(A) not transposed), for products whose shape goes to OpenBLAS:
//   returns 1 when it ran (its status in *rc), 0 when A is too dense for it (in AUTO) or sparse is OFF.
// own_gemm_sgd: the fused weight step of dbn4j_gemm_sgd_momentum (K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K, K2 may be
//   0; arguments as checked there).
// The caller makes sure the CPU runs the level.
#define DBN4J_OWN_GEMM_DECLS                                                                                       \
    int own_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,               \
                  const float *B, int ldb, float beta, float *C, int ldc, int sparse);                             \
    int own_sgemm_sparse(int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,    \
                         int ldb, float beta, float *C, int ldc, int sparse, int *rc);                             \
    int own_gemm_sgd(int transA, int transB, int M, int N, int K1, int K2, float alpha, const float *A1, int lda1, \
                     const float *B1, int ldb1, const float *A2, int lda2, const float *B2, int ldb2, float *W,    \
                     float *V, float lr, float momentum, float weight_decay, int nesterov, int sparse);
// Columns up to which each build runs a product on its narrow kernel (gemm_impl.inc).
#define DBN4J_GEMM_NARROW_AVX2 16
#define DBN4J_GEMM_NARROW_AVX512 32
// Whether the own kernel runs narrow products on the narrow kernel (default) or its panel kernel (tests compare
// the two: the same bits).
bool gemm_narrow_enabled();
void set_gemm_narrow_for_tests(bool on);
// Products run on the narrow kernel so far (tests check that a shape takes it).
void count_gemm_narrow();
int64_t gemm_narrow_count_for_tests();
namespace avx2 { DBN4J_OWN_GEMM_DECLS }
namespace avx512 { DBN4J_OWN_GEMM_DECLS }
#undef DBN4J_OWN_GEMM_DECLS

// ---- byte codes to floats (decode_impl.inc, built as vbmi::; x86-64 builds only) ----
// dst[r * N + c] = palette[src[idx[r] * N + c]] for rows [r0, r1); runs only on CPUs with AVX-512 VBMI.
namespace vbmi {
void decode_rows_u8(const uint8_t *src, int N, const float *palette, const int32_t *idx, int64_t r0, int64_t r1,
                    float *dst);
}

// ---- thread pool ----
using RangeFn = void (*)(void *ctx, int64_t begin, int64_t end);
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void *ctx);

// Runs fn(b, e) on contiguous pieces of [begin, end), each at least `grain` long, on up to
// dbn4j_get_num_threads() threads; small ranges run inline on the caller.
template <class F> void parallel_for(int64_t begin, int64_t end, int64_t grain, const F &fn) {
    parallel_for_impl(begin, end, grain,
                      [](void *ctx, int64_t b, int64_t e) { (*static_cast<const F *>(ctx))(b, e); },
                      const_cast<void *>(static_cast<const void *>(&fn)));
}

// Elements per thread below which splitting costs more than it saves. Tests lower it (0 restores the default)
// so that small inputs are split at odd boundaries too.
int64_t grain_elements();
void set_grain_elements_for_tests(int64_t elements);

// ---- errors ----
// Formats the thread's message and returns code.
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace dbn4j

#endif
