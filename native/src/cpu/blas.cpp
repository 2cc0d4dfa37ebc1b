/*
 * BLAS binding: dlopen of the OpenBLAS that Java already loaded (same copy), dlsym of cblas_sgemm and the
 * openblas_* thread/corename calls, and dbn4j_sgemm = argument checks + row-major cblas_sgemm, or dbn4j's own
 * kernel (gemm_impl.inc: its AVX-512 build where the active kernel level is AVX-512, else its AVX2 build; the same
 * bits) for the skinny shapes where that is faster (dbn4j_gemm_own says when) and for larger products whose A is
 * mostly zeros.
 * Test: cmake -DDBN4J_TEST_OPENBLAS=/path/libopenblas.so.0 ..., then ctest --test-dir <build> -R gemm
 */
#include <dlfcn.h>
#include <stdint.h>

#include <atomic>
#include <mutex>

#include "internal.h"

namespace dbn4j {

namespace {

// CBLAS enums are passed as int: CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112.
using cblas_sgemm_fn = void (*)(int order, int transA, int transB, int M, int N, int K, float alpha,
                                const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
using set_threads_fn = void (*)(int);
using get_threads_fn = int (*)(void);
using corename_fn = char *(*)(void);

struct Blas {
    cblas_sgemm_fn sgemm;
    set_threads_fn set_threads;
    get_threads_fn get_threads;
    corename_fn corename;
    bool avx512_core; // OpenBLAS runs AVX-512 kernels (see blas_core_avx512): only the own AVX-512 build competes
};

// Published once per successful open. Old bindings are leaked on purpose: another thread may still be in them.
std::atomic<const Blas *> g_blas{nullptr};
std::mutex g_open_mu;

// DBN4J_GEMM_AUTO, _OPENBLAS or _OWN.
std::atomic<int> g_gemm_mode{DBN4J_GEMM_AUTO};
// DBN4J_GEMM_SPARSE_AUTO, _OFF or _ALWAYS.
std::atomic<int> g_gemm_sparse{DBN4J_GEMM_SPARSE_AUTO};
// Narrow products on the narrow kernel (tests turn it off).
std::atomic<bool> g_gemm_narrow{true};
std::atomic<int64_t> g_gemm_narrow_count{0};

bool contains_ci(const char *s, const char *word) {
    for (; *s; s++) {
        int i = 0;
        while (word[i] && s[i] && (s[i] | 0x20) == (word[i] | 0x20)) i++;
        if (!word[i]) return true;
    }
    return false;
}

// OpenBLAS runs AVX-512 kernels on these cores.
bool blas_core_avx512(const char *core) {
    return core && (contains_ci(core, "skylakex") || contains_ci(core, "cooperlake") || contains_ci(core, "sapphire"));
}

#if DBN4J_X86_LEVELS
// The own kernel's build for a product with N columns: OWN_GEMM(own_sgemm, N)(...) (both builds give the same bits;
// see own_build_avx512).
#define OWN_GEMM(fn, N) (own_build_avx512(N) ? avx512::fn : avx2::fn)
#endif

bool ranges_overlap(const float *a, int64_t na, const float *b, int64_t nb) {
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return na > 0 && nb > 0 && a0 < b0 + (uintptr_t)nb * sizeof(float) && b0 < a0 + (uintptr_t)na * sizeof(float);
}

#if DBN4J_X86_LEVELS
// Whether the own kernel's build for the active level can beat this OpenBLAS on products with N columns (N >= 16).
// Its AVX2 build runs at the AVX2 kernels' pace (0.95 of OpenBLAS's Haswell kernels at 100x784x500 on Zen 5,
// 0.85-0.9 on Zen 3) but takes 1.7x the time of OpenBLAS's AVX-512 kernels (Cooperlake, Zen 5). Its AVX-512 build
// computes whole 64-column panels: per column computed it takes ~0.92 of the time of OpenBLAS's AVX-512 kernels and
// ~0.53 of its AVX2 kernels' (x W, v' W of 784-N layers at batch 100, N = 64-1000, Zen 5; bench_gemm_batch), so it
// wins while the last panel's padding costs less: N = 100 (128 columns) took 1.13-1.14x OpenBLAS's AVX-512 time,
// N = 128, 256, 500, 784 and 1000 0.91-0.97x; against the AVX2 kernels N = 20 took 1.4x, 32 1.0x, 48 0.7x.
// Where the AVX-512 build does not compete but the AVX2 build does (OpenBLAS on AVX2 kernels, N = 16-39 or 65-79),
// the AVX2 build runs at the AVX-512 level too, except at N <= 32, where the AVX-512 build's narrow path runs
// (narrow_competes; the same bits, but past a batch of 256 the AVX2 level leaves N = 17-32 to OpenBLAS).
bool avx512_build_competes(const Blas *b, int N) {
    if (dbn4j_isa_active() < DBN4J_ISA_AVX512) return false;
    int64_t computed = ((int64_t)N + 63) / 64 * 64;
    return b->avx512_core ? computed * 100 <= (int64_t)N * 107 : computed * 10 <= (int64_t)N * 16;
}

bool own_competes(const Blas *b, int N) {
    return avx512_build_competes(b, N) || (dbn4j_isa_active() >= DBN4J_ISA_AVX2 && !b->avx512_core);
}

// The AVX-512 build at the AVX-512 level, unless AUTO chose the own kernel for the AVX2 build's sake alone. In OWN
// mode, or before a BLAS is open (tests), the level decides; the AVX-512 build's narrow kernel takes up to 32
// columns, in every mode.
bool own_build_avx512(int N) {
    if (dbn4j_isa_active() < DBN4J_ISA_AVX512) return false;
    const Blas *b = g_blas.load(std::memory_order_acquire);
    return !b || g_gemm_mode.load(std::memory_order_relaxed) == DBN4J_GEMM_OWN || N <= DBN4J_GEMM_NARROW_AVX512 ||
           avx512_build_competes(b, N);
}

// Whether AUTO runs a product of N <= 32 (AVX2 level: 16) columns on the own kernel's narrow path (gemm_impl.inc).
// Measured with tests/bench_gemm_batch (hidden = N = 2, 8, 10, 16, 32; batches 10, 100, 1000; one thread; settings
// alternating call by call) on a Sapphire Rapids Xeon against OpenBLAS 0.3.31, as time of AUTO / time of OpenBLAS:
// - OpenBLAS on AVX2 kernels (core Haswell), AVX-512 build: x W and v' W 0.2-0.8 at every batch (N = 2 at batch
//   1000: 1.0); the weight steps (x^T dz, v0^T h0 - v'^T h1) 0.2-0.75 at batches 100 and 1000. At batch 10 (K = 10)
//   the transposed kernel's transposition and epilogue outweigh its few multiply-adds: on random data OpenBLAS took
//   0.65-0.9 of its time on x^T dz alone. The fused step (x^T dz and the SGD step in one pass, against OpenBLAS
//   and a pass of dbn4j_sgd_momentum) is what training runs, and there the AVX-512 build took 0.27-0.77 of the
//   time at N <= 12 and K = 10 and 20 (its epilogue takes a tile's rows of W as one block), 0.86-1.26 at N = 16,
//   and the AVX2 build 0.4-0.5 at N = 1 but 0.8-1.3 at N = 10-16; a 784-10 softmax regression epoch at batch 10
//   took 0.11-0.12 s against 0.12-0.13 s. So K < 32 stays with OpenBLAS, except a fused step (`fused_step`) at
//   N <= 12 from K = 10 at the AVX-512 level (at N >= 16 the rule of dbn4j_gemm_own below still gives a batch's
//   products to the own kernel, which runs them on the narrow path too: 0.7-1.03 of the AVX2 panel kernel's time).
// - OpenBLAS on AVX-512 kernels (core SkylakeX): at N >= 10 x W and v' W 0.5-0.9 (N = 10 at batch 100: 0.8-1.0), the
//   weight steps 0.45-0.9 at batches 100 and 1000; at N = 2 and 8 its small-matrix kernels for mini-batches tie with
//   or beat the narrow path, which wins there from M K = 2^18 on (the weight steps at batch 1000: 0.4-0.6).
//   N = 1 stays with it too (a matrix-vector product there: the narrow path took 1.0-4.5 times as long; beside the
//   AVX2 kernels 0.4-1.07, and the AVX2 build 0.3-0.85).
// The AVX2 build beside AVX-512 kernels was not measured to win.
bool narrow_competes(const Blas *b, int M, int N, int K, bool fused_step) {
    int level = dbn4j_isa_active();
    int widest = level >= DBN4J_ISA_AVX512 ? DBN4J_GEMM_NARROW_AVX512 : DBN4J_GEMM_NARROW_AVX2;
    if (N > widest) return false;
    if (!b->avx512_core) return K >= 32 || (fused_step && K >= 10 && N <= 12 && level >= DBN4J_ISA_AVX512);
    return K >= 32 && level >= DBN4J_ISA_AVX512 && (N >= 10 || (N >= 2 && (int64_t)M * K >= ((int64_t)1 << 18)));
}
#endif

// AUTO's own kernel past the skinny shapes, where the data decides (zeros of A) or a weight gradient is taken
// (dbn4j_gemm_sgd_momentum): same CPU, BLAS core and mode conditions as dbn4j_gemm_own's.
bool own_beyond_skinny(int N) {
#if DBN4J_X86_LEVELS
    const Blas *b = g_blas.load(std::memory_order_acquire);
    return N >= 16 && b && own_competes(b, N) &&
           g_gemm_mode.load(std::memory_order_relaxed) == DBN4J_GEMM_AUTO &&
           g_gemm_sparse.load(std::memory_order_relaxed) != DBN4J_GEMM_SPARSE_OFF;
#else
    (void)N;
    return false;
#endif
}

// dbn4j_gemm_own's rule, and for fused_step dbn4j_gemm_sgd_fused's (a narrow weight step also at small K).
int own_takes(int M, int N, int K, bool fused_step) {
#if DBN4J_X86_LEVELS
    if (M <= 0 || N <= 0 || K <= 0 || dbn4j_isa_active() < DBN4J_ISA_AVX2) return 0;
    switch (g_gemm_mode.load(std::memory_order_relaxed)) {
    case DBN4J_GEMM_OPENBLAS: return 0;
    case DBN4J_GEMM_OWN: return 1;
    default: {
        // Skinny: one of M, K a mini-batch, and N at least 16 (one AVX2 panel). Measured on Zen 3 against OpenBLAS
        // 0.3.31 (core Zen): 10-15% faster at batch 100 with 784x500 and 500x500 layers, 2x at batch 10; 5-10%
        // slower at 1000x784x500. Not before the BLAS is open (its core decides, see own_competes; dbn4j_sgemm
        // then reports that it is not open).
        const Blas *b = g_blas.load(std::memory_order_acquire);
        if (!b) return 0;
        if (narrow_competes(b, M, N, K, fused_step)) return 1;
        if (N < 16 || !own_competes(b, N)) return 0;
        // Every shape where the own AVX-512 build meets an OpenBLAS on AVX2 kernels (OPENBLAS_CORETYPE=Haswell on
        // an AVX-512 CPU): 2048^3 ran at 245 against 127 GFLOP/s on Zen 5, a batch-1000 v' W in 0.56 of the time.
        if (!b->avx512_core && avx512_build_competes(b, N)) return 1;
        return M <= DBN4J_GEMM_OWN_MAX_BATCH || K <= DBN4J_GEMM_OWN_MAX_BATCH;
    }
    }
#else
    (void)M, (void)N, (void)K, (void)fused_step;
    return 0;
#endif
}

} // namespace

bool gemm_narrow_enabled() { return g_gemm_narrow.load(std::memory_order_relaxed); }

void set_gemm_narrow_for_tests(bool on) { g_gemm_narrow.store(on, std::memory_order_relaxed); }

void count_gemm_narrow() { g_gemm_narrow_count.fetch_add(1, std::memory_order_relaxed); }

int64_t gemm_narrow_count_for_tests() { return g_gemm_narrow_count.load(std::memory_order_relaxed); }

} // namespace dbn4j

using namespace dbn4j;

extern "C" {

int dbn4j_blas_open(const char *path) {
    if (!path || !*path) return fail(DBN4J_EINVAL, "dbn4j_blas_open: path is NULL or empty");
    try {
        std::lock_guard<std::mutex> lk(g_open_mu);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            return fail(DBN4J_EBLAS, "dbn4j_blas_open: dlopen(%s) failed: %s", path, why ? why : "?");
        }
        Blas b;
        b.sgemm = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
        b.set_threads = (set_threads_fn)dlsym(h, "openblas_set_num_threads");
        b.get_threads = (get_threads_fn)dlsym(h, "openblas_get_num_threads");
        b.corename = (corename_fn)dlsym(h, "openblas_get_corename");
        if (!b.sgemm || !b.set_threads || !b.get_threads || !b.corename) {
            dlclose(h);
            return fail(DBN4J_EBLAS, "dbn4j_blas_open: %s lacks %s", path,
                        !b.sgemm ? "cblas_sgemm" : !b.set_threads ? "openblas_set_num_threads"
                                              : !b.get_threads ? "openblas_get_num_threads"
                                                               : "openblas_get_corename");
        }
        b.avx512_core = blas_core_avx512(b.corename());
        g_blas.store(new Blas(b), std::memory_order_release);
        return DBN4J_OK;
    } catch (...) {
        return fail(DBN4J_ENOMEM, "dbn4j_blas_open: out of memory");
    }
}

const char *dbn4j_blas_corename(void) {
    const Blas *b = g_blas.load(std::memory_order_acquire);
    const char *name = b ? b->corename() : nullptr;
    return name ? name : "";
}

int dbn4j_blas_set_num_threads(int n) {
    const Blas *b = g_blas.load(std::memory_order_acquire);
    if (n < 1) return fail(DBN4J_EINVAL, "dbn4j_blas_set_num_threads: n=%d < 1", n);
    if (!b) return fail(DBN4J_EBLAS, "dbn4j_blas_set_num_threads: BLAS not opened (call dbn4j_blas_open)");
    b->set_threads(n);
    return DBN4J_OK;
}

int dbn4j_gemm_set_mode(int mode) {
    if (mode != DBN4J_GEMM_AUTO && mode != DBN4J_GEMM_OPENBLAS && mode != DBN4J_GEMM_OWN)
        return fail(DBN4J_EINVAL, "dbn4j_gemm_set_mode: mode=%d (must be 0 auto, 1 openblas or 2 own)", mode);
    g_gemm_mode.store(mode, std::memory_order_relaxed);
    return DBN4J_OK;
}

int dbn4j_gemm_get_mode(void) { return g_gemm_mode.load(std::memory_order_relaxed); }

int dbn4j_gemm_set_sparse(int mode) {
    if (mode != DBN4J_GEMM_SPARSE_AUTO && mode != DBN4J_GEMM_SPARSE_OFF && mode != DBN4J_GEMM_SPARSE_ALWAYS)
        return fail(DBN4J_EINVAL, "dbn4j_gemm_set_sparse: mode=%d (must be 0 auto, 1 off or 2 always)", mode);
    g_gemm_sparse.store(mode, std::memory_order_relaxed);
    return DBN4J_OK;
}

int dbn4j_gemm_get_sparse(void) { return g_gemm_sparse.load(std::memory_order_relaxed); }

int dbn4j_gemm_own(int M, int N, int K) { return own_takes(M, N, K, false); }

int dbn4j_gemm_sgd_fused(int M, int N, int K1, int K2) {
    return K1 > 0 && K2 >= 0 && (int64_t)K1 + K2 <= DBN4J_GEMM_FUSED_MAX_K && own_takes(M, N, K1 + K2, true);
}

int dbn4j_blas_get_num_threads(void) {
    const Blas *b = g_blas.load(std::memory_order_acquire);
    return b ? b->get_threads() : -1;
}

// C(M,N) = alpha op(A)(M,K) op(B)(K,N) + beta C, row-major. K == 0 is done here (C = beta C, beta == 0 writes
// zeros without reading C), so BLAS never sees a zero dimension.
int dbn4j_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                int ldb, float beta, float *C, int ldc) {
    const char *fn = "dbn4j_sgemm";
    if (transA != DBN4J_NO_TRANS && transA != DBN4J_TRANS)
        return fail(DBN4J_EINVAL, "%s: transA=%d (must be 0 or 1)", fn, transA);
    if (transB != DBN4J_NO_TRANS && transB != DBN4J_TRANS)
        return fail(DBN4J_EINVAL, "%s: transB=%d (must be 0 or 1)", fn, transB);
    if (M < 0 || N < 0 || K < 0) return fail(DBN4J_EINVAL, "%s: negative size M=%d N=%d K=%d", fn, M, N, K);
    if (transA == DBN4J_NO_TRANS ? lda < K : lda < M)
        return transA == DBN4J_NO_TRANS ? fail(DBN4J_EINVAL, "%s: lda=%d < K=%d (A not transposed)", fn, lda, K)
                                        : fail(DBN4J_EINVAL, "%s: lda=%d < M=%d (A transposed)", fn, lda, M);
    if (transB == DBN4J_NO_TRANS ? ldb < N : ldb < K)
        return transB == DBN4J_NO_TRANS ? fail(DBN4J_EINVAL, "%s: ldb=%d < N=%d (B not transposed)", fn, ldb, N)
                                        : fail(DBN4J_EINVAL, "%s: ldb=%d < K=%d (B transposed)", fn, ldb, K);
    if (ldc < N) return fail(DBN4J_EINVAL, "%s: ldc=%d < N=%d", fn, ldc, N);
    if (M == 0 || N == 0) return DBN4J_OK;
    if (!C) return fail(DBN4J_EINVAL, "%s: C is NULL with M=%d N=%d", fn, M, N);
    int64_t extC = (int64_t)(M - 1) * ldc + N;
    if (K > 0) {
        if (!A) return fail(DBN4J_EINVAL, "%s: A is NULL with M=%d K=%d", fn, M, K);
        if (!B) return fail(DBN4J_EINVAL, "%s: B is NULL with K=%d N=%d", fn, K, N);
        // Extents of the strided blocks: C must share no address range with A or B.
        int64_t extA = transA == DBN4J_NO_TRANS ? (int64_t)(M - 1) * lda + K : (int64_t)(K - 1) * lda + M;
        int64_t extB = transB == DBN4J_NO_TRANS ? (int64_t)(K - 1) * ldb + N : (int64_t)(N - 1) * ldb + K;
        if (ranges_overlap(C, extC, A, extA)) return fail(DBN4J_EINVAL, "%s: C overlaps A", fn);
        if (ranges_overlap(C, extC, B, extB)) return fail(DBN4J_EINVAL, "%s: C overlaps B", fn);
    }
    if (K == 0) {
        for (int64_t i = 0; i < M; i++) {
            float *c = C + i * ldc;
            if (beta == 0.0f)
                for (int j = 0; j < N; j++) c[j] = 0.0f;
            else
                for (int j = 0; j < N; j++) c[j] = beta * c[j];
        }
        return DBN4J_OK;
    }
    const Blas *b = g_blas.load(std::memory_order_acquire);
#if DBN4J_X86_LEVELS
    int sparse = g_gemm_sparse.load(std::memory_order_relaxed);
    if (dbn4j_gemm_own(M, N, K))
        return OWN_GEMM(own_sgemm, N)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, sparse);
    // A shape left to OpenBLAS (a batch above DBN4J_GEMM_OWN_MAX_BATCH) still takes the own kernel's sparse path
    // in AUTO when A is mostly zeros: sampled states, ReLU outputs, images with a blank background.
    int rc;
    if (transA == DBN4J_NO_TRANS && own_beyond_skinny(N) &&
        OWN_GEMM(own_sgemm_sparse, N)(transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, sparse, &rc))
        return rc;
