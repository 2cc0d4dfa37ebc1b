/*
 * Tiny test helpers shared by the native tests: CHECK macros with a failure count, a seeded generator for
 * inputs, bit casts. Each test executable ends with `return finish("name");`.
 */
#ifndef DBN4J_TEST_UTIL_H
#define DBN4J_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

#endif
