/*
 * dbn4j CUDA backend: the C API of native/src/cuda (static library dbn4j_cuda, built with -DDBN4J_CUDA=ON).
 * It mirrors kernels.h function by function with a dbn4j_cuda_ prefix: same shapes, same formulas, same Philox
 * stream, same return codes (plus DBN4J_ECUDA / DBN4J_ENODEV), but every float/int/double pointer of a kernel is
 * DEVICE memory and every kernel takes the cudaStream_t it is queued on as `void *stream` (NULL = the legacy
 * default stream). Kernels only queue work: they never synchronize the host, and results (the losses included,
 * which are written to a device double) are valid once the stream has run that far.
 *
 * GEMM is not here: the Java layer calls cuBLAS through the bytedeco CUDA presets on the same stream. Row-major
 * C(M,N) = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T, i.e. cublasSgemm with the operands
 * swapped (B first, then A) and m = N, n = M. This library needs only the CUDA runtime (cudart).
 *
 * Errors: every function returns DBN4J_OK or a code; dbn4j_cuda_last_error() (per thread) then names the function
 * and, for a failed CUDA call, the call and CUDA's message, e.g. "cudaMalloc(400000000 bytes): out of memory".
 * A fault inside a kernel (illegal address, ...) is asynchronous: it surfaces at the next dbn4j_cuda_synchronize
 * (or at a later call's launch check), with the failing call named there.
 *
 * Bit compatibility with the CPU backend (native/src/cuda is compiled with -fmad=false, IEEE division and sqrt):
 * random_bits/uniform/bernoulli/gaussian and the sample s of sigmoid_bernoulli are bit-identical to the CPU for
 * the same (seed, offset); sigmoid, tanh, relu, softmax (one row per thread, same summation order), the backward
 * maps, axpy, scale, sgd_momentum, add_row_bias, column_sums (kernels.h's chunked order), the kernels fused with
 * column_sums and gather_rows are bit-identical too. The loss
 * values (double sums in another order, CUDA's double log/exp/log1p) and log_softmax (CUDA's double log) agree to
 * a relative 1e-12 / 1 float ulp. Tests: ctest --test-dir <build> -R cuda (needs a device; SKIP otherwise).
 */
#ifndef DBN4J_CUDA_KERNELS_H
#define DBN4J_CUDA_KERNELS_H

#include <stdint.h>

#include "dbn4j/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DBN4J_ECUDA 5    /* a CUDA runtime call failed (message names it), or a kernel faulted */
#define DBN4J_ENODEV 6   /* no CUDA driver or no CUDA device */

/* Copy directions of dbn4j_cuda_memcpy_async. */
#define DBN4J_CUDA_H2D 1
#define DBN4J_CUDA_D2H 2
#define DBN4J_CUDA_D2D 3

/* ---- errors, devices, streams (native/src/cuda/errors.cu, memory.cu) ---- */

/* Message of the last failed call on this thread ("" if none). */
const char *dbn4j_cuda_last_error(void);
/* Number of devices; DBN4J_ENODEV (never a crash) when there is no driver or no device, *count = 0 then. */
int dbn4j_cuda_device_count(int *count);
/* Properties of device `device`; name (NUL-terminated, truncated to name_len) and any output may be NULL. */
int dbn4j_cuda_device_info(int device, char *name, int name_len, int *cc_major, int *cc_minor,
                           int64_t *total_bytes, int *multiprocessors);
/* Makes `device` current for the calling thread (CUDA's per-thread current device). */
int dbn4j_cuda_set_device(int device);
/* Free and total memory of the current device, in bytes. */
int dbn4j_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes);

/* Stream with cudaStreamNonBlocking (does not wait on the legacy default stream). */
int dbn4j_cuda_stream_create(void **stream);
int dbn4j_cuda_stream_destroy(void *stream);
/* Events that order one stream after another (timing disabled): event_record marks the work queued on stream so
 * far; stream_wait_event makes work queued on stream from then on start after the marked work. While a stream is
 * captured into a graph, a stream that waits for an event recorded on it joins the capture (a fork: its work becomes
 * a parallel branch of the graph), and the capturing stream waiting for an event recorded on that one joins the
 * branch back (every branch must be joined before the capture ends). An event may be recorded again as soon as the
 * waits for its earlier record are queued. */
