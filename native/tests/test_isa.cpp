/*
 * Determinism: every kernel gives bit-identical outputs at every ISA level this CPU supports (scalar, AVX2,
 * AVX-512), for 1, 2 and 3 threads and for small split grains; random kernels called in two pieces equal one
 * call; in-place calls equal out-of-place ones; the fused Gibbs step equals its three-kernel composition; the
 * Bernoulli samplers follow the half-word definition of kernels.h at every half offset.
 * Run: ctest --test-dir <build> -R isa
 */
#include <float.h>
#include <math.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"
#include "test_util.h"

using Bytes = std::vector<unsigned char>;
struct Result {
    std::string name;
    Bytes bytes;
};

template <class T> static void record(std::vector<Result> &R, const std::string &name, const std::vector<T> &v) {
    const unsigned char *p = (const unsigned char *)v.data();
    R.push_back({name, Bytes(p, p + v.size() * sizeof(T))});
}
static void record(std::vector<Result> &R, const std::string &name, double d) {
    record(R, name, std::vector<double>{d});
}

// ---- fixed inputs ----
static const int64_t NE = 150001;          // elementwise length: odd, above 2 x 64K so default grain splits too
static const int BR = 211, KR = 300;       // rows x classes: K > 256 crosses the exp buffer of a row
static const int BS = 211, NS = 713;       // Gibbs step shape
static const uint64_t SEED = 0x243f6a8885a308d3ull, OFFSET = 4 * 0xfffffff0ull + 3;   // odd, near the carry

static std::vector<float> X, Y01, DY, ZR, TR, TB, BIAS, COLS, W0, G0, V0, P01, MEAN, XS;

static const float SPECIALS[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MAX, -FLT_MAX,
                                 0.55f, -0.55f, 0.5499999f, 87.5f, -87.5f, 103.99f, -104.01f, 88.72f, -88.72f,
                                 1e-30f, -1e-30f, 9.1f, -9.1f};

static void make_inputs() {
    Rng rng(42);
    const int nspec = sizeof SPECIALS / sizeof SPECIALS[0];
    X.resize(NE);
    for (int64_t i = 0; i < NE; i++) {
        uint64_t c = rng.next() % 100;
        X[i] = c < 70   ? rng.uniform(-30, 30)
               : c < 80 ? rng.uniform(-110, 110)
               : c < 90 ? rng.uniform(-1, 1)
               : c < 95 ? rng.uniform(-1e-3f, 1e-3f)
                        : SPECIALS[rng.next() % nspec];
    }
    Y01.resize(NE);
    DY.resize(NE);
    for (int64_t i = 0; i < NE; i++) {
        Y01[i] = i % 10 == 0 ? rng.uniform(-2, 2) : rng.uniform(0, 1);
        DY[i] = rng.uniform(-3, 3);
    }
    ZR.resize((size_t)BR * KR);
    TR.resize(ZR.size());
    TB.resize(ZR.size());
    for (int r = 0; r < BR; r++) {
        float spread = r % 7 == 0 ? 1e4f : 30.0f;
        float tsum = 0;
        for (int k = 0; k < KR; k++) {
            ZR[r * KR + k] = rng.uniform(-spread, spread);
            TR[r * KR + k] = r % 2 ? (k == r % KR ? 1.0f : 0.0f) : rng.uniform(0, 1);
            tsum += TR[r * KR + k];
            TB[r * KR + k] = rng.uniform(0, 1);
        }
        if (r % 2 == 0)
            for (int k = 0; k < KR; k++) TR[r * KR + k] /= tsum;
        if (r % 11 == 0) ZR[r * KR + 5] = -INFINITY;
    }
    BIAS.resize(NS);
    for (auto &b : BIAS) b = rng.uniform(-2, 2);
    XS.resize((size_t)BS * NS);
    for (auto &x : XS) x = rng.uniform(-8, 8);
    COLS.resize((size_t)257 * 1031);
    for (auto &x : COLS) x = rng.uniform(-1, 1) * (rng.next() % 3 == 0 ? 1e6f : 1.0f);
    W0.resize(NE);
    G0.resize(NE);
    V0.resize(NE);
    P01.resize(NE);
    MEAN.resize(NE);
    for (int64_t i = 0; i < NE; i++) {
        W0[i] = rng.uniform(-1, 1);
        G0[i] = rng.uniform(-1, 1);
        V0[i] = rng.uniform(-0.1f, 0.1f);
        P01[i] = rng.uniform(0, 1);
        MEAN[i] = rng.uniform(-5, 5);
    }
}

