/*
 * reduce.cu: column_sums (bias gradients), the fused bias_sigmoid_sums and sigmoid_bernoulli_sums (an RBM's
 * activations and their column sums in one launch), gather_rows and gather_rows_u8 (mini-batch order),
 * softplus_row_sums (RBM free energy).
 * column_sums: a warp per chunk of 64 rows and 32 columns, chunk sums added in order (kernels.h): bit-identical to
 * the CPU; many chunks at once with a workspace (cuda_kernels.h). The fused kernels run the same loop and compute
 * each element (and store it) right before adding it: the same bits as bias_sigmoid or sigmoid_bernoulli followed
 * by column_sums, with coalesced loads and stores (lane = column). The _sgd variants then step a parameter vector
 * (a bias) with the new sums as its gradient, in the same launch: the bits of a following sgd_momentum.
 * gather_rows (and gather_rows_u8, from byte codes and a palette): one thread per element, indices read from device
 * memory; the _at forms take batch (*batch) of an epoch's order, read on the device (a recorded step's gather).
 * softplus_row_sums: one warp per row, double, fixed butterfly (agrees with the CPU's in-order sum to ~1e-15
 * relative before the float rounding).
 * Test: ctest --test-dir <build> -R cuda.
 */
#include "internal.cuh"

namespace dbn4j_cuda {
namespace {

// Column sums in the order of kernels.h (chunks of DBN4J_COLUMN_SUM_CHUNK rows added in order, then the chunk sums
// in order), so bit-identical to the CPU. Each warp adds one chunk for 32 columns (lane = column: coalesced rows,
// the chunk's loads independent of the sum and so in flight together); a block holds CS_WARPS chunks.
// Without a workspace (or with too small a one) grid.y = 1 and warp 0 adds the block's chunk sums in order, group
// after group. With one, grid.y = the groups: each block writes its chunk sums to the workspace, and the last block
// of a column tile to finish (a counter per tile) adds all chunk sums in order and resets the counter.
// Either way every chunk of every column tile is visited exactly once, which the fused ops rely on: element j =
// r * N + c of the summed matrix is op.apply(j, op.load(j)), which may compute it and store it first.
constexpr int CS_CHUNK = DBN4J_COLUMN_SUM_CHUNK;
constexpr int CS_COLS = 32;
constexpr int CS_WARPS = 8;
constexpr int CS_THREADS = CS_WARPS * 32;
constexpr int64_t CS_COUNTER_BYTES = DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES;   // one unsigned per 32 columns

#include "../fused_checks.inc"

// The element ops: prepare(c, valid) once per thread (its column c; valid: c < N), load(j) reads element j's input,
// apply(j, v) computes the element from it (storing what the kernel writes) and returns the value summed.
// column_sums: the matrix as it is (read-only path).
struct ReadOp {
    static constexpr int ROWS = 16;
    const float *x;
    __device__ void prepare(int, bool) {}
    __device__ float load(int64_t j) const { return __ldg(x + j); }
    __device__ float apply(int64_t, float v) const { return v; }
    bool touches(const void *ws, int64_t words, int64_t n, int) const { return overlap(ws, words, x, n); }
    // For the host emulation's check of a kernel's pointers (as random.cu's ops); nothing on a device calls it.
    template <class F> void each_pointer(F f) const { f(x); }
};

// bias_sigmoid_sums: x = sigmoid(x + b) in place, kernels.h's add_row_bias + sigmoid_forward (k_bias_sigmoid's two
// float operations), and the new value summed.
struct BiasSigmoidOp {
    static constexpr int ROWS = 8;
    float *x;
    const float *b;
    float bc;
    // b may be NULL if B == 0. A plain load, not __ldg: with a step, b may be written later in the same kernel.
    __device__ void prepare(int c, bool valid) { bc = valid && b ? b[c] : 0.0f; }
    __device__ float load(int64_t j) const { return x[j]; }
    __device__ float apply(int64_t j, float v) const {
        float y = sigmoid1(__fadd_rn(v, bc));
        x[j] = y;
        return y;
    }
    bool touches(const void *ws, int64_t words, int64_t n, int N) const {
        return overlap(ws, words, x, n) || overlap(ws, words, b, N);
    }
    template <class F> void each_pointer(F f) const {
        f(x);
        f(b);
    }
};

// sigmoid_bernoulli_sums: p = sigmoid(x + b), s = uniform16 < p, p summed. Element j draws half word 2 offset + j of
// the stream (kernels.h; the low 16 bits of a word for an even half word, the high 16 for an odd one), as
// random.cu's k_stream does; each element computes the Philox block of its word (the lanes of a warp need up to 5
// blocks per row of 32 elements). With base not NULL the offset is *base + offset (a CUDA graph replay).
struct SigmoidBernoulliOp {
    static constexpr int ROWS = 8;
    uint64_t seed;
    const uint64_t *base;
    uint64_t offset;
    const float *x, *b;
    float *p, *s;
    float bc;
    __device__ void prepare(int c, bool valid) {
        if (base) offset += *base;
        bc = b && valid ? __ldg(b + c) : 0.0f;
    }
    __device__ float load(int64_t j) const { return x[j]; }
    __device__ float apply(int64_t j, float z) const {
        if (b) z = __fadd_rn(z, bc);
        float y = sigmoid1(z);
        // Half word 2 offset + j is word offset + j / 2, its high half for odd j (no 2 offset: it may pass 2^64).
        uint32_t w = stream_word(seed, offset + ((uint64_t)j >> 1));
        uint32_t bits = (j & 1) ? w >> 16 : w & 0xffffu;
        p[j] = y;
        s[j] = uniform16((uint16_t)bits) < y ? 1.0f : 0.0f;
        return y;
    }
    bool touches(const void *ws, int64_t words, int64_t n, int N) const {
        return overlap(ws, words, x, n) || overlap(ws, words, p, n) || overlap(ws, words, s, n)
               || overlap(ws, words, b, N);
    }
    template <class F> void each_pointer(F f) const {
        f(base);
        f(x);
        f(b);
        f(p);
        f(s);
    }
};

// The sum of one chunk's rows of column c, in row order. Op::ROWS rows at a time: their loads are issued together
// before any of their stores (in place, p == x, the compiler may not move a load past a store), so that a warp
// waits for memory once per ROWS rows, not once per row.
template <class Op> __device__ __forceinline__ double chunk_sum(const Op &op, int B, int N, int c, int chunk) {
    double acc = 0.0;
    const int r1 = (int)min((int64_t)B, (int64_t)chunk * CS_CHUNK + CS_CHUNK);   // no int overflow near 2^31 rows
    const int64_t n = N;
    int r = chunk * CS_CHUNK;
    int64_t j = (int64_t)r * n + c;
    for (; r <= r1 - Op::ROWS; r += Op::ROWS, j += Op::ROWS * n) {   // (r + ROWS could pass 2^31)
        float v[Op::ROWS];
#pragma unroll
        for (int u = 0; u < Op::ROWS; u++) v[u] = op.load(j + u * n);
#pragma unroll
        for (int u = 0; u < Op::ROWS; u++) acc = __dadd_rn(acc, (double)op.apply(j + u * n, v[u]));
    }
    for (; r < r1; r++, j += n) acc = __dadd_rn(acc, (double)op.apply(j, op.load(j)));
    return acc;
}

// The step that may follow the sums (the _sgd entry points of cuda_kernels.h): w(N) takes one sgd_momentum step
// with velocity v(N) and the new sums as its gradient, column by column as each sum is final. w == NULL: none.
struct SgdStep {
    float *w, *v;
    float lr, momentum, weight_decay;
    bool nesterov;
    template <class F> void each_pointer(F f) const {
        f(w);
        f(v);
    }
};
constexpr SgdStep NO_STEP{nullptr, nullptr, 0.0f, 0.0f, 0.0f, false};

// column_sums' arguments (also of its _sgd variant); with N == 0 every check passes (nothing to do).
int check_column_sums(const char *fn, const float *x, const float *out, int B, int N) {
    if (int rc = check_rows(fn, B, N)) return rc;
    if (N == 0) return DBN4J_OK;
    if (!out || (B > 0 && !x)) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !out ? "out" : "x", B, N);
    if (overlap(x, (int64_t)B * N, out, N)) return fail(DBN4J_EINVAL, "%s: out overlaps x", fn);
    return DBN4J_OK;
}

// The _sgd entry points' step arguments: w and v (N each) given, disjoint from each other, from the sums and from
// the summed matrix x (n elements), as dbn4j_cuda_sgd_momentum requires of w, g and v.
int check_step(const char *fn, const float *w, const float *v, const float *sums, const float *x, int64_t n, int N) {
    if (!w || !v) return fail(DBN4J_EINVAL, "%s: %s is NULL with N=%d", fn, !w ? "w" : "v", N);
    if (overlap(w, N, v, N)) return fail(DBN4J_EINVAL, "%s: w overlaps v", fn);
    if (overlap(w, N, sums, N) || overlap(v, N, sums, N))
        return fail(DBN4J_EINVAL, "%s: %s overlaps the sums", fn, overlap(w, N, sums, N) ? "w" : "v");
    if (overlap(w, N, x, n) || overlap(v, N, x, n))
        return fail(DBN4J_EINVAL, "%s: %s overlaps x", fn, overlap(w, N, x, n) ? "w" : "v");
    return DBN4J_OK;
}

__device__ __forceinline__ void column_result(float *out, int c, double total, float alpha, float beta,
                                              const SgdStep &step) {
    float g;
    if (beta == 0.0f) {
        g = (float)__dmul_rn((double)alpha, total);   // beta == 0 never reads out
    } else {
        g = (float)__dadd_rn(__dmul_rn((double)alpha, total), __dmul_rn((double)beta, (double)out[c]));
    }
    out[c] = g;
    if (step.w) sgd_momentum1(step.w + c, g, step.v + c, step.lr, step.momentum, step.weight_decay, step.nesterov);
}

template <class Op>
__global__ void k_column_sums(Op op, float *out, int B, int N, float alpha, float beta, SgdStep step,
                              unsigned *counters, double *partials) {
    __shared__ double part[CS_WARPS][CS_COLS];
    __shared__ bool last;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    // The column, or N past the last (in 64 bits: near 2^31 columns an int would wrap to a negative c < N).
    const int c = (int)min((int64_t)blockIdx.x * CS_COLS + lane, (int64_t)N);
    op.prepare(c, c < N);
    const int chunks = (int)(((int64_t)B + CS_CHUNK - 1) / CS_CHUNK);
    const int groups = (chunks + CS_WARPS - 1) / CS_WARPS;
    if (gridDim.y == 1) {
        double total = 0.0;
        for (int g = 0; g < groups; g++) {   // bounds depend on the block only: every thread reaches each barrier
            int chunk = g * CS_WARPS + warp;
            part[warp][lane] = c < N && chunk < chunks ? chunk_sum(op, B, N, c, chunk) : 0.0;
            __syncthreads();
            if (warp == 0) {
                for (int w = 0; w < CS_WARPS && g * CS_WARPS + w < chunks; w++) total = __dadd_rn(total, part[w][lane]);
            }
            __syncthreads();
        }
        // Every warp has read its column's bias (prepare) before this barrier, so a step may write it (w == b: an
        // RBM's hidden bias stepped by the sums of its own activations). Without rows the loop has none.
        if (groups == 0) __syncthreads();
        if (warp == 0 && c < N) column_result(out, c, total, alpha, beta, step);
        return;
    }
    int chunk = blockIdx.y * CS_WARPS + warp;
    if (c < N && chunk < chunks) partials[(int64_t)chunk * N + c] = chunk_sum(op, B, N, c, chunk);
    __threadfence();   // the chunk sums are visible to the block that adds them before the counter says so
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();   // and ordered before the count by the thread that makes it (release)
        last = atomicAdd(&counters[blockIdx.x], 1u) == gridDim.y - 1;
        if (last) __threadfence();   // acquire: the other blocks' chunk sums are read after their counts
    }
    __syncthreads();
    if (!last) return;
    // Every block of this column tile has read its bias (prepare) before counting itself: a step may write it.
    if (warp == 0 && c < N) {
        double total = 0.0;
        for (int k = 0; k < chunks; k++) total = __dadd_rn(total, __ldcg(&partials[(int64_t)k * N + c]));
        column_result(out, c, total, alpha, beta, step);
    }
    if (threadIdx.x == 0) counters[blockIdx.x] = 0;   // ready for the next call (or graph replay)
}

