/*
 * The AVX-512 Philox (16 blocks per iteration) and the 16-lane sigmoid passes checked on any CPU with AVX2 + FMA:
 * kernels_impl.inc is compiled here once more with SIMDe emulating the AVX-512 intrinsics (on the AVX2 ones, so that
 * its fused multiply-adds are exact), and its kernels are compared bit for bit with the scalar table. Built only
 * when SIMDe is installed; exit 77 without AVX2 + FMA. Run: ctest --test-dir <build> -R avx512_emulated
 */
#define DBN4J_SIMDE_AVX512 1
#define DBN4J_ISA_NS avx512emu
#define DBN4J_ISA_NAME "avx512-emulated"
#include "kernels_impl.inc"

#include <vector>

#include "test_util.h"

static_assert(DBN4J_PHILOX_LANES == 16, "the emulated build must take the AVX-512 Philox path");

int main() {
    if (dbn4j_isa_supported() < DBN4J_ISA_AVX2) {
        printf("SKIP: this CPU has no AVX2 + FMA (the emulation's fused multiply-adds need them)\n");
        return 77;
    }
    const dbn4j::KernelTable &E = dbn4j::avx512emu::table, &S = dbn4j::scalar::table;
    Rng rng(17);

    // Known answer of Random123 (ctr 0, key 0) in every lane and in the scalar tail.
    const uint32_t kat[4] = {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8};
    for (int nb = 1; nb <= 40; nb++) {
        std::vector<uint32_t> out(4 * nb);
        for (int j = 0; j < nb; j++) {
            uint64_t base = 0 - (uint64_t)j;
            uint32_t ctr[4] = {(uint32_t)base, (uint32_t)(base >> 32), 0, 0}, key[2] = {0, 0};
            E.philox_blocks(ctr, key, out.data(), nb);
            CHECK_MSG(memcmp(&out[4 * j], kat, 16) == 0, "KAT at block %d of %d", j, nb);
        }
    }
    // Arbitrary counters (all four words, low word near the carry) and keys.
    for (int trial = 0; trial < 200; trial++) {
        uint32_t ctr[4] = {(uint32_t)rng.next(), (uint32_t)rng.next(), (uint32_t)rng.next(), (uint32_t)rng.next()};
        if (trial % 2) ctr[0] = 0xffffffffu - (uint32_t)(rng.next() % 40);
        uint32_t key[2] = {(uint32_t)rng.next(), (uint32_t)rng.next()};
        int nb = (int)(rng.next() % 70);
        std::vector<uint32_t> a(4 * nb + 1, 7), b(4 * nb + 1, 7);
        E.philox_blocks(ctr, key, a.data(), nb);
        S.philox_blocks(ctr, key, b.data(), nb);
        CHECK_MSG(a == b, "philox_blocks trial %d (ctr0 %08x, %d blocks)", trial, ctr[0], nb);
    }
    // The kernels built on it, at odd offsets and lengths.
    const uint64_t offs[] = {0, 1, 3, 4 * 0xfffffff0ull + 1, 4 * 0xffffffffull - 5};
    const int64_t lens[] = {1, 63, 64, 65, 1000, 4099};
    for (uint64_t o : offs)
        for (int64_t n : lens) {
            uint64_t seed = rng.next();
            std::vector<uint32_t> a(n), b(n);
            E.random_bits(seed, o, a.data(), n);
            S.random_bits(seed, o, b.data(), n);
            CHECK_MSG(a == b, "random_bits offset %llu n %lld", (unsigned long long)o, (long long)n);
            std::vector<float> x(n), pa(n), pb(n), sa(n), sb(n);
            for (auto &v : x) v = rng.uniform(-6, 6);
            E.sigmoid_bernoulli(seed, o, x.data(), nullptr, pa.data(), sa.data(), 1, n);
            S.sigmoid_bernoulli(seed, o, x.data(), nullptr, pb.data(), sb.data(), 1, n);
            CHECK_MSG(memcmp(pa.data(), pb.data(), 4 * n) == 0 && memcmp(sa.data(), sb.data(), 4 * n) == 0,
                      "sigmoid_bernoulli offset %llu n %lld", (unsigned long long)o, (long long)n);
            // with a bias, in rows that groups of words cross
            const int64_t rows = n >= 7 ? 7 : 1, cols = n / rows;
            std::vector<float> bias(cols);
            for (auto &v : bias) v = rng.uniform(-2, 2);
            E.sigmoid_bernoulli(seed, o, x.data(), bias.data(), pa.data(), sa.data(), rows, cols);
            S.sigmoid_bernoulli(seed, o, x.data(), bias.data(), pb.data(), sb.data(), rows, cols);
            const size_t bytes = 4 * (size_t)(rows * cols);
            CHECK_MSG(memcmp(pa.data(), pb.data(), bytes) == 0 && memcmp(sa.data(), sb.data(), bytes) == 0,
                      "sigmoid_bernoulli with bias offset %llu %lld x %lld", (unsigned long long)o, (long long)rows,
                      (long long)cols);
            E.random_uniform(seed, o, pa.data(), n);
            S.random_uniform(seed, o, pb.data(), n);
            CHECK_MSG(memcmp(pa.data(), pb.data(), 4 * n) == 0, "random_uniform offset %llu n %lld",
                      (unsigned long long)o, (long long)n);
            E.random_bernoulli(seed, o, x.data(), pa.data(), n);
            S.random_bernoulli(seed, o, x.data(), pb.data(), n);
            CHECK_MSG(memcmp(pa.data(), pb.data(), 4 * n) == 0, "random_bernoulli offset %llu n %lld",
                      (unsigned long long)o, (long long)n);
            E.random_gaussian(seed, o, nullptr, 1.0f, pa.data(), n);
            S.random_gaussian(seed, o, nullptr, 1.0f, pb.data(), n);
            CHECK_MSG(memcmp(pa.data(), pb.data(), 4 * n) == 0, "random_gaussian offset %llu n %lld",
                      (unsigned long long)o, (long long)n);
        }
    // The 16-lane sigmoid passes (sigmoid_forward, bias_sigmoid) on every kind of input: wide and tiny values, the
    // clamp at -104, subnormal results, zeros of both signs, infinities and NaNs, at lengths around the chunk.
    const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -88.0f, 103.9f, -103.9f, 104.0f, -104.0f, 120.0f,
                              -120.0f, -87.3f, -100.5f, INFINITY, -INFINITY, NAN, -NAN, 3.4e38f, -3.4e38f};
    for (int64_t n : {1, 31, 32, 33, 127, 128, 129, 300, 1000}) {
        std::vector<float> x(n), ya(n), yb(n);
        for (int64_t i = 0; i < n; i++)
            x[i] = i % 5 == 0 ? specials[(i / 5) % (sizeof(specials) / sizeof(specials[0]))] : rng.uniform(-30, 30);
        E.sigmoid_forward(x.data(), ya.data(), n);
        S.sigmoid_forward(x.data(), yb.data(), n);
        CHECK_MSG(memcmp(ya.data(), yb.data(), 4 * n) == 0, "sigmoid_forward n %lld", (long long)n);
        const int64_t rows = 3, cols = (n + 2) / 3;
        std::vector<float> xa(rows * cols), xb(rows * cols), bias(cols);
        for (int64_t i = 0; i < rows * cols; i++) xa[i] = xb[i] = x[i % n];
        for (auto &v : bias) v = rng.uniform(-2, 2);
        E.bias_sigmoid(xa.data(), bias.data(), rows, cols);
        S.bias_sigmoid(xb.data(), bias.data(), rows, cols);
        CHECK_MSG(memcmp(xa.data(), xb.data(), 4 * rows * cols) == 0, "bias_sigmoid %lld x %lld", (long long)rows,
                  (long long)cols);
    }
    return finish("test_avx512_emulated");
}
