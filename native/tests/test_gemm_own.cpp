/*
 * dbn4j's own SGEMM kernel (gemm_impl.inc; needs no OpenBLAS), its AVX2 build and, where the CPU has AVX-512, its
 * AVX-512 build: every transpose combination, edge tiles, several K blocks and M blocks, padded leading
 * dimensions, alpha and beta (beta = 0 never reads C), against a double loop within the dot-product error bound;
 * bit-identical results on 1, 2 and 3 threads and from the two builds; the mode switch and the AUTO rule. Skips
 * (exit 77) on a CPU without AVX2 and FMA.
 * Run: ctest --test-dir <build> -R gemm_own
 */
#include <math.h>

#include <vector>

#include "internal.h"
#include "test_util.h"

namespace {

struct Case {
    int M, N, K, ta, tb;
    float alpha, beta;
};

// Runs the case on `threads` threads; returns C (with its padding).
std::vector<float> run(const Case &c, const std::vector<float> &A, int lda, const std::vector<float> &B, int ldb,
                       const std::vector<float> &C0, int ldc, int threads) {
    std::vector<float> C = C0;
    CHECK_OK(dbn4j_set_num_threads(threads));
    CHECK_OK(dbn4j_sgemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc));
    return C;
}

void check_case(Rng &rng, const Case &c) {
    int lda = (c.ta ? c.M : c.K) + 3, ldb = (c.tb ? c.K : c.N) + 1, ldc = c.N + 5;
    std::vector<float> A((size_t)(c.ta ? c.K : c.M) * lda), B((size_t)(c.tb ? c.N : c.K) * ldb),
        C0((size_t)c.M * ldc);
    for (auto &v : A) v = rng.uniform(-1, 1);
    for (auto &v : B) v = rng.uniform(-1, 1);
    for (auto &v : C0) v = c.beta == 0.0f ? NAN : rng.uniform(-1, 1); // beta = 0: C must not be read
    std::vector<float> C = run(c, A, lda, B, ldb, C0, ldc, 1);
    double worst = 0;
    int pad_changed = 0;
    for (int i = 0; i < c.M; i++) {
        for (int j = 0; j < c.N; j++) {
            double s = 0, sa = 0;
            for (int k = 0; k < c.K; k++) {
                double a = c.ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double b = c.tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += a * b;
                sa += fabs(a * b);
            }
            double c0 = c.beta == 0.0f ? 0.0 : C0[(size_t)i * ldc + j];
            double ref = c.alpha * s + c.beta * c0;
            // Float sums in any order: within (K + 2) u (|alpha| sum |a b| + |beta c|) of the exact value.
            double bound = 0x1p-24 * (c.K + 2) * (fabs(c.alpha) * sa + fabs(c.beta * c0)) + 1e-30;
            double e = fabs(C[(size_t)i * ldc + j] - ref) / bound;
            if (!(e <= worst)) worst = e; // NaN counts as the worst
        }
        for (int j = c.N; j < ldc; j++) {
            float before = C0[(size_t)i * ldc + j], after = C[(size_t)i * ldc + j];
            pad_changed += !(before == after || (before != before && after != after));
        }
    }
    CHECK_MSG(worst <= 1.0 && pad_changed == 0,
              "own sgemm ta=%d tb=%d M=%d N=%d K=%d alpha=%g beta=%g: error %.3g of bound, %d pad changed", c.ta,
              c.tb, c.M, c.N, c.K, c.alpha, c.beta, worst, pad_changed);
    for (int threads = 2; threads <= 3; threads++) {
        std::vector<float> Ct = run(c, A, lda, B, ldb, C0, ldc, threads);
        int differ = differing(C, Ct);
        CHECK_MSG(differ == 0, "own sgemm M=%d N=%d K=%d ta=%d tb=%d: %d elements differ on %d threads", c.M, c.N,
                  c.K, c.ta, c.tb, differ, threads);
    }
}