#endif
    if (!b) return fail(DBN4J_EBLAS, "%s: BLAS not opened (call dbn4j_blas_open)", fn);
    b->sgemm(101, transA == DBN4J_TRANS ? 112 : 111, transB == DBN4J_TRANS ? 112 : 111, M, N, K, alpha, A, lda, B,
             ldb, beta, C, ldc);
    return DBN4J_OK;
}

int dbn4j_gemm_sgd_momentum(int transA, int transB, int M, int N, int K1, int K2, float alpha, const float *A1,
                            int lda1, const float *B1, int ldb1, const float *A2, int lda2, const float *B2, int ldb2,
                            float *W, float *V, float *G, float lr, float momentum, float weight_decay, int nesterov) {
    const char *fn = "dbn4j_gemm_sgd_momentum";
    if (M < 0 || N < 0 || K1 < 0 || K2 < 0)
        return fail(DBN4J_EINVAL, "%s: negative size M=%d N=%d K1=%d K2=%d", fn, M, N, K1, K2);
    if (transA != DBN4J_NO_TRANS && transA != DBN4J_TRANS) return fail(DBN4J_EINVAL, "%s: transA=%d", fn, transA);
    if (transB != DBN4J_NO_TRANS && transB != DBN4J_TRANS) return fail(DBN4J_EINVAL, "%s: transB=%d", fn, transB);
    if (M == 0 || N == 0) return DBN4J_OK;
    if (!W || !V || !G) return fail(DBN4J_EINVAL, "%s: %s is NULL", fn, !W ? "W" : !V ? "V" : "G");
    int64_t n = (int64_t)M * N;
    if (ranges_overlap(W, n, V, n) || ranges_overlap(W, n, G, n) || ranges_overlap(V, n, G, n))
        return fail(DBN4J_EINVAL, "%s: W, V and G must not overlap", fn);
    // Shapes, leading dimensions and the products' overlap with G through dbn4j_sgemm's own checks (on the
    // unfused path) or the same checks here first (fused: W and V must not overlap the inputs either).
    for (int q = 0; q < (K2 > 0 ? 2 : 1); q++) {
        const float *A = q ? A2 : A1, *B = q ? B2 : B1;
        int K = q ? K2 : K1, lda = q ? lda2 : lda1, ldb = q ? ldb2 : ldb1;
        if (K == 0) continue;
        if (!A || !B) return fail(DBN4J_EINVAL, "%s: %s%d is NULL", fn, !A ? "A" : "B", q + 1);
        if (transA == DBN4J_NO_TRANS ? lda < K : lda < M)
            return fail(DBN4J_EINVAL, "%s: lda%d=%d too small (M=%d K=%d)", fn, q + 1, lda, M, K);
        if (transB == DBN4J_NO_TRANS ? ldb < N : ldb < K)
            return fail(DBN4J_EINVAL, "%s: ldb%d=%d too small (K=%d N=%d)", fn, q + 1, ldb, K, N);
        int64_t extA = transA == DBN4J_NO_TRANS ? (int64_t)(M - 1) * lda + K : (int64_t)(K - 1) * lda + M;
        int64_t extB = transB == DBN4J_NO_TRANS ? (int64_t)(K - 1) * ldb + N : (int64_t)(N - 1) * ldb + K;
        for (const float *out : {(const float *)W, (const float *)V, (const float *)G})
            if (ranges_overlap(out, n, A, extA) || ranges_overlap(out, n, B, extB))
                return fail(DBN4J_EINVAL, "%s: W, V or G overlaps A%d or B%d", fn, q + 1, q + 1);
    }
#if DBN4J_X86_LEVELS
    int sparse = g_gemm_sparse.load(std::memory_order_relaxed);
    if (K1 > 0 && dbn4j_gemm_sgd_fused(M, N, K1, K2))
        return OWN_GEMM(own_gemm_sgd, N)(transA, transB, M, N, K1, K2, alpha, A1, lda1, B1, ldb1, A2, lda2, B2, ldb2,
                                         W, V, lr, momentum, weight_decay, nesterov, sparse);
    // A larger batch's gradient (K past the fused bound, M and K past the skinny ones) on the own kernel: on dense
    // operands it runs as fast as OpenBLAS 0.3.31 (0.94-0.99 of its time at 784 x 500 x 512-2000, Zen 3), and it
    // skips the k where six neighbouring pixels are all zero (an RBM's v0^T h0 at batch 1000: the gradient step
    // took 0.84 of OpenBLAS's time). N <= 32 (AVX2 level: 16) runs on the narrow path, which skips nothing.
    if (K1 > 0 && own_beyond_skinny(N)) {
        int rc = OWN_GEMM(own_sgemm, N)(transA, transB, M, N, K1, alpha, A1, lda1, B1, ldb1, 0.0f, G, N, sparse);
        if (rc == DBN4J_OK && K2 > 0)
            rc = OWN_GEMM(own_sgemm, N)(transA, transB, M, N, K2, -alpha, A2, lda2, B2, ldb2, 1.0f, G, N, sparse);
        return rc == DBN4J_OK ? dbn4j_sgd_momentum(W, G, V, n, lr, momentum, weight_decay, nesterov) : rc;
    }
#endif
    int rc = dbn4j_sgemm(transA, transB, M, N, K1, alpha, A1, lda1, B1, ldb1, 0.0f, G, N);
    if (rc == DBN4J_OK && K2 > 0) rc = dbn4j_sgemm(transA, transB, M, N, K2, -alpha, A2, lda2, B2, ldb2, 1.0f, G, N);
    if (rc == DBN4J_OK) rc = dbn4j_sgd_momentum(W, G, V, n, lr, momentum, weight_decay, nesterov);
    return rc;
}

} // extern "C"
