/*
 * dbn4j's own SGEMM for the skinny shapes of mini-batch training (one of M or K a batch of <= 256 rows), AVX2 +
 * FMA, row-major: C = alpha op(A) op(B) + beta C. Goto/BLIS structure: K in balanced blocks of <= 384, A packed
 * in 6-row micro-panels, B in 16-column micro-panels, a 6x16 register tile of 12 accumulators. On the batch-100
 * shapes of the models (784x500 layers) OpenBLAS 0.3.31 (Haswell/Zen kernels) runs 74-79 GFLOP/s, most of it lost
 * to packing and edges; this kernel reaches 82-88 of the core's ~95 (quiet machine; 7-15% ahead of OpenBLAS
 * per call in interleaved runs, also when a busy neighbour halves both). blas.cpp decides when it is used.
 * The same driver runs dbn4j_gemm_sgd_momentum's fused weight step: two products packed one after the other into
 * one K block (the second one's B negated), and each finished 6x16 gradient tile applied to W and V in registers
 * as an SGD-momentum step, so the gradient never goes to memory.
 *
 * Determinism: the order in which each C element is summed depends only on K (the block boundaries) and never on
 * the threads: each thread owns whole 16-column panels counted from column 0, and every tile, full or at an
 * edge, goes through the same operations.
 * Built with the AVX2 flags, so (like kernels_impl.inc) nothing here calls a std:: inline function and all of it
 * lives in an anonymous namespace: the linker cannot hand an AVX2 copy to code that runs on older CPUs.
 * Test: ctest --test-dir <build> -R "gemm_own|gemm" (against a double loop, every transpose, edges, threads).
 */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#if DBN4J_X86_LEVELS
#include <immintrin.h>