// The fused weight step against its definition: the own SGEMM of the stacked product [A1 A2] [B1; -B2] (one K
// block, so the same sums in the same order) then dbn4j_sgd_momentum must give the same bits; and, for any K, the
// double reference within the error of the gradient times lr.
void check_fused(Rng &rng, int M, int N, int K1, int K2, int ta, int tb, int nesterov) {
    int K = K1 + K2;
    float alpha = -1.0f / 64, lr = 0.1f, momentum = 0.9f, wd = 2e-4f;
    // Stacked operands: op(As) = [op(A1) op(A2)] (M x K), op(Bs) = [op(B1); -op(B2)] (K x N).
    int ldas = ta ? M : K, ldbs = tb ? K : N;
    std::vector<float> As((size_t)(ta ? K : M) * ldas), Bs((size_t)(tb ? N : K) * ldbs);
    for (auto &v : As) v = rng.uniform(0, 1);
    for (auto &v : Bs) v = rng.uniform(0, 1);
    // The two parts as separate matrices (each with its own padded leading dimension).
    int lda1 = (ta ? M : K1) + 2, lda2 = (ta ? M : K2) + 1, ldb1 = (tb ? K1 : N) + 3, ldb2 = (tb ? K2 : N) + 1;
    std::vector<float> A1((size_t)(ta ? K1 : M) * lda1 + 1), A2((size_t)(ta ? K2 : M) * lda2 + 1),
        B1((size_t)(tb ? N : K1) * ldb1 + 1), B2((size_t)(tb ? N : K2) * ldb2 + 1);
    auto a_at = [&](int i, int k) -> float & { return ta ? As[(size_t)k * ldas + i] : As[(size_t)i * ldas + k]; };
    auto b_at = [&](int k, int j) -> float & { return tb ? Bs[(size_t)j * ldbs + k] : Bs[(size_t)k * ldbs + j]; };
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            float v = a_at(i, k);
            if (k < K1) (ta ? A1[(size_t)k * lda1 + i] : A1[(size_t)i * lda1 + k]) = v;
            else (ta ? A2[(size_t)(k - K1) * lda2 + i] : A2[(size_t)i * lda2 + k - K1]) = v;
        }
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            float v = b_at(k, j);
            if (k < K1) (tb ? B1[(size_t)j * ldb1 + k] : B1[(size_t)k * ldb1 + j]) = v;
            else {
                (tb ? B2[(size_t)j * ldb2 + k - K1] : B2[(size_t)(k - K1) * ldb2 + j]) = v;
                b_at(k, j) = -v;
            }
        }
    size_t n = (size_t)M * N;
    std::vector<float> W(n), V(n), G(n, NAN);
    for (auto &v : W) v = rng.uniform(-0.1f, 0.1f);
    for (auto &v : V) v = rng.uniform(-0.01f, 0.01f);
    std::vector<float> W0 = W, V0 = V;
    CHECK(dbn4j_gemm_sgd_fused(M, N, K1, K2) == 1);
    CHECK_OK(dbn4j_gemm_sgd_momentum(ta, tb, M, N, K1, K2, alpha, A1.data(), lda1, B1.data(), ldb1, A2.data(), lda2,
                                     B2.data(), ldb2, W.data(), V.data(), G.data(), lr, momentum, wd, nesterov));
    int g_written = 0;
    for (float g : G) g_written += g == g;
    CHECK_MSG(g_written == 0, "fused step wrote %d elements of G", g_written);
    // Reference double: G = alpha (sum1 - sum2), then the step.
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0, sa = 0;
            for (int k = 0; k < K; k++) {
                double p = (double)a_at(i, k) * b_at(k, j);
                s += p;
                sa += fabs(p);
            }
            size_t e = (size_t)i * N + j;
            double g = alpha * s + wd * (double)W0[e];
            double v = momentum * (double)V0[e] - lr * g;
            double w = nesterov ? W0[e] + momentum * v - lr * g : W0[e] + v;
            // Gradient error (K + 2) u |alpha| sum|ab| times lr (1 + momentum for Nesterov), plus a few roundings
            // of the step's own terms.
            double gerr = 0x1p-24 * (K + 2) * fabs(alpha) * sa;
            double bound = lr * gerr * (1 + momentum) + 0x1p-24 * 8 * (fabs(w) + fabs(v) + lr * fabs(g) + 1e-30);
            double err = fabs(W[e] - w) > fabs(V[e] - v) ? fabs(W[e] - w) : fabs(V[e] - v);
            double r = err / bound;
            if (!(r <= worst)) worst = r;
        }
    CHECK_MSG(worst <= 1.0, "fused step M=%d N=%d K1=%d K2=%d ta=%d tb=%d nesterov=%d: error %.3g of bound", M, N, K1,
              K2, ta, tb, nesterov, worst);
    if (K <= 384) { // one K block in dbn4j_sgemm too: the same bits
        std::vector<float> Gs(n), W2 = W0, V2 = V0;
        CHECK_OK(dbn4j_sgemm(ta, tb, M, N, K, alpha, As.data(), ldas, Bs.data(), ldbs, 0.0f, Gs.data(), N));
        CHECK_OK(dbn4j_sgd_momentum(W2.data(), Gs.data(), V2.data(), (int64_t)n, lr, momentum, wd, nesterov));
        int differ = 0;
        for (size_t e = 0; e < n; e++) differ += bits_of(W[e]) != bits_of(W2[e]) || bits_of(V[e]) != bits_of(V2[e]);
        CHECK_MSG(differ == 0, "fused step M=%d N=%d K1=%d K2=%d ta=%d tb=%d: %d elements differ from sgemm + sgd", M,
                  N, K1, K2, ta, tb, differ);
    }
    // The unfused path (the own kernel off) lands within the same bound and writes G.
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_OPENBLAS));
    CHECK(dbn4j_gemm_sgd_fused(M, N, K1, K2) == 0);
    dbn4j_gemm_set_mode(DBN4J_GEMM_OWN);
}