// ---- every kernel once, through the public API ----
static std::vector<Result> run_all() {
    std::vector<Result> R;
    std::vector<float> o(NE), o2(NE);
    CHECK_OK(dbn4j_sigmoid_forward(X.data(), o.data(), NE));
    record(R, "sigmoid_forward", o);
    CHECK_OK(dbn4j_tanh_forward(X.data(), o.data(), NE));
    record(R, "tanh_forward", o);
    CHECK_OK(dbn4j_relu_forward(X.data(), o.data(), NE));
    record(R, "relu_forward", o);
    CHECK_OK(dbn4j_sigmoid_backward(Y01.data(), DY.data(), o.data(), NE));
    record(R, "sigmoid_backward", o);
    CHECK_OK(dbn4j_tanh_backward(Y01.data(), DY.data(), o.data(), NE));
    record(R, "tanh_backward", o);
    CHECK_OK(dbn4j_relu_backward(X.data(), DY.data(), o.data(), NE));
    record(R, "relu_backward", o);

    std::vector<float> s = XS;
    CHECK_OK(dbn4j_add_row_bias(s.data(), BIAS.data(), BS, NS));
    record(R, "add_row_bias", s);
    s = XS;
    CHECK_OK(dbn4j_bias_sigmoid(s.data(), BIAS.data(), BS, NS));
    record(R, "bias_sigmoid", s);

    size_t nr = ZR.size();
    std::vector<float> p(nr), dz(nr);
    CHECK_OK(dbn4j_softmax_forward(ZR.data(), p.data(), BR, KR));
    record(R, "softmax_forward", p);
    CHECK_OK(dbn4j_log_softmax_forward(ZR.data(), p.data(), BR, KR));
    record(R, "log_softmax_forward", p);
    double loss = 0;
    CHECK_OK(dbn4j_softmax_cross_entropy(ZR.data(), TR.data(), p.data(), dz.data(), BR, KR, &loss));
    record(R, "softmax_xent p", p);
    record(R, "softmax_xent dz", dz);
    record(R, "softmax_xent loss", loss);
    CHECK_OK(dbn4j_softmax_cross_entropy(ZR.data(), TR.data(), nullptr, dz.data(), BR, KR, nullptr));
    record(R, "softmax_xent dz only", dz);
    CHECK_OK(dbn4j_softmax_cross_entropy(ZR.data(), TR.data(), p.data(), nullptr, BR, KR, &loss));
    record(R, "softmax_xent p only", p);
    CHECK_OK(dbn4j_sigmoid_cross_entropy(ZR.data(), TB.data(), p.data(), dz.data(), BR, KR, &loss));
    record(R, "sigmoid_xent p", p);
    record(R, "sigmoid_xent dz", dz);
    record(R, "sigmoid_xent loss", loss);
    std::vector<float> softplus(BR);
    CHECK_OK(dbn4j_softplus_row_sums(ZR.data(), softplus.data(), BR, KR));
    record(R, "softplus_row_sums", softplus);
    CHECK_OK(dbn4j_squared_error(ZR.data(), TB.data(), dz.data(), BR, KR, &loss));
    record(R, "squared_error dy", dz);
    record(R, "squared_error loss", loss);

    std::vector<float> cs(1031, 0.25f);
    CHECK_OK(dbn4j_column_sums(COLS.data(), cs.data(), 257, 1031, 0.7f, 0.3f));
    record(R, "column_sums beta", cs);
    std::fill(cs.begin(), cs.end(), NAN);
    CHECK_OK(dbn4j_column_sums(COLS.data(), cs.data(), 257, 1031, -1.5f, 0.0f));
    record(R, "column_sums beta=0", cs);

    o = W0;
    CHECK_OK(dbn4j_axpy(0.37f, G0.data(), o.data(), NE));
    record(R, "axpy", o);
    CHECK_OK(dbn4j_scale(-1.7f, o.data(), NE));
    record(R, "scale", o);
    for (int nesterov = 0; nesterov <= 1; nesterov++) {
        std::vector<float> w = W0, v = V0;
        CHECK_OK(dbn4j_sgd_momentum(w.data(), G0.data(), v.data(), NE, 0.01f, 0.9f, 1e-4f, nesterov));
        record(R, nesterov ? "sgd nesterov w" : "sgd w", w);
        record(R, nesterov ? "sgd nesterov v" : "sgd v", v);
    }

    std::vector<uint32_t> bits(NE);
    CHECK_OK(dbn4j_random_bits(SEED, OFFSET, bits.data(), NE));
    record(R, "random_bits", bits);
    CHECK_OK(dbn4j_random_uniform(SEED, OFFSET, o.data(), NE));
    record(R, "random_uniform", o);
    CHECK_OK(dbn4j_random_bernoulli(SEED, OFFSET, P01.data(), o.data(), NE));
    record(R, "random_bernoulli", o);
    CHECK_OK(dbn4j_random_gaussian(SEED, OFFSET, nullptr, 1.0f, o.data(), NE));
    record(R, "random_gaussian", o);
    CHECK_OK(dbn4j_random_gaussian(SEED, OFFSET, MEAN.data(), 0.5f, o.data(), NE));
    record(R, "random_gaussian mean", o);

    size_t ns = XS.size();
    std::vector<float> sp(ns), ss(ns);
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, OFFSET, XS.data(), BIAS.data(), sp.data(), ss.data(), BS, NS));
    record(R, "sigmoid_bernoulli p", sp);
    record(R, "sigmoid_bernoulli s", ss);
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, OFFSET, XS.data(), nullptr, sp.data(), ss.data(), BS, NS));
    record(R, "sigmoid_bernoulli nobias p", sp);
    record(R, "sigmoid_bernoulli nobias s", ss);
    return R;
}

