// Host buffers for dbn4j.Matrix on the CPU backend: 64-byte aligned (one cache line, one AVX-512 vector) and
// zeroed, so that every kernel sees aligned rows when the column count is a multiple of 16.
// Variants: none. Tested through Java (BackendsTest, LeakTest).
#include "dbn4j/kernels.h"
#include "internal.h"

#include <cstdlib>
#include <cstring>

using dbn4j::fail;

extern "C" int dbn4j_host_alloc(int64_t bytes, void **out) {
    if (out == nullptr) {
        return fail(DBN4J_EINVAL, "dbn4j_host_alloc: out is NULL");
    }
    *out = nullptr;
    if (bytes <= 0) {
        return fail(DBN4J_EINVAL, "dbn4j_host_alloc: bytes=%lld must be > 0", (long long)bytes);
    }
    // Round up so that aligned_alloc's size is a multiple of the alignment, as C11 requires.
    size_t size = ((size_t)bytes + 63) & ~(size_t)63;
    void *p = std::aligned_alloc(64, size);
    if (p == nullptr) {
        return fail(DBN4J_ENOMEM, "dbn4j_host_alloc: out of memory allocating %lld bytes", (long long)bytes);
    }
    std::memset(p, 0, size);
    *out = p;
    return DBN4J_OK;
}

extern "C" void dbn4j_host_free(void *p) { std::free(p); }
