/*
 * The own GEMM's AVX-512 build checked on any AVX2 CPU: gemm_impl.inc is compiled here once more with 16-float
 * vectors and SIMDe emulating the AVX-512 intrinsics, and its products — dense (every transpose, edges, several K
 * blocks, alpha and beta), sparse A (0/1 and real values) and the fused SGD-momentum step — are compared bit for bit
 * with the library's AVX2 build on 1 and 2 threads (the step's flush of subnormal velocities with the formula).
 * Built only when SIMDe is installed; exit 77 without AVX2 + FMA.
 * Run: ctest --test-dir <build> -R gemm_avx512_emulated
 */
#define DBN4J_SIMDE_AVX512 1
#define DBN4J_ISA_NS avx512emu
#define DBN4J_GEMM_VW 16
#include "gemm_impl.inc"

#include <vector>

#include "test_util.h"

namespace {

// C of one product from the AVX2 build and the emulated AVX-512 build (threads 1 and 2).
void check_product(Rng &rng, int M, int N, int K, int ta, int tb, float alpha, float beta, float density, bool binary,
                   int sparse) {
    int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
    std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? N : K) * ldb), C0((size_t)M * ldc);
    for (auto &v : A) v = rng.uniform(0, 1) < density ? (binary ? 1.0f : rng.uniform(-1, 1)) : 0.0f;
    for (auto &v : B) v = rng.uniform(-1, 1);
    for (auto &v : C0) v = rng.uniform(-1, 1);
    std::vector<float> ref = C0;
    CHECK_OK(dbn4j_set_num_threads(1));
    CHECK_OK(dbn4j::avx2::own_sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, ref.data(), ldc,
                                    sparse));
    for (int threads = 1; threads <= 2; threads++) {
        std::vector<float> C = C0;
        CHECK_OK(dbn4j_set_num_threads(threads));
        CHECK_OK(dbn4j::avx512emu::own_sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc,
                                             sparse));
        int d = differing(ref, C);
        CHECK_MSG(d == 0, "M=%d N=%d K=%d ta=%d tb=%d density=%g binary=%d sparse mode %d, %d threads: %d elements differ",
                  M, N, K, ta, tb, density, binary, sparse, threads, d);
    }
}

// The fused weight step (two parts, the second negated) from both builds.
void check_fused(Rng &rng, int M, int N, int K1, int K2, int ta, int nesterov) {
    int lda = ta ? M : std::max(K1, K2), ldb = N;
    std::vector<float> A1((size_t)(ta ? K1 : M) * lda), A2((size_t)(ta ? K2 : M) * lda), B1((size_t)K1 * ldb),
        B2((size_t)K2 * ldb);
    for (auto &v : A1) v = rng.uniform(0, 1) < 0.5f ? rng.uniform(0, 1) : 0.0f;
    for (auto *x : {&A2, &B1, &B2})
        for (auto &v : *x) v = rng.uniform(0, 1);
    size_t n = (size_t)M * N;
    std::vector<float> W0(n), V0(n);
    for (auto &v : W0) v = rng.uniform(-0.1f, 0.1f);
    for (auto &v : V0) v = rng.uniform(-0.01f, 0.01f);
    std::vector<float> W[2] = {W0, W0}, V[2] = {V0, V0};
    CHECK_OK(dbn4j_set_num_threads(2));
    CHECK_OK(dbn4j::avx2::own_gemm_sgd(ta, 0, M, N, K1, K2, -1.0f / 64, A1.data(), lda, B1.data(), ldb, A2.data(),
                                       lda, B2.data(), ldb, W[0].data(), V[0].data(), 0.1f, 0.9f, 2e-4f, nesterov,
                                       DBN4J_GEMM_SPARSE_AUTO));
    CHECK_OK(dbn4j::avx512emu::own_gemm_sgd(ta, 0, M, N, K1, K2, -1.0f / 64, A1.data(), lda, B1.data(), ldb,
                                            A2.data(), lda, B2.data(), ldb, W[1].data(), V[1].data(), 0.1f, 0.9f,
                                            2e-4f, nesterov, DBN4J_GEMM_SPARSE_AUTO));
    int d = differing(W[0], W[1]) + differing(V[0], V[1]);
    CHECK_MSG(d == 0, "fused M=%d N=%d K1=%d K2=%d ta=%d nesterov=%d: %d elements differ", M, N, K1, K2, ta, nesterov,
              d);
}