namespace dbn4j {
namespace {

constexpr int MR = 6, NR = 16, KC_MAX = 384, MC = 144;

inline int imin(int a, int b) { return a < b ? a : b; }

// Packing buffers of one thread, grown on demand and kept (no allocation per call in the steady state).
struct Buffers {
    float *a = nullptr, *b = nullptr;
    int64_t a_cap = 0, b_cap = 0;
    ~Buffers() {
        free(a);
        free(b);
    }
};
thread_local Buffers t_buf;

bool ensure(float *&p, int64_t &cap, int64_t floats) {
    if (cap >= floats) return true;
    free(p);
    p = nullptr;
    cap = 0;
    // + 8 floats of slack, for safety: pack_a's 8-wide stores stay inside (see there).
    size_t bytes = (size_t)((floats + 8 + 15) / 16 * 16) * sizeof(float);
    void *q = nullptr;
    if (posix_memalign(&q, 64, bytes) != 0) return false;
    p = static_cast<float *>(q);
    cap = floats;
    return true;
}

// Transposes the 8x8 block r[0..7] (rows) in place into columns.
inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// A block: rows [0, mc) x k [0, kc) of op(A), element (i, k) at a[i * rs + k * cs], into MR-row micro-panels of
// `stride` floats each (MR x the packed K, which may hold more than this kc: see Product): panel p, step k holds
// rows p*MR .. p*MR+5 (zeros past mc). The vector paths store 8 floats per k, 2 past the step's 6 into the next
// step (rewritten right after); the last step of each call is stored exactly, so that a second part packed later
// and the next panel keep their data. (Masked stores would do it too, but cost ~10x a plain store on Zen.)
void pack_a(const float *a, int64_t rs, int64_t cs, int mc, int kc, float *pa, int64_t stride) {
    for (int ip = 0; ip < mc; ip += MR, pa += stride) {
        int mr = imin(MR, mc - ip);
        const float *src = a + ip * rs;
        int k = 0;
        if (cs == 1 && mr == MR) {
            // Rows contiguous in k: 8 k at a time through an 8x8 transpose (rows 6, 7 zero).
            for (; k + 8 < kc; k += 8) {
                __m256 r[8];
                for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(src + i * rs + k);
                r[6] = r[7] = _mm256_setzero_ps();
                transpose8(r);
                for (int j = 0; j < 8; j++) _mm256_storeu_ps(pa + (int64_t)(k + j) * MR, r[j]);
            }
        }
        if (rs == 1 && ip + 8 <= mc) {
            // Rows contiguous in i (A transposed), and 8 of them exist: one load and store per k.
            for (; k + 1 < kc; k++) _mm256_storeu_ps(pa + (int64_t)k * MR, _mm256_loadu_ps(src + k * cs));
        }
        for (; k < kc; k++) {
            float *d = pa + (int64_t)k * MR;
            int i = 0;
            for (; i < mr; i++) d[i] = src[i * rs + k * cs];
            for (; i < MR; i++) d[i] = 0.0f;
        }
    }
}

// B block: k [0, kc) x columns [0, nc) of op(B), element (k, j) at b[k * rs + j * cs], into NR-column
// micro-panels of `stride` floats: panel p, step k holds columns p*NR .. p*NR+15 (zeros past nc), negated when
// `negate` (a sign flip, exact).
void pack_b(const float *b, int64_t rs, int64_t cs, int kc, int nc, float *pb, int64_t stride, bool negate) {
    const __m256 flip = _mm256_set1_ps(negate ? -0.0f : 0.0f);
    for (int jp = 0; jp < nc; jp += NR, pb += stride) {
        int nr = imin(NR, nc - jp);
        const float *src = b + jp * cs;
        if (nr == NR && cs == 1) {
            for (int k = 0; k < kc; k++) {
                _mm256_store_ps(pb + (int64_t)k * NR, _mm256_xor_ps(flip, _mm256_loadu_ps(src + k * rs)));
                _mm256_store_ps(pb + (int64_t)k * NR + 8, _mm256_xor_ps(flip, _mm256_loadu_ps(src + k * rs + 8)));
            }
            continue;
        }
        int k = 0;
        if (nr == NR && rs == 1) {
            // Columns contiguous in k (B transposed): two 8x8 transposes per 8 k.
            for (; k + 8 <= kc; k += 8)
                for (int h = 0; h < 2; h++) {
                    __m256 r[8];
                    for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src + (h * 8 + j) * cs + k);
                    transpose8(r);
                    for (int j = 0; j < 8; j++)
                        _mm256_store_ps(pb + (int64_t)(k + j) * NR + h * 8, _mm256_xor_ps(flip, r[j]));
                }
        }
        for (; k < kc; k++) {
            float *d = pb + (int64_t)k * NR;
            int j = 0;
            for (; j < nr; j++) d[j] = negate ? -src[k * rs + j * cs] : src[k * rs + j * cs];
            for (; j < NR; j++) d[j] = 0.0f;
        }
    }
}

// What a tile's sum acc becomes. STORE: C = alpha*acc (+ beta*C) in the first K block, C += alpha*acc in later
// ones. SGD: g = alpha*acc is the gradient of w (= C) and dbn4j_sgd_momentum's step is applied to w and v with it,
// operation for operation as kernels_impl.inc's sgd_momentum does (mul, add, sub; nothing fused).
struct Epilogue {
    enum Kind { STORE, SGD } kind;
    float alpha, beta;
    bool first;
    float *v;  // SGD: the velocity, same layout as C
    float lr, momentum, weight_decay;
    bool nesterov;
};

inline __m256 combine(__m256 acc, __m256 c, const Epilogue &u) {
    __m256 v = u.alpha == 1.0f ? acc : _mm256_mul_ps(_mm256_set1_ps(u.alpha), acc);
    if (!u.first) return _mm256_add_ps(c, v);
    if (u.beta == 0.0f) return v;
    return _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(u.beta), c));
}

// One SGD step on 8 parameters w, velocities v with gradient alpha * acc.
inline void sgd8(__m256 acc, float *w, float *v, const Epilogue &u) {
    __m256 g = _mm256_mul_ps(_mm256_set1_ps(u.alpha), acc);
    __m256 wi = _mm256_loadu_ps(w);
    __m256 lr = _mm256_set1_ps(u.lr), m = _mm256_set1_ps(u.momentum);
    __m256 gi = _mm256_add_ps(g, _mm256_mul_ps(_mm256_set1_ps(u.weight_decay), wi));
    __m256 vi = _mm256_sub_ps(_mm256_mul_ps(m, _mm256_loadu_ps(v)), _mm256_mul_ps(lr, gi));
    _mm256_storeu_ps(v, vi);
    __m256 step = u.nesterov ? _mm256_sub_ps(_mm256_add_ps(wi, _mm256_mul_ps(m, vi)), _mm256_mul_ps(lr, gi))
                             : _mm256_add_ps(wi, vi);
    _mm256_storeu_ps(w, step);
}