// The fused step flushes a velocity that it leaves subnormal to +0, as dbn4j_sgd_momentum does (kernels.h).
void check_fused_flush(int level) {
    CHECK_OK(dbn4j_isa_force(level));
    char what[64];
    snprintf(what, sizeof what, "fused step at level %d", level);
    check_flush_step(what, [](float *w, float *v, float mom, int nesterov) {
        static const float A[k_flush_rows * 3] = {}, B[3 * k_flush_cols] = {};   // the gradient A B: zero
        float G[k_flush_n];
        CHECK(dbn4j_gemm_sgd_fused(k_flush_rows, k_flush_cols, 3, 0) == 1);
        CHECK_OK(dbn4j_gemm_sgd_momentum(0, 0, k_flush_rows, k_flush_cols, 3, 0, 1.0f, A, 3, B, k_flush_cols, nullptr,
                                         0, nullptr, 0, w, v, G, 0.1f, mom, 0.0f, nesterov));
    });
    CHECK_OK(dbn4j_isa_force(-1));
}

// The sparse-A path (A not transposed) against the dense kernel: the same bits for any density, 0/1 or real
// values (with -0 and a NaN among them), alpha and beta, padded leading dimensions, 1-3 threads, and AUTO.
// Rows from dense_rows_from on are all nonzero (a slice of a large product that AUTO runs on the dense kernel).
void check_sparse(Rng &rng, int M, int N, int K, int tb, float alpha, float beta, float density, bool binary,
                  bool nan, int dense_rows_from = -1) {
    int lda = K + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
    std::vector<float> A((size_t)M * lda), B((size_t)(tb ? N : K) * ldb), C0((size_t)M * ldc);
    for (size_t i = 0; i < A.size(); i++) {
        bool on = (dense_rows_from >= 0 && (int)(i / lda) >= dense_rows_from) || rng.uniform(0, 1) < density;
        A[i] = on ? (binary ? 1.0f : rng.uniform(-1, 1)) : (rng.uniform(0, 1) < 0.5f ? 0.0f : -0.0f);
    }
    if (nan) A[(size_t)(M / 2) * lda + K / 3] = NAN; // must reach row M/2 of C as in the dense kernel
    for (auto &v : B) v = rng.uniform(-1, 1);
    for (auto &v : C0) v = beta == 0.0f ? NAN : rng.uniform(-1, 1);
    Case c{M, N, K, 0, tb, alpha, beta};
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_OFF));
    std::vector<float> dense = run(c, A, lda, B, ldb, C0, ldc, 1);
    const int modes[] = {DBN4J_GEMM_SPARSE_ALWAYS, DBN4J_GEMM_SPARSE_AUTO};
    for (int mode : modes)
        for (int threads = 1; threads <= 3; threads++) {
            CHECK_OK(dbn4j_gemm_set_sparse(mode));
            std::vector<float> Cs = run(c, A, lda, B, ldb, C0, ldc, threads);
            int differ = 0;
            for (size_t i = 0; i < Cs.size(); i++)
                differ += bits_of(Cs[i]) != bits_of(dense[i]) && !(Cs[i] != Cs[i] && dense[i] != dense[i]);
            CHECK_MSG(differ == 0,
                      "sparse mode %d M=%d N=%d K=%d tb=%d alpha=%g beta=%g density=%g binary=%d nan=%d, %d threads: "
                      "%d elements differ from the dense kernel",
                      mode, M, N, K, tb, alpha, beta, density, binary, nan, threads, differ);
        }
    if (nan) {
        int nans = 0;
        for (int j = 0; j < N; j++) nans += dense[(size_t)(M / 2) * ldc + j] != dense[(size_t)(M / 2) * ldc + j];
        CHECK_MSG(nans == N, "a NaN in row %d of A made %d of %d elements of C NaN", M / 2, nans, N);
    }
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
}