static void compare(const std::vector<Result> &ref, const std::vector<Result> &got, const char *config) {
    CHECK(ref.size() == got.size());
    for (size_t i = 0; i < ref.size() && i < got.size(); i++) {
        size_t first = 0;
        while (first < ref[i].bytes.size() && ref[i].bytes[first] == got[i].bytes[first]) first++;
        CHECK_MSG(ref[i].bytes == got[i].bytes, "%s: %s differs from scalar/1 thread (first at byte %zu)", config,
                  ref[i].name.c_str(), first);
    }
}

// Random kernels: offset o with n1, then o + n1 (words) with n2, equals one call of n1 + n2.
static void check_splits(const char *level) {
    const uint64_t offs[] = {0, 1, 3, 5, 4 * 0xffffffffull - 7};
    const int64_t n1s[] = {1, 5, 17, 33, 1000}, n2s[] = {3, 63, 1025};
    for (uint64_t o : offs)
        for (int64_t n1 : n1s)
            for (int64_t n2 : n2s) {
                int64_t n = n1 + n2;
                std::vector<uint32_t> a(n), b(n);
                CHECK_OK(dbn4j_random_bits(SEED, o, a.data(), n));
                CHECK_OK(dbn4j_random_bits(SEED, o, b.data(), n1));
                CHECK_OK(dbn4j_random_bits(SEED, o + n1, b.data() + n1, n2));
                CHECK_MSG(a == b, "%s: random_bits split o=%llu n1=%lld n2=%lld", level, (unsigned long long)o,
                          (long long)n1, (long long)n2);
                std::vector<float> fa(n), fb(n);
                CHECK_OK(dbn4j_random_uniform(SEED, o, fa.data(), n));
                CHECK_OK(dbn4j_random_uniform(SEED, o, fb.data(), n1));
                CHECK_OK(dbn4j_random_uniform(SEED, o + n1, fb.data() + n1, n2));
                CHECK_MSG(fa == fb, "%s: random_uniform split o=%llu n1=%lld", level, (unsigned long long)o,
                          (long long)n1);
                // Bernoulli takes half a word per element: a call continues another at whole words, after an
                // even number of elements.
                const int64_t e1 = n1 & ~(int64_t)1;
                CHECK_OK(dbn4j_random_bernoulli(SEED, o, P01.data(), fa.data(), n));
                CHECK_OK(dbn4j_random_bernoulli(SEED, o, P01.data(), fb.data(), e1));
                CHECK_OK(dbn4j_random_bernoulli(SEED, o + (uint64_t)e1 / 2, P01.data() + e1, fb.data() + e1, n - e1));
                CHECK_MSG(fa == fb, "%s: random_bernoulli split o=%llu n1=%lld", level, (unsigned long long)o,
                          (long long)e1);
                // gaussian uses two words per element
                CHECK_OK(dbn4j_random_gaussian(SEED, o, MEAN.data(), 2.0f, fa.data(), n));
                CHECK_OK(dbn4j_random_gaussian(SEED, o, MEAN.data(), 2.0f, fb.data(), n1));
                CHECK_OK(dbn4j_random_gaussian(SEED, o + 2 * n1, MEAN.data() + n1, 2.0f, fb.data() + n1, n2));
                CHECK_MSG(memcmp(fa.data(), fb.data(), 4 * n) == 0, "%s: random_gaussian split o=%llu n1=%lld",
                          level, (unsigned long long)o, (long long)n1);
            }
    // Gibbs step: rows r0.. of a call start at word offset + r0 * N.
    std::vector<float> pa(XS.size()), sa(XS.size()), pb(XS.size()), sb(XS.size());
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, 1, XS.data(), BIAS.data(), pa.data(), sa.data(), BS, NS));
    int r1 = 78;   // r1 * NS even: the second call starts at a whole word
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, 1, XS.data(), BIAS.data(), pb.data(), sb.data(), r1, NS));
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, 1 + (uint64_t)r1 * NS / 2, XS.data() + r1 * NS, BIAS.data(),
                                     pb.data() + r1 * NS, sb.data() + r1 * NS, BS - r1, NS));
    CHECK_MSG(pa == pb && sa == sb, "%s: sigmoid_bernoulli split by rows", level);
}

