/*
 * Run-time instruction-set dispatch: picks the scalar, AVX2 or AVX-512 kernel table on first use (cpuid via
 * __builtin_cpu_supports, which also checks that the OS saves the wide registers); dbn4j_isa_force overrides it.
 * Test: ctest --test-dir <build> -R "isa|errors"
 */
#include <atomic>

#include "internal.h"

namespace dbn4j {

namespace {

int detect_level() {
#if DBN4J_X86_LEVELS
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    return avx512 ? DBN4J_ISA_AVX512 : avx2 ? DBN4J_ISA_AVX2 : DBN4J_ISA_SCALAR;
#else
    return DBN4J_ISA_SCALAR;
#endif
}

int supported_level() {
    static const int level = detect_level();
    return level;
}

// -1: not forced, use the best level.
std::atomic<int> g_forced{-1};

} // namespace

const KernelTable *kernels_for_level(int level) {
    if (level < DBN4J_ISA_SCALAR || level > supported_level()) return nullptr;
    switch (level) {
#if DBN4J_X86_LEVELS
    case DBN4J_ISA_AVX512: return &avx512::table;
    case DBN4J_ISA_AVX2: return &avx2::table;
#endif
    default: return &scalar::table;
    }
}

const KernelTable &kernels() {
    int forced = g_forced.load(std::memory_order_relaxed);
    return *kernels_for_level(forced >= 0 ? forced : supported_level());
}

} // namespace dbn4j

using namespace dbn4j;

extern "C" {

int dbn4j_isa_supported(void) { return supported_level(); }

int dbn4j_isa_active(void) {
    int forced = g_forced.load(std::memory_order_relaxed);
    return forced >= 0 ? forced : supported_level();
}

int dbn4j_isa_force(int level) {
    if (level < -1 || level > DBN4J_ISA_AVX512)
        return fail(DBN4J_EINVAL, "dbn4j_isa_force: level=%d (must be -1, 0 scalar, 1 avx2 or 2 avx512)", level);
    if (level > supported_level())
        return fail(DBN4J_EISA, "dbn4j_isa_force: level=%d not supported by this CPU (best is %d)", level,
                    supported_level());
    g_forced.store(level, std::memory_order_relaxed);
    return DBN4J_OK;
}

} // extern "C"
