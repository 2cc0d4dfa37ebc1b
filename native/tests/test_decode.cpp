/*
 * dbn4j_gather_rows_u8 (byte codes to floats through a palette) against a plain loop, bit for bit: through the C API
 * at every kernel level of this CPU (the scalar lookup, and the VBMI build at AVX-512), the AVX-512 VBMI build directly where the CPU has VBMI, and, where SIMDe is
 * installed, the same source emulated (so that a CPU without VBMI still checks it). Palettes hold NaNs with
 * payloads, both zeros, subnormals and infinities; row lengths around the 64-code step.
 * Run: ctest --test-dir <build> -R decode
 */
#if defined(DBN4J_SIMDE_AVX512)
#define DBN4J_ISA_NS vbmiemu
#include "decode_impl.inc"
#endif

#include <string.h>

#include <algorithm>
#include <vector>

#include "dbn4j/kernels.h"
#include "internal.h"
#include "test_util.h"

namespace {

using Decode = void (*)(const uint8_t *, int, const float *, const int32_t *, int64_t, int64_t, float *);

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && memcmp(a.data(), b.data(), 4 * a.size()) == 0;
}

} // namespace

int main() {
    Rng rng(41);
    std::vector<Decode> direct;
    std::vector<const char *> names;
#if DBN4J_X86_LEVELS
    if (__builtin_cpu_supports("avx512vbmi")) {
        direct.push_back(dbn4j::vbmi::decode_rows_u8);
        names.push_back("vbmi");
    } else {
        printf("note: no AVX-512 VBMI on this CPU: its build is not run here\n");
    }
#endif
#if defined(DBN4J_SIMDE_AVX512)
    direct.push_back(dbn4j::vbmiemu::decode_rows_u8);
    names.push_back("vbmi emulated");
#endif
    const int src_rows = 300;
    for (int N : {1, 15, 63, 64, 65, 128, 200, 784, 785}) {
        std::vector<uint8_t> src((size_t)src_rows * N);
        for (auto &c : src) c = (uint8_t)(rng.next() >> 56);
        std::vector<float> palette(256);
        for (int k = 0; k < 256; k++) palette[k] = rng.uniform(-3, 3);
        const uint32_t special_bits[] = {0x7fc00001u, 0xffa00000u, 0x7f800000u, 0xff800000u, 0x80000000u,
                                         0x00000000u, 0x00000001u, 0x807fffffu, 0x3f800000u, 0x7f7fffffu};
        for (int i = 0; i < 10; i++) memcpy(&palette[(i * 29 + 3) % 256], &special_bits[i], 4);
        for (int B : {1, 7, 100}) {
            std::vector<int32_t> idx(B);
            for (auto &i : idx) i = (int32_t)(rng.next() % src_rows);
            std::vector<float> ref((size_t)B * N), out((size_t)B * N, 7.0f);
            for (int r = 0; r < B; r++)
                for (int c = 0; c < N; c++) memcpy(&ref[(size_t)r * N + c], &palette[src[(size_t)idx[r] * N + c]], 4);
            // Every kernel level this CPU has: the scalar lookup below AVX-512, the VBMI build at it (with VBMI).
            for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
                CHECK_OK(dbn4j_isa_force(level));
                std::fill(out.begin(), out.end(), 7.0f);
                CHECK_OK(dbn4j_gather_rows_u8(src.data(), src_rows, N, palette.data(), idx.data(), B, out.data()));
                CHECK_MSG(same_bits(ref, out), "dbn4j_gather_rows_u8 N %d B %d, level %d", N, B, level);
            }
            CHECK_OK(dbn4j_isa_force(-1));
            for (size_t f = 0; f < direct.size(); f++) {
                std::vector<float> o((size_t)B * N, 7.0f);
                direct[f](src.data(), N, palette.data(), idx.data(), 0, B, o.data());
                CHECK_MSG(same_bits(ref, o), "%s N %d B %d", names[f], N, B);
            }
        }
    }
    // Every code, in order, once: each palette entry lands where it belongs.
    std::vector<uint8_t> all(256);
    for (int k = 0; k < 256; k++) all[k] = (uint8_t)(255 - k);
    std::vector<float> palette(256), ref(256);
    for (int k = 0; k < 256; k++) {
        uint32_t bits = 0x01020304u * (uint32_t)(k + 1) ^ (uint32_t)k << 24;
        memcpy(&palette[k], &bits, 4);
    }
    for (int k = 0; k < 256; k++) ref[k] = palette[255 - k];
    const int32_t zero = 0;
    for (size_t f = 0; f < direct.size(); f++) {
        std::vector<float> o(256);
        direct[f](all.data(), 256, palette.data(), &zero, 0, 1, o.data());
        CHECK_MSG(same_bits(ref, o), "%s: all 256 codes", names[f]);
    }
    // Bad arguments: a message, nothing written.
    std::vector<float> out(4, 7.0f);
    int32_t bad = 5;
    CHECK(dbn4j_gather_rows_u8(all.data(), 1, 4, palette.data(), &bad, 1, out.data()) == DBN4J_EINVAL);
    CHECK(out[0] == 7.0f);
    CHECK(dbn4j_gather_rows_u8(all.data(), 1, 4, nullptr, &zero, 1, out.data()) == DBN4J_EINVAL);
    CHECK(dbn4j_gather_rows_u8(all.data(), 1, 4, palette.data(), &zero, 1, palette.data() + 2) == DBN4J_EINVAL);
    // The encoder: distinct bit patterns in order of first appearance, -0 and 0 apart, more than 256 refused.
    std::vector<float> data = {0.5f, -0.0f, 0.5f, 0.0f, 1.0f, -0.0f};
    std::vector<uint8_t> codes(data.size());
    std::vector<float> pal(256, 9.0f);
    int values = 0;
    CHECK_OK(dbn4j_encode_u8(data.data(), (int64_t)data.size(), codes.data(), pal.data(), &values));
    CHECK(values == 4);
    const uint8_t want[] = {0, 1, 0, 2, 3, 1};
    CHECK(memcmp(codes.data(), want, sizeof want) == 0);
    CHECK(pal[0] == 0.5f && pal[1] == 0.0f && !__builtin_signbit(pal[2]) && __builtin_signbit(pal[1]) && pal[3] == 1.0f);
    CHECK(pal[4] == 0.0f && pal[255] == 0.0f);
    std::vector<float> many(300);
    for (int i = 0; i < 300; i++) many[i] = (float)(i % 257);
    std::vector<uint8_t> many_codes(300);
    CHECK_OK(dbn4j_encode_u8(many.data(), 300, many_codes.data(), pal.data(), &values));
    CHECK(values == -1);
    CHECK_OK(dbn4j_encode_u8(many.data(), 256, many_codes.data(), pal.data(), &values));
    CHECK(values == 256);
    for (int i = 0; i < 256; i++) CHECK_MSG(pal[many_codes[i]] == many[i], "code of %d", i);
    CHECK(dbn4j_encode_u8(many.data(), 4, (uint8_t *)(many.data() + 1), pal.data(), &values) == DBN4J_EINVAL);
    return finish("test_decode");
}