int dbn4j_cuda_event_create(void **event);
int dbn4j_cuda_event_destroy(void *event);
int dbn4j_cuda_event_record(void *event, void *stream);
int dbn4j_cuda_stream_wait_event(void *stream, void *event);
/* Waits for all work queued on stream and reports any asynchronous fault of it ("cudaStreamSynchronize: ..."). */
int dbn4j_cuda_synchronize(void *stream);
/* Waits for the whole device (cudaDeviceSynchronize), reporting asynchronous faults. */
int dbn4j_cuda_device_synchronize(void);

/* ---- memory (native/src/cuda/memory.cu) ---- */

/* Device buffer of bytes > 0 (256-byte aligned, not zeroed); *out = NULL and DBN4J_ENOMEM on failure. */
int dbn4j_cuda_malloc(int64_t bytes, void **out);
/* NULL is a no-op. Implicitly synchronizes the device (cudaFree): free outside the training loop. */
int dbn4j_cuda_free(void *p);
/* Page-locked host buffer (needed for truly asynchronous copies); zeroed. */
int dbn4j_cuda_host_alloc(int64_t bytes, void **out);
int dbn4j_cuda_host_free(void *p);
/* Sets bytes of device memory to the byte value, queued on stream. */
int dbn4j_cuda_memset_async(void *p, int value, int64_t bytes, void *stream);
/* Copies bytes in direction kind (DBN4J_CUDA_H2D, D2H, D2D) queued on stream. A host side that is not page-locked
 * makes the copy synchronous with respect to the host (CUDA's rule), never wrong. */
int dbn4j_cuda_memcpy_async(void *dst, const void *src, int64_t bytes, int kind, void *stream);
/* Blocking conveniences: the async copy, then dbn4j_cuda_synchronize(stream). */
int dbn4j_cuda_copy_to_device(void *dst, const void *host_src, int64_t bytes, void *stream);
int dbn4j_cuda_copy_to_host(void *host_dst, const void *src, int64_t bytes, void *stream);

/* ---- elementwise (native/src/cuda/elementwise.cu) ---- */

int dbn4j_cuda_add_row_bias(float *x, const float *b, int B, int N, void *stream);
/* x = sigmoid(x + b) row by row: add_row_bias then sigmoid_forward in one launch, the same bits. */
int dbn4j_cuda_bias_sigmoid(float *x, const float *b, int B, int N, void *stream);
int dbn4j_cuda_sigmoid_forward(const float *x, float *y, int64_t n, void *stream);
int dbn4j_cuda_sigmoid_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream);
int dbn4j_cuda_tanh_forward(const float *x, float *y, int64_t n, void *stream);
int dbn4j_cuda_tanh_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream);
int dbn4j_cuda_relu_forward(const float *x, float *y, int64_t n, void *stream);
int dbn4j_cuda_relu_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream);

/* ---- softmax (native/src/cuda/softmax.cu) ---- */

int dbn4j_cuda_softmax_forward(const float *x, float *y, int B, int K, void *stream);
int dbn4j_cuda_log_softmax_forward(const float *x, float *y, int B, int K, void *stream);

/* ---- losses (native/src/cuda/losses.cu): formulas of kernels.h; *loss is a DEVICE double (may be NULL) ----
 * With loss != NULL they sum B per-row losses in scratch, DEVICE memory of scratch_rows doubles, where it holds B
 * rows (nothing is allocated then, so that a CUDA graph can record the call; one stream at a time), else in B
 * doubles of stream-ordered scratch (cudaMallocAsync/cudaFreeAsync on stream). scratch may be NULL. */

int dbn4j_cuda_softmax_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int K,
                                     double *loss, double *scratch, int64_t scratch_rows, void *stream);
int dbn4j_cuda_sigmoid_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int N,
                                     double *loss, double *scratch, int64_t scratch_rows, void *stream);
int dbn4j_cuda_squared_error(const float *y, const float *t, float *dy, int B, int N, double *loss, double *scratch,
                             int64_t scratch_rows, void *stream);
