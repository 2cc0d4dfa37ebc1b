/*
 * reduce.cu: column_sums (bias gradients), gather_rows (mini-batch order), softplus_row_sums (RBM free energy).
 * column_sums: rows staged through shared memory, then one thread per column adds them in order in double, as the
 * CPU: bit-identical.
 * gather_rows: one thread per element, indices read from device memory. softplus_row_sums: one warp per row,
 * double, fixed butterfly (agrees with the CPU's in-order sum to ~1e-15 relative before the float rounding).
 * Test: ctest --test-dir <build> -R cuda.
 */
#include "internal.cuh"

namespace dbn4j_cuda {
namespace {

// Column sums in the CPU's order (rows 0..B-1, in double) without the CPU's memory pattern: a thread per column
// reading B rows one after the other keeps one load in flight, and B = 4096 rows took milliseconds. Here a block
// owns 32 columns; its warps stage a tile of CS_ROWS rows x 32 columns in shared memory (coalesced rows, many
// loads in flight), then warp 0 adds each column's tile rows in order. Same additions in the same order: the result
// is still bit-identical to the CPU's.
constexpr int CS_COLS = 32;
constexpr int CS_ROWS = 128;   // 128 x 32 floats = 16 KiB of shared memory
constexpr int CS_THREADS = 256;

__global__ void k_column_sums(const float *x, float *out, int B, int N, float alpha, float beta) {
    __shared__ float tile[CS_ROWS][CS_COLS];   // lane c reads tile[r][c]: one bank per lane, no conflicts
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    // Loop bounds depend on the block only, so every thread reaches every __syncthreads.
    for (int c0 = blockIdx.x * CS_COLS; c0 < N; c0 += gridDim.x * CS_COLS) {
        int c = c0 + lane;
        double acc = 0.0;
        for (int r0 = 0; r0 < B; r0 += CS_ROWS) {
            int rows = min(CS_ROWS, B - r0);
            __syncthreads();   // warp 0 has finished the previous tile
            for (int r = warp; r < rows; r += warps) tile[r][lane] = c < N ? x[(int64_t)(r0 + r) * N + c] : 0.0f;
            __syncthreads();
            if (warp == 0) {
                for (int r = 0; r < rows; r++) acc = __dadd_rn(acc, (double)tile[r][lane]);
            }
        }
        if (warp == 0 && c < N) {
            if (beta == 0.0f) {
                out[c] = (float)__dmul_rn((double)alpha, acc);   // beta == 0 never reads out
            } else {
                out[c] = (float)__dadd_rn(__dmul_rn((double)alpha, acc), __dmul_rn((double)beta, (double)out[c]));
            }
        }
    }
}

__global__ void k_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int64_t n, float *dst) {
    DBN4J_GRID_STRIDE(i, n) {
        int64_t r = i / N, c = i - r * N;
        int32_t s = idx[r];
        dst[i] = (s >= 0 && s < src_rows) ? src[(int64_t)s * N + c] : __int_as_float(0x7fc00000);
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

int dbn4j_cuda_column_sums(const float *x, float *out, int B, int N, float alpha, float beta, void *stream) {
    const char *fn = "dbn4j_cuda_column_sums";
    if (int rc = check_rows(fn, B, N)) return rc;
    if (N == 0) return DBN4J_OK;
    if (!out || (B > 0 && !x)) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !out ? "out" : "x", B, N);
    if (overlap(x, (int64_t)B * N, out, N)) return fail(DBN4J_EINVAL, "%s: out overlaps x", fn);
    // One block per 32 columns (N is a few hundred to a few thousand: up to ~128 blocks, enough for the card).
    unsigned blocks = (unsigned)((N + CS_COLS - 1) / CS_COLS);
    k_column_sums<<<blocks, CS_THREADS, 0, as_stream(stream)>>>(x, out, B, N, alpha, beta);
    return check_launch(fn);
}

int dbn4j_cuda_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst,
                           void *stream) {
    const char *fn = "dbn4j_cuda_gather_rows";
    if (src_rows < 0 || N < 0 || B < 0)
        return fail(DBN4J_EINVAL, "%s: negative size src_rows=%d N=%d B=%d", fn, src_rows, N, B);
    if (B == 0 || N == 0) return DBN4J_OK;
    if (!src || !idx || !dst)
        return fail(DBN4J_EINVAL, "%s: NULL pointer (src=%p idx=%p dst=%p)", fn, (const void *)src,
                    (const void *)idx, (void *)dst);
    if (overlap(src, (int64_t)src_rows * N, dst, (int64_t)B * N)) return fail(DBN4J_EINVAL, "%s: dst overlaps src", fn);
    int64_t n = (int64_t)B * N;
    k_gather_rows<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(src, src_rows, N, idx, n, dst);
    return check_launch(fn);
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
