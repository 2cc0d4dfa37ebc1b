/*
 * losses.cu: softmax + cross-entropy, sigmoid + binary cross-entropy, squared error (formulas of kernels.h).
 * p / dz / dy are elementwise and bit-identical to the CPU (softmax CE: one thread per row running the CPU's row
 * loop; the others: one thread per element). The loss is a DEVICE double: per-row sums in double (softmax CE:
 * the CPU's order; sigmoid CE, squared error: one warp per row, lanes strided then a fixed butterfly) into the
 * caller's scratch (or stream-ordered scratch allocated per call), then the rows are added in order and divided.
 * No host synchronization.
 * Loss agreement with the CPU: relative ~1e-13 (summation order; CUDA's double exp/log/log1p within 1-2 ulp).
 * Test: ctest --test-dir <build> -R cuda.
 */
#include "internal.cuh"

namespace dbn4j_cuda {
namespace {

// One thread per row: the CPU's softmax_cross_entropy row loop.
__global__ void k_softmax_ce(const float *z, const float *t, float *p, float *dz, int B, int K, float Bf,
                             double *row_loss) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < B; r += (int64_t)gridDim.x * blockDim.x) {
        const float *zr = z + (int64_t)r * K, *tr = t + (int64_t)r * K;
        float m = row_max(zr, K);
        float s = row_sum_exp(zr, m, K);
        if (row_loss) {
            double logs = log((double)s), acc = 0.0;
            for (int k = 0; k < K; k++) {
                double tk = tr[k];
                if (tk != 0.0)
                    acc = __dadd_rn(acc, __dmul_rn(tk, __dsub_rn(__dsub_rn((double)zr[k], (double)m), logs)));
            }
            row_loss[r] = -acc;
        }
        float *pr = p ? p + (int64_t)r * K : nullptr, *dr = dz ? dz + (int64_t)r * K : nullptr;
        if (!pr && !dr) continue;
        for (int k = 0; k < K; k++) {
            float zk = zr[k], tk = tr[k];
            float pk = __fdiv_rn(exp_neg(__fsub_rn(zk, m)), s);
            if (pr) pr[k] = pk;
            if (dr) dr[k] = flush_subnormal1(__fdiv_rn(__fsub_rn(pk, tk), Bf));
        }
    }
}

// p = sigmoid(z), dz = (p - t) / B (a subnormal dz made +0), elementwise.
__global__ void k_sigmoid_ce_grad(const float *z, const float *t, float *p, float *dz, int64_t n, float Bf) {
    DBN4J_GRID_STRIDE(i, n) {
        float zi = z[i], ti = t[i];
        float pi = sigmoid1(zi);
        if (p) p[i] = pi;
        if (dz) dz[i] = flush_subnormal1(__fdiv_rn(__fsub_rn(pi, ti), Bf));
    }
}

// One warp per row: sum max(z,0) - z t + log1p(exp(-|z|)) in double.
__global__ void k_sigmoid_ce_rows(const float *z, const float *t, int B, int N, double *row_loss) {
    int lane = threadIdx.x & 31;
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < B;
         r += ((int64_t)gridDim.x * blockDim.x) >> 5) {
        const float *zr = z + r * N, *tr = t + r * N;
        double acc = 0.0;
        for (int c = lane; c < N; c += 32) {
            double zc = zr[c], tc = tr[c];
            acc = __dadd_rn(acc, __dadd_rn(__dsub_rn(zc > 0.0 ? zc : 0.0, __dmul_rn(zc, tc)), log1p(exp(-fabs(zc)))));
        }
        acc = warp_sum(acc);
        if (lane == 0) row_loss[r] = acc;
    }
}

__global__ void k_squared_error_grad(const float *y, const float *t, float *dy, int64_t n, float Bf) {
    DBN4J_GRID_STRIDE(i, n) dy[i] = __fdiv_rn(__fsub_rn(y[i], t[i]), Bf);
}

__global__ void k_squared_error_rows(const float *y, const float *t, int B, int N, double *row_loss) {
    int lane = threadIdx.x & 31;
    for (int64_t r = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < B;
         r += ((int64_t)gridDim.x * blockDim.x) >> 5) {
        const float *yr = y + r * N, *tr = t + r * N;
        double acc = 0.0;
        for (int c = lane; c < N; c += 32) {
            double d = (double)yr[c] - (double)tr[c];   // exact
            acc = __dadd_rn(acc, __dmul_rn(d, d));
        }
        acc = warp_sum(acc);
        if (lane == 0) row_loss[r] = acc;
    }
}

// loss = (sum of row_loss in row order) / (denom * B), as the CPU's driver. One block: its threads stage FL_TILE row
// terms at a time in shared memory (many loads in flight), thread 0 adds them in row order (one thread reading
// global memory row after row waited a full memory latency per row).
constexpr int FL_THREADS = 256;
constexpr int FL_TILE = 1024;   // 8 KiB of doubles

