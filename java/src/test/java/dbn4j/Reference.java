package dbn4j;

/**
 * Plain Java references for every kernel, in double precision, written for clarity rather than speed. The
 * tests compare each backend against these.
 */
public final class Reference {
    private Reference() {}

    /** c = alpha op(a) op(b) + beta c on row-major arrays; a is ar x ac as stored, b is br x bc. */
    public static float[] gemm(boolean ta, boolean tb, float alpha, float[] a, int ar, int ac, float[] b, int br, int bc,
            float beta, float[] c) {
        int m = ta ? ac : ar;
        int k = ta ? ar : ac;
        int n = tb ? br : bc;
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * ac + i] : a[i * ac + p];
                    double bv = tb ? b[j * bc + p] : b[p * bc + j];
                    s += av * bv;
                }
                out[i * n + j] = (float) (alpha * s + (beta == 0 ? 0 : beta * (double) c[i * n + j]));
            }
        }
        return out;
    }

    public static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    public static double[] softmaxRow(float[] x, int row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            max = Math.max(max, x[row * k + j]);
        }
        double sum = 0;
        double[] e = new double[k];
        for (int j = 0; j < k; j++) {
            e[j] = Math.exp(x[row * k + j] - max);
            sum += e[j];
        }
        for (int j = 0; j < k; j++) {
            e[j] /= sum;
        }
        return e;
    }

    public static double logSumExpRow(float[] x, int row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            max = Math.max(max, x[row * k + j]);
        }
        double sum = 0;
        for (int j = 0; j < k; j++) {
            sum += Math.exp(x[row * k + j] - max);
        }
        return max + Math.log(sum);
    }

    // ---- Philox4x32-10, as published by Salmon et al. (SC'11) ----

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    /** One Philox4x32-10 block of counter ctr[4] and key key[2]. */
    public static int[] philox(int[] ctr, int[] key) {
        int c0 = ctr[0];
        int c1 = ctr[1];
        int c2 = ctr[2];
        int c3 = ctr[3];
        int k0 = key[0];
        int k1 = key[1];
        for (int round = 0; round < 10; round++) {
            long p0 = (c0 & 0xFFFFFFFFL) * (M0 & 0xFFFFFFFFL);
            long p1 = (c2 & 0xFFFFFFFFL) * (M1 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32);
            int lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32);
            int lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** Word w of the stream of seed (kernels.h): lane w % 4 of the block with counter w / 4. */
    public static int streamWord(long seed, long w) {
        long block = w >>> 2;
        int[] out = philox(new int[] {(int) block, (int) (block >>> 32), 0, 0}, new int[] {(int) seed, (int) (seed >>> 32)});
        return out[(int) (w & 3)];
    }

    /**
     * The Bernoulli threshold of half word k of the stream (kernels.h): the low 16 bits of word k / 2 for even k,
     * the high 16 bits for odd k, times 2^-16.
     */
    public static float halfUniform(long seed, long k) {
        int word = streamWord(seed, k >>> 1);
        int h = (k & 1) == 0 ? word & 0xffff : word >>> 16;
        return h * 0x1p-16f;
    }

    /** The uniform float of a stream word: (u >>> 8) * 2^-24. */
    public static float uniform(int word) {
        return (word >>> 8) * 0x1p-24f;
    }

    /** The arrays one after another (several results compared at once). */
    public static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] a : parts) {
            n += a.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        return all;
    }
}
