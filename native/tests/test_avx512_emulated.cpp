/*
 * The AVX-512 Philox (16 blocks per iteration) checked on any x86-64 CPU: kernels_impl.inc is compiled here once
 * more with SIMDe emulating the AVX-512 intrinsics, and its Philox-based kernels are compared bit for bit with the
 * scalar table. Built only when SIMDe is installed. Run: ctest --test-dir <build> -R avx512_emulated
 */
#define DBN4J_SIMDE_AVX512 1
#define DBN4J_ISA_NS avx512emu
#define DBN4J_ISA_NAME "avx512-emulated"
#include "kernels_impl.inc"

#include <vector>

#include "test_util.h"

static_assert(DBN4J_PHILOX_LANES == 16, "the emulated build must take the AVX-512 Philox path");

int main() {
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
    return finish("test_avx512_emulated");
}