// One launch over every (row chunk, column tile); the arguments are checked by the caller, N > 0.
template <class Op>
int launch_column_sums(const char *fn, const Op &op, float *out, int B, int N, float alpha, float beta,
                       const SgdStep &step, void *workspace, int64_t workspace_bytes, void *stream) {
    if (workspace_bytes < 0) return fail(DBN4J_EINVAL, "%s: workspace_bytes=%lld < 0", fn, (long long)workspace_bytes);
    if (int rc = check_aligned8(fn, "workspace", workspace)) return rc;   // its chunk sums are doubles
    // The kernel writes the workspace (counters, chunk sums): shared with an operand it would corrupt both.
    const int64_t words = (workspace_bytes + 3) / 4;
    if (workspace && (op.touches(workspace, words, (int64_t)B * N, N) || overlap(workspace, words, out, N)
                      || overlap(workspace, words, step.w, N) || overlap(workspace, words, step.v, N)))
        return fail(DBN4J_EINVAL, "%s: the workspace overlaps an operand", fn);
    const int64_t tiles = ((int64_t)N + CS_COLS - 1) / CS_COLS;
    const int64_t chunks = ((int64_t)B + CS_CHUNK - 1) / CS_CHUNK;
    const int64_t groups = (chunks + CS_WARPS - 1) / CS_WARPS;
    unsigned *counters = nullptr;
    double *partials = nullptr;
    unsigned grid_y = 1;
    if (workspace && groups > 1 && groups <= 65535 && tiles * (int64_t)sizeof(unsigned) <= CS_COUNTER_BYTES
        && CS_COUNTER_BYTES + chunks * N * (int64_t)sizeof(double) <= workspace_bytes) {
        counters = (unsigned *)workspace;
        partials = (double *)((char *)workspace + CS_COUNTER_BYTES);
        grid_y = (unsigned)groups;
    }
    dim3 grid((unsigned)tiles, grid_y);
    k_column_sums<<<grid, CS_THREADS, 0, as_stream(stream)>>>(op, out, B, N, alpha, beta, step, counters,
                                                              partials);
    return check_launch(fn);
}