/* A loss log's next slot, for a recorded step that logs its loss: log[*next] = *value, then *next + 1 (value, log of
 * slots doubles and next in DEVICE memory; *next is read when the kernel runs). Past the slots nothing is written
 * (the Java side checks before each replay), and *next still moves on. */
int dbn4j_cuda_append_double(const double *value, double *log, int64_t slots, uint64_t *next, void *stream);

/* ---- reductions, BLAS-1, updates (native/src/cuda/reduce.cu, elementwise.cu) ---- */

/* column_sums: workspace is NULL or workspace_bytes of device memory, zero-filled once when allocated (each call
 * leaves it zeroed again) and used by one stream at a time. With room for DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES +
 * ceil(B / DBN4J_COLUMN_SUM_CHUNK) * N doubles, the row chunks are summed by many blocks at once (the last block of
 * each 32 columns adds them); otherwise one block per 32 columns adds them all. The same bits either way. */
#define DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES 65536
int dbn4j_cuda_column_sums(const float *x, float *out, int B, int N, float alpha, float beta, void *workspace,
                           int64_t workspace_bytes, void *stream);
/* bias_sigmoid and sigmoid_bernoulli fused with the column sums of the result (an RBM's bias gradients), as
 * kernels.h's dbn4j_bias_sigmoid_sums / dbn4j_sigmoid_bernoulli_sums: x (resp. p, s) as the plain kernel gives them
 * and sums(N) = alpha * (column sums of the new x, resp. p) + beta * sums as dbn4j_cuda_column_sums gives them (the
 * same workspace), bit for bit, in one launch. sums must not overlap x, b, p or s. The _at variant reads its stream
 * offset on the device, *base + delta, as dbn4j_cuda_sigmoid_bernoulli_at. */
int dbn4j_cuda_bias_sigmoid_sums(float *x, const float *b, int B, int N, float *sums, float alpha, float beta,
                                 void *workspace, int64_t workspace_bytes, void *stream);
int dbn4j_cuda_sigmoid_bernoulli_sums(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p,
                                      float *s, int B, int N, float *sums, float alpha, float beta, void *workspace,
                                      int64_t workspace_bytes, void *stream);
int dbn4j_cuda_sigmoid_bernoulli_sums_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *x,
                                         const float *b, float *p, float *s, int B, int N, float *sums, float alpha,
                                         float beta, void *workspace, int64_t workspace_bytes, void *stream);
/* column_sums and bias_sigmoid_sums followed by dbn4j_cuda_sgd_momentum(w, sums, v, N, lr, momentum, weight_decay,
 * nesterov) in the same launch, with the same bits: a bias's gradient and its step (the step of each column runs as
 * soon as its sum is final). w and v (N) must not overlap each other, the sums or x; w may be b itself (every b is
 * read before any w is written), v must not overlap b. */
int dbn4j_cuda_column_sums_sgd(const float *x, float *out, int B, int N, float alpha, float beta, float *w, float *v,
                               float lr, float momentum, float weight_decay, int nesterov, void *workspace,
                               int64_t workspace_bytes, void *stream);
int dbn4j_cuda_bias_sigmoid_sums_sgd(float *x, const float *b, int B, int N, float *sums, float alpha, float beta,
                                     float *w, float *v, float lr, float momentum, float weight_decay, int nesterov,
                                     void *workspace, int64_t workspace_bytes, void *stream);
int dbn4j_cuda_axpy(float alpha, const float *x, float *y, int64_t n, void *stream);
int dbn4j_cuda_scale(float alpha, float *x, int64_t n, void *stream);
int dbn4j_cuda_sgd_momentum(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                            float weight_decay, int nesterov, void *stream);

/* ---- rows (native/src/cuda/reduce.cu) ---- */

/* idx is DEVICE memory (B int32). An index outside [0, src_rows) cannot be checked without a host round trip:
 * that destination row is filled with NaN instead (the Java side validates its permutation before upload). */
int dbn4j_cuda_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst,
                           void *stream);
/* As gather_rows from byte codes (row s at codes + s * N, DEVICE memory) decoded through palette (256 floats,
 * DEVICE): the floats of dbn4j_gather_rows_u8, bit for bit. */
int dbn4j_cuda_gather_rows_u8(const uint8_t *codes, int src_rows, int N, const float *palette, const int32_t *idx,
                              int B, float *dst, void *stream);