// Zero steps of whole A panels (six rows of op(A) zero at the same k), skipped by the dense kernel unless the
// sparse mode is OFF: the same bits with and without, for sgemm (either transpose, several K and M blocks) and the
// fused weight step. Zeros come in runs along the rows of op(A), as neighbouring pixels of an image do.
void check_skip(Rng &rng, int M, int N, int K, int ta, int tb, float beta) {
    int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 1;
    std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? N : K) * ldb), C0((size_t)M * ldc);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) {
            bool blank = ((i / 5 + k * 7) % 3) != 0; // runs of zero rows, shifted by k
            (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) = blank ? 0.0f : rng.uniform(-1, 1);
        }
    for (auto &v : B) v = rng.uniform(-1, 1);
    for (auto &v : C0) v = rng.uniform(-1, 1);
    Case c{M, N, K, ta, tb, 0.5f, beta};
    std::vector<float> out[2];
    for (int m = 0; m < 2; m++) {
        CHECK_OK(dbn4j_gemm_set_sparse(m == 0 ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_AUTO));
        out[m] = run(c, A, lda, B, ldb, C0, ldc, 1 + m);
    }
    int differ = differing(out[0], out[1]);
    CHECK_MSG(differ == 0, "zero steps skipped M=%d N=%d K=%d ta=%d tb=%d beta=%g: %d elements differ", M, N, K, ta,
              tb, beta, differ);
    if (K <= DBN4J_GEMM_FUSED_MAX_K / 2) {
        // The weight step with A as the first product's A, and the second one dense.
        size_t n = (size_t)M * N;
        std::vector<float> A2((size_t)(ta ? K : M) * lda), W[2], V[2], G(n);
        for (auto &v : A2) v = rng.uniform(-1, 1);
        for (int m = 0; m < 2; m++) {
            W[m].assign(n, 0.25f);
            V[m].assign(n, -0.125f);
            CHECK_OK(dbn4j_gemm_set_sparse(m == 0 ? DBN4J_GEMM_SPARSE_OFF : DBN4J_GEMM_SPARSE_AUTO));
            CHECK_OK(dbn4j_gemm_sgd_momentum(ta, tb, M, N, K, K, 0.01f, A.data(), lda, B.data(), ldb, A2.data(), lda,
                                             B.data(), ldb, W[m].data(), V[m].data(), G.data(), 0.1f, 0.9f, 1e-4f, 0));
        }
        differ = 0;
        for (size_t i = 0; i < n; i++) differ += bits_of(W[0][i]) != bits_of(W[1][i]) || bits_of(V[0][i]) != bits_of(V[1][i]);
        CHECK_MSG(differ == 0, "fused step, zero steps skipped M=%d N=%d K=%d ta=%d tb=%d: %d elements differ", M, N, K,
                  ta, tb, differ);
    }
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
}

