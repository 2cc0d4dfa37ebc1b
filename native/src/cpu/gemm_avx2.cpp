/*
 * dbn4j's own SGEMM for the skinny shapes of mini-batch training (one of M or K a batch of <= 256 rows), AVX2 +
 * FMA, row-major: C = alpha op(A) op(B) + beta C. Goto/BLIS structure: K in balanced blocks of <= 384, A packed
 * in 6-row micro-panels, B in 16-column micro-panels, a 6x16 register tile of 12 accumulators. On the batch-100
 * shapes of the models (784x500 layers) OpenBLAS 0.3.31 (Haswell/Zen kernels) runs 74-79 GFLOP/s, most of it lost
 * to packing and edges; this kernel reaches 82-88 of the core's ~95 (quiet machine; 7-15% ahead of OpenBLAS
 * per call in interleaved runs, also when a busy neighbour halves both). blas.cpp decides when it is used.
 * The same driver runs dbn4j_gemm_sgd_momentum's fused weight step: two products packed one after the other into
 * one K block (the second one's B negated), and each finished 6x16 gradient tile applied to W and V in registers
 * as an SGD-momentum step, so the gradient never goes to memory. A product whose A (not transposed) is mostly zeros
 * takes a second path, one row of A at a time over its nonzeros, with the dense kernel's sums and bits (see
 * "op(A) with many zeros" below; blas.cpp passes the DBN4J_GEMM_SPARSE_* mode), and unless that mode is OFF the
 * dense kernel skips the k where all six rows of an A panel are zero (keep_steps: neighbouring pixels of an image
 * in a weight gradient), again with the same bits.
 *
 * Determinism: the order in which each C element is summed depends only on K (the block boundaries) and never on
 * the threads: each thread owns whole 16-column panels counted from column 0, and every tile, full or at an
 * edge, goes through the same operations.
 * Built with the AVX2 flags, so (like kernels_impl.inc) nothing here calls a std:: inline function and all of it
 * lives in an anonymous namespace: the linker cannot hand an AVX2 copy to code that runs on older CPUs.
 * Test: ctest --test-dir <build> -R "gemm_own|gemm" (against a double loop, every transpose, edges, threads; the
 * sparse path against the dense kernel bit for bit). Speed of the sparse path: <build>/tests/bench_gemm_sparse.
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
    float *a = nullptr, *b = nullptr, *steps = nullptr; // steps: the kept k of each A panel (int32, see keep_steps)
    int64_t a_cap = 0, b_cap = 0, steps_cap = 0;
    ~Buffers() {
        free(a);
        free(b);
        free(steps);
    }
};
thread_local Buffers t_buf;

// The calling thread's buffers, looked up once. In a shared library each access to a thread_local is a call to
// __tls_get_addr, and gcc treats its address as a constant that it recomputes (one more call) rather than keep in a
// register or spill, inside the loops too (~0.6% of an RBM epoch); the empty asm hides where the pointer came from.
template <typename T>
inline T &tls_ref(T &tls) {
    T *p = &tls;
    __asm__("" : "+r"(p));
    return *p;
}

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
// With STEPS, the panel of A holds only the kc steps listed in steps (ascending k; see keep_steps) and B is read
// at those k: the same sums, without the terms where all six rows of A are zero.
template <bool STEPS>
void kernel(int kc, const float *pa, const float *pb, float *c, int64_t ldc, int64_t voff, int mr, int nr,
            const Epilogue &u, const int32_t *steps) {
    // 12 accumulators, 2 B vectors and 1 broadcast: 15 of the 16 ymm registers. Named, not an array: gcc keeps an
    // array of accumulators in memory.
    // The tile of C (and of V) is read and written after the K loop; when C is larger than L2 (a weight
    // gradient: 784 x 500 is 1.5 MB) those reads would stall on L3 once per tile, so they are fetched now.
    for (int i = 0; i < mr; i++) {
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(c + i * ldc + nr - 1), _MM_HINT_T0);
        if (u.kind == Epilogue::SGD) {
            _mm_prefetch(reinterpret_cast<const char *>(u.v + voff + i * ldc), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char *>(u.v + voff + i * ldc + nr - 1), _MM_HINT_T0);
        }
    }
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#define DBN4J_GEMM_ROW(i, lo, hi)                                                                                  \
    a = _mm256_broadcast_ss(pa + i);                                                                               \
    lo = _mm256_fmadd_ps(a, b0, lo);                                                                               \
    hi = _mm256_fmadd_ps(a, b1, hi)
    for (int k = 0; k < kc; k++, pa += MR) {
        const float *bk = STEPS ? pb + (int64_t)steps[k] * NR : pb + (int64_t)k * NR;
        __m256 b0 = _mm256_load_ps(bk), b1 = _mm256_load_ps(bk + 8), a;
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
    bool skip; // skip the k where a whole A panel is zero (keep_steps)
};

// Steps k of the packed A panels (npan panels of MR x kc, panel stride MR * kc) where any of the MR values is
// nonzero (NaN counts as nonzero, -0 as zero). A panel with at least kc/8 all-zero steps is compacted in place to its
// kept steps, listed in steps[p * kc ...], and count[p] is their number; otherwise count[p] = -1 (run it dense).
// The 8-float copies spill 2 floats into the next slot, which is rewritten next or unused (a slot j < k is only
// written after every source at or below it has been read).
void keep_steps(float *pa, int npan, int kc, int32_t *steps, int *count) {
    const __m256 zero = _mm256_setzero_ps();
    for (int p = 0; p < npan; p++) {
        float *panel = pa + (int64_t)p * MR * kc;
        int32_t *st = steps + (int64_t)p * kc;
        int n = 0;
        for (int k = 0; k < kc; k++) {
            // 8 floats read, 6 used: the last step's 2 past the panel lie in the next panel or the buffer's slack.
            int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(panel + (int64_t)k * MR), zero, _CMP_NEQ_UQ));
            st[n] = k;
            n += (m & 0x3F) != 0;
        }
        if (kc - n < (kc + 7) / 8) {
            count[p] = -1;
            continue;
        }
        for (int j = 0; j < n; j++)
            if (st[j] != j) _mm256_storeu_ps(panel + (int64_t)j * MR, _mm256_loadu_ps(panel + (int64_t)st[j] * MR));
        count[p] = n;
    }
}

// Columns [n0, n1) of C (n0 a multiple of NR), on this thread's buffers. Returns false when out of memory.
bool run_columns(const Product &g, int n0, int n1) {
    Buffers &buf = tls_ref(t_buf);
    int nc = n1 - n0;
    int npanels = (nc + NR - 1) / NR, mcap = imin(MC, g.M);
    int apanels = (mcap + MR - 1) / MR;
    if (!ensure(buf.b, buf.b_cap, (int64_t)npanels * NR * g.kb) ||
        !ensure(buf.a, buf.a_cap, (int64_t)apanels * MR * g.kb) ||
        (g.skip && !ensure(buf.steps, buf.steps_cap, (int64_t)apanels * (g.kb + 1))))
        return false;
    int32_t *steps = reinterpret_cast<int32_t *>(buf.steps), *count = steps + (int64_t)apanels * g.kb;
    int ktotal = g.parts[0].K + (g.nparts > 1 ? g.parts[1].K : 0);
    for (int pc = 0; pc < ktotal; pc += g.kb) {
        int kc = imin(g.kb, ktotal - pc);
        Epilogue u = g.ep;
        u.first = pc == 0;
        // Blocks of one part (pc within it), or both parts whole into one block.
        for (int q = 0, koff = 0; q < g.nparts; koff += g.parts[q].K, q++) {
            const Part &p = g.parts[q];
            int k0 = g.nparts > 1 ? 0 : pc, kq = g.nparts > 1 ? p.K : kc;
            pack_b(p.b + k0 * p.brs + (int64_t)n0 * p.bcs, p.brs, p.bcs, kq, nc, buf.b + (int64_t)koff * NR,
                   (int64_t)NR * kc, q == 1);
        }
        for (int ic = 0; ic < g.M; ic += MC) {
            int mc = imin(MC, g.M - ic);
            for (int q = 0, koff = 0; q < g.nparts; koff += g.parts[q].K, q++) {
                const Part &p = g.parts[q];
                int k0 = g.nparts > 1 ? 0 : pc, kq = g.nparts > 1 ? p.K : kc;
                pack_a(p.a + ic * p.ars + k0 * p.acs, p.ars, p.acs, mc, kq, buf.a + (int64_t)koff * MR,
                       (int64_t)MR * kc);
            }
            int mpanels = (mc + MR - 1) / MR;
            if (g.skip) keep_steps(buf.a, mpanels, kc, steps, count);
            for (int jr = 0; jr < nc; jr += NR) {
                const float *pb = buf.b + (int64_t)(jr / NR) * NR * kc;
                for (int ir = 0; ir < mc; ir += MR) {
                    int64_t off = (ic + ir) * g.ldc + n0 + jr;
                    const float *pa = buf.a + (int64_t)(ir / MR) * MR * kc;
                    int n = g.skip ? count[ir / MR] : -1;
                    if (n >= 0)
                        kernel<true>(n, pa, pb, g.C + off, g.ldc, off, imin(MR, mc - ir), imin(NR, nc - jr), u,
                                     steps + (int64_t)(ir / MR) * kc);
                    else
                        kernel<false>(kc, pa, pb, g.C + off, g.ldc, off, imin(MR, mc - ir), imin(NR, nc - jr), u,
                                      nullptr);
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

// ---- op(A) with many zeros: one row at a time over its nonzeros ----
// The 6x16 tile can skip a k only when all six of its rows are zero there, which mini-batch data rarely gives
// (Fashion-MNIST: half of the pixels are zero, but a pixel is zero in six images at once only 16% of the time; an
// RBM's sampled hidden states: 30-40% are on, and a unit is off in six rows at once 10-25% of the time). This
// path compresses each row of op(A) to its nonzeros (once per call, branch-free) and adds a_rk * B(k, chunk) for
// each of them into 12 accumulators holding 96 columns of that row. B's chunk is packed row after row (96
// floats, 384 contiguous bytes per k) for SK k at a time, so that it stays in L1 (24 KiB); partial sums wait in a
// per-thread buffer between those sub-blocks (stored and loaded exactly). Every C element is still summed over k
// in order, from zero, within each of the dense kernel's K blocks, and finished by the same epilogue: a skipped
// term a_rk * b = +-0 never changes an accumulator (which is never -0), and 1 * b is b, so C is bit for bit the
// dense kernel's, for any data and thread count. The one difference: an infinite or NaN entry of B that meets
// only zeros of A gives NaN in the dense kernel (0 * inf) and is never read here.
constexpr int SV = 12, SK = 64, SROW = SV * 8;

// AUTO takes this path when at most this fraction of op(A) is nonzero (counted, after a sample of 8 rows, below).
// Measured on Zen 3 at 100x784x500 (bench_gemm_sparse, dense and sparse calls alternating): 0/1 states at 35%
// nonzero take 0.6-0.75 of the dense time, real values at 50% 0.8-0.95, at 65% 0.95-1.1.
constexpr float SPARSE_MAX_DENSITY = 0.6f;
// The 8-row sample only turns away an A that is clearly denser (the count after compressing decides): 8 images
// estimate a Fashion-MNIST batch's 50% within about +-6%, and at 0.6 the sample sent 2.3% of the batches to the
// dense kernel (20% slower on them) although none was above 0.6.
constexpr float SPARSE_SAMPLE_MAX_DENSITY = 0.75f;
// Largest op(A) compressed (M x K elements; 8 bytes each in the copy, kept by the calling thread for its next
// call: at most 32 MiB); larger ones stay dense. A mini-batch of 256 x 16384 still fits. It also keeps K below
// 2^22, so that the byte offsets k * SROW * 4 fit in int32.
constexpr int64_t SPARSE_MAX_ELEMENTS = (int64_t)1 << 22;
// Rows compressed and run at a time (see run_sparse).
// 256 keeps a mini-batch of up to 256 rows in one piece; at 1000 x 784 x 500 (one thread, Zen 3, against
// OpenBLAS 0.3.31 in the same run) slices of 128 and 256 did alike: 0/1 states at 35% nonzero 0.68-0.79 of
// OpenBLAS's time, real values at 20% 0.6, at 35% 0.77-0.86, at 50% 0.93, 0/1 at 60% 0.96; one slice of all
// 1000 rows took 1.33 at 50% (the copy of A and the partial sums no longer in L2).
constexpr int SPARSE_SLICE_ROWS = 256;

struct Sparse {
    int M, nsub;
    const int32_t *off;   // per nonzero, row after row, k ascending: k * SROW * 4, the byte offset of B's row k
    const float *val;     // its value
    const int64_t *pos;   // pos[r * (nsub + 1) + s]: row r's first nonzero in sub-block s; s = nsub: row end
    const int32_t *sub;   // first k of each sub-block; sub[nsub] = K
    const uint8_t *flags; // SUB_FIRST / SUB_LAST of a dense K block, SUB_BLOCK0: in the first one
    bool ones;            // every nonzero is 1 (sampled binary states): plain adds
};

enum : uint8_t { SUB_FIRST = 1, SUB_LAST = 2, SUB_BLOCK0 = 4 };

// The calling thread's compressed copy of op(A) (workers only read it during the call).
struct SparseBuffers {
    void *p[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    int64_t cap[5] = {0, 0, 0, 0, 0};
    ~SparseBuffers() {
        for (void *q : p) free(q);
    }
    void *get(int i, int64_t bytes) {
        if (cap[i] >= bytes) return p[i];
        free(p[i]);
        p[i] = nullptr;
        cap[i] = 0;
        void *q = nullptr;
        if (posix_memalign(&q, 64, (size_t)(bytes + 63) / 64 * 64) != 0) return nullptr;
        p[i] = q;
        cap[i] = bytes;
        return q;
    }
};
thread_local SparseBuffers t_sparse;

// For each 8-bit mask, the positions of its set bits, one per byte, lowest first: the permutation that packs
// the selected lanes of a vector to its front.
struct LeftPack {
    uint64_t t[256];
    constexpr LeftPack() : t() {
        for (int m = 0; m < 256; m++) {
            uint64_t v = 0;
            for (int j = 0, n = 0; j < 8; j++)
                if (m >> j & 1) v |= (uint64_t)j << (8 * n++);
            t[m] = v;
        }
    }
};
constexpr LeftPack k_leftpack;

// Lanes [0, n) set, for masked loads of a tail of n < 8.
inline __m256i lanes_below(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Nonzeros among 8 rows spread over op(A) (rows contiguous), as a fraction.
float sample_density(const float *a, int64_t lda, int M, int K) {
    int rows = imin(8, M);
    int64_t nz = 0;
    const __m256 zero = _mm256_setzero_ps();
    for (int i = 0; i < rows; i++) {
        const float *row = a + (int64_t)(i * M / rows) * lda;
        int k = 0;
        for (; k + 8 <= K; k += 8)
            nz += __builtin_popcount(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + k), zero, _CMP_NEQ_UQ)));
        for (; k < K; k++) nz += row[k] != 0.0f;
    }
    return (float)nz / ((float)rows * (float)K);
}

// Compresses op(A) (M x K, rows contiguous, lda) for the dense kernel's K blocks of kb, each split into
// sub-blocks of <= SK whose starts are 8 apart within the block. Returns the number of nonzeros, or -1 when out
// of memory.
int64_t compress(const float *a, int64_t lda, int M, int K, int kb, Sparse &s) {
    int nsub = 0;
    for (int d0 = 0; d0 < K; d0 += kb) nsub += (imin(kb, K - d0) + SK - 1) / SK;
    SparseBuffers &sb = tls_ref(t_sparse);
    auto *sub = static_cast<int32_t *>(sb.get(0, (int64_t)(nsub + 1) * 4));
    auto *flags = static_cast<uint8_t *>(sb.get(1, nsub));
    auto *pos = static_cast<int64_t *>(sb.get(2, (int64_t)M * (nsub + 1) * 8));
    // + 8: each step stores 8 lanes, of which only the nonzeros' count is kept.
    auto *off = static_cast<int32_t *>(sb.get(3, ((int64_t)M * K + 8) * 4));
    auto *val = static_cast<float *>(sb.get(4, ((int64_t)M * K + 8) * 4));
    if (!sub || !flags || !pos || !off || !val) return -1;
    for (int d0 = 0, n = 0; d0 < K; d0 += kb) {
        int len = imin(kb, K - d0), pieces = (len + SK - 1) / SK;
        int size = ((len + pieces - 1) / pieces + 7) / 8 * 8; // <= SK, a multiple of 8
        for (int i = 0; i < pieces; i++, n++) {
            sub[n] = d0 + i * size;
            flags[n] = (uint8_t)((i == 0 ? SUB_FIRST : 0) | (i == pieces - 1 ? SUB_LAST : 0) |
                                 (d0 == 0 ? SUB_BLOCK0 : 0));
        }
    }
    sub[nsub] = K;
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256i step = _mm256_set1_epi32(8 * SROW * 4);
    int64_t q = 0;
    int not_one = 0;
    for (int r = 0; r < M; r++) {
        const float *row = a + (int64_t)r * lda;
        int64_t *pr = pos + (int64_t)r * (nsub + 1);
        for (int b = 0; b < nsub; b++) {
            pr[b] = q;
            int k = sub[b], ke = sub[b + 1];
            __m256i offs = _mm256_mullo_epi32(_mm256_add_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                                              _mm256_set1_epi32(SROW * 4));
            for (; k < ke; k += 8, offs = _mm256_add_epi32(offs, step)) {
                // The block's last step may be short: lanes past ke load as zero.
                __m256 x = k + 8 <= ke ? _mm256_loadu_ps(row + k) : _mm256_maskload_ps(row + k, lanes_below(ke - k));
                // NaN counts as nonzero (it must reach C, as in the dense kernel); -0 as zero.
                int m = _mm256_movemask_ps(_mm256_cmp_ps(x, zero, _CMP_NEQ_UQ));
                not_one |= m & _mm256_movemask_ps(_mm256_cmp_ps(x, one, _CMP_NEQ_UQ));
                __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)k_leftpack.t[m]));
                _mm256_storeu_si256(reinterpret_cast<__m256i *>(off + q), _mm256_permutevar8x32_epi32(offs, perm));
                _mm256_storeu_ps(val + q, _mm256_permutevar8x32_ps(x, perm));
                q += __builtin_popcount((unsigned)m);
            }
        }
        pr[nsub] = q;
    }
    s.M = M, s.nsub = nsub, s.off = off, s.val = val, s.pos = pos, s.sub = sub, s.flags = flags;
    s.ones = not_one == 0;
    return q;
}

// Rows k [0, kc) x columns [0, nw) of op(B) (element (k, j) at b[k * rs + j * cs]) into pb, SROW floats per k
// (zeros from nw to the next multiple of 8).
void pack_rows(const float *b, int64_t rs, int64_t cs, int kc, int nw, float *pb) {
    int nv = nw / 8, tail = nw - nv * 8;
    if (cs == 1) {
        const __m256i mask = lanes_below(tail);
        for (int k = 0; k < kc; k++) {
            const float *src = b + k * rs;
            float *d = pb + (int64_t)k * SROW;
            for (int v = 0; v < nv; v++) _mm256_store_ps(d + v * 8, _mm256_loadu_ps(src + v * 8));
            if (tail) _mm256_store_ps(d + nv * 8, _mm256_maskload_ps(src + nv * 8, mask));
        }
        return;
    }
    int k = 0;
    if (rs == 1) {
        // B transposed: columns contiguous in k; 8x8 transposes.
        for (; k + 8 <= kc; k += 8)
            for (int v = 0; v < nv; v++) {
                __m256 r[8];
                for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(b + (v * 8 + j) * cs + k);
                transpose8(r);
                for (int i = 0; i < 8; i++) _mm256_store_ps(pb + (int64_t)(k + i) * SROW + v * 8, r[i]);
            }
        if (tail) {
            for (int kk = 0; kk < k; kk++) {
                float *d = pb + (int64_t)kk * SROW + nv * 8;
                for (int j = 0; j < 8; j++) d[j] = j < tail ? b[kk + (nv * 8 + j) * cs] : 0.0f;
            }
        }
    }
    for (; k < kc; k++) {
        float *d = pb + (int64_t)k * SROW;
        int j = 0;
        for (; j < nw; j++) d[j] = b[k * rs + j * cs];
        for (; j < (nw + 7) / 8 * 8; j++) d[j] = 0.0f;
    }
}

// Columns [n0, n0 + nw) of C (NV = ceil(nw / 8) vectors) from the compressed A and op(B) of part p. pb: SK x
// SROW floats, tmp: M x SROW floats (this thread's).
template <int NV, bool ONES>
void sparse_chunk(const Sparse &s, const Part &p, float *C, int64_t ldc, int n0, int nw, float *pb, float *tmp,
                  const Epilogue &ep) {
    for (int b = 0; b < s.nsub; b++) {
        int ks = s.sub[b];
        pack_rows(p.b + (int64_t)ks * p.brs + (int64_t)n0 * p.bcs, p.brs, p.bcs, s.sub[b + 1] - ks, nw, pb);
        const char *base = reinterpret_cast<const char *>(pb) - (int64_t)ks * SROW * 4;
        const uint8_t f = s.flags[b];
        Epilogue u = ep;
        u.first = (f & SUB_BLOCK0) != 0;
        for (int r = 0; r < s.M; r++) {
            float *t = tmp + (int64_t)r * SROW;
            __m256 acc[NV];
#pragma GCC unroll 12
            for (int v = 0; v < NV; v++) acc[v] = (f & SUB_FIRST) ? _mm256_setzero_ps() : _mm256_load_ps(t + v * 8);
            const int64_t *pr = s.pos + (int64_t)r * (s.nsub + 1) + b;
            // Unrolled: fewer loop branches per nonzero; its multiply-adds then run at ~0.73 of the dense kernel's rate
            // (~0.6 without; measured with the program of bench_gemm_sparse). Each accumulator still adds in order.
#pragma GCC unroll 4
            for (int64_t q = pr[0], qe = pr[1]; q < qe; q++) {
                const float *bk = reinterpret_cast<const float *>(base + s.off[q]);
                if (ONES) {
#pragma GCC unroll 12
                    for (int v = 0; v < NV; v++) acc[v] = _mm256_add_ps(acc[v], _mm256_load_ps(bk + v * 8));
                } else {
                    __m256 a = _mm256_broadcast_ss(s.val + q);
#pragma GCC unroll 12
                    for (int v = 0; v < NV; v++) acc[v] = _mm256_fmadd_ps(a, _mm256_load_ps(bk + v * 8), acc[v]);
                }
            }
            if (f & SUB_LAST) {
                float *c = C + (int64_t)r * ldc + n0;
#pragma GCC unroll 12
                for (int v = 0; v < NV; v++) finish8(acc[v], c + v * 8, 0, imin(8, nw - v * 8), u);
            } else {
#pragma GCC unroll 12
                for (int v = 0; v < NV; v++) _mm256_store_ps(t + v * 8, acc[v]);
            }
        }
    }
}

using ChunkFn = void (*)(const Sparse &, const Part &, float *, int64_t, int, int, float *, float *,
                         const Epilogue &);
#define DBN4J_SPARSE_FNS(ONES)                                                                                     \
    {sparse_chunk<1, ONES>, sparse_chunk<2, ONES>,  sparse_chunk<3, ONES>,  sparse_chunk<4, ONES>,                 \
     sparse_chunk<5, ONES>, sparse_chunk<6, ONES>,  sparse_chunk<7, ONES>,  sparse_chunk<8, ONES>,                 \
     sparse_chunk<9, ONES>, sparse_chunk<10, ONES>, sparse_chunk<11, ONES>, sparse_chunk<12, ONES>}
const ChunkFn k_sparse_fns[2][SV] = {DBN4J_SPARSE_FNS(false), DBN4J_SPARSE_FNS(true)};
#undef DBN4J_SPARSE_FNS

// The rows [r0, r1) of product g as a product of their own (the same sums: rows never mix).
Product rows_of(const Product &g, int r0, int r1) {
    Product h = g;
    h.M = r1 - r0;
    h.parts[0].a += (int64_t)r0 * h.parts[0].ars;
    h.C += (int64_t)r0 * g.ldc;
    return h;
}

// The product g (one part, op(A) rows contiguous) on the sparse path. Returns 1 when it ran (its status in *rc),
// 0 when the dense path should run: AUTO found A too dense, or the copy would be too large or memory is short.
// Rows go in slices of <= SPARSE_SLICE_ROWS, each compressed and run on its own: a slice's copy of A (8 bytes per
// nonzero) and its partial sums stay in L2 while they are read once per column chunk, whatever the batch. A slice
// that AUTO finds too dense runs on the dense kernel, unless it is the whole product (then the caller decides).
int run_sparse(const Product &g, int K, int mode, int *rc) {
    const Part &p = g.parts[0];
    int nslices = (g.M + SPARSE_SLICE_ROWS - 1) / SPARSE_SLICE_ROWS;
    if ((int64_t)((g.M + nslices - 1) / nslices) * K > SPARSE_MAX_ELEMENTS) return 0;
    if (mode == DBN4J_GEMM_SPARSE_AUTO && sample_density(p.a, p.ars, g.M, K) > SPARSE_SAMPLE_MAX_DENSITY) return 0;
    *rc = DBN4J_OK;
    for (int i = 0; i < nslices && *rc == DBN4J_OK; i++) {
        Product h = rows_of(g, (int)((int64_t)i * g.M / nslices), (int)((int64_t)(i + 1) * g.M / nslices));
        Sparse s;
        int64_t nnz = compress(h.parts[0].a, p.ars, h.M, K, g.kb, s);
        if (nnz < 0 || (mode == DBN4J_GEMM_SPARSE_AUTO && (float)nnz > SPARSE_MAX_DENSITY * (float)h.M * (float)K)) {
            if (nslices == 1) return 0;
            *rc = run(h, "dbn4j_sgemm");
            continue;
        }
        // Column chunks of <= SV vectors, as even as whole vectors allow.
        int nvec = (g.N + 7) / 8, nchunks = (nvec + SV - 1) / SV;
        int64_t grain = 1 + grain_elements() * 32 / (2 * (nnz + h.M) * SROW);
        int failed = 0;
        parallel_for(0, nchunks, grain, [&](int64_t c0, int64_t c1) {
            Buffers &buf = tls_ref(t_buf);
            if (!ensure(buf.b, buf.b_cap, (int64_t)SK * SROW) || !ensure(buf.a, buf.a_cap, (int64_t)h.M * SROW)) {
                __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
                return;
            }
            for (int64_t c = c0; c < c1; c++) {
                int v0 = (int)(c * nvec / nchunks), v1 = (int)((c + 1) * nvec / nchunks);
                int n0 = v0 * 8, nw = imin(g.N, v1 * 8) - n0;
                k_sparse_fns[s.ones][v1 - v0 - 1](s, h.parts[0], h.C, h.ldc, n0, nw, buf.b, buf.a, h.ep);
            }
        });
        if (__atomic_load_n(&failed, __ATOMIC_RELAXED))
            *rc = fail(DBN4J_ENOMEM, "dbn4j_sgemm: out of memory for the packing buffers");
    }
    return 1;
}

} // namespace

namespace {

Product store_product(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc, int sparse) {
    Product g;
    g.M = M, g.N = N, g.nparts = 1, g.C = C, g.ldc = ldc;
    g.parts[0] = part(transA, transB, K, A, lda, B, ldb);
    int nblocks = (K + KC_MAX - 1) / KC_MAX;
    g.kb = (K + nblocks - 1) / nblocks;
    g.ep = Epilogue{Epilogue::STORE, alpha, beta, true, nullptr, 0.0f, 0.0f, 0.0f, false};
    g.skip = sparse != DBN4J_GEMM_SPARSE_OFF;
    return g;
}

} // namespace

// Arguments already checked by dbn4j_sgemm (sizes > 0, no overlap).
int own_sgemm_avx2(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                   const float *B, int ldb, float beta, float *C, int ldc, int sparse) {
    Product g = store_product(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, sparse);
    int rc;
    if (transA == DBN4J_NO_TRANS && sparse != DBN4J_GEMM_SPARSE_OFF && run_sparse(g, K, sparse, &rc)) return rc;
    return run(g, "dbn4j_sgemm");
}

int own_sgemm_sparse_avx2(int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc, int sparse, int *rc) {
    if (sparse == DBN4J_GEMM_SPARSE_OFF) return 0;
    Product g = store_product(DBN4J_NO_TRANS, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, sparse);
    return run_sparse(g, K, sparse, rc);
}

// Arguments already checked by dbn4j_gemm_sgd_momentum (sizes > 0, K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K, no overlap).
int own_gemm_sgd_avx2(int transA, int transB, int M, int N, int K1, int K2, float alpha, const float *A1, int lda1,
                      const float *B1, int ldb1, const float *A2, int lda2, const float *B2, int ldb2, float *W,
                      float *V, float lr, float momentum, float weight_decay, int nesterov, int sparse) {
    Product g;
    g.skip = sparse != DBN4J_GEMM_SPARSE_OFF;
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