// The Bernoulli samplers of one level, called directly at any half word (odd ones too: the API passes them to
// the kernels when threads split a call after an odd number of elements), against the definition in kernels.h:
// s[i] = h(half + i) * 2^-16 < p[i], h(k) the low (even k) or high (odd k) 16 bits of word k / 2.
static void check_half_words(int level) {
    const dbn4j::KernelTable *K = dbn4j::kernels_for_level(level);
    const uint64_t halves[] = {0, 1, 2, 3, 5, 7, 8, 9, 2 * OFFSET, 2 * OFFSET + 1};
    const int64_t lengths[] = {1, 2, 3, 7, 16, 17, 191, 192, 193, 385, 1000};
    for (uint64_t h0 : halves)
        for (int64_t n : lengths) {
            std::vector<uint32_t> w((size_t)(n + 3) / 2);
            CHECK_OK(dbn4j_random_bits(SEED, h0 / 2, w.data(), (int64_t)w.size()));
            // Inputs from a different place for every case, so that the odd first element meets many p.
            const size_t at = (size_t)((h0 * 131 + (uint64_t)n * 17) % 10000);
            std::vector<float> p(P01.begin() + at, P01.begin() + at + n), ref(n), got(n), q(n);
            std::vector<float> zx(n), zp(n), zs(n);
            for (int64_t i = 0; i < n; i++) zx[i] = XS[at + i] * 0.25f;   // p mostly away from 0 and 1
            auto u = [&](int64_t i) {   // the threshold of element i: half word h0 + i times 2^-16
                uint64_t k = h0 + (uint64_t)i, wi = k / 2 - h0 / 2;
                return (float)(k & 1 ? w[wi] >> 16 : w[wi] & 0xffffu) * 0x1p-16f;
            };
            for (int64_t i = 0; i < n; i++) ref[i] = u(i) < p[i] ? 1.0f : 0.0f;
            K->random_bernoulli(SEED, h0, p.data(), got.data(), n);
            CHECK_MSG(got == ref, "%s: random_bernoulli half %llu n %lld", K->name, (unsigned long long)h0,
                      (long long)n);
            // Fused, as one row and as rows of 7 with a bias: samples from the level's own sigmoid.
            for (int64_t N : {n, (int64_t)7}) {
                if (n % N != 0) continue;
                const float *b = N == n ? nullptr : BIAS.data();
                q = zx;
                if (b) K->add_row_bias(q.data(), b, n / N, N);
                K->sigmoid_forward(q.data(), q.data(), n);
                for (int64_t i = 0; i < n; i++) ref[i] = u(i) < q[i] ? 1.0f : 0.0f;
                K->sigmoid_bernoulli(SEED, h0, zx.data(), b, zp.data(), zs.data(), n / N, N);
                CHECK_MSG(memcmp(zp.data(), q.data(), 4 * n) == 0 && zs == ref,
                          "%s: sigmoid_bernoulli half %llu n %lld N %lld", K->name, (unsigned long long)h0,
                          (long long)n, (long long)N);
            }
        }
}

