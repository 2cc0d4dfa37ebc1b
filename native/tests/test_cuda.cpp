/*
 * test_cuda: every kernel of the CUDA backend (cuda_kernels.h) against the CPU library (kernels.h) on the same
 * inputs. Bit-exact: Philox words (with known answers), uniform, bernoulli, gaussian, sigmoid_bernoulli, the
 * elementwise maps, softmax, column_sums and the kernels fused with them, gather_rows, the p/dz outputs of the losses (same float operations in
 * the same order, no FMA on either side). Within tolerance: log_softmax (1 float ulp: CUDA's vs glibc's double
 * log before the rounding to float), losses (relative 1e-12: double sums in another order, double exp/log1p
 * within 2 ulp), softplus_row_sums (1 float ulp). Then streams forked and joined, and a training step recorded as a
 * graph and replayed against the same calls made eagerly. Exits 77 with "SKIP: no CUDA device (...)" without a
 * device. The same source is test_cuda_host: the kernels emulated on the host (cuda_host/cuda_runtime.h), built
 * everywhere, run in index and in reverse thread order (ctest cuda_host, cuda_host_reversed).
 * Run: ctest --test-dir <build> -R cuda --output-on-failure
 */
#include <math.h>
#include <stdlib.h>

#include <vector>

#include "dbn4j/cuda_kernels.h"
#include "test_util.h"

static void *g_stream = nullptr;

