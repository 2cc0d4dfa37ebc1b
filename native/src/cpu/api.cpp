/*
 * The C API of the kernels: argument checks, then the active ISA table run over a parallel_for.
 * Work is split so that results never depend on the thread count: elementwise and random kernels by element
 * ranges, row kernels by rows, column_sums by columns, and losses sum each row and then add the rows in order.
 * Tests: ctest --test-dir <build> (errors: test_errors, threads/ISA: test_isa, accuracy: test_accuracy).
 */
#include <stddef.h>
#include <stdint.h>

#include <new>
#include <vector>

#include "internal.h"

namespace dbn4j {

namespace {

// Runs body, turning any C++ exception into an error code: nothing may cross the C boundary.
template <class F> int guarded(const char *fn, F &&body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return fail(DBN4J_ENOMEM, "%s: out of memory", fn);
    } catch (...) {
        return fail(DBN4J_EINVAL, "%s: internal error", fn);
    }
}

// [a, a + na) and [b, b + nb) (in floats) share an address.
bool overlap(const void *a, int64_t na, const void *b, int64_t nb) {
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a && b && na > 0 && nb > 0 && a0 < b0 + (uintptr_t)nb * 4 && b0 < a0 + (uintptr_t)na * 4;
}
// An output of n elements that must be the input itself or disjoint from it.
bool partial(const void *out, const void *in, int64_t n) { return out != in && overlap(out, n, in, n); }

int64_t row_grain(int64_t cols) { return cols > 0 ? (grain_elements() + cols - 1) / cols : 1; }

// Shared checks of the kernels that take a row count B and a column count N.
int check_rows(const char *fn, int B, int N) {
    if (B < 0 || N < 0) return fail(DBN4J_EINVAL, "%s: negative size B=%d N=%d", fn, B, N);
    return DBN4J_OK;
}

#include "../fused_checks.inc"

using Map1 = void (*)(const float *, float *, int64_t);
using Map2 = void (*)(const float *, const float *, float *, int64_t);

// y(n) = f(x(n)), y == x allowed.
int map1(const char *fn, Map1 f, const float *x, float *y, int64_t n) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !x ? "x" : "y", (long long)n);
    if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
    parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(x + b, y + b, e - b); });
    return DBN4J_OK;
}

// dx(n) = f(y(n), dy(n)), dx == y or dx == dy allowed.
int map2(const char *fn, Map2 f, const float *y, const float *dy, float *dx, int64_t n) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n == 0) return DBN4J_OK;
    if (!y || !dy || !dx)
        return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !y ? "y" : !dy ? "dy" : "dx", (long long)n);
    if (partial(dx, dy, n)) return fail(DBN4J_EINVAL, "%s: dx partially overlaps dy (only dx == dy is allowed)", fn);
    if (partial(dx, y, n)) return fail(DBN4J_EINVAL, "%s: dx partially overlaps y (only dx == y is allowed)", fn);
    parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(y + b, dy + b, dx + b, e - b); });
    return DBN4J_OK;
}

// x(B,N) = f(x, b(N)) row by row (add_row_bias, bias_sigmoid).
int row_bias(const char *fn, void (*f)(float *, const float *, int64_t, int64_t), float *x, const float *b, int B,
             int N) {
    if (int rc = check_rows(fn, B, N)) return rc;
    int64_t n = (int64_t)B * N;
    if (n == 0) return DBN4J_OK;
    if (!x || !b) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !x ? "x" : "b", B, N);
    if (overlap(x, n, b, N)) return fail(DBN4J_EINVAL, "%s: b overlaps x", fn);
    parallel_for(0, B, row_grain(N), [&](int64_t r0, int64_t r1) { f(x + r0 * N, b, r1 - r0, N); });
    return DBN4J_OK;
}

using RowsFn = void (*)(const float *, float *, int64_t, int64_t);

// y(B,K) = f(x(B,K)) row by row, y == x allowed.
int rows1(const char *fn, RowsFn f, const float *x, float *y, int B, int K) {
    if (int rc = check_rows(fn, B, K)) return rc;
    int64_t n = (int64_t)B * K;
    if (n == 0) return DBN4J_OK;
    if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d K=%d", fn, !x ? "x" : "y", B, K);
    if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
    parallel_for(0, B, row_grain(K), [&](int64_t b, int64_t e) { f(x + b * K, y + b * K, e - b, K); });
    return DBN4J_OK;
}