// The fused step equals add_row_bias + sigmoid_forward + random_bernoulli, bit for bit: on the Gibbs-step input
// XS and on the first BS x (NE / BS) elements of X, which has the special values.
static void check_fused(const char *level) {
    const int nx = (int)(NE / BS);
    const std::vector<float> XX(X.begin(), X.begin() + (size_t)BS * nx);
    for (int input = 0; input <= 1; input++) {
        const std::vector<float> &in = input ? XX : XS;
        const int N = input ? nx : NS;
        for (int with_bias = 0; with_bias <= 1; with_bias++) {
            size_t n = in.size();
            std::vector<float> p(n), s(n), q = in, t(n);
            CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, OFFSET, in.data(), with_bias ? BIAS.data() : nullptr, p.data(),
                                             s.data(), BS, N));
            if (with_bias) CHECK_OK(dbn4j_add_row_bias(q.data(), BIAS.data(), BS, N));
            CHECK_OK(dbn4j_sigmoid_forward(q.data(), q.data(), (int64_t)n));
            CHECK_OK(dbn4j_random_bernoulli(SEED, OFFSET, q.data(), t.data(), (int64_t)n));
            CHECK_MSG(memcmp(p.data(), q.data(), 4 * n) == 0, "%s: fused p != composition (input %d, bias %d)", level,
                      input, with_bias);
            CHECK_MSG(memcmp(s.data(), t.data(), 4 * n) == 0, "%s: fused s != composition (input %d, bias %d)", level,
                      input, with_bias);
        }
    }
}