// The AVX2 and AVX-512 builds give the same bits: plain products (every transpose, edges, two K blocks, beta),
// the sparse path (0/1 and real values) and the fused weight step, each run at both levels.
void check_levels_agree(Rng &rng) {
    const int shapes[][3] = {{100, 500, 784}, {13, 33, 385}, {150, 17, 9}, {7, 100, 769}};
    for (auto &sh : shapes)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++)
                for (int sparse : {DBN4J_GEMM_SPARSE_OFF, DBN4J_GEMM_SPARSE_ALWAYS}) {
                    if (sparse == DBN4J_GEMM_SPARSE_ALWAYS && ta) continue; // the sparse path takes A as it is
                    int M = sh[0], N = sh[1], K = sh[2];
                    int lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 3;
                    std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? N : K) * ldb),
                        C0((size_t)M * ldc);
                    for (auto &v : A) v = rng.uniform(0, 1) < 0.4f ? (ta ? 1.0f : rng.uniform(-1, 1)) : 0.0f;
                    for (auto &v : B) v = rng.uniform(-1, 1);
                    for (auto &v : C0) v = rng.uniform(-1, 1);
                    Case c{M, N, K, ta, tb, 0.75f, 0.5f};
                    CHECK_OK(dbn4j_gemm_set_sparse(sparse));
                    std::vector<float> out[2];
                    for (int l = 0; l < 2; l++) {
                        CHECK_OK(dbn4j_isa_force(l == 0 ? DBN4J_ISA_AVX2 : DBN4J_ISA_AVX512));
                        out[l] = run(c, A, lda, B, ldb, C0, ldc, 1 + l);
                    }
                    int differ = differing(out[0], out[1]);
                    CHECK_MSG(differ == 0,
                              "AVX2 vs AVX-512 build M=%d N=%d K=%d ta=%d tb=%d sparse mode %d: %d elements differ", M,
                              N, K, ta, tb, sparse, differ);
                }
    // The fused weight step (RBM-like: A transposed, two parts).
    const int M = 784, N = 500, K = 100;
    std::vector<float> A1((size_t)K * M), A2(A1.size()), B1((size_t)K * N), B2(B1.size());
    for (auto &v : A1) v = rng.uniform(0, 1) < 0.5f ? rng.uniform(0, 1) : 0.0f;
    for (auto &v : A2) v = rng.uniform(0, 1);
    for (auto &v : B1) v = rng.uniform(0, 1);
    for (auto &v : B2) v = rng.uniform(0, 1);
    size_t n = (size_t)M * N;
    std::vector<float> W[2], V[2], G(n);
    for (int l = 0; l < 2; l++) {
        CHECK_OK(dbn4j_isa_force(l == 0 ? DBN4J_ISA_AVX2 : DBN4J_ISA_AVX512));
        CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
        W[l].assign(n, 0.25f);
        V[l].assign(n, -0.125f);
        CHECK_OK(dbn4j_gemm_sgd_momentum(1, 0, M, N, K, K, -1.0f / K, A1.data(), M, B1.data(), N, A2.data(), M,
                                         B2.data(), N, W[l].data(), V[l].data(), G.data(), 0.1f, 0.9f, 2e-4f, 0));
    }
    int differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += bits_of(W[0][i]) != bits_of(W[1][i]) || bits_of(V[0][i]) != bits_of(V[1][i]);
    CHECK_MSG(differ == 0, "AVX2 vs AVX-512 build, fused weight step: %d elements differ", differ);
    CHECK_OK(dbn4j_isa_force(-1));
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
}

