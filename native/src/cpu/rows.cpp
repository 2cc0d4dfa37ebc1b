// Row-wise helpers of the training loops: gathering rows into mini-batch order (a shuffled epoch, or one batch of
// it, from float rows or from byte codes into a palette) and the softplus row sums of the RBM free energy.
// Variants: the gathers scalar only (memory-bound); the softplus sums are the kernel table's (the log(1 + exp(-|x|))
// of the sigmoid cross-entropy loss, test_accuracy). Tested through Java (CodedRowsTest, BatchesTest; the softplus
// sums through the RBM's free energy, RbmExactTest) and test_isa.
#include "dbn4j/kernels.h"
#include "internal.h"

#include <cstring>

using dbn4j::fail;

// src is (src_rows, N), idx is (B), dst is (B, N).
extern "C" int dbn4j_gather_rows(const float *src, int src_rows, int N, const int32_t *idx, int B, float *dst) {
    if (src_rows < 0 || N < 0 || B < 0) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: negative size src_rows=%d N=%d B=%d", src_rows, N, B);
    }
    if (B == 0 || N == 0) {
        return DBN4J_OK;
    }
    if (src == nullptr || idx == nullptr || dst == nullptr) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: NULL pointer (src=%p idx=%p dst=%p)", (const void *)src,
                    (const void *)idx, (void *)dst);
    }
    const char *s0 = (const char *)src, *s1 = s0 + (size_t)src_rows * N * sizeof(float);
    const char *d0 = (const char *)dst, *d1 = d0 + (size_t)B * N * sizeof(float);
    if (d0 < s1 && s0 < d1) {
        return fail(DBN4J_EINVAL, "dbn4j_gather_rows: dst overlaps src");
    }
    for (int r = 0; r < B; r++) {
        if (idx[r] < 0 || idx[r] >= src_rows) {
            return fail(DBN4J_EINVAL, "dbn4j_gather_rows: idx[%d]=%d outside [0, %d)", r, idx[r], src_rows);
        }
    }
    dbn4j::parallel_for(0, B, 1 + dbn4j::grain_elements() / N, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; r++) {
            std::memcpy(dst + r * N, src + (int64_t)idx[r] * N, (size_t)N * sizeof(float));
        }
    });
    return DBN4J_OK;
}

// src is (src_rows, N) bytes, palette 256 floats, idx (B), dst (B, N) floats.
extern "C" int dbn4j_gather_rows_u8(const uint8_t *src, int src_rows, int N, const float *palette, const int32_t *idx,
                                    int B, float *dst) {
    const char *fn = "dbn4j_gather_rows_u8";
    if (src_rows < 0 || N < 0 || B < 0) {
        return fail(DBN4J_EINVAL, "%s: negative size src_rows=%d N=%d B=%d", fn, src_rows, N, B);
    }
    if (B == 0 || N == 0) {
        return DBN4J_OK;
    }
    if (src == nullptr || palette == nullptr || idx == nullptr || dst == nullptr) {
        return fail(DBN4J_EINVAL, "%s: NULL pointer (src=%p palette=%p idx=%p dst=%p)", fn, (const void *)src,
                    (const void *)palette, (const void *)idx, (void *)dst);
    }
    const char *d0 = (const char *)dst, *d1 = d0 + (size_t)B * N * sizeof(float);
    const char *s0 = (const char *)src, *s1 = s0 + (size_t)src_rows * N;
    const char *p0 = (const char *)palette, *p1 = p0 + 256 * sizeof(float);
    if ((d0 < s1 && s0 < d1) || (d0 < p1 && p0 < d1)) {
        return fail(DBN4J_EINVAL, "%s: dst overlaps %s", fn, d0 < s1 && s0 < d1 ? "src" : "palette");
    }
    for (int r = 0; r < B; r++) {
        if (idx[r] < 0 || idx[r] >= src_rows) {
            return fail(DBN4J_EINVAL, "%s: idx[%d]=%d outside [0, %d)", fn, r, idx[r], src_rows);
        }
    }
#if DBN4J_X86_LEVELS
    // 64 codes per few byte permutes where the CPU has AVX-512 VBMI (decode_impl.inc): the same floats.
    const bool vbmi = dbn4j_isa_active() >= DBN4J_ISA_AVX512 && __builtin_cpu_supports("avx512vbmi");
#else
    const bool vbmi = false;
#endif
    dbn4j::parallel_for(0, B, 1 + dbn4j::grain_elements() / N, [&](int64_t b, int64_t e) {
#if DBN4J_X86_LEVELS
        if (vbmi) {
            dbn4j::vbmi::decode_rows_u8(src, N, palette, idx, b, e, dst);
            return;
        }
#endif
        for (int64_t r = b; r < e; r++) {
            // The next row is fetched while this one is looked up: one row at a time, the loads wait on memory
            // (100 rows of 784 from a 47 MB set: 67 us, 36 us with the prefetch, 50 us for the float rows).
            if (r + 1 < e) {
                const char *next = (const char *)(src + (int64_t)idx[r + 1] * N);
                for (int o = 0; o < N; o += 64) __builtin_prefetch(next + o);
                __builtin_prefetch(next + N - 1);
            }
            const uint8_t *s = src + (int64_t)idx[r] * N;
            float *d = dst + r * N;
            for (int c = 0; c < N; c++) d[c] = palette[s[c]];
        }
    });
    return DBN4J_OK;
}