using LossFn = void (*)(const float *, const float *, float *, float *, int64_t, int64_t, float, double *);

// Shared driver of the three losses: per-row sums into a buffer, then added in row order so the loss does not
// depend on the thread count. `names` are the argument names for messages, e.g. {"z", "t", "p", "dz"}.
// out2 is null for squared_error. loss = total / (denom * B); a null loss pointer skips the sum.
int loss_driver(const char *fn, const char *const names[4], LossFn f, const float *in, const float *t, float *out1,
                float *out2, int B, int N, double *loss, double denom) {
    if (int rc = check_rows(fn, B, N)) return rc;
    int64_t n = (int64_t)B * N;
    if (n == 0) {
        if (loss) *loss = 0.0;
        return DBN4J_OK;
    }
    if (!in || !t) return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !in ? names[0] : names[1], B, N);
    float *outs[2] = {out1, out2};
    for (int i = 0; i < 2; i++) {
        if (partial(outs[i], in, n))
            return fail(DBN4J_EINVAL, "%s: %s partially overlaps %s", fn, names[2 + i], names[0]);
        if (partial(outs[i], t, n))
            return fail(DBN4J_EINVAL, "%s: %s partially overlaps %s", fn, names[2 + i], names[1]);
    }
    if (overlap(out1, n, out2, n)) return fail(DBN4J_EINVAL, "%s: %s overlaps %s", fn, names[2], names[3]);
    std::vector<double> rows(loss ? (size_t)B : 0);
    double *rl = loss ? rows.data() : nullptr;
    parallel_for(0, B, row_grain(N), [&](int64_t b, int64_t e) {
        f(in + b * N, t + b * N, out1 ? out1 + b * N : nullptr, out2 ? out2 + b * N : nullptr, e - b, N, (float)B,
          rl ? rl + b : nullptr);
    });
    if (loss) {
        double total = 0.0;
        for (int r = 0; r < B; r++) total += rows[r];
        *loss = total / (denom * B);
    }
    return DBN4J_OK;
}

// squared_error has one output; adapt it to the loss driver's shape.
void squared_error_adapter(const float *y, const float *t, float *dy, float *, int64_t rows, int64_t N, float B,
                           double *row_loss) {
    kernels().squared_error(y, t, dy, rows, N, B, row_loss);
}

int check_random(const char *fn, const void *out, int64_t n) {
    if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    if (n > 0 && !out) return fail(DBN4J_EINVAL, "%s: out is NULL with n=%lld", fn, (long long)n);
    return DBN4J_OK;
}

// Rows [0, B) of y(B, N) made by produce(r0, r1) a chunk of DBN4J_COLUMN_SUM_CHUNK rows at a time (chunks in
// parallel), each chunk's column sums taken right after it (in cache), then sums = alpha * total + beta * sums
// with dbn4j_column_sums' order and rounding. The chunk sums live in a per-thread buffer (no allocation per call
// in the steady state).
thread_local std::vector<double> t_chunk_sums;

template <class Produce>
void rows_with_column_sums(const float *y, int B, int N, float *sums, float alpha, float beta, const Produce &produce) {
    const int64_t chunk = DBN4J_COLUMN_SUM_CHUNK, chunks = (B + chunk - 1) / chunk;
    std::vector<double> &part = t_chunk_sums;
    if ((int64_t)part.size() < chunks * N) part.resize((size_t)(chunks * N));
    double *pp = part.data();
    auto sum_chunk = kernels().column_chunk_sums;
    parallel_for(0, chunks, 1 + row_grain(N) / chunk, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; c++) {
            int64_t r0 = c * chunk, r1 = r0 + chunk < B ? r0 + chunk : B;
            produce(r0, r1);
            sum_chunk(y + r0 * N, r1 - r0, N, N, pp + c * N);
        }
    });
    for (int64_t j = 0; j < N; j++) {
        double acc = 0.0;
        for (int64_t c = 0; c < chunks; c++) acc += pp[c * N + j];
        sums[j] = beta == 0.0f ? (float)((double)alpha * acc) : (float)((double)alpha * acc + (double)beta * (double)sums[j]);
    }
}