// In-place calls (the aliasing the header allows) equal out-of-place ones.
static void check_in_place(const char *level) {
    std::vector<float> a(NE), b;
    auto same = [](const std::vector<float> &u, const std::vector<float> &v) {
        return u.size() == v.size() && memcmp(u.data(), v.data(), 4 * u.size()) == 0;
    };
    CHECK_OK(dbn4j_sigmoid_forward(X.data(), a.data(), NE));
    b = X;
    CHECK_OK(dbn4j_sigmoid_forward(b.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: sigmoid in place", level);
    CHECK_OK(dbn4j_tanh_forward(X.data(), a.data(), NE));
    b = X;
    CHECK_OK(dbn4j_tanh_forward(b.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: tanh in place", level);
    CHECK_OK(dbn4j_sigmoid_backward(Y01.data(), DY.data(), a.data(), NE));
    b = DY;
    CHECK_OK(dbn4j_sigmoid_backward(Y01.data(), b.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: sigmoid_backward dx == dy", level);
    b = Y01;
    CHECK_OK(dbn4j_sigmoid_backward(b.data(), DY.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: sigmoid_backward dx == y", level);
    CHECK_OK(dbn4j_relu_backward(X.data(), DY.data(), a.data(), NE));
    b = DY;
    CHECK_OK(dbn4j_relu_backward(X.data(), b.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: relu_backward dx == dy", level);

    CHECK_OK(dbn4j_softmax_forward(ZR.data(), a.data(), BR, KR));
    a.resize(ZR.size());
    b = ZR;
    CHECK_OK(dbn4j_softmax_forward(b.data(), b.data(), BR, KR));
    CHECK_MSG(same(a, b), "%s: softmax in place", level);
    CHECK_OK(dbn4j_log_softmax_forward(ZR.data(), a.data(), BR, KR));
    b = ZR;
    CHECK_OK(dbn4j_log_softmax_forward(b.data(), b.data(), BR, KR));
    CHECK_MSG(same(a, b), "%s: log_softmax in place", level);

    std::vector<float> p(ZR.size()), dz(ZR.size());
    double l1 = 0, l2 = 0;
    CHECK_OK(dbn4j_softmax_cross_entropy(ZR.data(), TR.data(), p.data(), dz.data(), BR, KR, &l1));
    std::vector<float> z2 = ZR, t2 = TR;   // p over z, dz over t
    CHECK_OK(dbn4j_softmax_cross_entropy(z2.data(), t2.data(), z2.data(), t2.data(), BR, KR, &l2));
    CHECK_MSG(same(p, z2) && same(dz, t2) && memcmp(&l1, &l2, 8) == 0, "%s: softmax_cross_entropy p == z, dz == t", level);
    z2 = ZR;
    t2 = TR;   // p over t, dz over z
    CHECK_OK(dbn4j_softmax_cross_entropy(z2.data(), t2.data(), t2.data(), z2.data(), BR, KR, &l2));
    CHECK_MSG(same(p, t2) && same(dz, z2) && memcmp(&l1, &l2, 8) == 0, "%s: softmax_cross_entropy p == t, dz == z", level);
    CHECK_OK(dbn4j_sigmoid_cross_entropy(ZR.data(), TB.data(), p.data(), dz.data(), BR, KR, &l1));
    z2 = ZR;
    CHECK_OK(dbn4j_sigmoid_cross_entropy(z2.data(), TB.data(), z2.data(), dz.data(), BR, KR, &l2));
    CHECK_MSG(same(p, z2) && memcmp(&l1, &l2, 8) == 0, "%s: sigmoid_cross_entropy p == z", level);
    CHECK_OK(dbn4j_squared_error(ZR.data(), TB.data(), dz.data(), BR, KR, &l1));
    z2 = ZR;
    CHECK_OK(dbn4j_squared_error(z2.data(), TB.data(), z2.data(), BR, KR, &l2));
    CHECK_MSG(same(dz, z2) && memcmp(&l1, &l2, 8) == 0, "%s: squared_error dy == y", level);

    a = W0;
    CHECK_OK(dbn4j_axpy(0.5f, a.data(), a.data(), NE));
    b = W0;
    std::vector<float> c = W0;
    CHECK_OK(dbn4j_axpy(0.5f, c.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: axpy y == x", level);

    CHECK_OK(dbn4j_random_bernoulli(SEED, OFFSET, P01.data(), a.data(), NE));
    b = P01;
    CHECK_OK(dbn4j_random_bernoulli(SEED, OFFSET, b.data(), b.data(), NE));
    CHECK_MSG(same(a, b), "%s: random_bernoulli out == p", level);
    CHECK_OK(dbn4j_random_gaussian(SEED, OFFSET, MEAN.data(), 0.1f, a.data(), NE));
    b = MEAN;
    CHECK_OK(dbn4j_random_gaussian(SEED, OFFSET, b.data(), 0.1f, b.data(), NE));
    CHECK_MSG(same(a, b), "%s: random_gaussian out == mean", level);

    std::vector<float> sp(XS.size()), ss(XS.size()), ss2(XS.size());
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, OFFSET, XS.data(), BIAS.data(), sp.data(), ss.data(), BS, NS));
    b = XS;
    CHECK_OK(dbn4j_sigmoid_bernoulli(SEED, OFFSET, b.data(), BIAS.data(), b.data(), ss2.data(), BS, NS));
    CHECK_MSG(same(sp, b) && same(ss, ss2), "%s: sigmoid_bernoulli p == x", level);
}

// Several caller threads share the pool (one region at a time, the others run inline) while another thread
// resizes it: every result still equals the reference.
static void check_concurrent_callers() {
    std::vector<float> ref(NE);
    CHECK_OK(dbn4j_sigmoid_forward(X.data(), ref.data(), NE));
    CHECK_OK(dbn4j_set_num_threads(2));
    int bad[3] = {0, 0, 0};
    std::vector<std::thread> callers;
    for (int c = 0; c < 3; c++)
        callers.emplace_back([&, c] {
            std::vector<float> out(NE);
            for (int it = 0; it < 20; it++) {
                if (c == 2) dbn4j_set_num_threads(1 + it % 3);
                bad[c] += dbn4j_sigmoid_forward(X.data(), out.data(), NE) != DBN4J_OK ||
                          memcmp(out.data(), ref.data(), 4 * NE) != 0;
            }
        });
    for (auto &t : callers) t.join();
    CHECK_MSG(bad[0] + bad[1] + bad[2] == 0, "concurrent callers: %d bad results", bad[0] + bad[1] + bad[2]);
    CHECK_OK(dbn4j_set_num_threads(1));
}

int main() {
    make_inputs();
    CHECK_OK(dbn4j_isa_force(DBN4J_ISA_SCALAR));
    CHECK_OK(dbn4j_set_num_threads(1));
    std::vector<Result> ref = run_all();

    const int threads[] = {1, 2, 3};
    const int64_t grains[] = {0, 777};   // 0: the default (64K elements per thread)
    for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
        const char *name = dbn4j::kernels_for_level(level)->name;
        CHECK_OK(dbn4j_isa_force(level));
        CHECK(dbn4j_isa_active() == level);
        for (int t : threads)
            for (int64_t g : grains) {
                CHECK_OK(dbn4j_set_num_threads(t));
                dbn4j::set_grain_elements_for_tests(g);
                char config[96];
                snprintf(config, sizeof config, "%s, %d thread(s), grain %lld", name, t, (long long)g);
                compare(ref, run_all(), config);
                if (t == 2 && g != 0) {
                    check_in_place(config);
                    check_fused(config);
                }
            }
        CHECK_OK(dbn4j_set_num_threads(1));
        dbn4j::set_grain_elements_for_tests(0);
        check_splits(name);
        check_half_words(level);
        printf("level %s: checked\n", name);
    }
    CHECK_OK(dbn4j_isa_force(-1));
    check_concurrent_callers();
    return finish("test_isa");
}