int sigmoid_bernoulli_sums(const char *fn, uint64_t seed, const uint64_t *base, uint64_t offset, const float *x,
                           const float *b, float *p, float *s, int B, int N, float *sums, float alpha, float beta,
                           void *workspace, int64_t workspace_bytes, void *stream) {
    if (int rc = check_sigmoid_bernoulli_sums(fn, x, b, p, s, B, N, sums)) return rc;
    if (N == 0) return DBN4J_OK;
    // Half words count 2 offset + n: a host offset must be below 2^63 (a device offset is the graph's bookkeeping,
    // which starts from a checked RandomStream).
    if (!base && (offset >> 63)) return fail(DBN4J_EINVAL, "%s: offset=%llu >= 2^63", fn, (unsigned long long)offset);
    return launch_column_sums(fn, SigmoidBernoulliOp{seed, base, offset, x, b, p, s}, sums, B, N, alpha, beta,
                              NO_STEP, workspace, workspace_bytes, stream);
}

// Row r of a gather: idx[r], or with batch not NULL the order's row (*batch) * B + r (a recorded step's batch, read
// on the device when the kernel runs); -1 (a NaN row) past the len indices there are.
__device__ inline int32_t gather_index(const int32_t *idx, int64_t len, const uint64_t *batch, int B, int64_t r) {
    uint64_t first = 0;
    if (batch) {
        uint64_t k = *batch;
        if (k > (uint64_t)len / (uint64_t)B) return -1;
        first = k * (uint64_t)B;
    }
    uint64_t at = first + (uint64_t)r;
    return at < (uint64_t)len ? idx[at] : -1;
}