// Applies the epilogue to 8 columns at c (and v at the same offset): the first `valid` of them exist.
inline void finish8(__m256 acc, float *c, int64_t voff, int valid, const Epilogue &u) {
    const bool read_c = u.kind == Epilogue::SGD || !(u.first && u.beta == 0.0f);
    if (valid == 8) {
        if (u.kind == Epilogue::SGD) {
            sgd8(acc, c, u.v + voff, u);
        } else {
            _mm256_storeu_ps(c, combine(acc, read_c ? _mm256_loadu_ps(c) : _mm256_setzero_ps(), u));
        }
        return;
    }
    if (valid <= 0) return;
    // Edge: the same vector operations on copies of the valid part (zeros elsewhere, never written back).
    alignas(32) float tc[8], tv[8];
    for (int j = 0; j < 8; j++) {
        tc[j] = j < valid && read_c ? c[j] : 0.0f;
        tv[j] = j < valid && u.kind == Epilogue::SGD ? u.v[voff + j] : 0.0f;
    }
    if (u.kind == Epilogue::SGD) {
        Epilogue local = u;
        local.v = tv;
        sgd8(acc, tc, tv, local);
        for (int j = 0; j < valid; j++) u.v[voff + j] = tv[j];
    } else {
        _mm256_store_ps(tc, combine(acc, _mm256_load_ps(tc), u));
    }
    for (int j = 0; j < valid; j++) c[j] = tc[j];
}

// The 6x16 tile at C (mr x nr valid; v, for SGD, at the same offset voff) from micro-panels pa (MR x kc) and
// pb (kc x NR).
void kernel(int kc, const float *pa, const float *pb, float *c, int64_t ldc, int64_t voff, int mr, int nr,
            const Epilogue &u) {
    // 12 accumulators, 2 B vectors and 1 broadcast: 15 of the 16 ymm registers. Named, not an array: gcc keeps an
    // array of accumulators in memory.
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#define DBN4J_GEMM_ROW(i, lo, hi)                                                                                  \
    a = _mm256_broadcast_ss(pa + i);                                                                               \
    lo = _mm256_fmadd_ps(a, b0, lo);                                                                               \
    hi = _mm256_fmadd_ps(a, b1, hi)
    for (int k = 0; k < kc; k++, pa += MR, pb += NR) {
        __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8), a;
        DBN4J_GEMM_ROW(0, c00, c01);
        DBN4J_GEMM_ROW(1, c10, c11);
        DBN4J_GEMM_ROW(2, c20, c21);
        DBN4J_GEMM_ROW(3, c30, c31);
        DBN4J_GEMM_ROW(4, c40, c41);
        DBN4J_GEMM_ROW(5, c50, c51);
    }
#undef DBN4J_GEMM_ROW
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < mr; i++) {
        finish8(acc[i][0], c + i * ldc, voff + i * ldc, imin(8, nr), u);
        finish8(acc[i][1], c + i * ldc + 8, voff + i * ldc + 8, nr - 8, u);
    }
}

// op(A)(i, k) = a[i*ars + k*acs] (M x K), op(B)(k, j) = b[k*brs + j*bcs] (K x N).
struct Part {
    const float *a, *b;
    int64_t ars, acs, brs, bcs;
    int K;
};

Part part(int transA, int transB, int K, const float *A, int lda, const float *B, int ldb) {
    Part p;
    p.a = A, p.b = B, p.K = K;
    p.ars = transA ? 1 : lda, p.acs = transA ? lda : 1;
    p.brs = transB ? 1 : ldb, p.bcs = transB ? ldb : 1;
    return p;
}

// C = sum over parts of op(A) op(B), the second part negated, through the epilogue. With two parts the whole K
// is one block (the caller checks K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K); with one it is split into blocks of kb.
struct Product {
    int M, N, nparts;
    Part parts[2];
    float *C;
    int64_t ldc;
    int kb;
    Epilogue ep;
};

