/*
 * Error paths: bad arguments return DBN4J_EINVAL (or EBLAS / EISA) with a message naming the function and the
 * argument, never abort; n == 0 with NULL pointers is a valid no-op; messages are per thread.
 * Run: ctest --test-dir <build> -R errors
 */
#include <math.h>

#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

// rc must be `code` and the message must start with fn and contain `part`.
static void expect(int rc, int code, const char *fn, const char *part, int line) {
    const char *msg = dbn4j_last_error();
    CHECK_MSG(rc == code, "line %d: %s returned %d, expected %d (%s)", line, fn, rc, code, msg);
    CHECK_MSG(strncmp(msg, fn, strlen(fn)) == 0, "line %d: message \"%s\" does not start with %s", line, msg, fn);
    CHECK_MSG(strstr(msg, part) != nullptr, "line %d: message \"%s\" lacks \"%s\"", line, msg, part);
}
#define EXPECT(call, code, fn, part) expect((call), (code), fn, part, __LINE__)
#define EINVAL_(call, fn, part) EXPECT(call, DBN4J_EINVAL, fn, part)

int main() {
    std::vector<float> a(64, 0.5f), b(64, 0.25f), c(64, 0.0f);
    float *x = a.data(), *y = b.data(), *z = c.data();
    double loss = -1;

    // ---- sgemm ----
    const char *g = "dbn4j_sgemm";
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 4, 1, x, 3, y, 2, 0, z, 2), g, "lda=3 < K=4 (A not transposed)");
    EINVAL_(dbn4j_sgemm(1, 0, 5, 2, 4, 1, x, 4, y, 2, 0, z, 2), g, "lda=4 < M=5 (A transposed)");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 3, 4, 1, x, 4, y, 2, 0, z, 3), g, "ldb=2 < N=3 (B not transposed)");
    EINVAL_(dbn4j_sgemm(0, 1, 2, 3, 4, 1, x, 4, y, 3, 0, z, 3), g, "ldb=3 < K=4 (B transposed)");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 3, 4, 1, x, 4, y, 3, 0, z, 2), g, "ldc=2 < N=3");
    EINVAL_(dbn4j_sgemm(2, 0, 2, 2, 2, 1, x, 2, y, 2, 0, z, 2), g, "transA=2");
    EINVAL_(dbn4j_sgemm(0, -1, 2, 2, 2, 1, x, 2, y, 2, 0, z, 2), g, "transB=-1");
    EINVAL_(dbn4j_sgemm(0, 0, -1, 2, 2, 1, x, 2, y, 2, 0, z, 2), g, "negative size");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 2, 1, nullptr, 2, y, 2, 0, z, 2), g, "A is NULL");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 2, 1, x, 2, nullptr, 2, 0, z, 2), g, "B is NULL");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, nullptr, 2), g, "C is NULL");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, x + 3, 2), g, "C overlaps A");
    EINVAL_(dbn4j_sgemm(0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, y + 1, 2), g, "C overlaps B");
    EXPECT(dbn4j_sgemm(0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, z, 2), DBN4J_EBLAS, g, "not opened");
    CHECK_OK(dbn4j_sgemm(0, 0, 0, 5, 3, 1, nullptr, 3, nullptr, 5, 0, nullptr, 5));   // M == 0: nothing to do
    // K == 0 needs no BLAS: C = beta * C, and beta == 0 overwrites NaN.
    float cz[4] = {1, 2, NAN, 4};
    CHECK_OK(dbn4j_sgemm(0, 0, 2, 2, 0, 1, nullptr, 0, nullptr, 2, 2.0f, cz, 2));
    CHECK(cz[0] == 2 && cz[1] == 4 && isnan(cz[2]) && cz[3] == 8);
    CHECK_OK(dbn4j_sgemm(0, 0, 2, 2, 0, 1, nullptr, 0, nullptr, 2, 0.0f, cz, 2));
    CHECK(cz[0] == 0 && cz[2] == 0);

    // ---- BLAS binding ----
    CHECK(dbn4j_blas_get_num_threads() == -1);
    CHECK(strcmp(dbn4j_blas_corename(), "") == 0);
    EINVAL_(dbn4j_blas_open(nullptr), "dbn4j_blas_open", "NULL");
    EXPECT(dbn4j_blas_open("/nonexistent/libopenblas.so.0"), DBN4J_EBLAS, "dbn4j_blas_open", "dlopen");
    EXPECT(dbn4j_blas_open("libc.so.6"), DBN4J_EBLAS, "dbn4j_blas_open", "cblas_sgemm");
    EXPECT(dbn4j_blas_set_num_threads(2), DBN4J_EBLAS, "dbn4j_blas_set_num_threads", "not opened");
    EINVAL_(dbn4j_blas_set_num_threads(0), "dbn4j_blas_set_num_threads", "n=0");

    // ---- dispatch, threads ----
    EINVAL_(dbn4j_isa_force(3), "dbn4j_isa_force", "level=3");
    EINVAL_(dbn4j_isa_force(-2), "dbn4j_isa_force", "level=-2");
    if (dbn4j_isa_supported() < DBN4J_ISA_AVX512)
        EXPECT(dbn4j_isa_force(DBN4J_ISA_AVX512), DBN4J_EISA, "dbn4j_isa_force", "not supported");
    CHECK(dbn4j_isa_active() == dbn4j_isa_supported());
    EINVAL_(dbn4j_set_num_threads(0), "dbn4j_set_num_threads", "n=0");
    EINVAL_(dbn4j_set_num_threads(-3), "dbn4j_set_num_threads", "n=-3");
    CHECK(dbn4j_get_num_threads() == 1);

    // ---- elementwise ----
    EINVAL_(dbn4j_sigmoid_forward(x, y, -1), "dbn4j_sigmoid_forward", "n=-1");
    EINVAL_(dbn4j_sigmoid_forward(nullptr, y, 4), "dbn4j_sigmoid_forward", "x is NULL");
    EINVAL_(dbn4j_tanh_forward(x, nullptr, 4), "dbn4j_tanh_forward", "y is NULL");
    EINVAL_(dbn4j_relu_forward(x, x + 1, 8), "dbn4j_relu_forward", "partially overlaps");
    EINVAL_(dbn4j_sigmoid_backward(x, y, y + 2, 8), "dbn4j_sigmoid_backward", "dx partially overlaps dy");
    EINVAL_(dbn4j_tanh_backward(x, y, x + 7, 8), "dbn4j_tanh_backward", "dx partially overlaps y");
    EINVAL_(dbn4j_relu_backward(x, nullptr, z, 8), "dbn4j_relu_backward", "dy is NULL");
    CHECK_OK(dbn4j_sigmoid_forward(nullptr, nullptr, 0));
    CHECK_OK(dbn4j_tanh_backward(nullptr, nullptr, nullptr, 0));
    CHECK_OK(dbn4j_sigmoid_forward(x, x, 8));   // exact in place is fine
    CHECK_OK(dbn4j_sigmoid_forward(x, x + 8, 8));   // adjacent, disjoint
    EINVAL_(dbn4j_add_row_bias(x, x + 4, 2, 8), "dbn4j_add_row_bias", "b overlaps x");
    EINVAL_(dbn4j_add_row_bias(x, nullptr, 2, 8), "dbn4j_add_row_bias", "b is NULL");
    EINVAL_(dbn4j_add_row_bias(x, y, -2, 8), "dbn4j_add_row_bias", "negative size");
    CHECK_OK(dbn4j_add_row_bias(nullptr, nullptr, 0, 8));
    EINVAL_(dbn4j_bias_sigmoid(x, x + 4, 2, 8), "dbn4j_bias_sigmoid", "b overlaps x");
    EINVAL_(dbn4j_bias_sigmoid(nullptr, y, 2, 8), "dbn4j_bias_sigmoid", "x is NULL");
    EINVAL_(dbn4j_bias_sigmoid(x, y, 2, -8), "dbn4j_bias_sigmoid", "negative size");
    CHECK_OK(dbn4j_bias_sigmoid(nullptr, nullptr, 0, 8));

    // ---- softmax, losses ----
    EINVAL_(dbn4j_softmax_forward(x, y, 2, -1), "dbn4j_softmax_forward", "negative size");
    EINVAL_(dbn4j_log_softmax_forward(x, x + 3, 2, 4), "dbn4j_log_softmax_forward", "partially overlaps");
    CHECK_OK(dbn4j_softmax_forward(x, x, 2, 4));
    EINVAL_(dbn4j_softmax_cross_entropy(nullptr, y, z, nullptr, 2, 4, &loss), "dbn4j_softmax_cross_entropy",
            "z is NULL");
    EINVAL_(dbn4j_softmax_cross_entropy(x, y, x + 1, nullptr, 2, 4, &loss), "dbn4j_softmax_cross_entropy",
            "p partially overlaps z");
    EINVAL_(dbn4j_softmax_cross_entropy(x, y, z, z + 4, 2, 4, &loss), "dbn4j_softmax_cross_entropy",
            "p overlaps dz");
    EINVAL_(dbn4j_sigmoid_cross_entropy(x, y, nullptr, y + 2, 2, 4, &loss), "dbn4j_sigmoid_cross_entropy",
            "dz partially overlaps t");
    EINVAL_(dbn4j_squared_error(x, nullptr, z, 2, 4, &loss), "dbn4j_squared_error", "t is NULL");
    EINVAL_(dbn4j_squared_error(x, y, x + 2, 2, 4, &loss), "dbn4j_squared_error", "dy partially overlaps y");
    CHECK_OK(dbn4j_squared_error(nullptr, nullptr, nullptr, 0, 4, &loss));
    CHECK(loss == 0.0);

    // ---- reductions, BLAS-1, updates ----
    EINVAL_(dbn4j_column_sums(x, x + 10, 2, 8, 1, 0), "dbn4j_column_sums", "out overlaps x");
    EINVAL_(dbn4j_column_sums(nullptr, z, 2, 8, 1, 0), "dbn4j_column_sums", "x is NULL");
    CHECK_OK(dbn4j_column_sums(nullptr, z, 0, 8, 1, 0));   // B == 0: out = beta * out
    CHECK(z[0] == 0.0f);
    EINVAL_(dbn4j_axpy(1, x, x + 1, 8), "dbn4j_axpy", "partially overlaps");
    EINVAL_(dbn4j_scale(2, nullptr, 8), "dbn4j_scale", "x is NULL");
    EINVAL_(dbn4j_scale(2, x, -8), "dbn4j_scale", "n=-8");
    EINVAL_(dbn4j_sgd_momentum(x, y, x + 4, 8, 0.1f, 0.9f, 0, 0), "dbn4j_sgd_momentum", "must not overlap");
    EINVAL_(dbn4j_sgd_momentum(x, x, z, 8, 0.1f, 0.9f, 0, 0), "dbn4j_sgd_momentum", "must not overlap");
    EINVAL_(dbn4j_sgd_momentum(x, y, nullptr, 8, 0.1f, 0.9f, 0, 0), "dbn4j_sgd_momentum", "v is NULL");

    // ---- random ----
    uint32_t bits[8];
    EINVAL_(dbn4j_random_bits(1, 0, nullptr, 8), "dbn4j_random_bits", "out is NULL");
    EINVAL_(dbn4j_random_bits(1, 0, bits, -1), "dbn4j_random_bits", "n=-1");
    EINVAL_(dbn4j_random_uniform(1, 0, nullptr, 3), "dbn4j_random_uniform", "out is NULL");
    EINVAL_(dbn4j_random_bernoulli(1, 0, nullptr, x, 3), "dbn4j_random_bernoulli", "p is NULL");
    EINVAL_(dbn4j_random_bernoulli(1, 0, x, x + 2, 8), "dbn4j_random_bernoulli", "partially overlaps p");
    EINVAL_(dbn4j_random_gaussian(1, 0, x, 1, x + 2, 8), "dbn4j_random_gaussian", "partially overlaps mean");
    CHECK_OK(dbn4j_random_bits(1, 0, nullptr, 0));
    CHECK_OK(dbn4j_random_gaussian(1, 0, nullptr, 1, nullptr, 0));
    const char *sb = "dbn4j_sigmoid_bernoulli";
    EINVAL_(dbn4j_sigmoid_bernoulli(1, 0, nullptr, nullptr, y, z, 2, 4), sb, "x is NULL");
    EINVAL_(dbn4j_sigmoid_bernoulli(1, 0, x, nullptr, x + 1, z, 2, 4), sb, "p partially overlaps x");
    EINVAL_(dbn4j_sigmoid_bernoulli(1, 0, x, nullptr, y, y + 4, 2, 4), sb, "s overlaps");
    EINVAL_(dbn4j_sigmoid_bernoulli(1, 0, x, z + 2, y, z, 2, 4), sb, "b overlaps");
    EINVAL_(dbn4j_sigmoid_bernoulli(1, 0, x, nullptr, y, z, 2, -4), sb, "negative size");
    CHECK_OK(dbn4j_sigmoid_bernoulli(1, 0, x, nullptr, x, z, 2, 4));
    CHECK_OK(dbn4j_sigmoid_bernoulli(1, 0, nullptr, nullptr, nullptr, nullptr, 0, 4));
    // Fused with column sums (the checks that the CUDA library shares, native/src/fused_checks.inc).
    const char *bss = "dbn4j_bias_sigmoid_sums", *sbs = "dbn4j_sigmoid_bernoulli_sums";
    EINVAL_(dbn4j_bias_sigmoid_sums(x, y, 2, 4, nullptr, 1, 0), bss, "sums is NULL with N=4");
    EINVAL_(dbn4j_bias_sigmoid_sums(x, nullptr, 2, 4, z, 1, 0), bss, "b is NULL with B=2 N=4");
    EINVAL_(dbn4j_bias_sigmoid_sums(x, y, 2, 4, x + 4, 1, 0), bss, "sums overlaps x or b");
    EINVAL_(dbn4j_sigmoid_bernoulli_sums(1, 0, x, nullptr, x + 1, y, 2, 4, z, 1, 0), sbs, "p partially overlaps x");
    EINVAL_(dbn4j_sigmoid_bernoulli_sums(1, 0, x, nullptr, x, y, 2, 4, y + 4, 1, 0), sbs, "sums overlaps x, p, s or b");
    EINVAL_(dbn4j_sigmoid_bernoulli_sums(1, 1ULL << 63, x, nullptr, x, y, 2, 4, z, 1, 0), sbs, ">= 2^63");
    c[0] = 2.0f;
    CHECK_OK(dbn4j_sigmoid_bernoulli_sums(1, 0, nullptr, nullptr, nullptr, nullptr, 0, 4, z, 1, 0.5f));
    CHECK(z[0] == 1.0f);   // no rows: sums = beta * sums

    // Messages are per thread: a failure elsewhere leaves this thread's message alone.
    EINVAL_(dbn4j_scale(2, nullptr, 8), "dbn4j_scale", "x is NULL");
    std::string other;
    std::thread t([&] {
        dbn4j_sigmoid_forward(nullptr, nullptr, 5);
        other = dbn4j_last_error();
    });
    t.join();
    CHECK(other.rfind("dbn4j_sigmoid_forward", 0) == 0);
    CHECK(strncmp(dbn4j_last_error(), "dbn4j_scale", 11) == 0);
    return finish("test_errors");
}
