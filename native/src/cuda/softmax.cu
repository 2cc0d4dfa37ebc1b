/*
 * softmax.cu: row softmax and log-softmax of x(B,K), max-subtracted.
 * One thread per row, which runs the CPU's loops (max, exp_neg, float sum in lane order) unchanged: softmax is
 * bit-identical to dbn4j_cpu; log_softmax differs only where CUDA's double log(s) (<= 1 ulp of double) rounds to
 * another float than glibc's, i.e. practically never. Meant for class counts K up to a few thousand (a row is
 * serial work for one thread; rows are the parallelism). Test: ctest --test-dir <build> -R cuda.
 */
#include "internal.cuh"

namespace dbn4j_cuda {

namespace {

__global__ void k_softmax(const float *x, float *y, int B, int K) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < B; r += (int64_t)gridDim.x * blockDim.x) {
        const float *xr = x + (int64_t)r * K;
        float *yr = y + (int64_t)r * K;
        float m = row_max(xr, K);
        for (int k = 0; k < K; k++) yr[k] = exp_neg(__fsub_rn(xr[k], m));
        LaneSum sum;
        for (int k = 0; k < K; k++) sum.add(k, yr[k]);
        float s = sum.total();
        for (int k = 0; k < K; k++) yr[k] = __fdiv_rn(yr[k], s);
    }
}

__global__ void k_log_softmax(const float *x, float *y, int B, int K) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < B; r += (int64_t)gridDim.x * blockDim.x) {
        const float *xr = x + (int64_t)r * K;
        float *yr = y + (int64_t)r * K;
        float m = row_max(xr, K);
        float logs = (float)log((double)row_sum_exp(xr, m, K));
        for (int k = 0; k < K; k++) yr[k] = __fsub_rn(__fsub_rn(xr[k], m), logs);
    }
}

using RowsKernel = void (*)(const float *, float *, int, int);

int rows1(const char *fn, RowsKernel k, const float *x, float *y, int B, int K, void *stream) {
    if (int rc = check_rows(fn, B, K)) return rc;
    int64_t n = (int64_t)B * K;
    if (n == 0) return DBN4J_OK;
    if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d K=%d", fn, !x ? "x" : "y", B, K);
    if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
    // Small blocks: B is often only 32-512 rows, spread them over as many multiprocessors as possible.
    k<<<(unsigned)(((int64_t)B + 63) / 64), 64, 0, as_stream(stream)>>>(x, y, B, K);
    return check_launch(fn);
}

} // namespace
} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

int dbn4j_cuda_softmax_forward(const float *x, float *y, int B, int K, void *stream) {
    return rows1("dbn4j_cuda_softmax_forward", k_softmax, x, y, B, K, stream);
}
int dbn4j_cuda_log_softmax_forward(const float *x, float *y, int B, int K, void *stream) {
    return rows1("dbn4j_cuda_log_softmax_forward", k_log_softmax, x, y, B, K, stream);
}

} // extern "C"