// Columns [n0, n1) of C (n0 a multiple of NR), on this thread's buffers. Returns false when out of memory.
bool run_columns(const Product &g, int n0, int n1) {
    int nc = n1 - n0;
    int npanels = (nc + NR - 1) / NR, mcap = imin(MC, g.M);
    if (!ensure(t_buf.b, t_buf.b_cap, (int64_t)npanels * NR * g.kb) ||
        !ensure(t_buf.a, t_buf.a_cap, (int64_t)((mcap + MR - 1) / MR) * MR * g.kb))
        return false;
    int ktotal = g.parts[0].K + (g.nparts > 1 ? g.parts[1].K : 0);
    for (int pc = 0; pc < ktotal; pc += g.kb) {
        int kc = imin(g.kb, ktotal - pc);
        Epilogue u = g.ep;
        u.first = pc == 0;
        // Blocks of one part (pc within it), or both parts whole into one block.
        for (int q = 0, koff = 0; q < g.nparts; koff += g.parts[q].K, q++) {
            const Part &p = g.parts[q];
            int k0 = g.nparts > 1 ? 0 : pc, kq = g.nparts > 1 ? p.K : kc;
            pack_b(p.b + k0 * p.brs + (int64_t)n0 * p.bcs, p.brs, p.bcs, kq, nc, t_buf.b + (int64_t)koff * NR,
                   (int64_t)NR * kc, q == 1);
        }
        for (int ic = 0; ic < g.M; ic += MC) {
            int mc = imin(MC, g.M - ic);
            for (int q = 0, koff = 0; q < g.nparts; koff += g.parts[q].K, q++) {
                const Part &p = g.parts[q];
                int k0 = g.nparts > 1 ? 0 : pc, kq = g.nparts > 1 ? p.K : kc;
                pack_a(p.a + ic * p.ars + k0 * p.acs, p.ars, p.acs, mc, kq, t_buf.a + (int64_t)koff * MR,
                       (int64_t)MR * kc);
            }
            for (int jr = 0; jr < nc; jr += NR) {
                const float *pb = t_buf.b + (int64_t)(jr / NR) * NR * kc;
                for (int ir = 0; ir < mc; ir += MR) {
                    int64_t off = (ic + ir) * g.ldc + n0 + jr;
                    kernel(kc, t_buf.a + (int64_t)(ir / MR) * MR * kc, pb, g.C + off, g.ldc, off, imin(MR, mc - ir),
                           imin(NR, nc - jr), u);
                }
            }
        }
    }
    return true;
}

int run(const Product &g, const char *fn) {
    int64_t panels = (g.N + NR - 1) / NR;
    int ktotal = g.parts[0].K + (g.nparts > 1 ? g.parts[1].K : 0);
    // One piece per thread, whole panels each; a piece is worth splitting off at ~2 MFLOP (32 flops per element
    // of the elementwise grain, which tests lower to split small products too).
    int64_t grain = 1 + grain_elements() * 32 / ((int64_t)2 * g.M * ktotal * NR);
    int failed = 0; // no std::atomic here (see the top); the builtin needs no library code
    parallel_for(0, panels, grain, [&](int64_t p0, int64_t p1) {
        int n0 = (int)(p0 * NR), n1 = imin(g.N, (int)(p1 * NR));
        if (!run_columns(g, n0, n1)) __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
    });
    return !__atomic_load_n(&failed, __ATOMIC_RELAXED) ? DBN4J_OK
                                                       : fail(DBN4J_ENOMEM, "%s: out of memory for the packing buffers", fn);
}

} // namespace

// Arguments already checked by dbn4j_sgemm (sizes > 0, no overlap).
int own_sgemm_avx2(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc) {
    Product g;
    g.M = M, g.N = N, g.nparts = 1, g.C = C, g.ldc = ldc;
    g.parts[0] = part(transA, transB, K, A, lda, B, ldb);
    int nblocks = (K + KC_MAX - 1) / KC_MAX;
    g.kb = (K + nblocks - 1) / nblocks;
    g.ep = Epilogue{Epilogue::STORE, alpha, beta, true, nullptr, 0.0f, 0.0f, 0.0f, false};
    return run(g, "dbn4j_sgemm");
}

// Arguments already checked by dbn4j_gemm_sgd_momentum (sizes > 0, K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K, no overlap).
int own_gemm_sgd_avx2(int transA, int transB, int M, int N, int K1, int K2, float alpha, const float *A1, int lda1,
                      const float *B1, int ldb1, const float *A2, int lda2, const float *B2, int ldb2, float *W,
                      float *V, float lr, float momentum, float weight_decay, int nesterov) {
    Product g;
    g.M = M, g.N = N, g.C = W, g.ldc = N;
    g.parts[0] = part(transA, transB, K1, A1, lda1, B1, ldb1);
    g.nparts = 1;
    if (K2 > 0) g.parts[g.nparts++] = part(transA, transB, K2, A2, lda2, B2, ldb2);
    g.kb = K1 + K2;
    g.ep = Epilogue{Epilogue::SGD, alpha, 0.0f, true, V, lr, momentum, weight_decay, nesterov != 0};
    return run(g, "dbn4j_gemm_sgd_momentum");
}

} // namespace dbn4j

#endif
