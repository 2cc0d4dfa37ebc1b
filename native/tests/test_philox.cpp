/*
 * Philox4x32-10 known answers (Random123 kat_vectors) through the reference block function and through every
 * ISA level's block kernel (in every SIMD lane, across the 32-bit counter carry), plus the stream layout of
 * dbn4j_random_bits. Run: ctest --test-dir <build> -R philox
 */
#include <vector>

#include "internal.h"
#include "test_util.h"

struct Kat {
    uint32_t ctr[4], key[2], out[4];
};

static const Kat KATS[3] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

static void block_ref(uint64_t blk, uint64_t seed, uint32_t out[4]) {
    uint32_t ctr[4] = {(uint32_t)blk, (uint32_t)(blk >> 32), 0, 0}, key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    dbn4j_philox4x32_10(ctr, key, out);
}

int main() {
    // 1. The reference block.
    for (const Kat &k : KATS) {
        uint32_t out[4];
        dbn4j_philox4x32_10(k.ctr, k.key, out);
        CHECK_MSG(memcmp(out, k.out, 16) == 0, "reference KAT ctr0=%08x: got %08x %08x %08x %08x", k.ctr[0], out[0],
                  out[1], out[2], out[3]);
    }

    for (int level = DBN4J_ISA_SCALAR; level <= dbn4j_isa_supported(); level++) {
        const dbn4j::KernelTable *T = dbn4j::kernels_for_level(level);
        // 2. Each KAT placed at block j of a run of nb blocks: the base counter is the KAT counter minus j (64-bit),
        //    so j walks every SIMD lane, the scalar tail, and (for KAT 2) the low-word carry inside a SIMD group.
        for (const Kat &k : KATS) {
            uint64_t target = (uint64_t)k.ctr[1] << 32 | k.ctr[0];
            for (int nb = 1; nb <= 40; nb += 3) {
                for (int j = 0; j < nb; j++) {
                    uint64_t base = target - (uint64_t)j;
                    uint32_t ctr[4] = {(uint32_t)base, (uint32_t)(base >> 32), k.ctr[2], k.ctr[3]};
                    std::vector<uint32_t> out(4 * nb);
                    T->philox_blocks(ctr, k.key, out.data(), nb);
                    CHECK_MSG(memcmp(&out[4 * j], k.out, 16) == 0, "%s KAT ctr0=%08x at block %d of %d", T->name,
                              k.ctr[0], j, nb);
                }
            }
        }
        // 3. Through the public stream: seed 0, offset 0 is counter {0,0,0,0}, key {0,0}.
        CHECK_OK(dbn4j_isa_force(level));
        uint32_t w[4];
        CHECK_OK(dbn4j_random_bits(0, 0, w, 4));
        CHECK_MSG(memcmp(w, KATS[0].out, 16) == 0, "%s: random_bits(seed 0, offset 0) != KAT 1", T->name);

        // 4. Stream layout: word o+i is lane (o+i)%4 of block (o+i)/4, for offsets around the 2^32-block carry.
        const uint64_t seeds[3] = {0, 0x0123456789abcdefull, ~0ull};
        const uint64_t offsets[5] = {0, 3, 4097, 4 * 0xfffffff0ull + 1, ~0ull - 300};
        for (uint64_t seed : seeds) {
            for (uint64_t off : offsets) {
                const int64_t n = 263;
                std::vector<uint32_t> out(n);
                CHECK_OK(dbn4j_random_bits(seed, off, out.data(), n));
                int bad = 0;
                for (int64_t i = 0; i < n; i++) {
                    uint64_t wi = off + (uint64_t)i;
                    uint32_t blk[4];
                    block_ref(wi >> 2, seed, blk);
                    bad += out[i] != blk[wi & 3];
                }
                CHECK_MSG(bad == 0, "%s: stream layout seed=%llx offset=%llu: %d words differ", T->name,
                          (unsigned long long)seed, (unsigned long long)off, bad);
            }
        }
    }
    CHECK_OK(dbn4j_isa_force(-1));
    return finish("test_philox");
}