__global__ void k_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int64_t len,
                              const uint64_t *batch, int B, float *dst) {
    int64_t n = (int64_t)B * N;
    DBN4J_GRID_STRIDE(i, n) {
        int64_t r = i / N, c = i - r * N;
        int32_t s = gather_index(idx, len, batch, B, r);
        dst[i] = (s >= 0 && s < src_rows) ? src[(int64_t)s * N + c] : __int_as_float(0x7fc00000);
    }
}

// The same rows decoded from byte codes (row s at codes + s * N) through a palette of 256 floats.
__global__ void k_gather_rows_u8(const uint8_t *codes, int src_rows, int N, const float *palette, const int32_t *idx,
                                 int64_t len, const uint64_t *batch, int B, float *dst) {
    int64_t n = (int64_t)B * N;
    DBN4J_GRID_STRIDE(i, n) {
        int64_t r = i / N, c = i - r * N;
        int32_t s = gather_index(idx, len, batch, B, r);
        dst[i] = (s >= 0 && s < src_rows) ? __ldg(palette + codes[(int64_t)s * N + c]) : __int_as_float(0x7fc00000);
    }
}

__global__ void k_softplus_row_sums(const float *x, float *out, int B, int N) {
    int lane = threadIdx.x & 31;
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < B;
         r += ((int64_t)gridDim.x * blockDim.x) >> 5) {
        const float *xr = x + r * N;
        double acc = 0.0;
        for (int c = lane; c < N; c += 32) {
            double v = xr[c];
            acc = __dadd_rn(acc, __dadd_rn(v > 0 ? v : 0.0, log1p(exp(-fabs(v)))));
        }
        acc = warp_sum(acc);
        if (lane == 0) out[r] = (float)acc;
    }
}

} // namespace
} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_column_sums(const float *x, float *out, int B, int N, float alpha, float beta, void *workspace,
                           int64_t workspace_bytes, void *stream) {
    const char *fn = "dbn4j_cuda_column_sums";
    if (int rc = check_column_sums(fn, x, out, B, N)) return rc;
    if (N == 0) return DBN4J_OK;
    return launch_column_sums(fn, ReadOp{x}, out, B, N, alpha, beta, NO_STEP, workspace, workspace_bytes, stream);
}

