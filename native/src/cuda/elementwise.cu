/*
 * elementwise.cu: add_row_bias, bias_sigmoid (the two fused), sigmoid/tanh/relu forward and backward, axpy, scale,
 * sgd_momentum.
 * One thread per element (grid-stride); each element is computed by the CPU's formula in the CPU's operation
 * order (__fmul_rn/__fadd_rn: never contracted to FMA), so results are bit-identical to dbn4j_cpu.
 * Test: ctest --test-dir <build> -R cuda (test_cuda compares each with the CPU library bit for bit).
 */
#include "internal.cuh"

namespace dbn4j_cuda {
namespace {

#define GRID_STRIDE(i, n) \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// Column of element i of a row-major matrix with N columns: 32-bit division where the matrix has fewer than 2^32
// elements (a 64-bit one is a long instruction sequence on the GPU).
__device__ __forceinline__ int column_of(int64_t i, int N, bool small) {
    return small ? (int)((uint32_t)i % (uint32_t)N) : (int)(i % N);
}
__global__ void k_add_row_bias(float *x, const float *b, int64_t n, int N, bool small) {
    GRID_STRIDE(i, n) x[i] = __fadd_rn(x[i], b[column_of(i, N, small)]);
}
// add_row_bias then sigmoid_forward in one pass: the same two float operations, so the same bits.
__global__ void k_bias_sigmoid(float *x, const float *b, int64_t n, int N, bool small) {
    GRID_STRIDE(i, n) x[i] = sigmoid1(__fadd_rn(x[i], b[column_of(i, N, small)]));
}
__global__ void k_sigmoid_forward(const float *x, float *y, int64_t n) { GRID_STRIDE(i, n) y[i] = sigmoid1(x[i]); }
__global__ void k_sigmoid_backward(const float *y, const float *dy, float *dx, int64_t n) {
    GRID_STRIDE(i, n) {
        float yi = y[i], gi = dy[i];
        dx[i] = __fmul_rn(__fmul_rn(gi, yi), __fsub_rn(1.0f, yi));   // (dy * y) * (1 - y), as the CPU
    }
}
__global__ void k_tanh_forward(const float *x, float *y, int64_t n) { GRID_STRIDE(i, n) y[i] = tanh1(x[i]); }
__global__ void k_tanh_backward(const float *y, const float *dy, float *dx, int64_t n) {
    GRID_STRIDE(i, n) {
        float yi = y[i], gi = dy[i];
        dx[i] = __fmul_rn(gi, __fsub_rn(1.0f, __fmul_rn(yi, yi)));
    }
}
__global__ void k_relu_forward(const float *x, float *y, int64_t n) {
    GRID_STRIDE(i, n) {
        float xi = x[i];
        y[i] = xi < 0.0f ? 0.0f : xi;   // NaN propagates, as the CPU
    }
}
__global__ void k_relu_backward(const float *y, const float *dy, float *dx, int64_t n) {
    GRID_STRIDE(i, n) {
        float yi = y[i], gi = dy[i];
        dx[i] = yi > 0.0f ? gi : 0.0f;
    }
}
__global__ void k_axpy(float alpha, const float *x, float *y, int64_t n) {
    GRID_STRIDE(i, n) y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}
__global__ void k_scale(float alpha, float *x, int64_t n) { GRID_STRIDE(i, n) x[i] = __fmul_rn(x[i], alpha); }
__global__ void k_sgd_momentum(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                               float weight_decay, int nesterov) {
    GRID_STRIDE(i, n) sgd_momentum1(w + i, g[i], v + i, lr, momentum, weight_decay, nesterov);
}

using Map1 = void (*)(const float *, float *, int64_t);
using Map2 = void (*)(const float *, const float *, float *, int64_t);

int map1(const char *fn, Map1 k, const float *x, float *y, int64_t n, void *stream) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !x ? "x" : "y", (long long)n);
    if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
    k<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(x, y, n);
    return check_launch(fn);
}

