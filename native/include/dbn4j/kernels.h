/*
 * dbn4j kernels: the one backend-neutral C API that the Java layer binds to (JavaCPP) and that each backend
 * implements (CPU: native/src/cpu, CUDA: native/src/cuda). All matrices are row-major float32.
 * Dimension letters: B batch rows, V visible, H hidden, K classes, N any column count, n element count.
 * Every function returns DBN4J_OK (0) or an error code; dbn4j_last_error() then holds a message naming the
 * function and the bad argument. The Java layer checks arguments before calling, so these checks are the
 * second line of defence. Tests: ctest --test-dir <build> (native), mvn test (through Java).
 */
#ifndef DBN4J_KERNELS_H
#define DBN4J_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBN4J_OK 0
#define DBN4J_EINVAL 1   /* a bad argument: shape, leading dimension, null pointer, overlap */
#define DBN4J_EBLAS 2    /* BLAS not opened or missing a symbol */
#define DBN4J_ENOMEM 3   /* allocation failed */
#define DBN4J_EISA 4     /* requested instruction set not supported by this CPU */

/* Transpose codes of dbn4j_sgemm (the same numbers as Java's dbn4j.Transpose.code). */
#define DBN4J_NO_TRANS 0
#define DBN4J_TRANS 1

/* Instruction-set levels of the run-time dispatch. */
#define DBN4J_ISA_SCALAR 0
#define DBN4J_ISA_AVX2 1
#define DBN4J_ISA_AVX512 2

/* ---- errors, dispatch, threads ---- */

/* Message of the last failed call on this thread ("" if none). */
const char *dbn4j_last_error(void);
/* The best level this CPU supports, and the level in use (the best, unless forced). */
int dbn4j_isa_supported(void);
int dbn4j_isa_active(void);
/* Forces a level (for tests and benchmarks); DBN4J_EISA if the CPU lacks it. -1 restores the best. */
int dbn4j_isa_force(int level);
/* Threads of dbn4j's own kernels (not of BLAS). n >= 1. Results never depend on it. */
int dbn4j_set_num_threads(int n);
int dbn4j_get_num_threads(void);

/* ---- host memory (native/src/cpu/memory.cpp) ---- */

/* 64-byte aligned, zeroed host buffer of bytes > 0; *out = NULL on failure (DBN4J_ENOMEM). */
int dbn4j_host_alloc(int64_t bytes, void **out);
void dbn4j_host_free(void *p);

/* ---- BLAS ---- */

/* Binds to the OpenBLAS shared library at path (already loaded by Java: dlopen returns that same copy).
 * Resolves cblas_sgemm, openblas_set_num_threads, openblas_get_num_threads, openblas_get_corename. */
int dbn4j_blas_open(const char *path);
/* "" if not open. */
const char *dbn4j_blas_corename(void);
int dbn4j_blas_set_num_threads(int n);
/* -1 if not open. */
int dbn4j_blas_get_num_threads(void);

/* C(M,N) = alpha * op(A) * op(B) + beta * C, row-major. op(A) is (M,K), op(B) is (K,N).
 * A is (M,K) with lda >= K when not transposed, (K,M) with lda >= M when transposed; likewise B, ldb; ldc >= N. */
int dbn4j_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);

/* Which SGEMM dbn4j_sgemm runs. OpenBLAS, or dbn4j's own kernel (x86-64 CPUs with AVX2 and FMA, and the kernel
 * level not forced below AVX2; its AVX-512 build at the AVX-512 level, else its AVX2 build, the same bits): AUTO
 * (the default) uses the own kernel for skinny shapes, M or K at most DBN4J_GEMM_OWN_MAX_BATCH (a mini-batch), and
 * for larger ones whose A (not transposed) takes the sparse path below, where a build competes with OpenBLAS at
 * N: the AVX2 build for N >= 16 unless OpenBLAS runs AVX-512 kernels (core SkylakeX, Cooperlake, SapphireRapids);
 * the AVX-512 build where its 64-column panels pad N by at most 7% (beside OpenBLAS's AVX-512 kernels) or 60%
 * (beside its AVX2 kernels, and then for every shape). The own kernel runs products of few columns (N <= 32 at the
 * AVX-512 level, <= 16 at AVX2) on its narrow path, which reads A in place; AUTO gives it those with K >= 32 beside
 * OpenBLAS's AVX2 kernels (at the AVX-512 level also a fused weight step, dbn4j_gemm_sgd_fused, of N <= 12 from
 * K = 10), and beside its AVX-512 kernels at the AVX-512 level those with K >= 32 and either N >= 10 or N >= 2 with
 * M * K >= 2^18 (and those that the rules above give the own kernel).
 * OPENBLAS and OWN force one. Both sum in an order that depends
 * only on the shape, never on the thread count; they round differently from each other. The own kernel's threads
 * are dbn4j's kernel threads. */