/* The gathers of batch k = *batch (a DEVICE uint64_t, read when the kernel runs: a recorded step's batch) of an
 * epoch's order (len int32, DEVICE): dst row r = source row order[k * B + r]. A batch reaching past len gives NaN
 * rows, as a bad index does. */
int dbn4j_cuda_gather_rows_at(const float *src, int src_rows, int N, const int32_t *order, int64_t len,
                              const uint64_t *batch, int B, float *dst, void *stream);
int dbn4j_cuda_gather_rows_u8_at(const uint8_t *codes, int src_rows, int N, const float *palette,
                                 const int32_t *order, int64_t len, const uint64_t *batch, int B, float *dst,
                                 void *stream);
int dbn4j_cuda_softplus_row_sums(const float *x, float *out, int B, int N, void *stream);

/* ---- random numbers (native/src/cuda/random.cu): the Philox4x32-10 stream of kernels.h, bit for bit ---- */

/* One block, host arrays in and out (known-answer tests); synchronous on the legacy default stream. */
int dbn4j_cuda_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
int dbn4j_cuda_random_bits(uint64_t seed, uint64_t offset, uint32_t *out, int64_t n, void *stream);
int dbn4j_cuda_random_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n, void *stream);
int dbn4j_cuda_random_bernoulli(uint64_t seed, uint64_t offset, const float *p, float *out, int64_t n,
                                void *stream);
int dbn4j_cuda_random_gaussian(uint64_t seed, uint64_t offset, const float *mean, float stddev, float *out,
                               int64_t n, void *stream);
int dbn4j_cuda_sigmoid_bernoulli(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p,
                                 float *s, int B, int N, void *stream);

/* The samplers with the stream offset read on the device when the kernel runs: offset = *base + delta, base a
 * DEVICE uint64_t. For CUDA graphs, which replay their launch arguments: *base set before a replay (set_u64), or
 * moved on by the graph's last node (add_u64) for the next one. */
int dbn4j_cuda_sigmoid_bernoulli_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *x,
                                    const float *b, float *p, float *s, int B, int N, void *stream);
int dbn4j_cuda_random_uniform_at(uint64_t seed, const uint64_t *base, uint64_t delta, float *out, int64_t n,
                                 void *stream);
int dbn4j_cuda_random_bernoulli_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *p, float *out,
                                   int64_t n, void *stream);
int dbn4j_cuda_random_gaussian_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *mean,
                                  float stddev, float *out, int64_t n, void *stream);
/* *p = value, p a DEVICE uint64_t, queued on stream. */
int dbn4j_cuda_set_u64(uint64_t *p, uint64_t value, void *stream);
/* *p += delta, p a DEVICE uint64_t, queued on stream (a recorded step advancing its own offset). */
int dbn4j_cuda_add_u64(uint64_t *p, uint64_t delta, void *stream);

/* ---- CUDA graphs (native/src/cuda/graph.cu) ---- */

/* Starts capturing the work that this thread queues on stream (cudaStreamCaptureModeThreadLocal): until
 * dbn4j_cuda_graph_end, kernels and copies queued on stream are recorded, not run, and a synchronizing call of this
 * thread fails (and invalidates the capture). stream must not be NULL. */
int dbn4j_cuda_graph_begin(void *stream);
/* Ends the capture (always) and instantiates the recorded graph into *exec (NULL on failure). */
int dbn4j_cuda_graph_end(void *stream, void **exec);
/* As dbn4j_cuda_graph_end, and counts[0] = the graph's work nodes (kernels, copies, memsets: a GEMM may be more than
 * one kernel), counts[1] = the most of them on one path (what a replay runs one after another: its critical path);
 * both -1 where the runtime cannot say. */
int dbn4j_cuda_graph_end_counted(void *stream, void **exec, int64_t counts[2]);
/* Queues one replay of exec on stream. */
int dbn4j_cuda_graph_launch(void *exec, void *stream);
/* NULL is a no-op. */
int dbn4j_cuda_graph_destroy(void *exec);

#ifdef __cplusplus
}
#endif

#endif /* DBN4J_CUDA_KERNELS_H */