int dbn4j_cuda_column_sums_sgd(const float *x, float *out, int B, int N, float alpha, float beta, float *w, float *v,
                               float lr, float momentum, float weight_decay, int nesterov, void *workspace,
                               int64_t workspace_bytes, void *stream) {
    const char *fn = "dbn4j_cuda_column_sums_sgd";
    if (int rc = check_column_sums(fn, x, out, B, N)) return rc;
    if (N == 0) return DBN4J_OK;
    if (int rc = check_step(fn, w, v, out, x, (int64_t)B * N, N)) return rc;
    return launch_column_sums(fn, ReadOp{x}, out, B, N, alpha, beta,
                              SgdStep{w, v, lr, momentum, weight_decay, nesterov != 0}, workspace, workspace_bytes,
                              stream);
}

int dbn4j_cuda_bias_sigmoid_sums(float *x, const float *b, int B, int N, float *sums, float alpha, float beta,
                                 void *workspace, int64_t workspace_bytes, void *stream) {
    const char *fn = "dbn4j_cuda_bias_sigmoid_sums";
    if (int rc = check_bias_sigmoid_sums(fn, x, b, B, N, sums)) return rc;
    if (N == 0) return DBN4J_OK;
    return launch_column_sums(fn, BiasSigmoidOp{x, b}, sums, B, N, alpha, beta, NO_STEP, workspace, workspace_bytes,
                              stream);
}