#define DBN4J_GEMM_AUTO 0
#define DBN4J_GEMM_OPENBLAS 1
#define DBN4J_GEMM_OWN 2
#define DBN4J_GEMM_OWN_MAX_BATCH 256
int dbn4j_gemm_set_mode(int mode);
int dbn4j_gemm_get_mode(void);
/* 1 if dbn4j_sgemm runs the own kernel for this shape whatever the data (in the current mode and kernel level), else
 * 0 (in AUTO a larger product may still take the sparse path, depending on its A). AUTO says 0 until
 * dbn4j_blas_open succeeded; OWN needs no BLAS. */
int dbn4j_gemm_own(int M, int N, int K);
/* Zeros of A on the own kernel. AUTO (the default): where at most 60% of op(A) is nonzero (ReLU outputs, sampled
 * binary states, images with a blank background) and A is not transposed, each row runs over its nonzeros only;
 * C is bit for bit what the dense kernel gives (the same sums in the same order), except that an infinite or NaN
 * entry of B meeting only zeros of A does not make NaN. In AUTO and ALWAYS the dense kernel (any transpose, and
 * dbn4j_gemm_sgd_momentum's fused step) also skips the k where six neighbouring rows of op(A) are all zero (image
 * pixels in a weight gradient), with the same bits. OFF runs every product dense with every term; ALWAYS
 * compresses every non-transposed A (for tests). Narrow products (see dbn4j_gemm_set_mode) run every term in every
 * mode. */
#define DBN4J_GEMM_SPARSE_AUTO 0
#define DBN4J_GEMM_SPARSE_OFF 1
#define DBN4J_GEMM_SPARSE_ALWAYS 2
int dbn4j_gemm_set_sparse(int mode);
int dbn4j_gemm_get_sparse(void);

/* One SGD-with-momentum step of the weights W(M,N) whose gradient is a product of mini-batch matrices:
 *   G = alpha * (op(A1) op(B1) - op(A2) op(B2)),  op(A1) (M,K1), op(B1) (K1,N), op(A2) (M,K2), op(B2) (K2,N),
 * then dbn4j_sgd_momentum(W, G, V, M*N, lr, momentum, weight_decay, nesterov). K2 = 0 (A2, B2 ignored, may be NULL)
 * drops the second product. W, V and G are M x N with leading dimension N; transA, transB and the leading
 * dimensions as in dbn4j_sgemm, the same transposes for both products.
 * Where dbn4j_gemm_own(M, N, K1 + K2) holds and K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K, G is never formed: one pass of
 * the own kernel sums both products in one accumulator per element (the second one's B negated) and applies the
 * step to W and V in registers, G untouched. Otherwise it runs the two products into G (alpha, then -alpha with
 * beta 1) and dbn4j_sgd_momentum; in AUTO with the sparse mode not OFF (and the own kernel competing at N, as
 * above) those products run on the own kernel whatever the shape, as dbn4j_sgemm would in OWN mode: it skips a
 * larger batch's zero pixels, which OpenBLAS cannot. The two paths round the gradient differently (one sum against two). */
#define DBN4J_GEMM_FUSED_MAX_K 512
int dbn4j_gemm_sgd_momentum(int transA, int transB, int M, int N, int K1, int K2, float alpha, const float *A1,
                            int lda1, const float *B1, int ldb1, const float *A2, int lda2, const float *B2, int ldb2,
                            float *W, float *V, float *G, float lr, float momentum, float weight_decay, int nesterov);
/* 1 if dbn4j_gemm_sgd_momentum runs fused for these sizes, else 0. */
int dbn4j_gemm_sgd_fused(int M, int N, int K1, int K2);

/* ---- elementwise ---- */

/* x(B,N) += b(N) on every row. */
int dbn4j_add_row_bias(float *x, const float *b, int B, int N);
/* x(B,N) = sigmoid(x + b(N)) on every row, in one pass: bit for bit dbn4j_add_row_bias then dbn4j_sigmoid_forward. */
int dbn4j_bias_sigmoid(float *x, const float *b, int B, int N);
/* y = 1 / (1 + exp(-x)); dx = dy * y * (1 - y). In place (y == x, dx == dy) allowed. */
int dbn4j_sigmoid_forward(const float *x, float *y, int64_t n);
int dbn4j_sigmoid_backward(const float *y, const float *dy, float *dx, int64_t n);
/* y = tanh(x); dx = dy * (1 - y * y). */
int dbn4j_tanh_forward(const float *x, float *y, int64_t n);
int dbn4j_tanh_backward(const float *y, const float *dy, float *dx, int64_t n);
/* y = max(x, 0); dx = y > 0 ? dy : 0. */
int dbn4j_relu_forward(const float *x, float *y, int64_t n);
int dbn4j_relu_backward(const float *y, const float *dy, float *dx, int64_t n);

