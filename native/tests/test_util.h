/*
 * Tiny test helpers shared by the native tests: CHECK macros with a failure count, a seeded generator for
 * inputs, bit casts. Each test executable ends with `return finish("name");`.
 */
#ifndef DBN4J_TEST_UTIL_H
#define DBN4J_TEST_UTIL_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vector>

#include "dbn4j/kernels.h"

static int g_checks = 0, g_failed = 0;

#define CHECK(cond) CHECK_MSG(cond, "%s", #cond)
#define CHECK_MSG(cond, ...)                                                                                      \
    do {                                                                                                          \
        ++g_checks;                                                                                               \
        if (!(cond)) {                                                                                            \
            ++g_failed;                                                                                           \
            if (g_failed <= 50) {                                                                                 \
                fprintf(stderr, "%s:%d: CHECK failed: ", __FILE__, __LINE__);                                     \
                fprintf(stderr, __VA_ARGS__);                                                                     \
                fprintf(stderr, "\n");                                                                            \
            }                                                                                                     \
        }                                                                                                         \
    } while (0)
#define CHECK_OK(call)                                                                                            \
    do {                                                                                                          \
        int rc_ = (call);                                                                                         \
        CHECK_MSG(rc_ == DBN4J_OK, "%s returned %d: %s", #call, rc_, dbn4j_last_error());                        \
    } while (0)

static inline int finish(const char *name) {
    printf("%s: %d checks, %d failed\n", name, g_checks, g_failed);
    return g_failed ? 1 : 0;
}

// splitmix64: reproducible test inputs.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * (float)((next() >> 40) * 0x1p-24); }
};

static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
// How many elements of a and b (the same size) differ in their bits (a NaN's too).
static inline int differing(const std::vector<float> &a, const std::vector<float> &b) {
    int n = 0;
    for (size_t i = 0; i < a.size(); i++) n += bits_of(a[i]) != bits_of(b[i]);
    return n;
}

// Velocities for kernels.h's flush of a velocity to +0, stepped with a zero gradient by each of k_flush_momenta
// (v = momentum x v): with 0.9, to subnormals (1.08e-38, -1.17e-38, ...) or just above FLT_MIN (1.26e-38, -1.8e-38);
// with 0.5 (exact), to exactly +-FLT_MIN from +-2^-125 (kept) and to the largest subnormal 2^-126 - 2^-149 from
// 2^-125 - 2^-148 (flushed); zeros, infinities and NaN.
static const float k_flush_velocities[] = {1.2e-38f,  -1.3e-38f,          1.4e-38f,           1e-40f,   -1e-45f,
                                           FLT_MIN,   -2e-38f,            0x1p-125f,          -0x1p-125f,
                                           0x1p-125f - 0x1p-148f, -(0x1p-125f - 0x1p-148f), NAN, INFINITY, -INFINITY,
                                           0.0f,      -0.0f,              0.5f};
static const int k_flush_count = (int)(sizeof k_flush_velocities / sizeof k_flush_velocities[0]);
static const float k_flush_momenta[] = {0.9f, 0.5f};

// kernels.h's dbn4j_sgd_momentum on one parameter, its float operations in the header's order.
static inline void sgd_step_ref(float *w, float g, float *v, float lr, float momentum, float wd, int nesterov) {
    float gi = g + wd * *w;
    float vi = momentum * *v - lr * gi;
    vi = fabsf(vi) < FLT_MIN ? 0.0f : vi;
    *w = nesterov ? *w + momentum * vi - lr * gi : *w + vi;
    *v = vi;
}

// Elements of (w, v) that differ from (rw, rv) in their bits (NaNs of any payload alike).
static inline int step_differs(const float *w, const float *v, const float *rw, const float *rv, int64_t n) {
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        bool same_w = bits_of(w[i]) == bits_of(rw[i]) || (w[i] != w[i] && rw[i] != rw[i]);
        bool same_v = bits_of(v[i]) == bits_of(rv[i]) || (v[i] != v[i] && rv[i] != rv[i]);
        bad += !same_w || !same_v;
    }
    return bad;
}

// kernels.h's flush of a velocity, through one implementation of the step: step(w, v, momentum, nesterov) must
// step the k_flush_n parameters w with velocities v (k_flush_velocities over and over) by a zero gradient, lr 0.1
// and no weight decay. w and v must then equal sgd_step_ref's bit for bit, for each of k_flush_momenta, plain and
// Nesterov. k_flush_n = 7 x 37: full vectors and a tail of an elementwise kernel, full tiles and both edges of the own
// GEMM's (as a 7 x 37 matrix).
static const int k_flush_rows = 7, k_flush_cols = 37, k_flush_n = k_flush_rows * k_flush_cols;
template <class Step> void check_flush_step(const char *what, Step step) {
    float W[k_flush_n], V[k_flush_n];
    for (int e = 0; e < k_flush_n; e++) {
        V[e] = k_flush_velocities[e % k_flush_count];
        W[e] = 0.25f * (float)(e % 5);
    }
    for (int c = 0; c < 4; c++) {
        const int nesterov = c & 1;
        const float mom = k_flush_momenta[c >> 1];
        float w[k_flush_n], v[k_flush_n], rw[k_flush_n], rv[k_flush_n];
        memcpy(w, W, sizeof W), memcpy(rw, W, sizeof W), memcpy(v, V, sizeof V), memcpy(rv, V, sizeof V);
        int flushed = 0;
        for (int e = 0; e < k_flush_n; e++) {
            sgd_step_ref(&rw[e], 0.0f, &rv[e], 0.1f, mom, 0.0f, nesterov);
            flushed += rv[e] == 0.0f && V[e] != 0.0f;
        }
        CHECK_MSG(flushed > k_flush_n / 4, "the cases flush %d of %d velocities", flushed, k_flush_n);
        step(w, v, mom, nesterov);
        int bad = step_differs(w, v, rw, rv, k_flush_n);
        CHECK_MSG(bad == 0, "%s, momentum %g, nesterov %d, velocities near FLT_MIN: %d elements differ", what, mom,
                  nesterov, bad);
    }
}

#endif
