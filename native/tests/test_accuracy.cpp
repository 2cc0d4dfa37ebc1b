/*
 * Accuracy: each kernel against a plain double-precision loop, with a tolerance argued from the float operations
 * the kernel performs (u = 2^-24, the unit roundoff of float). Runs at the best ISA level (test_isa shows the
 * others are bit-identical). Prints the worst error seen. Run: ctest --test-dir <build> -R accuracy
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <vector>

#include "test_util.h"

static const double U = 0x1p-24;   // float unit roundoff

// Error relative to |ref|, but never relative to less than FLT_MIN: subnormal results are judged in absolute
// terms, where float itself only resolves 2^-149.
static double rel_err(float got, double ref) {
    double scale = fabs(ref) > FLT_MIN ? fabs(ref) : FLT_MIN;
    return fabs((double)got - ref) / scale;
}

// Every float of [lo, hi] with bit-pattern stride `stride` (odd, so all mantissa patterns get visited), both signs.
static std::vector<float> sweep(float hi, uint32_t stride) {
    std::vector<float> v;
    for (uint32_t b = 0; b <= bits_of(hi); b += stride) {
        v.push_back(float_of(b));
        v.push_back(-float_of(b));
    }
    return v;
}

static void test_sigmoid_tanh() {
    // sigmoid: exp(-|x|) has error <= ~1.1 u (polynomial 3.3e-9, reduction and Horner roundings), then 1 + e and
    // the division round once each: |err| <= ~3.5 u = 2.1e-7 in the worst alignment. The header asks for ~2e-7.
    std::vector<float> x = sweep(104.0f, 97), y(x.size());
    CHECK_OK(dbn4j_sigmoid_forward(x.data(), y.data(), (int64_t)x.size()));
    double worst = 0, worst_in_90 = 0;
    for (size_t i = 0; i < x.size(); i++) {
        double ref = 1.0 / (1.0 + exp(-(double)x[i]));
        double e = rel_err(y[i], ref);
        worst = e > worst ? e : worst;
        if (fabs(x[i]) <= 90 && e > worst_in_90) worst_in_90 = e;
    }
    printf("sigmoid: max relative error %.3g (%.2f u) over [-104, 104], %zu points\n", worst, worst / U, x.size());
    CHECK_MSG(worst <= 3.5 * U, "sigmoid max relative error %.3g > 3.5 u", worst);
    CHECK_MSG(worst_in_90 <= 2.1e-7, "sigmoid max relative error %.3g on [-90, 90] > 2.1e-7", worst_in_90);

    // tanh: below 0.55 the odd polynomial (1e-9) plus ~3 roundings; above, (1 - e)/(1 + e) with e <= 1/3 costs
    // ~1.1 u of e (scaled down by e/(1-e) <= 1/2) plus three roundings: <= 3.5 u.
    x = sweep(12.0f, 61);
    y.resize(x.size());
    CHECK_OK(dbn4j_tanh_forward(x.data(), y.data(), (int64_t)x.size()));
    worst = 0;
    for (size_t i = 0; i < x.size(); i++) {
        double e = rel_err(y[i], tanh((double)x[i]));
        worst = e > worst ? e : worst;
    }
    printf("tanh: max relative error %.3g (%.2f u) over [-12, 12], %zu points\n", worst, worst / U, x.size());
    CHECK_MSG(worst <= 3.5 * U, "tanh max relative error %.3g > 3.5 u", worst);

    // Special values: NaN in, NaN out; infinities saturate; the sign of zero survives tanh.
    const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1000.0f, -1000.0f};
    float s[7], t[7], r[7];
    CHECK_OK(dbn4j_sigmoid_forward(sp, s, 7));
    CHECK_OK(dbn4j_tanh_forward(sp, t, 7));
    CHECK_OK(dbn4j_relu_forward(sp, r, 7));
    CHECK(isnan(s[0]) && isnan(t[0]) && isnan(r[0]));
    CHECK(s[1] == 1.0f && s[2] == 0.0f && s[3] == 0.5f && s[4] == 0.5f && s[5] == 1.0f && s[6] == 0.0f);
    CHECK(t[1] == 1.0f && t[2] == -1.0f && bits_of(t[3]) == 0 && bits_of(t[4]) == 0x80000000u);
    CHECK(t[5] == 1.0f && t[6] == -1.0f);
    CHECK(r[1] == INFINITY && r[2] == 0.0f && r[5] == 1000.0f && r[6] == 0.0f);
}

static void test_backward() {
    // Each backward formula is two or three float roundings of its double value: <= 3 u, except where 1 - y
    // cancels: it is exact (Sterbenz) for y in [0.5, 1], and 1 - y*y for tanh loses nothing extra beyond y*y's
    // rounding, amplified by y^2/(1-y^2); test y with |y| <= 0.9 where that factor is <= 4.3.
    Rng rng(5);
    const int64_t n = 100000;
    std::vector<float> y(n), dy(n), a(n), b(n), c(n);
    for (int64_t i = 0; i < n; i++) {
        y[i] = rng.uniform(-0.9f, 0.9f);
        dy[i] = rng.uniform(-2, 2);
    }
    CHECK_OK(dbn4j_sigmoid_backward(y.data(), dy.data(), a.data(), n));
    CHECK_OK(dbn4j_tanh_backward(y.data(), dy.data(), b.data(), n));
    CHECK_OK(dbn4j_relu_backward(y.data(), dy.data(), c.data(), n));
    double ws = 0, wt = 0;
    for (int64_t i = 0; i < n; i++) {
        double yi = y[i], gi = dy[i];
        double es = rel_err(a[i], gi * yi * (1 - yi)), et = rel_err(b[i], gi * (1 - yi * yi));
        ws = es > ws ? es : ws;
        wt = et > wt ? et : wt;
        CHECK_MSG(c[i] == (y[i] > 0 ? dy[i] : 0.0f), "relu_backward at %lld", (long long)i);
    }
    printf("sigmoid_backward: %.2f u, tanh_backward: %.2f u\n", ws / U, wt / U);
    CHECK_MSG(ws <= 3 * U, "sigmoid_backward error %.3g", ws);
    CHECK_MSG(wt <= (2 + 4.3) * U, "tanh_backward error %.3g", wt);
}

// Double reference of softmax / log-softmax / cross-entropy rows.
static void test_softmax_and_losses() {
    Rng rng(9);
    const int B = 64, K = 100;
    std::vector<float> z(B * K), t(B * K), tb(B * K), p(B * K), lp(B * K), p2(B * K), dz(B * K);
    for (int r = 0; r < B; r++) {
        float spread = r % 4 == 0 ? 80.0f : 8.0f;
        double tsum = 0;
        for (int k = 0; k < K; k++) {
            z[r * K + k] = rng.uniform(-spread, spread);
            t[r * K + k] = rng.uniform(0, 1);
            tsum += t[r * K + k];
            tb[r * K + k] = rng.uniform(0, 1);
        }
        for (int k = 0; k < K; k++) t[r * K + k] = (float)(t[r * K + k] / tsum);
    }
    CHECK_OK(dbn4j_softmax_forward(z.data(), p.data(), B, K));
    CHECK_OK(dbn4j_log_softmax_forward(z.data(), lp.data(), B, K));
    double loss = 0;
    CHECK_OK(dbn4j_softmax_cross_entropy(z.data(), t.data(), p2.data(), dz.data(), B, K, &loss));

    // softmax: each exp ~1.1 u, the float sum of K terms <= (K - 1) u (recursive summation bound), one division:
    // relative error <= (K + 2) u. log-softmax: absolute error <= (K + 2) u from log s, plus the roundings of
    // x - m, of log s to float and of the difference, each relative to its own magnitude (<= 3 u |y|).
    double wp = 0, wl = 0, ref_loss = 0, wdz = 0;
    for (int r = 0; r < B; r++) {
        double m = -INFINITY, s = 0;
        for (int k = 0; k < K; k++) m = fmax(m, (double)z[r * K + k]);
        for (int k = 0; k < K; k++) s += exp((double)z[r * K + k] - m);
        for (int k = 0; k < K; k++) {
            int i = r * K + k;
            double pr = exp((double)z[i] - m) / s, lr = ((double)z[i] - m) - log(s);
            double ep = rel_err(p[i], pr), el = fabs(lp[i] - lr) / ((K + 2) * U + 3 * U * fabs(lr));
            wp = ep > wp ? ep : wp;
            wl = el > wl ? el : wl;
            ref_loss -= (double)t[i] * lr;
            // dz = (p - t)/B: p's error (K + 2) u |p| plus two roundings relative to |p - t|.
            double edz = fabs(dz[i] - (pr - t[i]) / B) / (((K + 2) * U * pr + 2 * U * fabs(pr - t[i])) / B + 1e-45);
            wdz = edz > wdz ? edz : wdz;
        }
    }
    ref_loss /= B;
    printf("softmax: %.2f u (bound %d u), log_softmax: %.2f of bound, softmax_xent dz: %.2f of bound\n", wp / U,
           K + 2, wl, wdz);
    CHECK_MSG(wp <= (K + 2) * U, "softmax error %.3g", wp);
    CHECK_MSG(wl <= 1.0, "log_softmax error %.3g of its bound", wl);
    CHECK_MSG(wdz <= 1.0, "softmax_cross_entropy dz error %.3g of its bound", wdz);
    CHECK_MSG(memcmp(p.data(), p2.data(), 4 * p.size()) == 0, "softmax_cross_entropy p != softmax_forward");
    // The loss uses log-softmax in double but the float sum s: each row is off by at most (K + 2) u (targets sum
    // to 1 per row), so the mean is too.
    CHECK_MSG(fabs(loss - ref_loss) <= (K + 2) * U, "softmax_cross_entropy loss %.17g vs %.17g", loss, ref_loss);

    // Sigmoid cross-entropy: the loss is computed in double from the float inputs, so it must match a double
    // reference to double precision; p is the sigmoid kernel (3.5 u), dz two more roundings.
    CHECK_OK(dbn4j_sigmoid_cross_entropy(z.data(), tb.data(), p.data(), dz.data(), B, K, &loss));
    double ref = 0, wsp = 0, wsd = 0;
    for (int i = 0; i < B * K; i++) {
        double zi = z[i], ti = tb[i];
        ref += log(1 + exp(zi)) - zi * ti;   // safe in double for |z| <= 80
        double pr = 1 / (1 + exp(-zi));
        double ep = rel_err(p[i], pr);
        wsp = ep > wsp ? ep : wsp;
        double ed = fabs(dz[i] - (pr - ti) / B) / ((3.5 * U * pr + 2 * U * fabs(pr - ti)) / B + 1e-45);
        wsd = ed > wsd ? ed : wsd;
    }
    ref /= B;
    CHECK_MSG(fabs(loss - ref) <= 1e-12 * fabs(ref), "sigmoid_cross_entropy loss %.17g vs %.17g", loss, ref);
    CHECK_MSG(wsp <= 3.5 * U, "sigmoid_cross_entropy p error %.3g", wsp);
    CHECK_MSG(wsd <= 1.0, "sigmoid_cross_entropy dz error %.3g of its bound", wsd);

    // Squared error: the loss is summed in double from exact differences (double-precision agreement); dy is
    // two roundings.
    CHECK_OK(dbn4j_squared_error(z.data(), tb.data(), dz.data(), B, K, &loss));
    ref = 0;
    double wd = 0;
    for (int i = 0; i < B * K; i++) {
        double d = (double)z[i] - tb[i];
        ref += d * d;
        double e = rel_err(dz[i], d / B);
        wd = e > wd ? e : wd;
    }
    ref /= 2.0 * B;
    CHECK_MSG(fabs(loss - ref) <= 1e-12 * ref, "squared_error loss %.17g vs %.17g", loss, ref);
    CHECK_MSG(wd <= 2 * U, "squared_error dy error %.3g", wd);

    // Extreme logits stay finite: a row of huge values, and masked classes at -inf with zero target.
    float zx[4] = {1e30f, -1e30f, 3e38f, -INFINITY}, tx[4] = {0, 0, 1, 0}, px[4];
    CHECK_OK(dbn4j_softmax_cross_entropy(zx, tx, px, nullptr, 1, 4, &loss));
    CHECK_MSG(isfinite(loss) && loss == 0.0 && px[2] == 1.0f && px[3] == 0.0f, "extreme logits: loss %g", loss);
    float zs[3] = {200.0f, -200.0f, 0.0f}, ts[3] = {1, 0, 0.5f};
    CHECK_OK(dbn4j_sigmoid_cross_entropy(zs, ts, nullptr, nullptr, 1, 3, &loss));
    CHECK_MSG(fabs(loss - log(2.0)) < 1e-15 + 2 * exp(-200.0), "sigmoid_cross_entropy extreme logits: %.17g", loss);

    // The loss's own log(1 + exp(-|z|)) term against libm's in long double, one element at a time (z = -a and t = 0
    // leave only that term): a from 0 to 200 in steps of 2^-10, the subnormal range of exp(-a) and beyond. Normal
    // results within 4 units of 2^-53, subnormal ones within one unit of the last place (2^-1074).
    double worst = 0;
    float aw = 0;
    std::vector<float> as;
    for (int i = 0; i <= 200 * 1024; i++) as.push_back((float)i * 0x1p-10f);
    for (float a : {1e-30f, 1e-7f, 0.34657359f, 0.88137359f, 700.0f, 708.5f, 720.0f, 744.4f, 745.2f, 746.0f, 746.5f,
                    1e4f, 3e38f})
        as.push_back(a);
    for (float a : as) {
        float zt[1] = {-a}, tt[1] = {0};
        CHECK_OK(dbn4j_sigmoid_cross_entropy(zt, tt, nullptr, nullptr, 1, 1, &loss));
        long double r = log1pl(expl(-(long double)a));   // x87: 11 bits more than double
        double err = (double)fabsl((long double)loss - r);
        double e = r > DBL_MIN ? err / ((double)r * 0x1p-53) : (err > 0x1p-1074 ? 1e9 : 0);
        if (e > worst) worst = e, aw = a;
    }
    printf("sigmoid_xent log1p(exp(-a)) term: worst %.2f units of 2^-53 (a = %.9g), %zu values\n", worst, aw,
           as.size());
    CHECK_MSG(worst <= 4, "sigmoid_cross_entropy log1p(exp(-a)) term: %.2f units of 2^-53 at a = %.9g", worst, aw);
    float zn[2] = {NAN, 1.0f}, tn[2] = {0, 1};
    CHECK_OK(dbn4j_sigmoid_cross_entropy(zn, tn, nullptr, nullptr, 1, 2, &loss));
    CHECK_MSG(isnan(loss), "sigmoid_cross_entropy of a NaN logit: %g", loss);

    // Softplus row sums (the RBM free energy's hidden term) share that term: each row's sum in double, rounded to
    // float once, so within half a float ulp (U relative) of the long double sum, here over rows of 700 values
    // in [-60, 60] (positive and negative sums, some rows near zero at the start).
    const int SB = 9, SN = 700;
    std::vector<float> sx((size_t)SB * SN), sp(SB);
    Rng srng(29);
    for (int r = 0; r < SB; r++)
        for (int c = 0; c < SN; c++) sx[(size_t)r * SN + c] = r < 2 ? srng.uniform(-60, -20) : srng.uniform(-60, 60);
    CHECK_OK(dbn4j_softplus_row_sums(sx.data(), sp.data(), SB, SN));
    double wsp_rows = 0;
    for (int r = 0; r < SB; r++) {
        long double ref_r = 0;
        for (int c = 0; c < SN; c++) {
            long double v = sx[(size_t)r * SN + c];
            ref_r += (v > 0 ? v : 0) + log1pl(expl(-fabsl(v)));
        }
        double e = rel_err(sp[r], (double)ref_r);
        wsp_rows = e > wsp_rows ? e : wsp_rows;
    }
    printf("softplus_row_sums: %.3f u\n", wsp_rows / U);
    CHECK_MSG(wsp_rows <= U * (1 + 1e-9), "softplus_row_sums error %.3g", wsp_rows);
}

// A loss gradient below FLT_MIN becomes +0 (kernels.h) at every kernel level, p keeping its subnormals: rows of
// logits (0, -d) with one-hot targets on column 0 over B = 1000 rows give column 1 p ~ e^-d and dz = p / B, so
// d = 90 makes p and dz subnormal (dz flushed), d = 80 a normal dz (kept) and d = 81 a normal p with a subnormal dz
// (flushed); the sigmoid of -d likewise. Each with p written and without.
static void test_loss_gradient_flush() {
    const int B = 1000;
    int flushed = 0, kept = 0;
    for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
        CHECK_OK(dbn4j_isa_force(level));
        for (float d : {90.0f, 80.0f, 81.0f})
            for (int sigmoid = 0; sigmoid <= 1; sigmoid++) {
                std::vector<float> z(2 * B), t(2 * B), p(2 * B), dz(2 * B), dz2(2 * B);
                for (int r = 0; r < B; r++) z[2 * r] = 0.0f, z[2 * r + 1] = -d, t[2 * r] = 1.0f, t[2 * r + 1] = 0.0f;
                double loss;
                auto ce = sigmoid ? dbn4j_sigmoid_cross_entropy : dbn4j_softmax_cross_entropy;
                CHECK_OK(ce(z.data(), t.data(), p.data(), dz.data(), B, 2, &loss));
                CHECK_OK(ce(z.data(), t.data(), nullptr, dz2.data(), B, 2, &loss));
                float unflushed = (p[1] - 0.0f) / (float)B;   // the kernel's float operations
                bool sub = fabsf(unflushed) < FLT_MIN;
                float want = sub ? 0.0f : unflushed;
                int bad = 0;
                for (int r = 0; r < B; r++) {
                    bad += bits_of(dz[2 * r + 1]) != bits_of(want) || bits_of(dz2[2 * r + 1]) != bits_of(want);
                    bad += p[2 * r + 1] != p[1];
                }
                CHECK_MSG(bad == 0 && p[1] > 0.0f && unflushed > 0.0f,
                          "%s cross-entropy at level %d, logit -%g: p %g, dz %g (want %g), %d rows differ",
                          sigmoid ? "sigmoid" : "softmax", level, d, p[1], dz[1], want, bad);
                if (d == 90.0f) CHECK_MSG(p[1] < FLT_MIN, "p of logit -90 is %g, not subnormal", p[1]);
                flushed += sub, kept += !sub;
            }
    }
    CHECK_OK(dbn4j_isa_force(-1));
    CHECK_MSG(flushed > 0 && kept > 0, "loss flush cases: %d flushed, %d kept", flushed, kept);
}

static void test_blas1_and_sums() {
    Rng rng(11);
    // column sums: double accumulation of B terms (relative 2^-53 each, negligible) and one final rounding:
    // error <= u |ref| + B 2^-53 sum |x|.
    const int B = 300, N = 517;
    std::vector<float> x(B * N), out(N), out0(N);
    for (auto &v : x) v = rng.uniform(-1, 1) * (rng.next() % 4 == 0 ? 1e5f : 1.0f);
    for (int j = 0; j < N; j++) out0[j] = out[j] = rng.uniform(-1, 1);
    CHECK_OK(dbn4j_column_sums(x.data(), out.data(), B, N, 0.5f, 2.0f));
    double worst = 0;
    for (int j = 0; j < N; j++) {
        double s = 0, sa = 0;
        for (int r = 0; r < B; r++) {
            s += x[r * N + j];
            sa += fabs(x[r * N + j]);
        }
        double ref = 0.5 * s + 2.0 * out0[j];
        double e = fabs(out[j] - ref) / (U * fabs(ref) + B * 0x1p-53 * (0.5 * sa + 2 * fabs(out0[j])) + 1e-300);
        worst = e > worst ? e : worst;
    }
    CHECK_MSG(worst <= 1.0, "column_sums error %.3g of bound", worst);
    // ... and bit for bit the order of kernels.h (the GPU's too): chunks of DBN4J_COLUMN_SUM_CHUNK rows summed in
    // order from 0 in double, the chunk sums added in order. A third of the terms are +-2^60 and the rest below 2^20,
    // so that what a sum keeps of the small terms depends on where the large ones come and go: another order shows
    // after the rounding to float. 203 rows: a last chunk of 11 (not a multiple of the four rows the kernel takes
    // per pass); 517 columns: two blocks of 256 and 5.
    std::vector<float> xw(x.size());
    for (auto &v : xw)
        v = rng.next() % 3 == 0 ? (rng.next() % 2 ? 0x1p60f : -0x1p60f) : ldexpf(rng.uniform(-1, 1), (int)(rng.next() % 20));
    for (int rows : {203, 64, 3}) {
        out0 = out; // the beta term: the previous call's sums
        CHECK_OK(dbn4j_column_sums(xw.data(), out.data(), rows, N, -0.75f, 0.5f));
        int bad = 0;
        for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int r0 = 0; r0 < rows; r0 += DBN4J_COLUMN_SUM_CHUNK) {
                double part = 0;
                for (int r = r0; r < rows && r < r0 + DBN4J_COLUMN_SUM_CHUNK; r++) part += xw[r * N + j];
                acc += part;
            }
            float ref = (float)(-0.75 * acc + 0.5 * (double)out0[j]);
            bad += memcmp(&ref, &out[j], 4) != 0;
        }
        CHECK_MSG(bad == 0, "column_sums of %d rows: %d columns differ from the order of kernels.h", rows, bad);
    }
    std::vector<float> nan_out(N, NAN);
    CHECK_OK(dbn4j_column_sums(x.data(), nan_out.data(), B, N, 1.0f, 0.0f));
    bool finite = true;
    for (float v : nan_out) finite = finite && isfinite(v);
    CHECK_MSG(finite, "column_sums with beta = 0 must not read out");

    // axpy, scale, sgd_momentum: the header's float formulas, evaluated here in the same order, match bit for bit.
    const int64_t n = 10007;
    std::vector<float> a(n), g(n), v(n), w(n);
    for (int64_t i = 0; i < n; i++) {
        a[i] = rng.uniform(-1, 1);
        g[i] = rng.uniform(-1, 1);
        v[i] = rng.uniform(-0.1f, 0.1f);
        w[i] = rng.uniform(-1, 1);
    }
    std::vector<float> y = w;
    CHECK_OK(dbn4j_axpy(0.3f, a.data(), y.data(), n));
    int bad = 0;
    for (int64_t i = 0; i < n; i++) bad += y[i] != w[i] + 0.3f * a[i];
    CHECK_MSG(bad == 0, "axpy: %d differ", bad);
    y = a;
    CHECK_OK(dbn4j_scale(-2.5f, y.data(), n));
    bad = 0;
    for (int64_t i = 0; i < n; i++) bad += y[i] != -2.5f * a[i];
    CHECK_MSG(bad == 0, "scale: %d differ", bad);
    for (int nesterov = 0; nesterov <= 1; nesterov++) {
        std::vector<float> ww = w, vv = v;
        const float lr = 0.05f, mu = 0.9f, wd = 5e-4f;
        CHECK_OK(dbn4j_sgd_momentum(ww.data(), g.data(), vv.data(), n, lr, mu, wd, nesterov));
        std::vector<float> rw = w, rv = v;
        for (int64_t i = 0; i < n; i++) sgd_step_ref(&rw[i], g[i], &rv[i], lr, mu, wd, nesterov);
        bad = step_differs(ww.data(), vv.data(), rw.data(), rv.data(), n);
        CHECK_MSG(bad == 0, "sgd_momentum (nesterov %d): %d differ", nesterov, bad);
    }
    // A velocity that the step leaves subnormal becomes +0, at every kernel level; FLT_MIN itself stays.
    for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
        char what[64];
        snprintf(what, sizeof what, "sgd_momentum at level %d", level);
        CHECK_OK(dbn4j_isa_force(level));
        check_flush_step(what, [](float *fw, float *fv, float mom, int nesterov) {
            static const float zeros[k_flush_n] = {};
            CHECK_OK(dbn4j_sgd_momentum(fw, zeros, fv, k_flush_n, 0.1f, mom, 0.0f, nesterov));
        });
        CHECK_OK(dbn4j_isa_force(-1));
    }
    // add_row_bias is one float add per element.
    std::vector<float> xb(6 * 5), bb(5);
    for (auto &q : xb) q = rng.uniform(-1, 1);
    for (auto &q : bb) q = rng.uniform(-1, 1);
    std::vector<float> xc = xb;
    CHECK_OK(dbn4j_add_row_bias(xc.data(), bb.data(), 6, 5));
    bad = 0;
    for (int i = 0; i < 30; i++) bad += xc[i] != xb[i] + bb[i % 5];
    CHECK_MSG(bad == 0, "add_row_bias: %d differ", bad);
    // bias_sigmoid is add_row_bias then sigmoid_forward, bit for bit: rows of 784 (chunks of the AVX2 passes and
    // a tail), 37 (one 16-block pass and a tail) and 5 (tail only), values past +-90 and a NaN among them.
    for (int N : {784, 37, 5}) {
        const int B = 7;
        std::vector<float> xs(B * N), bs(N);
        for (auto &q : xs) q = rng.uniform(-12, 12);
        for (auto &q : bs) q = rng.uniform(-2, 2);
        xs[3] = 95.0f, xs[4] = -120.0f, xs[B * N - 1] = NAN;
        std::vector<float> two = xs, one = xs;
        CHECK_OK(dbn4j_add_row_bias(two.data(), bs.data(), B, N));
        CHECK_OK(dbn4j_sigmoid_forward(two.data(), two.data(), (int64_t)B * N));
        CHECK_OK(dbn4j_bias_sigmoid(one.data(), bs.data(), B, N));
        CHECK_MSG(memcmp(one.data(), two.data(), one.size() * 4) == 0, "bias_sigmoid N=%d differs from add_row_bias + "
                  "sigmoid_forward", N);
    }
}

static void test_random() {
    const int64_t n = 1 << 20;
    const uint64_t seed = 77, off = 12345;
    std::vector<uint32_t> w(2 * n);
    std::vector<float> u(n), bern(n), p(n), gz(n);
    CHECK_OK(dbn4j_random_bits(seed, off, w.data(), 2 * n));
    CHECK_OK(dbn4j_random_uniform(seed, off, u.data(), n));
    for (int64_t i = 0; i < n; i++) p[i] = (float)(i % 1000) / 1000.0f;
    CHECK_OK(dbn4j_random_bernoulli(seed, off, p.data(), bern.data(), n));
    CHECK_OK(dbn4j_random_gaussian(seed, off, nullptr, 1.0f, gz.data(), n));
    int bad_u = 0, bad_b = 0;
    double sum_u = 0, sum_b = 0, sum_p = 0;
    for (int64_t i = 0; i < n; i++) {
        float ui = (float)(w[i] >> 8) * 0x1p-24f;
        bad_u += u[i] != ui;
        // Bernoulli: half word 2 off + i = the little-endian uint16 i of the words from off.
        uint32_t wb = w[i / 2];
        float hb = (float)(i & 1 ? wb >> 16 : wb & 0xffffu) * 0x1p-16f;
        bad_b += bern[i] != (hb < p[i] ? 1.0f : 0.0f);
        sum_u += u[i];
        sum_b += bern[i];
        sum_p += p[i];
    }
    CHECK_MSG(bad_u == 0 && bad_b == 0, "uniform/bernoulli formulas: %d, %d differ", bad_u, bad_b);
    // Means within 5 standard errors (uniform: 1/sqrt(12 n); bernoulli: <= 0.5/sqrt(n)).
    CHECK_MSG(fabs(sum_u / n - 0.5) < 5 / sqrt(12.0 * n), "uniform mean %.6f", sum_u / n);
    CHECK_MSG(fabs(sum_b - sum_p) / n < 5 * 0.5 / sqrt((double)n), "bernoulli mean %.6f vs %.6f", sum_b / n,
              sum_p / n);

    // Gaussian vs Box-Muller in double from the same words: ln u1 and cos are each within ~1.5 u of their own
    // magnitude, sqrt halves the log's relative error; the product rounds once: |err| <= 4 u |rad| where
    // rad = sqrt(-2 ln u1) bounds |z|.
    double worst = 0, m1 = 0, m2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double u1 = ((w[2 * i] >> 8) + 1) * 0x1p-24, u2 = (w[2 * i + 1] >> 8) * 0x1p-24;
        double rad = sqrt(-2 * log(u1)), ref = rad * cos(2 * M_PI * u2);
        double e = fabs(gz[i] - ref) / (U * rad + 1e-300);
        worst = e > worst ? e : worst;
        m1 += gz[i];
        m2 += (double)gz[i] * gz[i];
    }
    printf("gaussian: max error %.2f u of sqrt(-2 ln u1); mean %.5f, variance %.5f\n", worst, m1 / n, m2 / n);
    CHECK_MSG(worst <= 4.0, "gaussian error %.3g u", worst);
    CHECK_MSG(fabs(m1 / n) < 5 / sqrt((double)n), "gaussian mean %.6f", m1 / n);
    CHECK_MSG(fabs(m2 / n - 1) < 5 * sqrt(2.0 / n), "gaussian variance %.6f", m2 / n);
    std::vector<float> mean(n, 3.0f), g2(n);
    CHECK_OK(dbn4j_random_gaussian(seed, off, mean.data(), 0.5f, g2.data(), n));
    int bad = 0;
    for (int64_t i = 0; i < n; i++) bad += g2[i] != 3.0f + 0.5f * gz[i];
    CHECK_MSG(bad == 0, "gaussian mean + stddev * z: %d differ", bad);
}

int main() {
    printf("ISA level %d\n", dbn4j_isa_active());
    test_sigmoid_tanh();
    test_backward();
    test_softmax_and_losses();
    test_loss_gradient_flush();
    test_blas1_and_sums();
    test_random();
    return finish("test_accuracy");
}