/* Row softmax and log-softmax of x(B,K), max-subtracted (stable for any finite input). */
int dbn4j_softmax_forward(const float *x, float *y, int B, int K);
int dbn4j_log_softmax_forward(const float *x, float *y, int B, int K);

/* ---- losses: the loss is the mean over the B rows, gradients are of that mean ---- */

/* Softmax + cross-entropy on logits z(B,K), targets t(B,K) (one-hot or any distribution per row):
 * p = softmax(z) (written if p != NULL), loss = -(1/B) sum t * log p, dz = (p - t) / B (if dz != NULL), then
 * dz = 0 where |dz| < 2^-126 (FLT_MIN: a subnormal or a zero of either sign becomes +0; NaN and infinities kept).
 * A confident classifier's probabilities of the other classes fall below FLT_MIN, and every product with a
 * subnormal dz takes a microcode assist on x86 (the weight gradient x^T dz ran up to 45 times slower); p keeps its
 * subnormals. */
int dbn4j_softmax_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int K,
                                double *loss);
/* Sigmoid + binary cross-entropy on logits z(B,N), targets t in [0,1]:
 * p = sigmoid(z) (if p != NULL), loss = (1/B) sum [max(z,0) - z t + log(1 + exp(-|z|))], dz = (p - t) / B, with a
 * subnormal dz made +0 as in dbn4j_softmax_cross_entropy. */
int dbn4j_sigmoid_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int N,
                                double *loss);
/* Squared error on outputs y(B,N): loss = (1/(2B)) sum (y - t)^2, dy = (y - t) / B (if dy != NULL). */
int dbn4j_squared_error(const float *y, const float *t, float *dy, int B, int N, double *loss);

/* ---- reductions, BLAS-1, updates ---- */

/* out(N) = alpha * (sum over rows of x(B,N)) + beta * out. Summed in double: the rows in chunks of
 * DBN4J_COLUMN_SUM_CHUNK, each chunk's rows added in order starting from 0, then the chunk sums added in order
 * starting from 0; alpha * sum + beta * out formed in double and rounded once (beta == 0 never reads out). A fixed
 * order that a GPU can compute chunk by chunk in parallel and still match bit for bit. */
#define DBN4J_COLUMN_SUM_CHUNK 64
int dbn4j_column_sums(const float *x, float *out, int B, int N, float alpha, float beta);
/* y += alpha * x; x *= alpha. */
int dbn4j_axpy(float alpha, const float *x, float *y, int64_t n);
int dbn4j_scale(float alpha, float *x, int64_t n);
/* SGD with momentum and L2 weight decay, on n parameters w with gradient g and velocity v:
 *   g' = g + weight_decay * w;  v = momentum * v - lr * g';  v = 0 where |v| < 2^-126
 *   plain:    w = w + v
 *   nesterov: w = w + momentum * v - lr * g'
 * A velocity that decays into the subnormal range (below FLT_MIN = 2^-126: with momentum 0.9, some 800 steps after
 * a weight's gradient became zero, such as a rarely lit pixel's or a dead ReLU unit's, without weight decay) becomes
 * +0, as does -0; NaN and infinities stay. x86 multiplies a subnormal through a microcode assist, and such
 * velocities made the epochs of an MLP 784-500-500-10 at batch 10 four times longer (TrainingBench --batch 10:
 * 14.2-14.4 s against 3.6 s on one Xeon core). The CUDA kernels flush the same way. */
int dbn4j_sgd_momentum(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                       float weight_decay, int nesterov);

/* ---- rows (native/src/cpu/rows.cpp) ---- */

/* dst(B,N) row r = src(src_rows,N) row idx[r]; every idx in [0, src_rows). dst must not overlap src.
 * Shuffles a data set into mini-batch order once per epoch. */
int dbn4j_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst);
/* dst(B,N) row r, column c = palette[src[idx[r] * N + c]]: the same rows from a data set held as one byte per
 * element, codes into a palette of 256 floats (a data set of at most 256 distinct values, such as 8-bit pixels
 * scaled, takes a quarter of the memory and of the memory traffic). dst must not overlap src or palette. */