// Products of at most 32 (AVX2 build: 16) columns run on the narrow kernels: the same bits as the panel kernel with
// the sparse mode OFF (dbn4j::set_gemm_narrow_for_tests(false) sends them there), NaN and infinities included, for
// either transpose, one K block or several, alpha and beta, padded leading dimensions, C's rows contiguous or not,
// rows past one tile and odd edges, 1-3 threads; and the fused weight step with one part and with two (the second
// one negated, a NaN's sign too), B transposed or not, and a part of one row (lda 1) beside a transposed one. The
// panel kernel is checked against a double loop in check_case (whose narrow shapes run the narrow kernels).
void check_narrow(Rng &rng, int level) {
    const int widest = level >= DBN4J_ISA_AVX512 ? 32 : 16;
    const int ns[] = {1, 2, 3, 4, 5, 8, 9, 10, 12, 13, 16, 17, 24, 25, 32};
    const int mks[][2] = {{1, 1}, {5, 31}, {13, 385}, {25, 800}, {33, 64}, {100, 100}, {12, 7}, {31, 33}};
    const float params[][2] = {{1.0f, 0.0f}, {0.75f, 0.5f}, {-1.0f, 1.0f}};
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_OFF));
    int runs = 0, specials = 0;
    for (int n : ns) {
        if (n > widest) continue;
        for (auto &mk : mks)
            for (int ta = 0; ta <= 1; ta++)
                for (int tb = 0; tb <= 1; tb++) {
                    int M = mk[0], K = mk[1];
                    const float(&p)[2] = params[(int)rng.uniform(0, 2.999f)];
                    Case c{M, n, K, ta, tb, p[0], p[1]};
                    // C's rows contiguous (ldc = N) for odd M: the transposed kernel's epilogue then takes a tile's
                    // rows as one block.
                    int lda = (ta ? M : K) + (int)rng.uniform(0, 3.999f), ldb = (tb ? K : n) + 1,
                        ldc = n + (M % 2 ? 0 : 2);
                    std::vector<float> A((size_t)(ta ? K : M) * lda), B((size_t)(tb ? n : K) * ldb),
                        C0((size_t)M * ldc);
                    for (auto &v : A) v = rng.uniform(0, 1) < 0.3f ? 0.0f : rng.uniform(-1, 1);
                    for (auto &v : B) v = rng.uniform(-1, 1);
                    for (auto &v : C0) v = c.beta == 0.0f ? NAN : rng.uniform(-1, 1);
                    if (rng.uniform(0, 1) < 0.25f) { // a NaN of each sign in B, an infinity in A
                        B[(size_t)rng.uniform(0, (float)B.size() - 0.5f)] = NAN;
                        B[(size_t)rng.uniform(0, (float)B.size() - 0.5f)] = -NAN;
                        A[(size_t)rng.uniform(0, (float)A.size() - 0.5f)] = -INFINITY;
                        specials++;
                    }
                    dbn4j::set_gemm_narrow_for_tests(false);
                    std::vector<float> panel = run(c, A, lda, B, ldb, C0, ldc, 1);
                    dbn4j::set_gemm_narrow_for_tests(true);
                    for (int threads = 1; threads <= 3; threads++) {
                        int64_t before = dbn4j::gemm_narrow_count_for_tests();
                        std::vector<float> narrow = run(c, A, lda, B, ldb, C0, ldc, threads);
                        CHECK_MSG(dbn4j::gemm_narrow_count_for_tests() == before + 1,
                                  "M=%d N=%d K=%d did not run on the narrow kernel", M, n, K);
                        int differ = differing(narrow, panel);
                        CHECK_MSG(differ == 0,
                                  "narrow kernel M=%d N=%d K=%d ta=%d tb=%d alpha=%g beta=%g, %d threads: %d elements "
                                  "differ from the panel kernel", M, n, K, ta, tb, c.alpha, c.beta, threads, differ);
                        runs++;
                    }
                }
        // The fused step: one part (an MLP's x^T dz) and two (an RBM's v0^T h0 - v1^T h1), both transposes of A
        // and of B; the last case's first part is one row (A1 transposed with lda1 = M = 1).
        const int fused[][3] = {{784, 100, 0}, {37, 20, 20}, {13, 5, 9}, {50, 200, 190}, {1, 30, 40}};
        for (auto &f : fused)
            for (int ta = 0; ta <= 1; ta++)
                for (int tb = 0; tb <= 1; tb++) {
                    int M = f[0], K1 = f[1], K2 = f[2];
                    int lda1 = (ta ? M : K1) + (M > 1), lda2 = (ta ? M : K2) + 2;
                    int ldb1 = (tb ? K1 : n) + 1, ldb2 = (tb ? K2 : n) + 3;
                    std::vector<float> A1((size_t)(ta ? K1 : M) * lda1), A2((size_t)(ta ? K2 : M) * lda2 + 1),
                        B1((size_t)(tb ? n : K1) * ldb1), B2((size_t)(tb ? n : K2) * ldb2 + 1);
                    for (auto &v : A1) v = rng.uniform(0, 1) < 0.5f ? 0.0f : rng.uniform(0, 1);
                    for (auto &v : A2) v = rng.uniform(0, 1);
                    for (auto &v : B1) v = rng.uniform(-1, 1);
                    for (auto &v : B2) v = rng.uniform(-1, 1);
                    if (K2 > 0 && tb) B2[0] = NAN; // its sign flips in the second part, as the panel kernel's does
                    size_t e = (size_t)M * n;
                    std::vector<float> W[2], V[2], G(e);
                    int nesterov = (M + tb) % 2;
                    for (int k = 0; k < 2; k++) {
                        Rng init(17);
                        W[k].resize(e);
                        V[k].resize(e);
                        for (size_t i = 0; i < e; i++) W[k][i] = init.uniform(-0.1f, 0.1f), V[k][i] = init.uniform(-0.01f, 0.01f);
                        dbn4j::set_gemm_narrow_for_tests(k == 1);
                        CHECK(dbn4j_gemm_sgd_fused(M, n, K1, K2) == 1);
                        int64_t before = dbn4j::gemm_narrow_count_for_tests();
                        CHECK_OK(dbn4j_gemm_sgd_momentum(ta, tb, M, n, K1, K2, -1.0f / 64, A1.data(), lda1, B1.data(),
                                                         ldb1, A2.data(), lda2, B2.data(), ldb2, W[k].data(),
                                                         V[k].data(), G.data(), 0.1f, 0.9f, 2e-4f, nesterov));
                        CHECK(dbn4j::gemm_narrow_count_for_tests() == before + k);
                    }
                    int differ = differing(W[0], W[1]) + differing(V[0], V[1]);
                    CHECK_MSG(differ == 0, "narrow fused step M=%d N=%d K1=%d K2=%d ta=%d tb=%d: %d elements differ "
                              "from the panel kernel", M, n, K1, K2, ta, tb, differ);
                }
    }
    dbn4j::set_gemm_narrow_for_tests(true);
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_AUTO));
    CHECK(specials > 0);
    printf("narrow kernel, level %d: %d products against the panel kernel (%d with NaN and infinity)\n", level, runs,
           specials);
}

