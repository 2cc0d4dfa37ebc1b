/*
 * dbn4j_sgemm through a real OpenBLAS (path in argv[1]): all four transpose combinations with padded leading
 * dimensions against a naive double triple loop, in OPENBLAS and AUTO mode (AUTO runs the own kernel on the
 * skinny shapes here, on all of them where its AVX-512 build meets OpenBLAS's AVX2 kernels), plus the BLAS thread
 * and corename calls and the AUTO rule.
 * Run: cmake -DDBN4J_TEST_OPENBLAS=/path/libopenblas.so.0 ..., then ctest --test-dir <build> -R gemm
 */
#include <math.h>

#include <vector>

#include "test_util.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_gemm /path/to/libopenblas.so.0\n");
        return 2;
    }
    CHECK_OK(dbn4j_blas_open(argv[1]));
    const char *core = dbn4j_blas_corename();
    printf("OpenBLAS core: %s, threads: %d\n", core, dbn4j_blas_get_num_threads());
    CHECK(strlen(core) > 0);
    CHECK_OK(dbn4j_blas_set_num_threads(1));
    CHECK(dbn4j_blas_get_num_threads() == 1);

    // AUTO: dbn4j's own kernel for skinny products (M or K a mini-batch): its AVX-512 build where the kernel level
    // is AVX-512, its AVX2 build unless OpenBLAS runs AVX-512 kernels.
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
    bool avx512_core = strstr(core, "SkylakeX") || strstr(core, "Cooperlake") || strstr(core, "SapphireRapids");
    int own = dbn4j_isa_active() >= DBN4J_ISA_AVX512 || (dbn4j_isa_active() >= DBN4J_ISA_AVX2 && !avx512_core);
    // Every shape: the AVX-512 build beside an OpenBLAS on AVX2 kernels.
    int own_all = dbn4j_isa_active() >= DBN4J_ISA_AVX512 && !avx512_core;
    printf("own kernel for skinny shapes: %s, for all: %s\n", own ? "yes" : "no", own_all ? "yes" : "no");
    CHECK(dbn4j_gemm_own(100, 500, 784) == own);
    CHECK(dbn4j_gemm_own(784, 500, 100) == own);
    CHECK(dbn4j_gemm_own(1000, 500, 784) == own_all);
    CHECK(dbn4j_gemm_own(1024, 1024, 1024) == own_all);
    // N = 100: the AVX-512 build's 64-column panels pad too much beside OpenBLAS's AVX-512 kernels; beside its
    // AVX2 kernels the AVX2 build takes it at either level.
    int own_narrow = dbn4j_isa_active() >= DBN4J_ISA_AVX2 && !avx512_core;
    CHECK(dbn4j_gemm_own(100, 100, 784) == own_narrow);
    // Narrow products (N <= 32 at the AVX-512 level, <= 16 at AVX2) with K >= 32 on the narrow kernel: beside
    // OpenBLAS's AVX2 kernels always, beside its AVX-512 kernels at the AVX-512 level for N >= 10, or N >= 2 and
    // M K >= 2^18.
    int avx512 = dbn4j_isa_active() >= DBN4J_ISA_AVX512;
    int narrow_any = avx512 || own_narrow;
    CHECK(dbn4j_gemm_own(500, 10, 100) == narrow_any);
    CHECK(dbn4j_gemm_own(1000, 10, 784) == narrow_any);
    CHECK(dbn4j_gemm_own(784, 10, 1000) == narrow_any);
    CHECK(dbn4j_gemm_own(1000, 8, 784) == narrow_any);
    CHECK(dbn4j_gemm_own(100, 8, 784) == own_narrow);
    CHECK(dbn4j_gemm_own(784, 2, 100) == own_narrow);
    // K < 32: a fused weight step at N <= 12 from K = 10 beside OpenBLAS's AVX2 kernels at the AVX-512 level; a
    // plain product stays with OpenBLAS.
    int small_k = avx512 && !avx512_core;
    CHECK(dbn4j_gemm_own(784, 10, 20) == 0);
    CHECK(dbn4j_gemm_sgd_fused(784, 10, 20, 0) == small_k);
    CHECK(dbn4j_gemm_sgd_fused(784, 12, 5, 5) == small_k);
    CHECK(dbn4j_gemm_sgd_fused(784, 12, 31, 0) == small_k);
    CHECK(dbn4j_gemm_sgd_fused(784, 10, 9, 0) == 0);
    CHECK(dbn4j_gemm_sgd_fused(784, 13, 20, 0) == 0);
    CHECK(dbn4j_gemm_sgd_fused(784, 10, 32, 0) == narrow_any);
    CHECK(dbn4j_gemm_own(784, 13, 20) == 0);
    CHECK(dbn4j_gemm_own(784, 20, 10) == own_narrow); // K < 32, N >= 16: the skinny rule (run on the narrow path)
    CHECK(dbn4j_gemm_own(1000, 1, 784) == own_narrow);
    // N = 20: the AVX-512 build's narrow kernel at the AVX-512 level; at the AVX2 level the AVX2 build's panel kernel
    // beside OpenBLAS's AVX2 kernels, else OpenBLAS.
    CHECK(dbn4j_gemm_own(100, 20, 784) == (avx512 || own_narrow));
    if (own_narrow && dbn4j_isa_supported() >= DBN4J_ISA_AVX512) {
        // The same bits at both levels (N = 20: the AVX2 build's panel kernel, and the AVX-512 build's narrow one).
        Rng r(5);
        std::vector<float> A(100 * 784), B(784 * 20), C[2];
        for (auto &v : A) v = r.uniform(0, 1) < 0.5f ? r.uniform(0, 1) : 0.0f;
        for (auto &v : B) v = r.uniform(-1, 1);
        for (int l = 0; l < 2; l++) {
            CHECK_OK(dbn4j_isa_force(l == 0 ? DBN4J_ISA_AVX2 : DBN4J_ISA_AVX512));
            C[l].assign(100 * 20, 0.0f);
            CHECK_OK(dbn4j_sgemm(0, 0, 100, 20, 784, 1.0f, A.data(), 784, B.data(), 20, 0.0f, C[l].data(), 20));
        }
        CHECK_OK(dbn4j_isa_force(-1));
        CHECK_MSG(memcmp(C[0].data(), C[1].data(), C[0].size() * sizeof(float)) == 0,
                  "100x784x20 in AUTO: the AVX2 and AVX-512 levels differ");
    }

    Rng rng(3);
    const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {64, 33, 129}, {200, 150, 300}, {300, 20, 260}};
    const float alpha = 0.75f, betas[2] = {0.5f, 0.0f};
    for (int mode : {DBN4J_GEMM_OPENBLAS, DBN4J_GEMM_AUTO})
    for (int threads = 1; threads <= 2; threads++) {
        CHECK_OK(dbn4j_gemm_set_mode(mode));
        CHECK_OK(dbn4j_blas_set_num_threads(threads));
        for (auto &sh : shapes)
            for (int ta = 0; ta <= 1; ta++)
                for (int tb = 0; tb <= 1; tb++)
                    for (float beta : betas) {
                        int M = sh[0], N = sh[1], K = sh[2];
                        int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
                        std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? N : K) * ldb),
                            C((size_t)M * ldc);
                        for (auto &v : A) v = rng.uniform(-1, 1);
                        for (auto &v : B) v = rng.uniform(-1, 1);
                        for (auto &v : C) v = rng.uniform(-1, 1);
                        std::vector<float> C0 = C;
                        CHECK_OK(dbn4j_sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(),
                                             ldc));
                        // Float GEMM with any summation order is within K u sum |alpha a b| + 2 u |beta c| of the
                        // exact value (standard dot-product bound); the double loop is exact to 1e-16.
                        double worst = 0;
                        int pad_changed = 0;
                        for (int i = 0; i < M; i++) {
                            for (int j = 0; j < N; j++) {
                                double s = 0, sa = 0;
                                for (int k = 0; k < K; k++) {
                                    double a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                                    double b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                                    s += a * b;
                                    sa += fabs(a * b);
                                }
                                double c0 = C0[(size_t)i * ldc + j];
                                double ref = alpha * s + beta * c0;
                                double bound = 0x1p-24 * (K + 2) * (alpha * sa + fabs(beta * c0)) + 1e-30;
                                double e = fabs(C[(size_t)i * ldc + j] - ref) / bound;
                                worst = e > worst ? e : worst;
                            }
                            for (int j = N; j < ldc; j++)
                                pad_changed += C[(size_t)i * ldc + j] != C0[(size_t)i * ldc + j];
                        }
                        CHECK_MSG(worst <= 1.0 && pad_changed == 0,
                                  "sgemm ta=%d tb=%d M=%d N=%d K=%d beta=%g: error %.3g of bound, %d pad changed",
                                  ta, tb, M, N, K, beta, worst, pad_changed);
                    }
    }
    // A batch above DBN4J_GEMM_OWN_MAX_BATCH goes to OpenBLAS in AUTO, unless A (not transposed) is mostly zeros:
    // then the own kernel's sparse path runs it, with the own dense kernel's bits. With own_all every product runs
    // on the own kernel.
    if (own) {
        CHECK_OK(dbn4j_blas_set_num_threads(1));
        // M and K above the batch bound; K in blocks that differ from OpenBLAS's (its AVX-512 kernels sum a K of 300
        // in the own kernel's order, to the bit).
        const int M = 600, N = 128, K = 800; // N: whole panels of either build, enough for the sparse path
        std::vector<float> A((size_t)M * K), B((size_t)K * N), C((size_t)M * N);
        for (auto &v : B) v = rng.uniform(-1, 1);
        for (float density : {0.3f, 1.0f}) {
            for (auto &v : A) v = rng.uniform(0, 1) < density ? rng.uniform(-1, 1) : 0.0f;
            std::vector<float> out[3];
            const int modes[3] = {DBN4J_GEMM_AUTO, DBN4J_GEMM_OWN, DBN4J_GEMM_OPENBLAS};
            for (int m = 0; m < 3; m++) {
                CHECK_OK(dbn4j_gemm_set_mode(modes[m]));
                CHECK_OK(dbn4j_gemm_set_sparse(m == 1 ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_AUTO));
                CHECK_OK(dbn4j_sgemm(0, 0, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N));
                out[m] = C;
            }
            // The two kernels sum in different orders, so the bits tell which one ran.
            CHECK(memcmp(out[1].data(), out[2].data(), C.size() * sizeof(float)) != 0);
            bool own_bits = own_all || density < 0.5f;
            const std::vector<float> &want = own_bits ? out[1] : out[2];
            CHECK_MSG(memcmp(out[0].data(), want.data(), C.size() * sizeof(float)) == 0,
                      "AUTO at M=%d, %g%% nonzero: not the bits of %s", M, density * 100,
                      own_bits ? "the own kernel" : "OpenBLAS");
        }
        // The weight step of a batch of 300 (K1 + K2 past the fused bound, M and K past the batch bound): AUTO runs
        // its products on the own kernel (OWN's bits), OFF on OpenBLAS.
        const int gm = 270, gn = 64, gk = 300;
        std::vector<float> a1((size_t)gk * gm), b1((size_t)gk * gn), a2(a1.size()), b2(b1.size()), G((size_t)gm * gn);
        for (auto *v : {&a1, &b1, &a2, &b2})
            for (auto &x : *v) x = rng.uniform(0, 1);
        std::vector<float> w[3], vel[3];
        const int step_modes[3][2] = {{DBN4J_GEMM_AUTO, DBN4J_GEMM_SPARSE_AUTO},
                                      {DBN4J_GEMM_OWN, DBN4J_GEMM_SPARSE_AUTO},
                                      {DBN4J_GEMM_AUTO, DBN4J_GEMM_SPARSE_OFF}};
        for (int m = 0; m < 3; m++) {
            CHECK_OK(dbn4j_gemm_set_mode(step_modes[m][0]));
            CHECK_OK(dbn4j_gemm_set_sparse(step_modes[m][1]));
            w[m].assign(G.size(), 0.5f);
            vel[m].assign(G.size(), 0.25f);
            CHECK_OK(dbn4j_gemm_sgd_momentum(1, 0, gm, gn, gk, gk, 0.01f, a1.data(), gm, b1.data(), gn, a2.data(), gm,
                                             b2.data(), gn, w[m].data(), vel[m].data(), G.data(), 0.1f, 0.9f, 1e-4f,
                                             0));
        }
        size_t wb = G.size() * sizeof(float);
        CHECK_MSG(memcmp(w[0].data(), w[1].data(), wb) == 0 && memcmp(vel[0].data(), vel[1].data(), wb) == 0,
                  "AUTO weight step at K = 2 x %d: not the own kernel's bits", gk);
        if (own_all)
            CHECK_MSG(memcmp(w[0].data(), w[2].data(), wb) == 0, "sparse OFF weight step: not the own kernel's bits");
        else
            CHECK_MSG(memcmp(w[0].data(), w[2].data(), wb) != 0, "sparse OFF weight step: the own kernel's bits");
        CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
        CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
    }
    return finish("test_gemm");
}
