package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Reference;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Philox4x32-10 generator and the samplers: known answers, the stream layout against a plain Java Philox,
 * statistics against exact distributions, and bit-identical results for any thread count, chunking and ISA level.
 */
class RandomTest {
    static final CpuBackend CPU = CpuBackend.instance();

    static IntStream isaLevels() {
        return IntStream.rangeClosed(CpuBackend.ISA_SCALAR, CPU.supportedIsa());
    }

    @AfterEach
    void restore() {
        CPU.forceIsa(-1);
        CPU.setThreads(1);
    }

    /** Known-answer vectors of Random123 (kat_vectors, philox4x32_10): counter, key, expected output. */
    static final int[][][] KAT = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
            {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };

    @Test
    void philoxKnownAnswers() {
        for (int[][] v : KAT) {
            int[] out = new int[4];
            CpuKernels.dbn4j_philox4x32_10(v[0], v[1], out);
            assertArrayEquals(v[2], out, "native Philox");
            assertArrayEquals(v[2], Reference.philox(v[0], v[1]), "Java reference Philox");
        }
    }

    static int[] bits(long seed, long offset, int n) {
        try (IntPointer p = new IntPointer(n)) {
            CpuBackend.check(CpuKernels.dbn4j_random_bits(seed, offset, p.address(), n), "dbn4j_random_bits");
            int[] out = new int[n];
            p.get(out);
            return out;
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void streamLayoutMatchesJavaReferenceAtAnyOffset(int isa) {
        CPU.forceIsa(isa);
        // Seed 0, offset 0 is the first known-answer block.
        int[] first = bits(0, 0, 4);
        assertArrayEquals(KAT[0][2], first, "seed 0, words 0..3 = Philox(ctr 0, key 0)");
        long seed = 0x0123456789ABCDEFL;
        for (long offset : new long[] {0, 1, 3, 5, 4_294_967_299L * 4 + 2}) { // the last crosses 2^32 blocks
            int n = 203;
            int[] got = bits(seed, offset, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Reference.streamWord(seed, offset + i), got[i], "word " + (offset + i));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void uniformIsWordShiftedToFloat(int isa) {
        CPU.forceIsa(isa);
        long seed = 77;
        try (Matrix m = CPU.allocate(3, 41)) {
            CPU.uniform(new RandomStream(seed, 9), m);
            float[] u = m.toArray();
            for (int i = 0; i < u.length; i++) {
                assertEquals(Reference.uniform(Reference.streamWord(seed, 9 + i)), u[i], 0f, "uniform " + i);
            }
        }
    }

    /** Element i of a call at word offset o compares half word 2o + i (Reference.halfUniform) with p[i]. */
    @ParameterizedTest
    @MethodSource("isaLevels")
    void bernoulliAndFusedStepFollowTheHalfWordLayout(int isa) {
        CPU.forceIsa(isa);
        long seed = 0x5DEECE66DL;
        int rows = 3;
        int cols = 67;  // odd: the second row starts in the high half of a word
        SplittableRandom r = new SplittableRandom(11);
        float[] p = KernelTest.random(r, rows * cols, 0, 1);
        float[] x = KernelTest.random(r, rows * cols, -5, 5);
        for (long offset : new long[] {0, 1, 7, 4_294_967_299L * 4 + 2}) {
            RandomStream rng = new RandomStream(seed, offset);
            try (Matrix mp = CPU.matrix(rows, cols, p); Matrix s = CPU.allocate(rows, cols);
                    Matrix mx = CPU.matrix(rows, cols, x); Matrix q = CPU.allocate(rows, cols);
                    Matrix t = CPU.allocate(rows, cols)) {
                CPU.bernoulli(rng, mp, s);
                assertEquals(offset + (rows * cols + 1) / 2, rng.offset(), "ceil(n / 2) words used");
                long fused = rng.offset();
                CPU.sigmoidBernoulli(rng, mx, null, q, t);
                float[] sv = s.toArray();
                float[] qv = q.toArray();
                float[] tv = t.toArray();
                for (int i = 0; i < rows * cols; i++) {
                    float expect = Reference.halfUniform(seed, 2 * offset + i) < p[i] ? 1f : 0f;
                    assertEquals(expect, sv[i], "bernoulli element " + i + " at offset " + offset);
                    float fusedExpect = Reference.halfUniform(seed, 2 * fused + i) < qv[i] ? 1f : 0f;
                    assertEquals(fusedExpect, tv[i], "fused sample " + i + " at offset " + fused);
                    assertEquals(Reference.sigmoid(x[i]), qv[i], 1e-6, "fused probability " + i);
                }
            }
        }
    }

    @Test
    void uniformMomentsAndChiSquare() {
        int n = 1 << 20;
        try (Matrix m = CPU.allocate(1, n)) {
            CPU.uniform(new RandomStream(2024), m);
            float[] u = m.toArray();
            double mean = 0;
            double sq = 0;
            int bins = 64;
            long[] counts = new long[bins];
            for (float v : u) {
                assertTrue(v >= 0f && v < 1f, "uniform in [0, 1)");
                mean += v;
                sq += (double) v * v;
                counts[(int) (v * bins)]++;
            }
            mean /= n;
            double var = sq / n - mean * mean;
            // Standard errors: mean sqrt(1/12/n), variance sqrt(1/180/n); 5 standard errors.
            assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n));
            assertEquals(1.0 / 12, var, 5 * Math.sqrt(1.0 / 180 / n));
            double expected = (double) n / bins;
            double chi2 = 0;
            for (long c : counts) {
                chi2 += (c - expected) * (c - expected) / expected;
            }
            // 63 degrees of freedom: mean 63, sd sqrt(126) = 11.2; 63 + 5 sd = 119 is exceeded with p < 1e-6.
            assertTrue(chi2 < 119, "chi-square " + chi2 + " of 64 uniform bins");
        }
    }

    @Test
    void bernoulliMatchesProbabilities() {
        int n = 200_000;
        float[] probs = {0f, 0.01f, 0.3f, 0.5f, 0.97f, 1f};
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = probs[i % probs.length];
        }
        try (Matrix mp = CPU.matrix(1, n, p); Matrix s = CPU.allocate(1, n)) {
            CPU.bernoulli(new RandomStream(5), mp, s);
            float[] v = s.toArray();
            long[] ones = new long[probs.length];
            for (int i = 0; i < n; i++) {
                assertTrue(v[i] == 0f || v[i] == 1f, "samples are 0 or 1");
                if (v[i] == 1f) {
                    ones[i % probs.length]++;
                }
            }
            int per = n / probs.length;
            for (int j = 0; j < probs.length; j++) {
                double q = probs[j];
                double se = Math.sqrt(q * (1 - q) / per);
                assertEquals(q, (double) ones[j] / per, 5 * se + 1e-12, "frequency of p=" + q);
            }
        }
    }

    @Test
    void gaussianMomentsAndChiSquare() {
        int n = 1 << 20;
        float mean = 1.5f, sd = 2f;
        try (Matrix m = CPU.allocate(1, n)) {
            CPU.gaussian(new RandomStream(99), null, sd, m);
            float[] z = m.toArray();
            double s = 0;
            double s2 = 0;
            for (float v : z) {
                s += v;
                s2 += (double) v * v;
            }
            double mu = s / n;
            double var = s2 / n - mu * mu;
            // Mean: se = sd / sqrt(n); variance of the sample variance of a normal: 2 sd^4 / n.
            assertEquals(0, mu, 5 * sd / Math.sqrt(n));
            assertEquals(sd * sd, var, 5 * Math.sqrt(2.0 / n) * sd * sd);
            // Chi-square over 10 equiprobable bins of the standard normal (deciles).
            double[] deciles = {-1.2815516, -0.8416212, -0.5244005, -0.2533471, 0, 0.2533471, 0.5244005, 0.8416212,
                1.2815516};
            long[] counts = new long[10];
            for (float v : z) {
                double x = v / sd;
                int b = 0;
                while (b < 9 && x > deciles[b]) {
                    b++;
                }
                counts[b]++;
            }
            double chi2 = 0;
            for (long c : counts) {
                chi2 += (c - n / 10.0) * (c - n / 10.0) / (n / 10.0);
            }
            // 9 degrees of freedom: P(chi2 > 33.7) = 1e-4.
            assertTrue(chi2 < 33.7, "chi-square " + chi2 + " of normal deciles");
        }
        try (Matrix mu = CPU.matrix(1, 2, mean, -mean); Matrix out = CPU.allocate(1, 2); Matrix z = CPU.allocate(1, 2)) {
            CPU.gaussian(new RandomStream(3), mu, sd, out);
            CPU.gaussian(new RandomStream(3), null, sd, z);
            float[] o = out.toArray();
            float[] zz = z.toArray();
            assertEquals(mean + zz[0], o[0], 1e-6f, "mean is added to the same normal deviate");
            assertEquals(-mean + zz[1], o[1], 1e-6f);
        }
    }

    @Test
    void gaussianUsesTwoWordsPerValue() {
        RandomStream r = new RandomStream(1);
        try (Matrix m = CPU.allocate(5, 7)) {
            CPU.gaussian(r, null, 1f, m);
        }
        assertEquals(70, r.offset());
    }

    /** Runs every sampler on a fixed input; results as one array. */
    static float[] allSamplers(int rows, int cols, long offset) {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = KernelTest.random(r, rows * cols, -4, 4);
        float[] b = KernelTest.random(r, cols, -1, 1);
        try (Matrix mx = CPU.matrix(rows, cols, x); Matrix mb = CPU.matrix(1, cols, b); Matrix p = CPU.allocate(rows, cols);
                Matrix s = CPU.allocate(rows, cols); Matrix u = CPU.allocate(rows, cols); Matrix g = CPU.allocate(rows, cols)) {
            RandomStream rng = new RandomStream(31337, offset);
            CPU.sigmoidBernoulli(rng, mx, mb, p, s);
            CPU.uniform(rng, u);
            CPU.gaussian(rng, null, 1f, g);
            float[] all = new float[4 * rows * cols];
            System.arraycopy(p.toArray(), 0, all, 0, rows * cols);
            System.arraycopy(s.toArray(), 0, all, rows * cols, rows * cols);
            System.arraycopy(u.toArray(), 0, all, 2 * rows * cols, rows * cols);
            System.arraycopy(g.toArray(), 0, all, 3 * rows * cols, rows * cols);
            return all;
        }
    }

    @Test
    void samplesAreBitIdenticalForOneAndTwoThreadsAndEveryIsa() {
        // Large enough that the kernels do split the work between threads.
        int rows = 700, cols = 1001;
        CPU.setThreads(1);
        float[] reference = allSamplers(rows, cols, 3);
        CPU.setThreads(2);
        assertArrayEquals(reference, allSamplers(rows, cols, 3), "2 threads");
        CPU.setThreads(1);
        for (int isa = CpuBackend.ISA_SCALAR; isa <= CPU.supportedIsa(); isa++) {
            CPU.forceIsa(isa);
            assertArrayEquals(reference, allSamplers(rows, cols, 3), "ISA " + CpuBackend.isaName(isa));
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void chunkedCallsEqualOneCall(int isa) {
        CPU.forceIsa(isa);
        int n = 1000;
        float[] p = KernelTest.random(new SplittableRandom(6), n, 0, 1);
        // n x 1 matrices, so that row views split the elements at any point.
        try (Matrix mp = CPU.matrix(n, 1, p); Matrix b = CPU.allocate(n, 1); Matrix u = CPU.allocate(n, 1);
                Matrix g = CPU.allocate(n, 1)) {
            CPU.bernoulli(new RandomStream(8, 5), mp, b);
            CPU.uniform(new RandomStream(8, 5), u);
            CPU.gaussian(new RandomStream(8, 5), null, 1f, g);
            for (int split : new int[] {1, 3, 17, 500, 999}) {
                RandomStream rb = new RandomStream(8, 5);
                RandomStream ru = new RandomStream(8, 5);
                RandomStream rg = new RandomStream(8, 5);
                try (Matrix ob = CPU.allocate(n, 1); Matrix ou = CPU.allocate(n, 1); Matrix og = CPU.allocate(n, 1)) {
                    // Bernoulli uses half a word per element: calls continue each other after an even count.
                    int even = split & ~1;
                    CPU.bernoulli(rb, mp.rows(0, even), ob.rows(0, even));
                    CPU.bernoulli(rb, mp.rows(even, n), ob.rows(even, n));
                    CPU.uniform(ru, ou.rows(0, split));
                    CPU.uniform(ru, ou.rows(split, n));
                    CPU.gaussian(rg, null, 1f, og.rows(0, split));
                    CPU.gaussian(rg, null, 1f, og.rows(split, n));
                    assertArrayEquals(b.toArray(), ob.toArray(), "bernoulli split at " + even);
                    assertArrayEquals(u.toArray(), ou.toArray(), "uniform split at " + split);
                    assertArrayEquals(g.toArray(), og.toArray(), "gaussian split at " + split);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void fusedGibbsStepEqualsBiasSigmoidBernoulli(int isa) {
        CPU.forceIsa(isa);
        int rows = 17, cols = 123;
        SplittableRandom r = new SplittableRandom(10);
        float[] x = KernelTest.random(r, rows * cols, -6, 6);
        float[] b = KernelTest.random(r, cols, -1, 1);
        try (Matrix mx = CPU.matrix(rows, cols, x); Matrix mb = CPU.matrix(1, cols, b); Matrix p = CPU.allocate(rows, cols);
                Matrix s = CPU.allocate(rows, cols); Matrix x2 = CPU.matrix(rows, cols, x); Matrix s2 = CPU.allocate(rows, cols)) {
            CPU.sigmoidBernoulli(new RandomStream(12, 7), mx, mb, p, s);
            RandomStream rng = new RandomStream(12, 7);
            CPU.addRowVector(x2, mb);
            CPU.sigmoid(x2, x2);
            CPU.bernoulli(rng, x2, s2);
            assertArrayEquals(x2.toArray(), p.toArray(), "probabilities bit-identical");
            assertArrayEquals(s2.toArray(), s.toArray(), "samples bit-identical");
            // In place: p == x.
            CPU.sigmoidBernoulli(new RandomStream(12, 7), mx, mb, mx, s);
            assertArrayEquals(p.toArray(), mx.toArray(), "in place");
        }
    }
}