#define CHECK_CUDA(call)                                                                                          \
    do {                                                                                                          \
        int rc_ = (call);                                                                                         \
        CHECK_MSG(rc_ == DBN4J_OK, "%s returned %d: %s", #call, rc_, dbn4j_cuda_last_error());                   \
    } while (0)

// A device copy of a host vector; read back with get().
template <class T> struct Dev {
    T *p = nullptr;
    int64_t n = 0;
    explicit Dev(int64_t count) : n(count) {
        void *q = nullptr;
        CHECK_CUDA(dbn4j_cuda_malloc(count > 0 ? count * (int64_t)sizeof(T) : 1, &q));
        p = (T *)q;
    }
    explicit Dev(const std::vector<T> &v) : Dev((int64_t)v.size()) { put(v); }
    ~Dev() { dbn4j_cuda_free(p); }
    void put(const std::vector<T> &v) {
        if (!v.empty()) CHECK_CUDA(dbn4j_cuda_copy_to_device(p, v.data(), (int64_t)(v.size() * sizeof(T)), g_stream));
    }
    std::vector<T> get() {
        std::vector<T> v((size_t)n);
        if (n > 0) CHECK_CUDA(dbn4j_cuda_copy_to_host(v.data(), p, n * (int64_t)sizeof(T), g_stream));
        return v;
    }
};

static double get_loss(Dev<double> &d) { return d.get()[0]; }

// Distance in units in the last place (0 when both are NaN: NaN payloads differ between x86 and the GPU).
static int64_t ulps(float a, float b) {
    if (isnan(a) && isnan(b)) return 0;
    if (isnan(a) || isnan(b)) return 1LL << 40;
    int64_t ia = (int32_t)bits_of(a), ib = (int32_t)bits_of(b);
    if (ia < 0) ia = (int64_t)INT32_MIN - ia;
    if (ib < 0) ib = (int64_t)INT32_MIN - ib;
    return ia > ib ? ia - ib : ib - ia;
}

// got (GPU) against want (CPU): every element within max_ulps; reports the first few differences.
static void expect_close(const char *what, const std::vector<float> &got, const std::vector<float> &want,
                         int64_t max_ulps) {
    CHECK_MSG(got.size() == want.size(), "%s: size %zu vs %zu", what, got.size(), want.size());
    int64_t bad = 0, worst = 0;
    for (size_t i = 0; i < got.size() && i < want.size(); i++) {
        int64_t d = ulps(got[i], want[i]);
        worst = d > worst ? d : worst;
        if (d > max_ulps && ++bad <= 3)
            fprintf(stderr, "  %s[%zu]: gpu %a (0x%08x) cpu %a (0x%08x)\n", what, i, got[i], bits_of(got[i]), want[i],
                    bits_of(want[i]));
    }
    CHECK_MSG(bad == 0, "%s: %lld of %zu elements beyond %lld ulp (worst %lld)", what, (long long)bad, got.size(),
              (long long)max_ulps, (long long)worst);
}
static void expect_bits(const char *what, const std::vector<float> &got, const std::vector<float> &want) {
    expect_close(what, got, want, 0);
}
static void expect_rel(const char *what, double got, double want, double tol) {
    double scale = fabs(want) > 1e-300 ? fabs(want) : 1e-300;
    CHECK_MSG(fabs(got - want) / scale <= tol, "%s: gpu %.17g cpu %.17g (rel %.3g > %.3g)", what, got, want,
              fabs(got - want) / scale, tol);
}

static std::vector<float> random_floats(Rng &rng, int64_t n, float lo, float hi) {
    std::vector<float> v((size_t)n);
    for (auto &x : v) x = rng.uniform(lo, hi);
    return v;
}

// Inputs that reach every branch of exp_neg / sigmoid1 / tanh1: a bit-pattern sweep of [-120, 120] plus the
// special values (signed zeros, subnormals, infinities, NaN, the clamps at -104 and the 0.55 tanh switch).
static std::vector<float> activation_inputs() {
    std::vector<float> v;
    for (uint32_t b = 0; b <= bits_of(120.0f); b += 4099) {
        v.push_back(float_of(b));
        v.push_back(-float_of(b));
    }
    const float specials[] = {0.0f, -0.0f, 1e-45f, -1e-45f, 1e-38f, 0.55f, -0.55f, 0x1.19999ap-1f, 104.0f, -104.0f,
                              103.99f, -104.01f, 88.7f, -88.7f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f};
    for (float f : specials) v.push_back(f);
    return v;
}

static void test_philox() {
    // Known answers of Philox4x32-10 (Random123 kat_vectors) on both backends.
    const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    const uint32_t key[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                 {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                 {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int k = 0; k < 3; k++) {
        uint32_t cpu[4], gpu[4] = {0, 0, 0, 0};
        dbn4j_philox4x32_10(ctr[k], key[k], cpu);
        CHECK_CUDA(dbn4j_cuda_philox4x32_10(ctr[k], key[k], gpu));
        for (int i = 0; i < 4; i++) {
            CHECK_MSG(cpu[i] == want[k][i], "cpu philox kat %d word %d: %08x != %08x", k, i, cpu[i], want[k][i]);
            CHECK_MSG(gpu[i] == want[k][i], "gpu philox kat %d word %d: %08x != %08x", k, i, gpu[i], want[k][i]);
        }
    }
    // Streams: every word-offset phase, short and long, and a block counter that carries into its high word.
    const uint64_t seeds[] = {0, 42, 0x123456789abcdef0ull};
    const uint64_t offsets[] = {0, 1, 2, 3, 4, 1001, (1ull << 34) - 5, 0xfffffffffffull * 4 + 2};
    const int64_t sizes[] = {1, 2, 3, 5, 17, 1000, (1 << 20) + 3};
    for (uint64_t seed : seeds)
        for (uint64_t off : offsets)
            for (int64_t n : sizes) {
                std::vector<uint32_t> cpu((size_t)n);
                CHECK_OK(dbn4j_random_bits(seed, off, cpu.data(), n));
                Dev<uint32_t> d(n);
                CHECK_CUDA(dbn4j_cuda_random_bits(seed, off, d.p, n, g_stream));
                std::vector<uint32_t> gpu = d.get();
                int64_t bad = 0;
                for (int64_t i = 0; i < n; i++) bad += gpu[(size_t)i] != cpu[(size_t)i];
                CHECK_MSG(bad == 0, "random_bits seed=%llu off=%llu n=%lld: %lld words differ",
                          (unsigned long long)seed, (unsigned long long)off, (long long)n, (long long)bad);
            }
}

static void test_random_floats() {
    Rng rng(7);
    const uint64_t offsets[] = {0, 1, 2, 3, 12345, (1ull << 33) + 7};
    const int64_t sizes[] = {1, 3, 7, 4096, 100003};
    for (uint64_t off : offsets)
        for (int64_t n : sizes) {
            uint64_t seed = 0x5eed0000ull + (uint64_t)n;
            std::vector<float> cpu((size_t)n);
            CHECK_OK(dbn4j_random_uniform(seed, off, cpu.data(), n));
            Dev<float> d(n);
            CHECK_CUDA(dbn4j_cuda_random_uniform(seed, off, d.p, n, g_stream));
            expect_bits("random_uniform", d.get(), cpu);

            std::vector<float> p = random_floats(rng, n, -0.1f, 1.1f), cpub((size_t)n);
            CHECK_OK(dbn4j_random_bernoulli(seed, off, p.data(), cpub.data(), n));
            Dev<float> dp(p), dout(n);
            CHECK_CUDA(dbn4j_cuda_random_bernoulli(seed, off, dp.p, dout.p, n, g_stream));
            expect_bits("random_bernoulli", dout.get(), cpub);
            CHECK_CUDA(dbn4j_cuda_random_bernoulli(seed, off, dp.p, dp.p, n, g_stream));   // in place
            expect_bits("random_bernoulli in place", dp.get(), cpub);

            std::vector<float> mean = random_floats(rng, n, -3, 3), cpug((size_t)n), cpug0((size_t)n);
            CHECK_OK(dbn4j_random_gaussian(seed, off, mean.data(), 0.7f, cpug.data(), n));
            CHECK_OK(dbn4j_random_gaussian(seed, off, nullptr, 1.3f, cpug0.data(), n));
            Dev<float> dm(mean), dg(n);
            CHECK_CUDA(dbn4j_cuda_random_gaussian(seed, off, dm.p, 0.7f, dg.p, n, g_stream));
            expect_bits("random_gaussian mean", dg.get(), cpug);
            CHECK_CUDA(dbn4j_cuda_random_gaussian(seed, off, nullptr, 1.3f, dg.p, n, g_stream));
            expect_bits("random_gaussian", dg.get(), cpug0);
            CHECK_CUDA(dbn4j_cuda_random_gaussian(seed, off, dm.p, 0.7f, dm.p, n, g_stream));   // in place
            expect_bits("random_gaussian in place", dm.get(), cpug);

            // The device-offset variants (graph replays): offset = *base + delta, split four ways (for offsets of 2 or
            // more, one with neither part a multiple of 4).
            Dev<uint64_t> base(1);
            for (uint64_t delta : {(uint64_t)0, off & 3, off, off >= 2 ? (uint64_t)2 : (uint64_t)0}) {
                CHECK_CUDA(dbn4j_cuda_set_u64(base.p, off - delta, g_stream));
                CHECK_CUDA(dbn4j_cuda_random_uniform_at(seed, base.p, delta, d.p, n, g_stream));
                expect_bits("random_uniform_at", d.get(), cpu);
                dp.put(p);   // the in-place call above left samples there
                CHECK_CUDA(dbn4j_cuda_random_bernoulli_at(seed, base.p, delta, dp.p, dout.p, n, g_stream));
                expect_bits("random_bernoulli_at", dout.get(), cpub);
                dm.put(mean);
                CHECK_CUDA(dbn4j_cuda_random_gaussian_at(seed, base.p, delta, dm.p, 0.7f, dg.p, n, g_stream));
                expect_bits("random_gaussian_at", dg.get(), cpug);
            }
        }
    Dev<float> d(4);
    CHECK(dbn4j_cuda_random_gaussian_at(1, nullptr, 0, nullptr, 1.0f, d.p, 4, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_random_gaussian_at: base is NULL") != nullptr);
}

static void test_sigmoid_bernoulli() {
    Rng rng(11);
    const int shapes[][2] = {{1, 1}, {3, 5}, {32, 784}, {128, 500}, {7, 1001}};
    const uint64_t offsets[] = {0, 1, 3, 999999};
    for (auto &sh : shapes)
        for (uint64_t off : offsets)
            for (int with_b = 0; with_b < 2; with_b++) {
                int B = sh[0], N = sh[1];
                int64_t n = (int64_t)B * N;
                std::vector<float> x = random_floats(rng, n, -12, 12), b = random_floats(rng, N, -2, 2);
                std::vector<float> p((size_t)n), s((size_t)n);
                CHECK_OK(dbn4j_sigmoid_bernoulli(99, off, x.data(), with_b ? b.data() : nullptr, p.data(), s.data(), B, N));
                Dev<float> dx(x), db(b), dp(n), ds(n);
                CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli(99, off, dx.p, with_b ? db.p : nullptr, dp.p, ds.p, B, N, g_stream));
                expect_bits("sigmoid_bernoulli p", dp.get(), p);
                expect_bits("sigmoid_bernoulli s", ds.get(), s);
                CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli(99, off, dx.p, with_b ? db.p : nullptr, dx.p, ds.p, B, N, g_stream));
                expect_bits("sigmoid_bernoulli p in place", dx.get(), p);
                // x, p and s 4 and 8 bytes past 16-byte alignment (the kernel's float2 and scalar paths; aligned
                // above: float4 where the offset is a multiple of 4, else float2).
                for (int shift = 1; shift <= 2; shift++) {
                    Dev<float> ux(n + 2), up(n + 2), us(n + 2);
                    CHECK_CUDA(dbn4j_cuda_copy_to_device(ux.p + shift, x.data(), n * 4, g_stream));
                    CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli(99, off, ux.p + shift, with_b ? db.p : nullptr,
                                                            up.p + shift, us.p + shift, B, N, g_stream));
                    std::vector<float> gp = up.get(), gs = us.get();
                    expect_bits("sigmoid_bernoulli p, shifted",
                                std::vector<float>(gp.begin() + shift, gp.begin() + shift + n), p);
                    expect_bits("sigmoid_bernoulli s, shifted",
                                std::vector<float>(gs.begin() + shift, gs.begin() + shift + n), s);
                }
            }
}

// The fused kernels against the CPU's fused ones (which equal the plain kernel followed by column_sums): p, s, the
// in-place x and the sums bit for bit, with and without the column-sum workspace (one block per column tile, or every
// row chunk at once), beta 0 and not, partial chunks and tiles, the device-offset variant.
static void test_fused_sums() {
    Rng rng(13);
    const int shapes[][2] = {{1, 1}, {3, 5}, {100, 500}, {130, 784}, {1000, 33}, {4100, 97}};
    const int max_chunks = (4100 + DBN4J_COLUMN_SUM_CHUNK - 1) / DBN4J_COLUMN_SUM_CHUNK;
    const int64_t ws_bytes = DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES + (int64_t)max_chunks * 784 * 8;
    Dev<uint8_t> ws(ws_bytes);
    CHECK_CUDA(dbn4j_cuda_memset_async(ws.p, 0, ws_bytes, g_stream));
    Dev<uint64_t> base(1);
    for (auto &sh : shapes)
        for (int mode = 0; mode < 4; mode++) {
            int B = sh[0], N = sh[1];
            int64_t n = (int64_t)B * N;
            const bool use_ws = mode & 1;
            void *w = use_ws ? ws.p : nullptr;
            int64_t wb = use_ws ? ws_bytes : 0;
            std::vector<float> x = random_floats(rng, n, -12, 12), b = random_floats(rng, N, -2, 2);
            std::vector<float> sums0 = random_floats(rng, N, -1, 1);
            const float alpha = mode & 2 ? 0.5f : -1.0f / B, beta = mode & 2 ? 0.75f : 0.0f;

            std::vector<float> y = x, sums = sums0;
            CHECK_OK(dbn4j_bias_sigmoid_sums(y.data(), b.data(), B, N, sums.data(), alpha, beta));
            Dev<float> dx(x), db(b), dsums(sums0);
            CHECK_CUDA(dbn4j_cuda_bias_sigmoid_sums(dx.p, db.p, B, N, dsums.p, alpha, beta, w, wb, g_stream));
            expect_bits("bias_sigmoid_sums x", dx.get(), y);
            expect_bits("bias_sigmoid_sums sums", dsums.get(), sums);

            const uint64_t offsets[] = {0, 1, 3, 999999, (1ULL << 33) + 3};   // the last: a word counter above 2^32
            for (uint64_t off : offsets)
                for (int with_b = 0; with_b < 2; with_b++) {
                    const float *bh = with_b ? b.data() : nullptr;
                    const float *bd = with_b ? db.p : nullptr;
                    std::vector<float> p((size_t)n), s((size_t)n), want = sums0;
                    CHECK_OK(dbn4j_sigmoid_bernoulli_sums(7, off, x.data(), bh, p.data(), s.data(), B, N, want.data(),
                                                          alpha, beta));
                    Dev<float> dx2(x), dp(n), ds(n), dsum(sums0);
                    CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli_sums(7, off, dx2.p, bd, dp.p, ds.p, B, N, dsum.p, alpha,
                                                                 beta, w, wb, g_stream));
                    expect_bits("sigmoid_bernoulli_sums p", dp.get(), p);
                    expect_bits("sigmoid_bernoulli_sums s", ds.get(), s);
                    expect_bits("sigmoid_bernoulli_sums sums", dsum.get(), want);
                    // In place (p == x), the offset read on the device as *base + delta.
                    uint64_t delta = off & 1;
                    CHECK_CUDA(dbn4j_cuda_set_u64(base.p, off - delta, g_stream));
                    dsum.put(sums0);
                    CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli_sums_at(7, base.p, delta, dx2.p, bd, dx2.p, ds.p, B, N,
                                                                    dsum.p, alpha, beta, w, wb, g_stream));
                    expect_bits("sigmoid_bernoulli_sums_at p in place", dx2.get(), p);
                    expect_bits("sigmoid_bernoulli_sums_at s", ds.get(), s);
                    expect_bits("sigmoid_bernoulli_sums_at sums", dsum.get(), want);
                }
        }
    std::vector<uint8_t> counters = ws.get();
    bool zero = true;
    for (int64_t i = 0; i < DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES; i++) zero = zero && counters[i] == 0;
    CHECK_MSG(zero, "the fused kernels leave the column-sum counters at zero");
    {
        // No rows: sums = beta * sums (alpha times an empty sum), as on the CPU.
        std::vector<float> s0 = random_floats(rng, 40, -1, 1), want = s0, want2 = s0;
        CHECK_OK(dbn4j_bias_sigmoid_sums(nullptr, nullptr, 0, 40, want.data(), 0.5f, 0.25f));
        Dev<float> ds(s0);
        CHECK_CUDA(dbn4j_cuda_bias_sigmoid_sums(nullptr, nullptr, 0, 40, ds.p, 0.5f, 0.25f, nullptr, 0, g_stream));
        expect_bits("bias_sigmoid_sums without rows", ds.get(), want);
        CHECK_OK(dbn4j_sigmoid_bernoulli_sums(3, 5, nullptr, nullptr, nullptr, nullptr, 0, 40, want2.data(), 0.5f, 0.0f));
        ds.put(s0);
        CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli_sums(3, 5, nullptr, nullptr, nullptr, nullptr, 0, 40, ds.p, 0.5f, 0.0f,
                                                     ws.p, ws_bytes, g_stream));
        expect_bits("sigmoid_bernoulli_sums without rows", ds.get(), want2);
    }
    // Argument checks name the function; the sums may not overlap the rows they sum.
    Dev<float> d(12);
    CHECK(dbn4j_cuda_bias_sigmoid_sums(d.p, d.p + 8, 2, 4, d.p + 4, 1.0f, 0.0f, nullptr, 0, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_bias_sigmoid_sums: sums overlaps x or b") != nullptr);
    CHECK(dbn4j_cuda_sigmoid_bernoulli_sums(1, 0, d.p, nullptr, d.p, d.p + 4, 1, 4, nullptr, 1.0f, 0.0f, nullptr, 0,
                                            g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "sums is NULL") != nullptr);
    CHECK(dbn4j_cuda_sigmoid_bernoulli_sums_at(1, nullptr, 0, d.p, nullptr, d.p, d.p + 4, 1, 4, d.p + 8, 1.0f, 0.0f,
                                               nullptr, 0, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "base is NULL") != nullptr);
    CHECK(dbn4j_cuda_sigmoid_bernoulli_sums(1, 1ULL << 63, d.p, nullptr, d.p, d.p + 4, 1, 4, d.p + 8, 1.0f, 0.0f,
                                            nullptr, 0, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), ">= 2^63") != nullptr);
    CHECK(dbn4j_cuda_sigmoid_bernoulli_sums(1, 0, d.p, nullptr, d.p + 1, d.p + 8, 1, 4, d.p + 6, 1.0f, 0.0f, nullptr, 0,
                                            g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "p partially overlaps x") != nullptr);
    Dev<float> e(4);
    CHECK(dbn4j_cuda_bias_sigmoid_sums(d.p, d.p + 8, 2, 4, e.p, 1.0f, 0.0f, nullptr, -1, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_bias_sigmoid_sums: workspace_bytes=-1 < 0") != nullptr);
    // The workspace shared with the rows, the bias or the sums: refused (the kernel would write over them).
    CHECK(dbn4j_cuda_bias_sigmoid_sums(d.p, d.p + 8, 1, 4, e.p, 1.0f, 0.0f, d.p + 10, 8, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_bias_sigmoid_sums: the workspace overlaps an operand")
          != nullptr);
    CHECK(dbn4j_cuda_column_sums(d.p, e.p, 1, 4, 1.0f, 0.0f, e.p, 16, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "the workspace overlaps an operand") != nullptr);
    CHECK(dbn4j_cuda_sigmoid_bernoulli_sums(1, 0, d.p, nullptr, d.p, d.p + 4, 1, 4, e.p, 1.0f, 0.0f, d.p + 6, 8,
                                            g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "the workspace overlaps an operand") != nullptr);
    // Its chunk sums are doubles: a workspace that is not 8-byte aligned would fault on a device.
    CHECK(dbn4j_cuda_column_sums(d.p, e.p, 1, 4, 1.0f, 0.0f, d.p + 13, 8, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "workspace=") != nullptr
          && strstr(dbn4j_cuda_last_error(), "is not 8-byte aligned") != nullptr);
}

// The sums followed by a step (the _sgd variants) against the CPU's column_sums / bias_sigmoid_sums followed by
// sgd_momentum: sums, stepped parameters and velocities bit for bit, with and without the workspace, plain and
// Nesterov momentum, with weight decay, the stepped vector a separate one or (bias_sigmoid) the bias itself.
static void test_sums_sgd() {
    Rng rng(17);
    // {1000, 33}, {600, 500} and {4100, 97} have several row-chunk groups: with the workspace, the last-block path.
    const int shapes[][2] = {{0, 7}, {1, 1}, {100, 500}, {130, 784}, {1000, 33}, {600, 500}, {4100, 97}};
    const int64_t ws_bytes = DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES
                             + (int64_t)((4100 + DBN4J_COLUMN_SUM_CHUNK - 1) / DBN4J_COLUMN_SUM_CHUNK) * 784 * 8;
    Dev<uint8_t> ws(ws_bytes);
    CHECK_CUDA(dbn4j_cuda_memset_async(ws.p, 0, ws_bytes, g_stream));
    for (auto &sh : shapes)
        for (int mode = 0; mode < 8; mode++) {
            const int B = sh[0], N = sh[1];
            const int64_t n = (int64_t)B * N;
            void *w = mode & 1 ? ws.p : nullptr;
            const int64_t wb = mode & 1 ? ws_bytes : 0;
            const int nesterov = (mode >> 1) & 1;
            const bool own_bias = mode & 4;   // bias_sigmoid: step b itself (the RBM) or a separate vector
            const float alpha = B > 0 ? 1.0f / B : 1.0f, beta = nesterov ? 1.0f : 0.0f;
            const float lr = 0.1f, momentum = 0.9f, decay = mode & 2 ? 1e-3f : 0.0f;
            std::vector<float> x = random_floats(rng, n, -6, 6), b = random_floats(rng, N, -2, 2);
            std::vector<float> sums0 = random_floats(rng, N, -1, 1), p0 = random_floats(rng, N, -1, 1);
            std::vector<float> v0 = random_floats(rng, N, -0.1, 0.1);

            std::vector<float> out = sums0, p = p0, v = v0;
            CHECK_OK(dbn4j_column_sums(x.data(), out.data(), B, N, alpha, beta));
            CHECK_OK(dbn4j_sgd_momentum(p.data(), out.data(), v.data(), N, lr, momentum, decay, nesterov));
            Dev<float> dx(x), dout(sums0), dp(p0), dv(v0);
            CHECK_CUDA(dbn4j_cuda_column_sums_sgd(B > 0 ? dx.p : nullptr, dout.p, B, N, alpha, beta, dp.p, dv.p, lr,
                                                  momentum, decay, nesterov, w, wb, g_stream));
            expect_bits("column_sums_sgd sums", dout.get(), out);
            expect_bits("column_sums_sgd w", dp.get(), p);
            expect_bits("column_sums_sgd v", dv.get(), v);

            std::vector<float> y = x, sums = sums0, bias = b, q = p0, u = v0;
            CHECK_OK(dbn4j_bias_sigmoid_sums(y.data(), bias.data(), B, N, sums.data(), alpha, beta));
            float *stepped = own_bias ? bias.data() : q.data();
            CHECK_OK(dbn4j_sgd_momentum(stepped, sums.data(), u.data(), N, lr, momentum, decay, nesterov));
            Dev<float> dy(x), db(b), dsums(sums0), dq(p0), du(v0);
            CHECK_CUDA(dbn4j_cuda_bias_sigmoid_sums_sgd(B > 0 ? dy.p : nullptr, db.p, B, N, dsums.p, alpha, beta,
                                                        own_bias ? db.p : dq.p, du.p, lr, momentum, decay, nesterov,
                                                        w, wb, g_stream));
            expect_bits("bias_sigmoid_sums_sgd x", dy.get(), y);
            expect_bits("bias_sigmoid_sums_sgd sums", dsums.get(), sums);
            expect_bits("bias_sigmoid_sums_sgd b", db.get(), bias);
            expect_bits("bias_sigmoid_sums_sgd w", dq.get(), q);
            expect_bits("bias_sigmoid_sums_sgd v", du.get(), u);
        }
    std::vector<uint8_t> counters = ws.get();
    bool zero = true;
    for (int64_t i = 0; i < DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES; i++) zero = zero && counters[i] == 0;
    CHECK_MSG(zero, "the _sgd kernels leave the column-sum counters at zero");
    // Argument checks name the function and the operand.
    Dev<float> d(40);
    float *x = d.p, *sums = d.p + 8, *b = d.p + 12, *pw = d.p + 16, *pv = d.p + 20;   // x (2, 4), vectors of 4
    CHECK(dbn4j_cuda_column_sums_sgd(x, sums, 2, 4, 1.0f, 0.0f, nullptr, pv, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                     g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_column_sums_sgd: w is NULL") != nullptr);
    CHECK(dbn4j_cuda_column_sums_sgd(x, sums, 2, 4, 1.0f, 0.0f, pw, pw + 2, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                     g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "w overlaps v") != nullptr);
    CHECK(dbn4j_cuda_column_sums_sgd(x, sums, 2, 4, 1.0f, 0.0f, sums, pv, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                     g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "w overlaps the sums") != nullptr);
    CHECK(dbn4j_cuda_column_sums_sgd(x, sums, 2, 4, 1.0f, 0.0f, pw, x + 4, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                     g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "v overlaps x") != nullptr);
    CHECK(dbn4j_cuda_bias_sigmoid_sums_sgd(x, b, 2, 4, sums, 1.0f, 0.0f, b + 1, pv, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                           g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_bias_sigmoid_sums_sgd: w partially overlaps b") != nullptr);
    CHECK(dbn4j_cuda_bias_sigmoid_sums_sgd(x, b, 2, 4, sums, 1.0f, 0.0f, b, b + 2, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                           g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "w overlaps v") != nullptr);
    CHECK(dbn4j_cuda_bias_sigmoid_sums_sgd(x, b, 2, 4, sums, 1.0f, 0.0f, pw, b, 0.1f, 0.5f, 0.0f, 0, nullptr, 0,
                                           g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "v overlaps b") != nullptr);
}

// Two streams ordered by events, eagerly and captured as one graph with a parallel branch: the side stream scales a
// vector after the main stream filled it, the main stream adds it elsewhere only after the join. Run twice (the
// events recorded again), then as a graph replayed twice, then eagerly again.
static void test_fork_join() {
    const int64_t n = 1 << 20;
    void *side = nullptr, *forked = nullptr, *done = nullptr;
    CHECK_CUDA(dbn4j_cuda_stream_create(&side));
    CHECK_CUDA(dbn4j_cuda_event_create(&forked));
    CHECK_CUDA(dbn4j_cuda_event_create(&done));
    Rng rng(23);
    std::vector<float> x0 = random_floats(rng, n, -1, 1), y0 = random_floats(rng, n, -1, 1);
    Dev<float> x(n), y(n), z(n);
    // One round: x = x0 (main); fork: x *= 2 (side); main: z = y0, z *= 3; join; y = y0 + 0.5 x.
    auto round = [&]() {
        x.put(x0);
        CHECK_CUDA(dbn4j_cuda_event_record(forked, g_stream));
        CHECK_CUDA(dbn4j_cuda_stream_wait_event(side, forked));
        CHECK_CUDA(dbn4j_cuda_scale(2.0f, x.p, n, side));
        CHECK_CUDA(dbn4j_cuda_event_record(done, side));
        z.put(y0);
        CHECK_CUDA(dbn4j_cuda_scale(3.0f, z.p, n, g_stream));
        CHECK_CUDA(dbn4j_cuda_stream_wait_event(g_stream, done));
        y.put(y0);
        CHECK_CUDA(dbn4j_cuda_axpy(0.5f, x.p, y.p, n, g_stream));
    };
    std::vector<float> want((size_t)n), want_z((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        want[(size_t)i] = y0[(size_t)i] + 0.5f * (x0[(size_t)i] * 2.0f);
        want_z[(size_t)i] = y0[(size_t)i] * 3.0f;
    }
    for (int r = 0; r < 2; r++) {
        round();
        expect_bits("fork/join eager: y after the join", y.get(), want);
        expect_bits("fork/join eager: z", z.get(), want_z);
    }
    // Captured: the copies from the host stay outside (x and y refilled before each replay).
    CHECK_CUDA(dbn4j_cuda_graph_begin(g_stream));
    CHECK_CUDA(dbn4j_cuda_event_record(forked, g_stream));
    CHECK_CUDA(dbn4j_cuda_stream_wait_event(side, forked));
    CHECK_CUDA(dbn4j_cuda_scale(2.0f, x.p, n, side));
    CHECK_CUDA(dbn4j_cuda_event_record(done, side));
    CHECK_CUDA(dbn4j_cuda_scale(3.0f, z.p, n, g_stream));
    CHECK_CUDA(dbn4j_cuda_stream_wait_event(g_stream, done));
    CHECK_CUDA(dbn4j_cuda_axpy(0.5f, x.p, y.p, n, g_stream));
    void *exec = nullptr;
    CHECK_CUDA(dbn4j_cuda_graph_end(g_stream, &exec));
    for (int r = 0; r < 2; r++) {
        x.put(x0);
        y.put(y0);
        z.put(y0);
        CHECK_CUDA(dbn4j_cuda_graph_launch(exec, g_stream));
        expect_bits("fork/join graph: y after the join", y.get(), want);
        expect_bits("fork/join graph: z", z.get(), want_z);
    }
    CHECK_CUDA(dbn4j_cuda_graph_destroy(exec));
    round();
    expect_bits("fork/join eager after the graph", y.get(), want);
    CHECK(dbn4j_cuda_event_record(nullptr, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_event_record: event is NULL") != nullptr);
    CHECK(dbn4j_cuda_stream_wait_event(nullptr, done) == DBN4J_EINVAL);
    CHECK_CUDA(dbn4j_cuda_synchronize(side));
    CHECK_CUDA(dbn4j_cuda_event_destroy(forked));
    CHECK_CUDA(dbn4j_cuda_event_destroy(done));
    CHECK_CUDA(dbn4j_cuda_stream_destroy(side));
}

// One training step recorded as a graph and replayed with new random numbers, as CudaBackend records fit() steps:
// the samplers read their offset from `base` (set before each replay), the column sums use the workspace (a replay
// must find its counters at zero again), one loss keeps its per-row losses in the caller's scratch and one allocates
// them inside the graph. Each replay against the same calls made eagerly with the offset given on the host; the state
// that the steps carry (sums read with beta, w and v) must follow the same path. Then a capture that synchronizes
// fails, and the stream still works.
static void test_graph_step() {
    Rng rng(29);
    const int B = 1100, N = 100;   // 18 row chunks: 3 chunk groups, so the workspace path runs 3 blocks per column tile
    const int64_t n = (int64_t)B * N;
    const int64_t ws_bytes =
        DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES + (int64_t)((B + DBN4J_COLUMN_SUM_CHUNK - 1) / DBN4J_COLUMN_SUM_CHUNK) * N * 8;
    const uint64_t seed = 0xc0ffee;
    std::vector<float> x = random_floats(rng, n, -4, 4), b = random_floats(rng, N, -1, 1);
    std::vector<float> w0 = random_floats(rng, N, -1, 1), v0 = random_floats(rng, N, -0.1f, 0.1f);
    std::vector<float> sums0 = random_floats(rng, N, -1, 1);
    Dev<float> dx(x), db(b);
    // Two sets of everything a step writes: [0] replayed by the graph, [1] the eager calls.
    struct State {
        Dev<float> p, s, g, dy, sums1, sums2, w, v;
        Dev<double> loss;
        Dev<uint8_t> ws;
        State(int64_t n, int N, int64_t ws_bytes)
            : p(n), s(n), g(n), dy(n), sums1(N), sums2(N), w(N), v(N), loss(2), ws(ws_bytes) {}
    };
    State st[2] = {State(n, N, ws_bytes), State(n, N, ws_bytes)};
    Dev<double> scratch(B);
    Dev<uint64_t> base(1);
    for (State &t : st) {
        t.w.put(w0);
        t.v.put(v0);
        t.sums2.put(sums0);
        CHECK_CUDA(dbn4j_cuda_memset_async(t.ws.p, 0, ws_bytes, g_stream));
    }
    // The step; host_offset < 0: the device-offset variants (graph), else that offset on the host (eager).
    auto step = [&](State &t, int64_t host_offset) {
        const bool at = host_offset < 0;
        const uint64_t off = at ? 0 : (uint64_t)host_offset;
        const float alpha = -1.0f / B;
        if (at) {
            CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli_sums_at(seed, base.p, 0, dx.p, db.p, t.p.p, t.s.p, B, N,
                                                            t.sums1.p, alpha, 0.0f, t.ws.p, ws_bytes, g_stream));
        } else {
            CHECK_CUDA(dbn4j_cuda_sigmoid_bernoulli_sums(seed, off, dx.p, db.p, t.p.p, t.s.p, B, N, t.sums1.p,
                                                         alpha, 0.0f, t.ws.p, ws_bytes, g_stream));
        }
        CHECK_CUDA(dbn4j_cuda_column_sums_sgd(t.s.p, t.sums2.p, B, N, 1.0f / B, 0.5f, t.w.p, t.v.p, 0.1f, 0.9f,
                                              1e-4f, 1, t.ws.p, ws_bytes, g_stream));
        // n half words drawn above: the Gaussians start n / 2 words further.
        if (at) {
            CHECK_CUDA(dbn4j_cuda_random_gaussian_at(seed, base.p, (uint64_t)n / 2, nullptr, 1.0f, t.g.p, n,
                                                     g_stream));
        } else {
            CHECK_CUDA(dbn4j_cuda_random_gaussian(seed, off + (uint64_t)n / 2, nullptr, 1.0f, t.g.p, n, g_stream));
        }
        CHECK_CUDA(dbn4j_cuda_squared_error(t.p.p, t.s.p, t.dy.p, B, N, t.loss.p, scratch.p, B, g_stream));
        CHECK_CUDA(dbn4j_cuda_sigmoid_cross_entropy(t.g.p, t.s.p, nullptr, nullptr, B, N, t.loss.p + 1, scratch.p,
                                                    B - 1, g_stream));
    };
    CHECK_CUDA(dbn4j_cuda_graph_begin(g_stream));
    step(st[0], -1);
    void *exec = nullptr;
    CHECK_CUDA(dbn4j_cuda_graph_end(g_stream, &exec));
    CHECK(exec != nullptr);
    for (int r = 0; r < 3 && exec; r++) {
        const uint64_t off = 1000003ull * (uint64_t)r + (uint64_t)r;   // a different word phase each replay
        CHECK_CUDA(dbn4j_cuda_set_u64(base.p, off, g_stream));
        CHECK_CUDA(dbn4j_cuda_graph_launch(exec, g_stream));
        step(st[1], (int64_t)off);
        char what[64];
        const char *names[8] = {"p", "s", "g", "dy", "sums1", "sums2 (beta 0.5)", "w", "v"};
        Dev<float> *got[8] = {&st[0].p, &st[0].s, &st[0].g, &st[0].dy, &st[0].sums1, &st[0].sums2, &st[0].w,
                              &st[0].v};
        Dev<float> *want[8] = {&st[1].p, &st[1].s, &st[1].g, &st[1].dy, &st[1].sums1, &st[1].sums2, &st[1].w,
                               &st[1].v};
        for (int k = 0; k < 8; k++) {
            snprintf(what, sizeof what, "graph replay %d: %s", r, names[k]);
            expect_bits(what, got[k]->get(), want[k]->get());
        }
        std::vector<double> lg = st[0].loss.get(), le = st[1].loss.get();
        CHECK_MSG(lg[0] == le[0] && lg[1] == le[1], "graph replay %d: losses %.17g %.17g, eager %.17g %.17g", r,
                  lg[0], lg[1], le[0], le[1]);
        // And the losses against the CPU's (more rows than k_finish_loss stages at once).
        std::vector<float> hp = st[1].p.get(), hs = st[1].s.get(), hg = st[1].g.get();
        double cpu_se = 0.0, cpu_ce = 0.0;
        CHECK_OK(dbn4j_squared_error(hp.data(), hs.data(), nullptr, B, N, &cpu_se));
        CHECK_OK(dbn4j_sigmoid_cross_entropy(hg.data(), hs.data(), nullptr, nullptr, B, N, &cpu_ce));
        expect_rel("graph step: squared_error loss", le[0], cpu_se, 1e-12);
        expect_rel("graph step: sigmoid_cross_entropy loss", le[1], cpu_ce, 1e-12);
    }
    CHECK_CUDA(dbn4j_cuda_graph_destroy(exec));
    for (State &t : st) {
        std::vector<uint8_t> counters = t.ws.get();
        bool zero = true;
        for (int64_t i = 0; i < DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES; i++) zero = zero && counters[i] == 0;
        CHECK_MSG(zero, "graph replays leave the column-sum counters at zero");
    }

    CHECK_CUDA(dbn4j_cuda_graph_begin(g_stream));
    CHECK_CUDA(dbn4j_cuda_scale(2.0f, st[0].w.p, N, g_stream));
    CHECK(dbn4j_cuda_synchronize(g_stream) != DBN4J_OK);
    void *bad = (void *)1;
    CHECK(dbn4j_cuda_graph_end(g_stream, &bad) != DBN4J_OK);
    CHECK(bad == nullptr);
    CHECK_MSG(strstr(dbn4j_cuda_last_error(), "cudaStreamEndCapture") != nullptr, "message: %s",
              dbn4j_cuda_last_error());
    st[0].w.put(w0);
    CHECK_CUDA(dbn4j_cuda_scale(2.0f, st[0].w.p, N, g_stream));
    std::vector<float> w2 = w0;
    for (float &e : w2) e *= 2.0f;
    expect_bits("the stream after a failed capture", st[0].w.get(), w2);
}

// A recorded step's bookkeeping on the device: the gathers of batch *batch of an epoch's order (floats and byte
// codes), a loss appended at *batch (which moves on), the random offset advanced by the step itself. Recorded once
// as a graph and replayed: batch k gathers the CPU's rows of order[k * R, (k + 1) * R), the log fills in order, and
// a batch past the order gives NaN rows and writes no slot past the log.
static void test_batch_steps() {
    Rng rng(31);
    const int S = 150, N = 37, R = 20, L = 97;   // source rows, columns, rows per batch, order length (4 batches + 17)
    std::vector<float> x((size_t)S * N);
    for (float &e : x) e = (float)(rng.next() % 200) / 199.0f;
    std::vector<uint8_t> codes(x.size());
    std::vector<float> palette(256);
    int values = 0;
    CHECK_OK(dbn4j_encode_u8(x.data(), (int64_t)x.size(), codes.data(), palette.data(), &values));
    std::vector<int32_t> order(L);
    for (auto &i : order) i = (int32_t)(rng.next() % S);
    Dev<float> dx(x), dpal(palette), fl((int64_t)R * N), cod((int64_t)R * N);
    Dev<uint8_t> dcodes(codes);
    Dev<int32_t> dorder(order);
    Dev<uint64_t> batch(std::vector<uint64_t>{1}), offset(std::vector<uint64_t>{5});
    Dev<double> value(std::vector<double>{0.0}), log(std::vector<double>(4, -1.0));
    CHECK_CUDA(dbn4j_cuda_graph_begin(g_stream));
    CHECK_CUDA(dbn4j_cuda_gather_rows_at(dx.p, S, N, dorder.p, L, batch.p, R, fl.p, g_stream));
    CHECK_CUDA(dbn4j_cuda_gather_rows_u8_at(dcodes.p, S, N, dpal.p, dorder.p, L, batch.p, R, cod.p, g_stream));
    CHECK_CUDA(dbn4j_cuda_append_double(value.p, log.p, 4, batch.p, g_stream));
    CHECK_CUDA(dbn4j_cuda_add_u64(offset.p, 1000, g_stream));
    void *exec = nullptr;
    int64_t counts[2] = {0, 0};
    CHECK_CUDA(dbn4j_cuda_graph_end_counted(g_stream, &exec, counts));
    CHECK(exec != nullptr);
    CHECK_MSG(counts[0] == 4 && counts[1] == 4, "graph of 4 kernels in a row: %lld nodes, %lld deep",
              (long long)counts[0], (long long)counts[1]);
    for (uint64_t k = 1; k <= 4 && exec; k++) {
        value.put(std::vector<double>{0.5 + (double)k});
        CHECK_CUDA(dbn4j_cuda_graph_launch(exec, g_stream));
        std::vector<float> want((size_t)R * N);
        char what[64];
        if (k < 4) {
            CHECK_OK(dbn4j_gather_rows(x.data(), S, N, order.data() + k * R, R, want.data()));
            snprintf(what, sizeof what, "gather_rows_at batch %llu", (unsigned long long)k);
            expect_bits(what, fl.get(), want);
            snprintf(what, sizeof what, "gather_rows_u8_at batch %llu", (unsigned long long)k);
            expect_bits(what, cod.get(), want);
        } else {
            // Batch 4: rows 80..96 of the order, then 3 rows past it (NaN).
            std::vector<float> gf = fl.get(), gc = cod.get();
            CHECK_OK(dbn4j_gather_rows(x.data(), S, N, order.data() + 80, 17, want.data()));
            want.resize((size_t)17 * N);
            expect_bits("gather_rows_at, last rows of the order", std::vector<float>(gf.begin(), gf.begin()
                                                                                      + (int64_t)17 * N), want);
            expect_bits("gather_rows_u8_at, last rows of the order", std::vector<float>(gc.begin(), gc.begin()
                                                                                        + (int64_t)17 * N), want);
            CHECK_MSG(isnan(gf[(size_t)17 * N]) && isnan(gf[(size_t)R * N - 1]) && isnan(gc[(size_t)17 * N])
                          && isnan(gc[(size_t)R * N - 1]), "rows past the order are NaN");
        }
    }
    CHECK_CUDA(dbn4j_cuda_graph_destroy(exec));
    std::vector<uint64_t> b = batch.get(), o = offset.get();
    std::vector<double> lg = log.get();
    CHECK_MSG(b[0] == 5 && o[0] == 4005, "after 4 replays: batch %llu (5), offset %llu (4005)",
              (unsigned long long)b[0], (unsigned long long)o[0]);
    CHECK_MSG(lg[0] == -1.0 && lg[1] == 1.5 && lg[2] == 2.5 && lg[3] == 3.5,
              "log %g %g %g %g (-1, 1.5, 2.5, 3.5: slot 4 is past it)", lg[0], lg[1], lg[2], lg[3]);
    // A batch index so large that k * R wraps around: NaN rows, not a read of some other row.
    CHECK_CUDA(dbn4j_cuda_set_u64(batch.p, ~0ull / 10, g_stream));
    CHECK_CUDA(dbn4j_cuda_gather_rows_at(dx.p, S, N, dorder.p, L, batch.p, R, fl.p, g_stream));
    std::vector<float> gw = fl.get();
    CHECK_MSG(isnan(gw[0]) && isnan(gw[(size_t)R * N - 1]), "a wrapping batch index gives NaN rows");
    CHECK(dbn4j_cuda_gather_rows_at(dx.p, S, N, dorder.p, L, nullptr, R, fl.p, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_gather_rows_u8_at(dcodes.p, S, N, dpal.p, dorder.p, -1, batch.p, R, cod.p, g_stream)
          == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_append_double(value.p, log.p, 4, nullptr, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_add_u64(nullptr, 1, g_stream) == DBN4J_EINVAL);
    // 8-byte words that are not 8-byte aligned would fault on a device: refused.
    const uint64_t *odd = (const uint64_t *)((const char *)batch.p + 4);
    CHECK(dbn4j_cuda_gather_rows_at(dx.p, S, N, dorder.p, L, odd, R, fl.p, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "batch=") != nullptr
          && strstr(dbn4j_cuda_last_error(), "is not 8-byte aligned") != nullptr);
    CHECK(dbn4j_cuda_append_double(value.p, (double *)((char *)log.p + 4), 3, batch.p, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_add_u64((uint64_t *)odd, 1, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_gather_rows_at(dx.p, S, N, (const int32_t *)fl.p, L, batch.p, R, fl.p, g_stream)
          == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dst overlaps the indices") != nullptr);
    CHECK(dbn4j_cuda_set_u64((uint64_t *)odd, 1, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_random_uniform_at(1, odd, 0, fl.p, 4, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_squared_error(fl.p, cod.p, nullptr, R, N, (double *)((char *)log.p + 4), nullptr, 0, g_stream)
          == DBN4J_EINVAL);
}

static void test_elementwise() {
    std::vector<float> x = activation_inputs();
    int64_t n = (int64_t)x.size();
    Rng rng(3);
    std::vector<float> dy = random_floats(rng, n, -2, 2), y((size_t)n), dx((size_t)n);
    Dev<float> dx_in(x), dout(n), ddy(dy), ddx(n);
    struct Fwd { const char *name; int (*cpu)(const float *, float *, int64_t); int (*gpu)(const float *, float *, int64_t, void *); };
    struct Bwd { const char *name; int (*cpu)(const float *, const float *, float *, int64_t);
                 int (*gpu)(const float *, const float *, float *, int64_t, void *); };
    const Fwd fwd[] = {{"sigmoid_forward", dbn4j_sigmoid_forward, dbn4j_cuda_sigmoid_forward},
                       {"tanh_forward", dbn4j_tanh_forward, dbn4j_cuda_tanh_forward},
                       {"relu_forward", dbn4j_relu_forward, dbn4j_cuda_relu_forward}};
    const Bwd bwd[] = {{"sigmoid_backward", dbn4j_sigmoid_backward, dbn4j_cuda_sigmoid_backward},
                       {"tanh_backward", dbn4j_tanh_backward, dbn4j_cuda_tanh_backward},
                       {"relu_backward", dbn4j_relu_backward, dbn4j_cuda_relu_backward}};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(fwd[k].cpu(x.data(), y.data(), n));
        CHECK_CUDA(fwd[k].gpu(dx_in.p, dout.p, n, g_stream));
        expect_bits(fwd[k].name, dout.get(), y);
        // backward from the forward outputs
        CHECK_OK(bwd[k].cpu(y.data(), dy.data(), dx.data(), n));
        CHECK_CUDA(bwd[k].gpu(dout.p, ddy.p, ddx.p, n, g_stream));
        expect_bits(bwd[k].name, ddx.get(), dx);
    }
    // in place
    std::vector<float> yin = x;
    CHECK_OK(dbn4j_sigmoid_forward(yin.data(), yin.data(), n));
    CHECK_CUDA(dbn4j_cuda_sigmoid_forward(dx_in.p, dx_in.p, n, g_stream));
    expect_bits("sigmoid_forward in place", dx_in.get(), yin);

    // add_row_bias, axpy, scale, sgd_momentum
    const int B = 37, N = 301;
    std::vector<float> m = random_floats(rng, (int64_t)B * N, -5, 5), bias = random_floats(rng, N, -1, 1);
    Dev<float> dmat(m), dbias(bias);
    Dev<float> dfused(m);
    CHECK_OK(dbn4j_add_row_bias(m.data(), bias.data(), B, N));
    CHECK_CUDA(dbn4j_cuda_add_row_bias(dmat.p, dbias.p, B, N, g_stream));
    expect_bits("add_row_bias", dmat.get(), m);
    // bias_sigmoid = add_row_bias then sigmoid_forward, bit for bit
    CHECK_OK(dbn4j_sigmoid_forward(m.data(), m.data(), (int64_t)B * N));
    CHECK_CUDA(dbn4j_cuda_bias_sigmoid(dfused.p, dbias.p, B, N, g_stream));
    expect_bits("bias_sigmoid", dfused.get(), m);
    CHECK_CUDA(dbn4j_cuda_sigmoid_forward(dmat.p, dmat.p, (int64_t)B * N, g_stream));
    expect_bits("bias_sigmoid = add_row_bias + sigmoid_forward on the GPU", dfused.get(), dmat.get());

    const int64_t L = 100003;
    std::vector<float> a = random_floats(rng, L, -3, 3), bb = random_floats(rng, L, -3, 3);
    Dev<float> da(a), db(bb);
    CHECK_OK(dbn4j_axpy(0.37f, a.data(), bb.data(), L));
    CHECK_CUDA(dbn4j_cuda_axpy(0.37f, da.p, db.p, L, g_stream));
    expect_bits("axpy", db.get(), bb);
    CHECK_OK(dbn4j_scale(-1.7f, a.data(), L));
    CHECK_CUDA(dbn4j_cuda_scale(-1.7f, da.p, L, g_stream));
    expect_bits("scale", da.get(), a);
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        std::vector<float> w = random_floats(rng, L, -1, 1), g = random_floats(rng, L, -1, 1),
                           v = random_floats(rng, L, -0.1f, 0.1f);
        Dev<float> dw(w), dg(g), dv(v);
        for (int step = 0; step < 3; step++) {
            CHECK_OK(dbn4j_sgd_momentum(w.data(), g.data(), v.data(), L, 0.05f, 0.9f, 1e-4f, nesterov));
            CHECK_CUDA(dbn4j_cuda_sgd_momentum(dw.p, dg.p, dv.p, L, 0.05f, 0.9f, 1e-4f, nesterov, g_stream));
        }
        expect_bits(nesterov ? "sgd nesterov w" : "sgd w", dw.get(), w);
        expect_bits(nesterov ? "sgd nesterov v" : "sgd v", dv.get(), v);
    }
    // Velocities that a step with a zero gradient leaves subnormal: +0, as the formula says (kernels.h's flush), bit
    // for bit (the sign of a zero too; NaN with NaN).
    check_flush_step("cuda sgd_momentum", [](float *w, float *v, float mom, int nesterov) {
        Dev<float> dw(std::vector<float>(w, w + k_flush_n)), dg(std::vector<float>(k_flush_n, 0.0f)),
            dv(std::vector<float>(v, v + k_flush_n));
        CHECK_CUDA(dbn4j_cuda_sgd_momentum(dw.p, dg.p, dv.p, k_flush_n, 0.1f, mom, 0.0f, nesterov, g_stream));
        std::vector<float> gw = dw.get(), gv = dv.get();
        memcpy(w, gw.data(), sizeof(float) * k_flush_n);
        memcpy(v, gv.data(), sizeof(float) * k_flush_n);
    });
}

static void test_softmax_losses() {
    Rng rng(5);
    const int shapes[][2] = {{1, 1}, {5, 3}, {128, 10}, {64, 1000}, {300, 37}};
    for (auto &sh : shapes) {
        int B = sh[0], K = sh[1];
        int64_t n = (int64_t)B * K;
        std::vector<float> z = random_floats(rng, n, -30, 30), y((size_t)n);
        // Every 7th logit far below: probabilities and gradients below FLT_MIN (a subnormal dz becomes +0 on both).
        for (int64_t i = 3; i < n; i += 7) z[(size_t)i] = -60.0f - (float)(i % 50);
        Dev<float> dz_in(z), dy(n);
        CHECK_OK(dbn4j_softmax_forward(z.data(), y.data(), B, K));
        CHECK_CUDA(dbn4j_cuda_softmax_forward(dz_in.p, dy.p, B, K, g_stream));
        expect_bits("softmax_forward", dy.get(), y);
        CHECK_OK(dbn4j_log_softmax_forward(z.data(), y.data(), B, K));
        CHECK_CUDA(dbn4j_cuda_log_softmax_forward(dz_in.p, dy.p, B, K, g_stream));
        expect_close("log_softmax_forward", dy.get(), y, 1);

        // targets: one-hot rows and soft rows alternate
        std::vector<float> t((size_t)n, 0.0f);
        for (int r = 0; r < B; r++) {
            if (r % 2 == 0) {
                t[(size_t)r * K + (size_t)(rng.next() % (uint64_t)K)] = 1.0f;
            } else {
                for (int k = 0; k < K; k++) t[(size_t)r * K + k] = 1.0f / (float)K;
            }
        }
        Dev<float> dt(t), dp(n), dgrad(n);
        Dev<double> dloss(1);
        std::vector<float> p((size_t)n), g((size_t)n);
        double loss = 0;
        CHECK_OK(dbn4j_softmax_cross_entropy(z.data(), t.data(), p.data(), g.data(), B, K, &loss));
        CHECK_CUDA(dbn4j_cuda_softmax_cross_entropy(dz_in.p, dt.p, dp.p, dgrad.p, B, K, dloss.p, nullptr, 0, g_stream));
        expect_bits("softmax_ce p", dp.get(), p);
        expect_bits("softmax_ce dz", dgrad.get(), g);
        expect_rel("softmax_ce loss", get_loss(dloss), loss, 1e-12);
        // The per-row losses in the caller's scratch (B rows: used; B - 1 rows: allocated per call): the same bits.
        const double allocated = get_loss(dloss);
        Dev<double> scratch(B);
        for (int64_t rows : {(int64_t)B, (int64_t)B - 1}) {
            CHECK_CUDA(dbn4j_cuda_softmax_cross_entropy(dz_in.p, dt.p, dp.p, dgrad.p, B, K, dloss.p, scratch.p, rows,
                                                        g_stream));
            CHECK_MSG(get_loss(dloss) == allocated, "softmax_ce loss with %lld scratch rows", (long long)rows);
        }

        // sigmoid CE with targets in [0, 1], squared error
        std::vector<float> tb = random_floats(rng, n, 0, 1);
        for (int64_t i = 3; i < n; i += 7) tb[(size_t)i] = 0.0f;   // with the far logits: dz = sigmoid(z) / B
        Dev<float> dtb(tb);
        CHECK_OK(dbn4j_sigmoid_cross_entropy(z.data(), tb.data(), p.data(), g.data(), B, K, &loss));
        CHECK_CUDA(dbn4j_cuda_sigmoid_cross_entropy(dz_in.p, dtb.p, dp.p, dgrad.p, B, K, dloss.p, nullptr, 0, g_stream));
        expect_bits("sigmoid_ce p", dp.get(), p);
        expect_bits("sigmoid_ce dz", dgrad.get(), g);
        expect_rel("sigmoid_ce loss", get_loss(dloss), loss, 1e-12);
        const double sigmoid_allocated = get_loss(dloss);
        CHECK_CUDA(dbn4j_cuda_sigmoid_cross_entropy(dz_in.p, dtb.p, dp.p, dgrad.p, B, K, dloss.p, scratch.p, B,
                                                    g_stream));
        CHECK_MSG(get_loss(dloss) == sigmoid_allocated, "sigmoid_ce loss in the caller's scratch");
        CHECK_OK(dbn4j_squared_error(z.data(), tb.data(), g.data(), B, K, &loss));
        CHECK_CUDA(dbn4j_cuda_squared_error(dz_in.p, dtb.p, dgrad.p, B, K, dloss.p, nullptr, 0, g_stream));
        expect_bits("squared_error dy", dgrad.get(), g);
        expect_rel("squared_error loss", get_loss(dloss), loss, 1e-12);
        // loss only, no gradient; then in the caller's scratch
        const double squared_allocated = get_loss(dloss);
        CHECK_CUDA(dbn4j_cuda_squared_error(dz_in.p, dtb.p, nullptr, B, K, dloss.p, nullptr, 0, g_stream));
        expect_rel("squared_error loss only", get_loss(dloss), loss, 1e-12);
        CHECK_CUDA(dbn4j_cuda_squared_error(dz_in.p, dtb.p, nullptr, B, K, dloss.p, scratch.p, B, g_stream));
        CHECK_MSG(get_loss(dloss) == squared_allocated, "squared_error loss in the caller's scratch");
        {
            // The scratch holds the per-row losses that the call added: their mean (times 1/2) is the loss.
            std::vector<double> rows = scratch.get();
            double sum = 0.0;
            for (double v : rows) sum += v;
            expect_rel("squared_error rows in the caller's scratch", sum / (2.0 * B), squared_allocated, 1e-12);
        }
        // A scratch that overlaps an input is refused; a negative size too.
        CHECK(dbn4j_cuda_squared_error(dz_in.p, dtb.p, nullptr, B, K, dloss.p, (double *)dtb.p, B, g_stream)
              == DBN4J_EINVAL);
        CHECK(strstr(dbn4j_cuda_last_error(), "scratch overlaps") != nullptr);
        CHECK(dbn4j_cuda_squared_error(dz_in.p, dtb.p, nullptr, B, K, dloss.p, scratch.p, -1, g_stream) == DBN4J_EINVAL);
        CHECK(strstr(dbn4j_cuda_last_error(), "scratch_rows=-1 < 0") != nullptr);
    }
}

static void test_rows() {
    Rng rng(9);
    const int B = 300, N = 513;
    std::vector<float> x = random_floats(rng, (int64_t)B * N, -20, 20), out = random_floats(rng, N, -1, 1);
    Dev<float> dx(x), dout(out);
    std::vector<float> out0 = out;
    CHECK_OK(dbn4j_column_sums(x.data(), out.data(), B, N, 0.5f, 0.25f));
    CHECK_CUDA(dbn4j_cuda_column_sums(dx.p, dout.p, B, N, 0.5f, 0.25f, nullptr, 0, g_stream));
    expect_bits("column_sums beta", dout.get(), out);
    CHECK_OK(dbn4j_column_sums(x.data(), out.data(), B, N, -1.0f, 0.0f));
    CHECK_CUDA(dbn4j_cuda_column_sums(dx.p, dout.p, B, N, -1.0f, 0.0f, nullptr, 0, g_stream));
    expect_bits("column_sums", dout.get(), out);
    {
        // Many row chunks: one block per 32 columns (no workspace, or one too small), or all chunks at once with a
        // workspace, called twice (the counters must be left at zero), partial last chunk and column tile.
        const int B2 = 4100, N2 = 1000;
        std::vector<float> x2 = random_floats(rng, (int64_t)B2 * N2, -3, 7), o2 = random_floats(rng, N2, -1, 1);
        std::vector<float> want = o2;
        CHECK_OK(dbn4j_column_sums(x2.data(), want.data(), B2, N2, 0.75f, -0.5f));
        const int64_t ws_bytes = DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES
            + ((B2 + DBN4J_COLUMN_SUM_CHUNK - 1) / DBN4J_COLUMN_SUM_CHUNK) * (int64_t)N2 * 8;
        Dev<uint8_t> ws(ws_bytes);
        CHECK_CUDA(dbn4j_cuda_memset_async(ws.p, 0, ws_bytes, g_stream));
        Dev<float> dx2(x2);
        const int64_t sizes[3] = {0, ws_bytes - 8, ws_bytes};
        for (int64_t bytes : sizes) {
            for (int rep = 0; rep < 2; rep++) {
                Dev<float> do2(o2);
                CHECK_CUDA(dbn4j_cuda_column_sums(dx2.p, do2.p, B2, N2, 0.75f, -0.5f, bytes ? ws.p : nullptr, bytes,
                                                  g_stream));
                expect_bits(bytes == ws_bytes ? "column_sums, chunks at once" : "column_sums, one block per tile",
                            do2.get(), want);
            }
        }
        std::vector<uint8_t> counters = ws.get();
        bool zero = true;
        for (int64_t i = 0; i < DBN4J_CUDA_COLUMN_SUMS_COUNTER_BYTES; i++) zero = zero && counters[i] == 0;
        CHECK_MSG(zero, "column_sums leaves its counters at zero");
    }

    std::vector<int32_t> idx(97);
    for (auto &i : idx) i = (int32_t)(rng.next() % B);
    std::vector<float> gathered((size_t)97 * N);
    CHECK_OK(dbn4j_gather_rows(x.data(), B, N, idx.data(), 97, gathered.data()));
    Dev<int32_t> didx(idx);
    Dev<float> dgath((int64_t)97 * N);
    CHECK_CUDA(dbn4j_cuda_gather_rows(dx.p, B, N, didx.p, 97, dgath.p, g_stream));
    expect_bits("gather_rows", dgath.get(), gathered);
    idx[5] = B;   // out of range: NaN row on the GPU
    didx.put(idx);
    CHECK_CUDA(dbn4j_cuda_gather_rows(dx.p, B, N, didx.p, 97, dgath.p, g_stream));
    std::vector<float> gb = dgath.get();
    CHECK(isnan(gb[(size_t)5 * N]) && isnan(gb[(size_t)5 * N + N - 1]));

    // From byte codes: x with 200 distinct values (a few negative zeros and a NaN among them) coded by the CPU, then
    // gathered on both: the same bits.
    {
        std::vector<float> xq((size_t)B * N);
        for (size_t i = 0; i < xq.size(); i++) xq[i] = (float)(rng.next() % 198) / 197.0f - 0.25f;
        xq[3] = -0.0f;
        xq[(size_t)B * N - 1] = float_of(0x7fc00001u);
        std::vector<uint8_t> codes(xq.size());
        std::vector<float> palette(256);
        int values = 0;
        CHECK_OK(dbn4j_encode_u8(xq.data(), (int64_t)xq.size(), codes.data(), palette.data(), &values));
        CHECK_MSG(values > 0 && values <= 256, "encode_u8: %d values", values);
        idx[5] = B - 1;
        idx[6] = 0;
        std::vector<float> want((size_t)97 * N);
        CHECK_OK(dbn4j_gather_rows_u8(codes.data(), B, N, palette.data(), idx.data(), 97, want.data()));
        Dev<uint8_t> dcodes(codes);
        Dev<float> dpal(palette), dq((int64_t)97 * N);
        didx.put(idx);
        CHECK_CUDA(dbn4j_cuda_gather_rows_u8(dcodes.p, B, N, dpal.p, didx.p, 97, dq.p, g_stream));
        expect_bits("gather_rows_u8", dq.get(), want);
        idx[7] = -1;   // out of range: NaN row
        didx.put(idx);
        CHECK_CUDA(dbn4j_cuda_gather_rows_u8(dcodes.p, B, N, dpal.p, didx.p, 97, dq.p, g_stream));
        std::vector<float> gq = dq.get();
        CHECK(isnan(gq[(size_t)7 * N]) && isnan(gq[(size_t)7 * N + N - 1])
              && bits_of(gq[(size_t)6 * N]) == bits_of(want[(size_t)6 * N]));
        CHECK(dbn4j_cuda_gather_rows_u8(dcodes.p, B, N, dpal.p, didx.p, 97, nullptr, g_stream) == DBN4J_EINVAL);
        CHECK(dbn4j_cuda_gather_rows_u8(dcodes.p, B, N, (const float *)dq.p, didx.p, 97, dq.p, g_stream)
              == DBN4J_EINVAL);
    }

    std::vector<float> sp(B);
    CHECK_OK(dbn4j_softplus_row_sums(x.data(), sp.data(), B, N));
    Dev<float> dsp(B);
    CHECK_CUDA(dbn4j_cuda_softplus_row_sums(dx.p, dsp.p, B, N, g_stream));
    expect_close("softplus_row_sums", dsp.get(), sp, 1);
}

static void test_errors() {
    void *p = (void *)1;
    int rc = dbn4j_cuda_malloc(1LL << 50, &p);
    CHECK_MSG(rc == DBN4J_ENOMEM && p == nullptr, "huge cudaMalloc: rc=%d p=%p", rc, p);
    CHECK_MSG(strstr(dbn4j_cuda_last_error(), "cudaMalloc(1125899906842624 bytes)") != nullptr, "message: %s",
              dbn4j_cuda_last_error());
    CHECK(dbn4j_cuda_sigmoid_forward(nullptr, nullptr, -1, g_stream) == DBN4J_EINVAL);
    CHECK(strstr(dbn4j_cuda_last_error(), "dbn4j_cuda_sigmoid_forward") != nullptr);
    CHECK(dbn4j_cuda_softmax_forward(nullptr, nullptr, 2, 3, g_stream) == DBN4J_EINVAL);
    CHECK(dbn4j_cuda_memcpy_async(&p, &p, 8, 99, g_stream) == DBN4J_EINVAL);
    // The stream still works after those.
    Dev<float> d(4);
    CHECK_CUDA(dbn4j_cuda_memset_async(d.p, 0, 16, g_stream));
    CHECK_CUDA(dbn4j_cuda_synchronize(g_stream));
}

// Last: an illegal address inside a kernel is reported at synchronize (this poisons the context for good).
static void test_async_fault() {
    float *bogus = (float *)(uintptr_t)0x10;
    CHECK_CUDA(dbn4j_cuda_sigmoid_forward(bogus, bogus, 1 << 20, g_stream));   // queues fine
    int rc = dbn4j_cuda_synchronize(g_stream);
    CHECK_MSG(rc == DBN4J_ECUDA, "synchronize after a fault: rc=%d (%s)", rc, dbn4j_cuda_last_error());
    CHECK_MSG(strstr(dbn4j_cuda_last_error(), "cudaStreamSynchronize") != nullptr, "message: %s",
              dbn4j_cuda_last_error());
    printf("async fault reported as: %s\n", dbn4j_cuda_last_error());
}

int main() {
    int count = 0;
    if (dbn4j_cuda_device_count(&count) != DBN4J_OK || count == 0) {
        printf("SKIP: no CUDA device (%s)\n", dbn4j_cuda_last_error());
        return 77;
    }
    char name[256];
    int major = 0, minor = 0, sms = 0;
    int64_t mem = 0;
    CHECK_CUDA(dbn4j_cuda_device_info(0, name, sizeof name, &major, &minor, &mem, &sms));
    printf("device 0: %s, sm_%d%d, %d SMs, %.1f GiB\n", name, major, minor, sms, mem / 1073741824.0);
    CHECK_CUDA(dbn4j_cuda_set_device(0));
    CHECK_CUDA(dbn4j_cuda_stream_create(&g_stream));
    test_philox();
    test_random_floats();
    test_sigmoid_bernoulli();
    test_elementwise();
    test_softmax_losses();
    test_rows();
    test_fused_sums();
    test_sums_sgd();
    test_fork_join();
    test_graph_step();
    test_batch_steps();
    test_errors();
    if (!getenv("DBN4J_TEST_NO_FAULT")) test_async_fault();
    return finish("cuda");
}