int dbn4j_cuda_bias_sigmoid_sums_sgd(float *x, const float *b, int B, int N, float *sums, float alpha, float beta,
                                     float *w, float *v, float lr, float momentum, float weight_decay, int nesterov,
                                     void *workspace, int64_t workspace_bytes, void *stream) {
    const char *fn = "dbn4j_cuda_bias_sigmoid_sums_sgd";
    if (int rc = check_bias_sigmoid_sums(fn, x, b, B, N, sums)) return rc;
    if (N == 0) return DBN4J_OK;
    if (int rc = check_step(fn, w, v, sums, x, (int64_t)B * N, N)) return rc;
    // w may be b itself (the kernel reads every b before it steps w), not part of it; v must stay clear of b.
    if (partial(w, b, N) || overlap(v, N, b, N))
        return fail(DBN4J_EINVAL, "%s: %s", fn, overlap(v, N, b, N) ? "v overlaps b" : "w partially overlaps b");
    return launch_column_sums(fn, BiasSigmoidOp{x, b}, sums, B, N, alpha, beta,
                              SgdStep{w, v, lr, momentum, weight_decay, nesterov != 0}, workspace, workspace_bytes,
                              stream);
}

int dbn4j_cuda_sigmoid_bernoulli_sums(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p,
                                      float *s, int B, int N, float *sums, float alpha, float beta, void *workspace,
                                      int64_t workspace_bytes, void *stream) {
    return sigmoid_bernoulli_sums("dbn4j_cuda_sigmoid_bernoulli_sums", seed, nullptr, offset, x, b, p, s, B, N, sums,
                                  alpha, beta, workspace, workspace_bytes, stream);
}

int dbn4j_cuda_sigmoid_bernoulli_sums_at(uint64_t seed, const uint64_t *base, uint64_t delta, const float *x,
                                         const float *b, float *p, float *s, int B, int N, float *sums, float alpha,
                                         float beta, void *workspace, int64_t workspace_bytes, void *stream) {
    const char *fn = "dbn4j_cuda_sigmoid_bernoulli_sums_at";
    if (!base) return fail(DBN4J_EINVAL, "%s: base is NULL", fn);
    if (int rc = check_aligned8(fn, "base", base)) return rc;
    return sigmoid_bernoulli_sums(fn, seed, base, delta, x, b, p, s, B, N, sums, alpha, beta, workspace,
                                  workspace_bytes, stream);
}

static int gather_rows(const char *fn, const float *src, int src_rows, int N, const int32_t *idx, int64_t len,
                       const uint64_t *batch, int B, float *dst, void *stream) {
    if (src_rows < 0 || N < 0 || B < 0)
        return fail(DBN4J_EINVAL, "%s: negative size src_rows=%d N=%d B=%d", fn, src_rows, N, B);
    if (len < 0) return fail(DBN4J_EINVAL, "%s: negative order length %lld", fn, (long long)len);
    if (B == 0 || N == 0) return DBN4J_OK;
    if (!src || !idx || !dst)
        return fail(DBN4J_EINVAL, "%s: NULL pointer (src=%p idx=%p dst=%p)", fn, (const void *)src,
                    (const void *)idx, (void *)dst);
    if (overlap(src, (int64_t)src_rows * N, dst, (int64_t)B * N)) return fail(DBN4J_EINVAL, "%s: dst overlaps src", fn);
    if (overlap(idx, len, dst, (int64_t)B * N) || overlap(batch, 2, dst, (int64_t)B * N))
        return fail(DBN4J_EINVAL, "%s: dst overlaps the indices", fn);
    int64_t n = (int64_t)B * N;
    k_gather_rows<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(src, src_rows, N, idx, len, batch, B, dst);
    return check_launch(fn);
}