// Every check of one build of the own kernel (the kernel level forced to `level`).
void check_level(Rng &rng, int level) {
    CHECK_OK(dbn4j_isa_force(level));
    printf("own kernel, level %d\n", dbn4j_isa_active());
    // Edge tiles in M (6-row) and N (16-column), several K blocks (<= 384 each) and M blocks (144 rows); the shapes
    // of N <= 32 (AVX2 level: 16) run on the narrow kernels.
    const int shapes[][3] = {{1, 1, 1},     {7, 5, 3},      {6, 16, 8},    {13, 33, 385}, {100, 40, 784},
                             {150, 17, 9},  {300, 50, 100}, {5, 100, 769}, {12, 32, 17},  {784, 10, 100},
                             {100, 10, 784}, {29, 2, 800}};
    const float params[][2] = {{1.0f, 0.0f}, {0.75f, 0.5f}, {-1.0f, 1.0f}};
    for (auto &sh : shapes)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++)
                for (auto &p : params) check_case(rng, Case{sh[0], sh[1], sh[2], ta, tb, p[0], p[1]});
    // Sparse A: RBM- and MLP-like shapes (several K blocks, sub-blocks, column chunks with edges), tiny ones,
    // densities from empty to full.
    CHECK(dbn4j_gemm_set_sparse(3) == DBN4J_EINVAL);
    CHECK_OK(dbn4j_gemm_set_sparse(DBN4J_GEMM_SPARSE_ALWAYS));
    CHECK(dbn4j_gemm_get_sparse() == DBN4J_GEMM_SPARSE_ALWAYS);
    const int sparse_shapes[][3] = {{100, 500, 784}, {100, 784, 500}, {7, 100, 769}, {1, 33, 1},
                                    {13, 203, 65},   {3, 97, 9},      {20, 40, 390}};
    for (auto &sh : sparse_shapes)
        for (int tb = 0; tb <= 1; tb++)
            for (float density : {0.0f, 0.3f, 0.5f, 1.0f})
                for (int binary = 0; binary <= 1; binary++) {
                    const float(&p)[2] = params[(sh[0] + sh[1] + tb + binary) % 3];
                    check_sparse(rng, sh[0], sh[1], sh[2], tb, p[0], p[1], density, binary, false);
                }
    check_sparse(rng, 100, 500, 784, 0, 1.0f, 0.0f, 0.3f, false, true);
    // More rows than one slice (256): slices of 129 + 128, 3 x 200, and the last slice of three all nonzero (AUTO
    // runs it dense while the others run sparse; ALWAYS runs all sparse).
    check_sparse(rng, 257, 40, 70, 0, 0.75f, 0.5f, 0.3f, true, false);
    check_sparse(rng, 600, 33, 100, 1, 1.0f, 0.0f, 0.2f, false, true);
    check_sparse(rng, 600, 50, 90, 0, -1.0f, 1.0f, 0.2f, false, false, 400);
    const int skip_shapes[][3] = {{784, 500, 100}, {150, 40, 800}, {13, 37, 9}, {300, 33, 250}};
    for (auto &sh : skip_shapes)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++)
                for (float beta : {0.0f, 1.0f}) check_skip(rng, sh[0], sh[1], sh[2], ta, tb, beta);
    check_sparse(rng, 9, 40, 70, 1, 0.5f, 1.0f, 0.5f, true, true);
    check_narrow(rng, level);
    // Fused weight steps: RBM-like (A transposed, two parts), MLP-like (one part), edges, K past one sgemm block.
    const int fused[][4] = {{37, 45, 20, 20}, {78, 50, 100, 100}, {13, 17, 5, 0}, {50, 33, 200, 190},
                            {150, 20, 7, 9}};
    for (auto &f : fused)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++)
                for (int nesterov = 0; nesterov <= 1; nesterov++)
                    check_fused(rng, f[0], f[1], f[2], f[3], ta, tb, nesterov);
    CHECK(dbn4j_gemm_sgd_fused(784, 500, 100, 100) == 1);
    CHECK(dbn4j_gemm_sgd_fused(784, 500, 300, 300) == 0); // past DBN4J_GEMM_FUSED_MAX_K
    float w[4] = {0}, v[4] = {0}, g[4] = {0}, a[4] = {0};
    CHECK(dbn4j_gemm_sgd_momentum(0, 0, 2, 2, 2, 0, 1, a, 2, a, 2, nullptr, 0, nullptr, 0, w, w, g, 0.1f, 0.9f, 0, 0) ==
          DBN4J_EINVAL); // W and V the same
    CHECK(dbn4j_gemm_sgd_momentum(0, 0, 2, 2, 2, 0, 1, w, 2, a, 2, nullptr, 0, nullptr, 0, w, v, g, 0.1f, 0.9f, 0, 0) ==
          DBN4J_EINVAL); // W is A1
    CHECK(dbn4j_gemm_sgd_momentum(0, 0, 2, 2, 2, 0, 1, a, 1, a, 2, nullptr, 0, nullptr, 0, w, v, g, 0.1f, 0.9f, 0, 0) ==
          DBN4J_EINVAL); // lda1 < K1
    CHECK_OK(dbn4j_isa_force(-1));
}

} // namespace