__global__ void k_finish_loss(const double *row_loss, int B, double denom, double *loss) {
    __shared__ double tile[FL_TILE];
    double total = 0.0;
    for (int64_t r0 = 0; r0 < B; r0 += FL_TILE) {
        int rows = (int)(B - r0 < FL_TILE ? B - r0 : FL_TILE);
        __syncthreads();   // thread 0 has finished the previous tile
        for (int r = threadIdx.x; r < rows; r += blockDim.x) tile[r] = row_loss[r0 + r];
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int r = 0; r < rows; r++) total = __dadd_rn(total, tile[r]);
        }
    }
    if (threadIdx.x == 0) *loss = __ddiv_rn(total, __dmul_rn(denom, (double)B));
}

__global__ void k_zero(double *loss) { *loss = 0.0; }

// A log's next slot: log[*next] = *value (past the slots: nothing written), then *next + 1.
__global__ void k_append_double(const double *value, double *log, uint64_t slots, uint64_t *next) {
    uint64_t k = *next;
    if (k < slots) log[k] = *value;
    *next = k + 1;
}

// Shared checks, as the CPU's loss_driver. Returns DBN4J_OK with *empty set when there is nothing to compute
// (the loss is then zeroed on the stream).
int check_loss(const char *fn, const char *const names[4], const float *in, const float *t, const float *out1,
               const float *out2, int B, int N, double *loss, const double *scratch, int64_t scratch_rows,
               void *stream, bool *empty) {
    *empty = false;
    if (int rc = check_rows(fn, B, N)) return rc;
    if (scratch_rows < 0) return fail(DBN4J_EINVAL, "%s: scratch_rows=%lld < 0", fn, (long long)scratch_rows);
    if (int rc = check_aligned8(fn, "loss", loss)) return rc;
    if (int rc = check_aligned8(fn, "scratch", scratch)) return rc;
    int64_t n = (int64_t)B * N;
    if (n == 0) {
        *empty = true;
        if (loss) {
            k_zero<<<1, 1, 0, as_stream(stream)>>>(loss);
            return check_launch(fn);
        }
        return DBN4J_OK;
    }
    if (!in || !t) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !in ? names[0] : names[1], B, N);
    const float *outs[2] = {out1, out2};
    for (int i = 0; i < 2; i++) {
        if (partial(outs[i], in, n))
            return fail(DBN4J_EINVAL, "%s: %s partially overlaps %s", fn, names[2 + i], names[0]);
        if (partial(outs[i], t, n))
            return fail(DBN4J_EINVAL, "%s: %s partially overlaps %s", fn, names[2 + i], names[1]);
    }
    if (overlap(out1, n, out2, n)) return fail(DBN4J_EINVAL, "%s: %s overlaps %s", fn, names[2], names[3]);
    if (loss && (overlap(loss, 2, in, n) || overlap(loss, 2, t, n) || overlap(loss, 2, out1, n) ||
                 overlap(loss, 2, out2, n)))
        return fail(DBN4J_EINVAL, "%s: loss overlaps an array", fn);
    if (loss && scratch && scratch_rows >= B) {   // the B doubles that the call uses, 2 B floats
        const int64_t m = 2 * (int64_t)B;
        if (overlap(scratch, m, in, n) || overlap(scratch, m, t, n) || overlap(scratch, m, out1, n) ||
            overlap(scratch, m, out2, n) || overlap(scratch, m, loss, 2))
            return fail(DBN4J_EINVAL, "%s: scratch overlaps an array or loss", fn);
    }
    return DBN4J_OK;
}

// The per-row losses' buffer: the caller's scratch where it holds B rows (nothing allocated: a CUDA graph can record
// the call), else B doubles allocated on the stream (*owned: freed by scratch_finish / scratch_drop).
int scratch_alloc(const char *fn, double **rows, int B, double *scratch, int64_t scratch_rows, bool *owned,
                  void *stream) {
    *owned = false;
    if (scratch && scratch_rows >= B) {
        *rows = scratch;
        return DBN4J_OK;
    }
    cudaError_t err = cudaMallocAsync((void **)rows, (size_t)B * sizeof(double), as_stream(stream));
    if (err != cudaSuccess) {
        cudaGetLastError();
        *rows = nullptr;
        return fail_cuda(err, "%s: cudaMallocAsync(%lld bytes)", fn, (long long)B * 8);
    }
    *owned = true;
    return DBN4J_OK;
}

void scratch_drop(double *rows, bool owned, void *stream) {
    if (owned) cudaFreeAsync(rows, as_stream(stream));
}

int scratch_finish(const char *fn, double *rows, bool owned, int B, double denom, double *loss, void *stream) {
    k_finish_loss<<<1, FL_THREADS, 0, as_stream(stream)>>>(rows, B, denom, loss);
    int rc = check_launch(fn);
    if (!owned) return rc;
    cudaError_t err = cudaFreeAsync(rows, as_stream(stream));
    if (rc == DBN4J_OK && err != cudaSuccess) return fail_cuda(err, "%s: cudaFreeAsync", fn);
    return rc;
}