int dbn4j_gather_rows_u8(const uint8_t *src, int src_rows, int N, const float *palette, const int32_t *idx, int B,
                         float *dst);
/* codes(n) and palette(256) of src(n): palette[0 .. *values) are the distinct values of src in order of first
 * appearance (bit patterns: -0 and 0 are two), codes[i] the index of src[i], unused palette entries 0. When src has
 * more than 256 values *values = -1 and codes and palette are unspecified. codes and palette must not overlap src. */
int dbn4j_encode_u8(const float *src, int64_t n, uint8_t *codes, float *palette, int *values);
/* out(B) = sum over columns of softplus(x(B,N)) = log(1 + exp(x)), in double per row; the hidden term of an
 * RBM's free energy. */
int dbn4j_softplus_row_sums(const float *x, float *out, int B, int N);

/* ---- random numbers: Philox4x32-10 ----
 * The stream of (seed, word index w) is word w % 4 of Philox4x32-10(counter = {w/4 low 32 bits, w/4 high 32
 * bits, 0, 0}, key = {seed low 32 bits, seed high 32 bits}). A call with offset o uses words o, o+1, ...;
 * the result depends only on (seed, o, n), never on threads, chunking or instruction set.
 * A uniform float from word u is (u >> 8) * 2^-24, in [0, 1).
 * The Bernoulli samplers use half a word per element: half word k of the stream is the low 16 bits of word k/2
 * for even k and its high 16 bits for odd k (the little-endian uint16 view of the words); a call with offset o
 * gives element i half word 2o + i, so n elements use ceil(n/2) words, o .. o + ceil(n/2) - 1, and a call of n
 * then m elements equals one of n + m when n is even. The sample is h * 2^-16 < p: P(1) = ceil(65536 p) / 65536,
 * within 2^-16 of p (exact for p = 0, p = 1 and multiples of 2^-16). Half the Philox work of a word per sample,
 * far below the sampling noise of any mini-batch. These calls need o < 2^63. */

/* One Philox4x32-10 block (for known-answer tests). */
void dbn4j_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* out[i] = word o+i of the stream. */
int dbn4j_random_bits(uint64_t seed, uint64_t offset, uint32_t *out, int64_t n);
/* out[i] = uniform from word o+i. */
int dbn4j_random_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n);
/* out[i] = h(2o+i) * 2^-16 < p[i] ? 1 : 0, h(k) half word k (above). Uses ceil(n/2) words. In place (out == p)
 * allowed. */
int dbn4j_random_bernoulli(uint64_t seed, uint64_t offset, const float *p, float *out, int64_t n);
/* out[i] = (mean ? mean[i] : 0) + stddev * z_i, z_i standard normal by Box-Muller from words o+2i, o+2i+1
 * (u1 = ((w >> 8) + 1) * 2^-24 in (0, 1], u2 = (w >> 8) * 2^-24, z = sqrt(-2 ln u1) cos(2 pi u2)).
 * Uses 2n words. In place (out == mean) allowed. */
int dbn4j_random_gaussian(uint64_t seed, uint64_t offset, const float *mean, float stddev, float *out,
                          int64_t n);

/* ---- fused Gibbs step ----
 * x(B,N) is a pre-activation (e.g. v W); b(N) a bias or NULL.
 * p = sigmoid(x + b) written to p (p == x allowed), s = h(2o + r*N + c) * 2^-16 < p ? 1 : 0 written to s.
 * One pass; uses ceil(B*N/2) words. Bit-identical to add_row_bias + sigmoid_forward + random_bernoulli. */
int dbn4j_sigmoid_bernoulli(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p,
                            float *s, int B, int N);

/* ---- fused with the column sums of the result (an RBM's bias gradients) ----
 * As dbn4j_bias_sigmoid and dbn4j_sigmoid_bernoulli, and sums(N) = alpha * (column sums of x, resp. p) + beta * sums
 * bit for bit as dbn4j_column_sums gives them: each chunk of DBN4J_COLUMN_SUM_CHUNK rows is summed right after it is
 * computed, while it is in cache. sums must not overlap x, b, p or s. */
int dbn4j_bias_sigmoid_sums(float *x, const float *b, int B, int N, float *sums, float alpha, float beta);
int dbn4j_sigmoid_bernoulli_sums(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p, float *s,
                                 int B, int N, float *sums, float alpha, float beta);

#ifdef __cplusplus
}
#endif

#endif /* DBN4J_KERNELS_H */