// The Bernoulli samplers count half words: 2 * offset must not wrap.
int check_half_offset(const char *fn, uint64_t offset) {
    if (offset >> 63) return fail(DBN4J_EINVAL, "%s: offset=%llu >= 2^63", fn, (unsigned long long)offset);
    return DBN4J_OK;
}

} // namespace

} // namespace dbn4j

using namespace dbn4j;

extern "C" {

int dbn4j_add_row_bias(float *x, const float *b, int B, int N) {
    return guarded("dbn4j_add_row_bias",
                   [&] { return row_bias("dbn4j_add_row_bias", kernels().add_row_bias, x, b, B, N); });
}

int dbn4j_bias_sigmoid(float *x, const float *b, int B, int N) {
    return guarded("dbn4j_bias_sigmoid",
                   [&] { return row_bias("dbn4j_bias_sigmoid", kernels().bias_sigmoid, x, b, B, N); });
}

int dbn4j_sigmoid_forward(const float *x, float *y, int64_t n) {
    return guarded("dbn4j_sigmoid_forward",
                   [&] { return map1("dbn4j_sigmoid_forward", kernels().sigmoid_forward, x, y, n); });
}
int dbn4j_sigmoid_backward(const float *y, const float *dy, float *dx, int64_t n) {
    return guarded("dbn4j_sigmoid_backward",
                   [&] { return map2("dbn4j_sigmoid_backward", kernels().sigmoid_backward, y, dy, dx, n); });
}
int dbn4j_tanh_forward(const float *x, float *y, int64_t n) {
    return guarded("dbn4j_tanh_forward", [&] { return map1("dbn4j_tanh_forward", kernels().tanh_forward, x, y, n); });
}
int dbn4j_tanh_backward(const float *y, const float *dy, float *dx, int64_t n) {
    return guarded("dbn4j_tanh_backward",
                   [&] { return map2("dbn4j_tanh_backward", kernels().tanh_backward, y, dy, dx, n); });
}
int dbn4j_relu_forward(const float *x, float *y, int64_t n) {
    return guarded("dbn4j_relu_forward", [&] { return map1("dbn4j_relu_forward", kernels().relu_forward, x, y, n); });
}
int dbn4j_relu_backward(const float *y, const float *dy, float *dx, int64_t n) {
    return guarded("dbn4j_relu_backward",
                   [&] { return map2("dbn4j_relu_backward", kernels().relu_backward, y, dy, dx, n); });
}

int dbn4j_softmax_forward(const float *x, float *y, int B, int K) {
    return guarded("dbn4j_softmax_forward",
                   [&] { return rows1("dbn4j_softmax_forward", kernels().softmax_forward, x, y, B, K); });
}
int dbn4j_log_softmax_forward(const float *x, float *y, int B, int K) {
    return guarded("dbn4j_log_softmax_forward",
                   [&] { return rows1("dbn4j_log_softmax_forward", kernels().log_softmax_forward, x, y, B, K); });
}

int dbn4j_softmax_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int K, double *loss) {
    static const char *const names[4] = {"z", "t", "p", "dz"};
    const char *fn = "dbn4j_softmax_cross_entropy";
    return guarded(fn, [&] {
        return loss_driver(fn, names, kernels().softmax_cross_entropy, z, t, p, dz, B, K, loss, 1.0);
    });
}
int dbn4j_sigmoid_cross_entropy(const float *z, const float *t, float *p, float *dz, int B, int N, double *loss) {
    static const char *const names[4] = {"z", "t", "p", "dz"};
    const char *fn = "dbn4j_sigmoid_cross_entropy";
    return guarded(fn, [&] {
        return loss_driver(fn, names, kernels().sigmoid_cross_entropy, z, t, p, dz, B, N, loss, 1.0);
    });
}
int dbn4j_squared_error(const float *y, const float *t, float *dy, int B, int N, double *loss) {
    static const char *const names[4] = {"y", "t", "dy", "(none)"};
    const char *fn = "dbn4j_squared_error";
    return guarded(fn, [&] {
        return loss_driver(fn, names, squared_error_adapter, y, t, dy, nullptr, B, N, loss, 2.0);
    });
}