// The fused step's flush of a velocity left subnormal (kernels.h), on the emulated build, against the formula.
void check_fused_flush() {
    check_flush_step("emulated AVX-512 fused step", [](float *w, float *v, float mom, int nesterov) {
        static const float A[k_flush_rows * 3] = {}, B[3 * k_flush_cols] = {};   // the gradient A B: zero
        CHECK_OK(dbn4j::avx512emu::own_gemm_sgd(0, 0, k_flush_rows, k_flush_cols, 3, 0, 1.0f, A, 3, B, k_flush_cols,
                                                nullptr, 0, nullptr, 0, w, v, 0.1f, mom, 0.0f, nesterov,
                                                DBN4J_GEMM_SPARSE_AUTO));
    });
}

} // namespace

int main() {
    if (dbn4j_isa_supported() < DBN4J_ISA_AVX2) {
        printf("SKIP: this CPU has no AVX2 + FMA (the AVX2 build is the reference)\n");
        return 77;
    }
    dbn4j::set_grain_elements_for_tests(1); // split even small products between threads
    Rng rng(23);
    // Dense: edges in M (6 rows) and N (16 and 64 columns), two K blocks, alpha and beta.
    // With the narrow kernels (N <= 32 here, <= 16 in the AVX2 build): 10-class layers (x W, x^T dz), several K
    // blocks, two column groups of the transposed kernel, C's rows contiguous or not.
    const int shapes[][3] = {{1, 1, 1},     {7, 5, 3},     {13, 70, 385}, {100, 500, 200}, {150, 17, 9},
                             {6, 64, 40},   {25, 10, 800}, {784, 10, 100}, {33, 24, 100},  {40, 32, 385}};
    for (auto &sh : shapes)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++) {
                check_product(rng, sh[0], sh[1], sh[2], ta, tb, 1.0f, 0.0f, 1.0f, false, DBN4J_GEMM_SPARSE_OFF);
                check_product(rng, sh[0], sh[1], sh[2], ta, tb, 0.75f, 0.5f, 0.4f, false, DBN4J_GEMM_SPARSE_AUTO);
            }
    // Sparse A (not transposed), always on: column chunks with edges, several sub-blocks, two rows at a time and odd
    // row counts, 0/1 states and real values.
    const int sparse_shapes[][3] = {{100, 500, 784}, {9, 200, 130}, {3, 97, 9}, {20, 40, 390}};
    for (auto &sh : sparse_shapes)
        for (int tb = 0; tb <= 1; tb++)
            for (int binary = 0; binary <= 1; binary++)
                check_product(rng, sh[0], sh[1], sh[2], 0, tb, -1.0f, 1.0f, 0.35f, binary, DBN4J_GEMM_SPARSE_ALWAYS);
    // Fused weight steps: RBM-like (A transposed) and MLP-like (one part), edges.
    check_fused(rng, 78, 70, 60, 60, 1, 0);
    check_fused(rng, 50, 33, 100, 0, 0, 1);
    check_fused(rng, 13, 130, 20, 21, 1, 1);
    check_fused(rng, 784, 10, 100, 0, 1, 0); // narrow: an MLP output layer's step
    check_fused(rng, 37, 20, 20, 20, 1, 1);  // narrow, two column groups, two parts
    check_fused_flush();
    dbn4j::set_grain_elements_for_tests(0);
    CHECK_OK(dbn4j_set_num_threads(1));
    return finish("test_gemm_avx512_emulated");
}