unsigned warp_grid(int B) { return (unsigned)(((int64_t)B * 32 + THREADS - 1) / THREADS); }

} // namespace
} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_softmax_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int K, double *loss,
                                     double *scratch, int64_t scratch_rows, void *stream) {
    static const char *const names[4] = {"z", "t", "p", "dz"};
    const char *fn = "dbn4j_cuda_softmax_cross_entropy";
    bool empty, owned = false;
    if (int rc = check_loss(fn, names, z, t, p, dz, B, K, loss, scratch, scratch_rows, stream, &empty)) return rc;
    if (empty) return DBN4J_OK;
    double *rows = nullptr;
    if (loss)
        if (int rc = scratch_alloc(fn, &rows, B, scratch, scratch_rows, &owned, stream)) return rc;
    k_softmax_ce<<<(unsigned)(((int64_t)B + 63) / 64), 64, 0, as_stream(stream)>>>(z, t, p, dz, B, K, (float)B, rows);
    int rc = check_launch(fn);
    if (loss) {
        if (rc != DBN4J_OK) {
            scratch_drop(rows, owned, stream);
            return rc;
        }
        return scratch_finish(fn, rows, owned, B, 1.0, loss, stream);
    }
    return rc;
}

int dbn4j_cuda_sigmoid_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int N, double *loss,
                                     double *scratch, int64_t scratch_rows, void *stream) {
    static const char *const names[4] = {"z", "t", "p", "dz"};
    const char *fn = "dbn4j_cuda_sigmoid_cross_entropy";
    bool empty, owned = false;
    if (int rc = check_loss(fn, names, z, t, p, dz, B, N, loss, scratch, scratch_rows, stream, &empty)) return rc;
    if (empty) return DBN4J_OK;
    int64_t n = (int64_t)B * N;
    // The loss reads z and t before p / dz may overwrite them (p == z or dz == t allowed): loss first.
    if (loss) {
        double *rows = nullptr;
        if (int rc = scratch_alloc(fn, &rows, B, scratch, scratch_rows, &owned, stream)) return rc;
        k_sigmoid_ce_rows<<<warp_grid(B), THREADS, 0, as_stream(stream)>>>(z, t, B, N, rows);
        if (int rc = check_launch(fn)) {
            scratch_drop(rows, owned, stream);
            return rc;
        }
        if (int rc = scratch_finish(fn, rows, owned, B, 1.0, loss, stream)) return rc;
    }
    if (p || dz) {
        k_sigmoid_ce_grad<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(z, t, p, dz, n, (float)B);
        return check_launch(fn);
    }
    return DBN4J_OK;
}

int dbn4j_cuda_squared_error(const float *y, const float *t, float *dy, int B, int N, double *loss, double *scratch,
                             int64_t scratch_rows, void *stream) {
    static const char *const names[4] = {"y", "t", "dy", "(none)"};
    const char *fn = "dbn4j_cuda_squared_error";
    bool empty, owned = false;
    if (int rc = check_loss(fn, names, y, t, dy, nullptr, B, N, loss, scratch, scratch_rows, stream, &empty)) return rc;
    if (empty) return DBN4J_OK;
    int64_t n = (int64_t)B * N;
    if (loss) {
        double *rows = nullptr;
        if (int rc = scratch_alloc(fn, &rows, B, scratch, scratch_rows, &owned, stream)) return rc;
        k_squared_error_rows<<<warp_grid(B), THREADS, 0, as_stream(stream)>>>(y, t, B, N, rows);
        if (int rc = check_launch(fn)) {
            scratch_drop(rows, owned, stream);
            return rc;
        }
        if (int rc = scratch_finish(fn, rows, owned, B, 2.0, loss, stream)) return rc;
    }
    if (dy) {
        k_squared_error_grad<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(y, t, dy, n, (float)B);
        return check_launch(fn);
    }
    return DBN4J_OK;
}

int dbn4j_cuda_append_double(const double *value, double *log, int64_t slots, uint64_t *next, void *stream) {
    const char *fn = "dbn4j_cuda_append_double";
    if (!value || !log || !next)
        return fail(DBN4J_EINVAL, "%s: NULL pointer (value=%p log=%p next=%p)", fn, (const void *)value, (void *)log,
                    (void *)next);
    if (slots < 0) return fail(DBN4J_EINVAL, "%s: negative slots=%lld", fn, (long long)slots);
    if (int rc = check_aligned8(fn, "value", value)) return rc;
    if (int rc = check_aligned8(fn, "log", log)) return rc;
    if (int rc = check_aligned8(fn, "next", next)) return rc;
    k_append_double<<<1, 1, 0, as_stream(stream)>>>(value, log, (uint64_t)slots, next);
    return check_launch(fn);
}

} // extern "C"