int dbn4j_column_sums(const float *x, float *out, int B, int N, float alpha, float beta) {
    const char *fn = "dbn4j_column_sums";
    return guarded(fn, [&] {
        if (int rc = check_rows(fn, B, N)) return rc;
        if (N == 0) return DBN4J_OK;
        if (!out || (B > 0 && !x))
            return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !out ? "out" : "x", B, N);
        if (overlap(x, (int64_t)B * N, out, N)) return fail(DBN4J_EINVAL, "%s: out overlaps x", fn);
        auto f = kernels().column_sums;
        parallel_for(0, N, B > 0 ? (grain_elements() + B - 1) / B : grain_elements(),
                     [&](int64_t c0, int64_t c1) { f(x + c0, out + c0, B, N, c1 - c0, alpha, beta); });
        return DBN4J_OK;
    });
}

int dbn4j_axpy(float alpha, const float *x, float *y, int64_t n) {
    const char *fn = "dbn4j_axpy";
    return guarded(fn, [&] {
        if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
        if (n == 0) return DBN4J_OK;
        if (!x || !y) return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !x ? "x" : "y", (long long)n);
        if (partial(y, x, n)) return fail(DBN4J_EINVAL, "%s: y partially overlaps x (only y == x is allowed)", fn);
        auto f = kernels().axpy;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(alpha, x + b, y + b, e - b); });
        return DBN4J_OK;
    });
}

int dbn4j_scale(float alpha, float *x, int64_t n) {
    const char *fn = "dbn4j_scale";
    return guarded(fn, [&] {
        if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
        if (n == 0) return DBN4J_OK;
        if (!x) return fail(DBN4J_EINVAL, "%s: x is NULL with n=%lld", fn, (long long)n);
        auto f = kernels().scale;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(alpha, x + b, e - b); });
        return DBN4J_OK;
    });
}

int dbn4j_sgd_momentum(float *w, const float *g, float *v, int64_t n, float lr, float momentum, float weight_decay,
                       int nesterov) {
    const char *fn = "dbn4j_sgd_momentum";
    return guarded(fn, [&] {
        if (n < 0) return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
        if (n == 0) return DBN4J_OK;
        if (!w || !g || !v)
            return fail(DBN4J_EINVAL, "%s: %s is NULL with n=%lld", fn, !w ? "w" : !g ? "g" : "v", (long long)n);
        if (overlap(w, n, g, n) || overlap(w, n, v, n) || overlap(g, n, v, n))
            return fail(DBN4J_EINVAL, "%s: w, g and v must not overlap", fn);
        auto f = kernels().sgd_momentum;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) {
            f(w + b, g + b, v + b, e - b, lr, momentum, weight_decay, nesterov);
        });
        return DBN4J_OK;
    });
}

// ---- random numbers: pieces of the word range, each computed from its own offset ----

void dbn4j_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    if (!ctr || !key || !out) return;
    scalar::table.philox_blocks(ctr, key, out, 1);
}

int dbn4j_random_bits(uint64_t seed, uint64_t offset, uint32_t *out, int64_t n) {
    const char *fn = "dbn4j_random_bits";
    return guarded(fn, [&] {
        if (int rc = check_random(fn, out, n)) return rc;
        auto f = kernels().random_bits;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(seed, offset + b, out + b, e - b); });
        return DBN4J_OK;
    });
}

int dbn4j_random_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n) {
    const char *fn = "dbn4j_random_uniform";
    return guarded(fn, [&] {
        if (int rc = check_random(fn, out, n)) return rc;
        auto f = kernels().random_uniform;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) { f(seed, offset + b, out + b, e - b); });
        return DBN4J_OK;
    });
}

int dbn4j_random_bernoulli(uint64_t seed, uint64_t offset, const float *p, float *out, int64_t n) {
    const char *fn = "dbn4j_random_bernoulli";
    return guarded(fn, [&] {
        if (int rc = check_random(fn, out, n)) return rc;
        if (n > 0 && !p) return fail(DBN4J_EINVAL, "%s: p is NULL with n=%lld", fn, (long long)n);
        if (partial(out, p, n)) return fail(DBN4J_EINVAL, "%s: out partially overlaps p (only out == p is allowed)", fn);
        if (int rc = check_half_offset(fn, offset)) return rc;
        auto f = kernels().random_bernoulli;
        parallel_for(0, n, grain_elements(),
                     [&](int64_t b, int64_t e) { f(seed, 2 * offset + (uint64_t)b, p + b, out + b, e - b); });
        return DBN4J_OK;
    });
}