int map2(const char *fn, Map2 k, const float *y, const float *dy, float *dx, int64_t n, void *stream) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!y || !dy || !dx)
        return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !y ? "y" : !dy ? "dy" : "dx", (long long)n);
    if (partial(dx, dy, n)) return fail(DBN4J_EINVAL, "%s: dx partially overlaps dy (only dx == dy is allowed)", fn);
    if (partial(dx, y, n)) return fail(DBN4J_EINVAL, "%s: dx partially overlaps y (only dx == y is allowed)", fn);
    k<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(y, dy, dx, n);
    return check_launch(fn);
}

} // namespace
} // namespace dbn4j_cuda

using namespace dbn4j_cuda;

extern "C" {

static int row_bias(const char *fn, bool with_sigmoid, float *x, const float *b, int B, int N, void *stream) {
    if (int rc = check_rows(fn, B, N)) return rc;
    int64_t n = (int64_t)B * N;
    if (n == 0) return DBN4J_OK;
    if (!x || !b) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !x ? "x" : "b", B, N);
    if (overlap(x, n, b, N)) return fail(DBN4J_EINVAL, "%s: b overlaps x", fn);
    const bool small = n <= (int64_t)UINT32_MAX;
    if (with_sigmoid) {
        k_bias_sigmoid<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(x, b, n, N, small);
    } else {
        k_add_row_bias<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(x, b, n, N, small);
    }
    return check_launch(fn);
}

int dbn4j_cuda_add_row_bias(float *x, const float *b, int B, int N, void *stream) {
    return row_bias("dbn4j_cuda_add_row_bias", false, x, b, B, N, stream);
}

int dbn4j_cuda_bias_sigmoid(float *x, const float *b, int B, int N, void *stream) {
    return row_bias("dbn4j_cuda_bias_sigmoid", true, x, b, B, N, stream);
}

int dbn4j_cuda_sigmoid_forward(const float *x, float *y, int64_t n, void *stream) {
    return map1("dbn4j_cuda_sigmoid_forward", k_sigmoid_forward, x, y, n, stream);
}
int dbn4j_cuda_sigmoid_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream) {
    return map2("dbn4j_cuda_sigmoid_backward", k_sigmoid_backward, y, dy, dx, n, stream);
}
int dbn4j_cuda_tanh_forward(const float *x, float *y, int64_t n, void *stream) {
    return map1("dbn4j_cuda_tanh_forward", k_tanh_forward, x, y, n, stream);
}
int dbn4j_cuda_tanh_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream) {
    return map2("dbn4j_cuda_tanh_backward", k_tanh_backward, y, dy, dx, n, stream);
}
int dbn4j_cuda_relu_forward(const float *x, float *y, int64_t n, void *stream) {
    return map1("dbn4j_cuda_relu_forward", k_relu_forward, x, y, n, stream);
}
int dbn4j_cuda_relu_backward(const float *y, const float *dy, float *dx, int64_t n, void *stream) {
    return map2("dbn4j_cuda_relu_backward", k_relu_backward, y, dy, dx, n, stream);
}

int dbn4j_cuda_axpy(float alpha, const float *x, float *y, int64_t n, void *stream) {
    const char *fn = "dbn4j_cuda_axpy";
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !x ? "x" : "y", (long long)n);
    if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
    k_axpy<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(alpha, x, y, n);
    return check_launch(fn);
}

int dbn4j_cuda_scale(float alpha, float *x, int64_t n, void *stream) {
    const char *fn = "dbn4j_cuda_scale";
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!x) return fail(DBN4J_EINVAL, "%s: x is NULL with n=%lld", fn, (long long)n);
    k_scale<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(alpha, x, n);
    return check_launch(fn);
}

int dbn4j_cuda_sgd_momentum(float *w, const float *g, float *v, int64_t n, float lr, float momentum,
                            float weight_decay, int nesterov, void *stream) {
    const char *fn = "dbn4j_cuda_sgd_momentum";
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!w || !g || !v)
        return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !w ? "w" : !g ? "g" : "v", (long long)n);
    if (overlap(w, n, g, n) || overlap(w, n, v, n) || overlap(g, n, v, n))
        return fail(DBN4J_EINVAL, "%s: w, g and v must not overlap", fn);
    k_sgd_momentum<<<grid_for(n), THREADS, 0, as_stream(stream)>>>(w, g, v, n, lr, momentum, weight_decay,
                                                                   nesterov != 0);
    return check_launch(fn);
}

} // extern "C"