static int gather_rows_u8(const char *fn, const uint8_t *codes, int src_rows, int N, const float *palette,
                          const int32_t *idx, int64_t len, const uint64_t *batch, int B, float *dst, void *stream) {
    if (src_rows < 0 || N < 0 || B < 0)
        return fail(DBN4J_EINVAL, "%s: negative size src_rows=%d N=%d B=%d", fn, src_rows, N, B);
    if (len < 0) return fail(DBN4J_EINVAL, "%s: negative order length %lld", fn, (long long)len);
    if (B == 0 || N == 0) return DBN4J_OK;
    if (!codes || !palette || !idx || !dst)
        return fail(DBN4J_EINVAL, "%s: NULL pointer (codes=%p palette=%p idx=%p dst=%p)", fn, (const void *)codes,
                    (const void *)palette, (const void *)idx, (void *)dst);
    const char *c0 = (const char *)codes, *c1 = c0 + (int64_t)src_rows * N;
    const char *p0 = (const char *)palette, *p1 = p0 + 256 * sizeof(float);
    const char *d0 = (const char *)dst, *d1 = d0 + (int64_t)B * N * sizeof(float);
    if ((c0 < d1 && d0 < c1) || (p0 < d1 && d0 < p1))
        return fail(DBN4J_EINVAL, "%s: dst overlaps %s", fn, c0 < d1 && d0 < c1 ? "codes" : "palette");
    if (overlap(idx, len, dst, (int64_t)B * N) || overlap(batch, 2, dst, (int64_t)B * N))
        return fail(DBN4J_EINVAL, "%s: dst overlaps the indices", fn);
    int64_t n = (int64_t)B * N;
    k_gather_rows_u8<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(codes, src_rows, N, palette, idx, len, batch, B,
                                                                    dst);
    return check_launch(fn);
}

int dbn4j_cuda_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst,
                           void *stream) {
    return gather_rows("dbn4j_cuda_gather_rows", src, src_rows, N, idx, B, nullptr, B, dst, stream);
}

int dbn4j_cuda_gather_rows_u8(const uint8_t *codes, int src_rows, int N, const float *palette, const int32_t *idx,
                              int B, float *dst, void *stream) {
    return gather_rows_u8("dbn4j_cuda_gather_rows_u8", codes, src_rows, N, palette, idx, B, nullptr, B, dst, stream);
}

int dbn4j_cuda_gather_rows_at(const float *src, int src_rows, int N, const int32_t *order, int64_t len,
                              const uint64_t *batch, int B, float *dst, void *stream) {
    const char *fn = "dbn4j_cuda_gather_rows_at";
    if (!batch) return fail(DBN4J_EINVAL, "%s: batch is NULL", fn);
    if (int rc = check_aligned8(fn, "batch", batch)) return rc;
    return gather_rows(fn, src, src_rows, N, order, len, batch, B, dst, stream);
}

int dbn4j_cuda_gather_rows_u8_at(const uint8_t *codes, int src_rows, int N, const float *palette,
                                 const int32_t *order, int64_t len, const uint64_t *batch, int B, float *dst,
                                 void *stream) {
    const char *fn = "dbn4j_cuda_gather_rows_u8_at";
    if (!batch) return fail(DBN4J_EINVAL, "%s: batch is NULL", fn);
    if (int rc = check_aligned8(fn, "batch", batch)) return rc;
    return gather_rows_u8(fn, codes, src_rows, N, palette, order, len, batch, B, dst, stream);
}

int dbn4j_cuda_softplus_row_sums(const float *x, float *out, int B, int N, void *stream) {
    const char *fn = "dbn4j_cuda_softplus_row_sums";
    if (B < 0 || N < 0) return fail(DBN4J_EINVAL, "%s: negative size B=%d N=%d", fn, B, N);
    if (B == 0) return DBN4J_OK;
    if (!x || !out) return fail(DBN4J_EINVAL, "%s: NULL pointer (x=%p out=%p)", fn, (const void *)x, (void *)out);
    k_softplus_row_sums<<<(unsigned)(((int64_t)B * 32 + THREADS - 1) / THREADS), THREADS, 0, as_stream(stream)>>>(
        x, out, B, N);
    return check_launch(fn);
}

} // extern "C"