int dbn4j_random_gaussian(uint64_t seed, uint64_t offset, const float *mean, float stddev, float *out, int64_t n) {
    const char *fn = "dbn4j_random_gaussian";
    return guarded(fn, [&] {
        if (int rc = check_random(fn, out, n)) return rc;
        if (mean && partial(out, mean, n))
            return fail(DBN4J_EINVAL, "%s: out partially overlaps mean (only out == mean is allowed)", fn);
        auto f = kernels().random_gaussian;
        parallel_for(0, n, grain_elements(), [&](int64_t b, int64_t e) {
            f(seed, offset + 2 * (uint64_t)b, mean ? mean + b : nullptr, stddev, out + b, e - b);
        });
        return DBN4J_OK;
    });
}

int dbn4j_bias_sigmoid_sums(float *x, const float *b, int B, int N, float *sums, float alpha, float beta) {
    const char *fn = "dbn4j_bias_sigmoid_sums";
    return guarded(fn, [&] {
        if (int rc = check_bias_sigmoid_sums(fn, x, b, B, N, sums)) return rc;
        if (N == 0) return DBN4J_OK;
        auto f = kernels().bias_sigmoid;
        rows_with_column_sums(x, B, N, sums, alpha, beta, [&](int64_t r0, int64_t r1) { f(x + r0 * N, b, r1 - r0, N); });
        return DBN4J_OK;
    });
}

int dbn4j_sigmoid_bernoulli_sums(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p, float *s,
                                 int B, int N, float *sums, float alpha, float beta) {
    const char *fn = "dbn4j_sigmoid_bernoulli_sums";
    return guarded(fn, [&] {
        if (int rc = check_sigmoid_bernoulli_sums(fn, x, b, p, s, B, N, sums)) return rc;
        if (N == 0) return DBN4J_OK;
        if (int rc = check_half_offset(fn, offset)) return rc;
        auto f = kernels().sigmoid_bernoulli;
        rows_with_column_sums(p, B, N, sums, alpha, beta, [&](int64_t r0, int64_t r1) {
            f(seed, 2 * offset + (uint64_t)(r0 * N), x + r0 * N, b, p + r0 * N, s + r0 * N, r1 - r0, N);
        });
        return DBN4J_OK;
    });
}

int dbn4j_sigmoid_bernoulli(uint64_t seed, uint64_t offset, const float *x, const float *b, float *p, float *s, int B,
                            int N) {
    const char *fn = "dbn4j_sigmoid_bernoulli";
    return guarded(fn, [&] {
        if (int rc = check_rows(fn, B, N)) return rc;
        int64_t n = (int64_t)B * N;
        if (n == 0) return DBN4J_OK;
        if (!x || !p || !s)
            return fail(DBN4J_EINVAL, "%s: %s is NULL with B=%d N=%d", fn, !x ? "x" : !p ? "p" : "s", B, N);
        if (partial(p, x, n)) return fail(DBN4J_EINVAL, "%s: p partially overlaps x (only p == x is allowed)", fn);
        if (overlap(s, n, x, n) || overlap(s, n, p, n)) return fail(DBN4J_EINVAL, "%s: s overlaps x or p", fn);
        if (overlap(b, N, p, n) || overlap(b, N, s, n)) return fail(DBN4J_EINVAL, "%s: b overlaps p or s", fn);
        if (int rc = check_half_offset(fn, offset)) return rc;
        auto f = kernels().sigmoid_bernoulli;
        parallel_for(0, B, row_grain(N), [&](int64_t r0, int64_t r1) {
            f(seed, 2 * offset + (uint64_t)(r0 * N), x + r0 * N, b, p + r0 * N, s + r0 * N, r1 - r0, N);
        });
        return DBN4J_OK;
    });
}

} // extern "C"