int main() {
    if (dbn4j_isa_supported() < DBN4J_ISA_AVX2) {
        printf("SKIP: this CPU has no AVX2 + FMA, so dbn4j_sgemm never runs the own kernel\n");
        return 77;
    }
    // No BLAS is opened: every product below must run the own kernel.
    CHECK(dbn4j_gemm_set_mode(3) == DBN4J_EINVAL);
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_OWN));
    CHECK(dbn4j_gemm_get_mode() == DBN4J_GEMM_OWN);
    dbn4j::set_grain_elements_for_tests(1); // split even small products between threads
    Rng rng(11);
    check_level(rng, DBN4J_ISA_AVX2);
    check_fused_flush(DBN4J_ISA_AVX2);
    if (dbn4j_isa_supported() >= DBN4J_ISA_AVX512) {
        check_level(rng, DBN4J_ISA_AVX512);
        check_fused_flush(DBN4J_ISA_AVX512);
        check_levels_agree(rng);
    } else {
        printf("no AVX-512 on this CPU: its build of the own kernel is not run\n");
    }
    dbn4j::set_grain_elements_for_tests(0);

    // AUTO asks the BLAS's core, so without an open BLAS it never picks the own kernel (test_gemm checks the rule
    // with a real OpenBLAS).
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
    CHECK(dbn4j_gemm_own(100, 500, 784) == 0);
    CHECK(dbn4j_gemm_own(0, 500, 784) == 0);
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_OPENBLAS));
    CHECK(dbn4j_gemm_own(100, 500, 784) == 0);
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_OWN));
    CHECK(dbn4j_gemm_own(1000, 1000, 1000) == 1);
    CHECK_OK(dbn4j_isa_force(DBN4J_ISA_SCALAR));
    CHECK(dbn4j_gemm_own(100, 500, 784) == 0); // the scalar level never runs AVX2 code
    CHECK_OK(dbn4j_isa_force(-1));
    CHECK_OK(dbn4j_gemm_set_mode(DBN4J_GEMM_AUTO));
    return finish("test_gemm_own");
}
