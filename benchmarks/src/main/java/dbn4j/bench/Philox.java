package dbn4j.bench;

/**
 * Philox4x32-10 in plain Java, for the baseline of the fused kernel: word w of the stream of a seed is word w % 4
 * of the block with counter {w / 4 (64 bits), 0, 0} and key {seed (64 bits)}, as in dbn4j's kernels.h.
 */
final class Philox {
    static final long M0 = 0xD2511F53L;
    static final long M1 = 0xCD9E8D57L;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;

    private Philox() {}

    /** out = Philox4x32-10(ctr, key). */
    static void block(int[] ctr, int[] key, int[] out) {
        int c0 = ctr[0];
        int c1 = ctr[1];
        int c2 = ctr[2];
        int c3 = ctr[3];
        int k0 = key[0];
        int k1 = key[1];
        for (int round = 0; round < 10; round++) {
            long p0 = (c0 & 0xFFFFFFFFL) * M0;
            long p1 = (c2 & 0xFFFFFFFFL) * M1;
            c0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            c1 = (int) p1;
            c2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c3 = (int) p0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Word w of the stream of seed. */
    static int word(long seed, long w) {
        long blk = w >>> 2;
        int[] out = new int[4];
        block(new int[] {(int) blk, (int) (blk >>> 32), 0, 0}, new int[] {(int) seed, (int) (seed >>> 32)}, out);
        return out[(int) (w & 3)];
    }
}