extern "C" int dbn4j_encode_u8(const float *src, int64_t n, uint8_t *codes, float *palette, int *values) {
    const char *fn = "dbn4j_encode_u8";
    if (n < 0) {
        return fail(DBN4J_EINVAL, "%s: n=%lld < 0", fn, (long long)n);
    }
    if (values == nullptr || palette == nullptr || (n > 0 && (src == nullptr || codes == nullptr))) {
        return fail(DBN4J_EINVAL, "%s: NULL pointer (src=%p codes=%p palette=%p values=%p)", fn, (const void *)src,
                    (void *)codes, (void *)palette, (void *)values);
    }
    const char *s0 = (const char *)src, *s1 = s0 + (size_t)n * sizeof(float);
    const char *c0 = (const char *)codes, *c1 = c0 + (size_t)n;
    const char *p0 = (const char *)palette, *p1 = p0 + 256 * sizeof(float);
    if (n > 0 && ((c0 < s1 && s0 < c1) || (p0 < s1 && s0 < p1))) {
        return fail(DBN4J_EINVAL, "%s: %s overlaps src", fn, c0 < s1 && s0 < c1 ? "codes" : "palette");
    }
    // Open addressing on the bit patterns: 4096 slots for at most 256 keys, so that a key almost always sits in
    // its first slot and the probe loop's branch is predictable.
    constexpr int SLOTS = 4096;
    uint32_t keys[SLOTS];
    int16_t slot_code[SLOTS];
    for (int h = 0; h < SLOTS; h++) slot_code[h] = -1;
    for (int k = 0; k < 256; k++) palette[k] = 0.0f;
    int count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        std::memcpy(&bits, src + i, sizeof bits);
        // A full mix of the bits (murmur3's finaliser): a plain multiplicative hash put the 256 values k / 255 in
        // only 164 of the slots, and probing took most of the time (the 47 million values of Fashion-MNIST's
        // training images: 180 ms with 512 slots, 150 with 4096, 124 with this mix; their copy to the backend 96).
        uint32_t h = bits ^ (bits >> 16);
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h = (h ^ (h >> 16)) & (SLOTS - 1);
        while (slot_code[h] >= 0 && keys[h] != bits) h = (h + 1) & (SLOTS - 1);
        if (slot_code[h] < 0) {
            if (count == 256) {
                *values = -1;
                return DBN4J_OK;
            }
            keys[h] = bits;
            slot_code[h] = (int16_t)count;
            palette[count++] = src[i];
        }
        codes[i] = (uint8_t)slot_code[h];
    }
    *values = count;
    return DBN4J_OK;
}

// x is (B, N), out is (B).
extern "C" int dbn4j_softplus_row_sums(const float *x, float *out, int B, int N) {
    if (B < 0 || N < 0) {
        return fail(DBN4J_EINVAL, "dbn4j_softplus_row_sums: negative size B=%d N=%d", B, N);
    }
    if (B == 0) {
        return DBN4J_OK;
    }
    if (x == nullptr || out == nullptr) {
        return fail(DBN4J_EINVAL, "dbn4j_softplus_row_sums: NULL pointer (x=%p out=%p)", (const void *)x,
                    (void *)out);
    }
    dbn4j::kernels().softplus_row_sums(x, out, B, N);
    return DBN4J_OK;
}
