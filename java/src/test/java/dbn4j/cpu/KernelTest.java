package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dbn4j.Matrix;
import dbn4j.Reference;
import dbn4j.Transpose;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CPU kernel against the plain double-precision references of {@link Reference}, at every instruction-set
 * level this CPU supports. Tolerances are argued where they are set: float32 rounding is u = 2^-24 relative.
 */
class KernelTest {
    static final CpuBackend CPU = CpuBackend.instance();
    static final double U = 0x1p-24;

    static IntStream isaLevels() {
        return IntStream.rangeClosed(CpuBackend.ISA_SCALAR, CPU.supportedIsa());
    }

    @AfterEach
    void restoreIsa() {
        CPU.forceIsa(-1);
    }

    static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    /** |actual - expected| <= atol + rtol |expected|, with the index of the first failure in the message. */
    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.abs(expected[i]))) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (error " + err + ")");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void gemmAllTransposesMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(11);
        int m = 37, n = 29, k = 53;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                float[] a = random(r, m * k, -1, 1);
                float[] b = random(r, k * n, -1, 1);
                float[] c = random(r, m * n, -1, 1);
                int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
                float alpha = 0.75f, beta = -0.5f;
                float[] ref = Reference.gemm(ta, tb, alpha, a, ar, ac, b, br, bc, beta, c);
                try (Matrix ma = CPU.matrix(ar, ac, a); Matrix mb = CPU.matrix(br, bc, b); Matrix mc = CPU.matrix(m, n, c)) {
                    CPU.gemm(ta ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE,
                            tb ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE, alpha, ma, mb, beta, mc);
                    float[] got = mc.toArray();
                    // Forward error of a float32 dot product of length k: <= k u sum|a_ip b_pj| (|values| <= 1), plus
                    // the rounding of alpha and beta terms: bound it by (k + 2) u (k + 1).
                    double tol = (k + 2) * U * (k + 1);
                    double[] expected = new double[ref.length];
                    for (int i = 0; i < ref.length; i++) {
                        expected[i] = ref[i];
                    }
                    assertClose(expected, got, tol, 0, "gemm ta=" + ta + " tb=" + tb);
                }
            }
        }
    }

    /**
     * Products of few columns (a 10-class output layer's x W and x^T dz, a binary classifier's one column, 32 columns)
     * in every GEMM mode against the double reference; in OWN mode (the own kernel's narrow path at the AVX-512
     * level) both kernel levels give the same bits.
     */
    @Test
    void narrowProductsMatchReferenceInEveryMode() {
        SplittableRandom r = new SplittableRandom(29);
        int[][] shapes = {{100, 10, 784, 0}, {784, 10, 100, 1}, {300, 1, 64, 0}, {64, 32, 300, 1}}; // m, n, k, op(A)
        float alpha = -0.5f, beta = 0.25f;
        try {
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                boolean ta = sh[3] == 1;
                Transpose opA = ta ? Transpose.TRANSPOSE : Transpose.NO_TRANSPOSE;
                float[] a = random(r, m * k, -1, 1);
                float[] b = random(r, k * n, -1, 1);
                float[] c = random(r, m * n, -1, 1);
                float[] ref = Reference.gemm(ta, false, alpha, a, ta ? k : m, ta ? m : k, b, k, n, beta, c);
                double[] expected = new double[ref.length];
                for (int i = 0; i < ref.length; i++) {
                    expected[i] = ref[i];
                }
                double tol = (k + 2) * U * (k + 1);
                String shape = m + "x" + n + "x" + k + (ta ? " (A transposed)" : "");
                try (Matrix ma = ta ? CPU.matrix(k, m, a) : CPU.matrix(m, k, a); Matrix mb = CPU.matrix(k, n, b);
                        Matrix mc = CPU.allocate(m, n)) {
                    float[] own = null;
                    for (int mode : new int[] {CpuBackend.GEMM_OWN, CpuBackend.GEMM_OPENBLAS, CpuBackend.GEMM_AUTO}) {
                        CPU.setGemmMode(mode);
                        mc.set(c);
                        CPU.gemm(opA, Transpose.NO_TRANSPOSE, alpha, ma, mb, beta, mc);
                        float[] got = mc.toArray();
                        assertClose(expected, got, tol, 0, shape + " mode " + mode);
                        if (mode == CpuBackend.GEMM_OWN) {
                            own = got;
                        }
                    }
                    if (CPU.supportedIsa() >= CpuBackend.ISA_AVX512) {
                        CPU.setGemmMode(CpuBackend.GEMM_OWN);
                        CPU.forceIsa(CpuBackend.ISA_AVX2);
                        try {
                            mc.set(c);
                            CPU.gemm(opA, Transpose.NO_TRANSPOSE, alpha, ma, mb, beta, mc);
                            assertArrayEquals(own, mc.toArray(), shape + ": own kernel, AVX2 and AVX-512 builds");
                        } finally {
                            CPU.forceIsa(-1);
                        }
                    }
                }
            }
        } finally {
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
        }
    }

    /**
     * Every GEMM mode (dbn4j's own AVX2 kernel, OpenBLAS, the automatic choice) on a batch-shaped product with two K
     * blocks and edge tiles, against the double reference; the own kernel gives the same bits on 1 and 2 threads.
     */
    @Test
    void gemmModesMatchReferenceAndOwnKernelIgnoresThreads() {
        SplittableRandom r = new SplittableRandom(13);
        int m = 100, n = 45, k = 400;
        float[] a = random(r, m * k, -1, 1);
        float[] b = random(r, n * k, -1, 1);
        float[] c = random(r, m * n, -1, 1);
        float alpha = 0.5f, beta = 0.25f;
        float[] ref = Reference.gemm(false, true, alpha, a, m, k, b, n, k, beta, c);
        double[] expected = new double[ref.length];
        for (int i = 0; i < ref.length; i++) {
            expected[i] = ref[i];
        }
        double tol = (k + 2) * U * (k + 1);
        int threads = CPU.threads();
        try (Matrix ma = CPU.matrix(m, k, a); Matrix mb = CPU.matrix(n, k, b); Matrix mc = CPU.allocate(m, n)) {
            float[][] own = new float[2][];
            for (int mode : new int[] {CpuBackend.GEMM_OWN, CpuBackend.GEMM_OPENBLAS, CpuBackend.GEMM_AUTO}) {
                for (int t = 1; t <= 2; t++) {
                    CPU.setGemmMode(mode);
                    CPU.setThreads(t);
                    mc.set(c);
                    CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, alpha, ma, mb, beta, mc);
                    float[] got = mc.toArray();
                    assertClose(expected, got, tol, 0, "gemm mode " + mode + " threads " + t);
                    if (mode == CpuBackend.GEMM_OWN) {
                        own[t - 1] = got;
                    }
                }
            }
            if (CPU.supportedIsa() >= CpuBackend.ISA_AVX2) {
                assertArrayEquals(own[0], own[1], "own kernel: 1 and 2 threads");
                CPU.setGemmMode(CpuBackend.GEMM_OWN);
                String level = CPU.activeIsa() >= CpuBackend.ISA_AVX512 ? "own avx512" : "own avx2";
                assertTrue(CPU.gemmDescription().startsWith(level), CPU.gemmDescription());
            }
            if (CPU.supportedIsa() >= CpuBackend.ISA_AVX512) {
                // The AVX2 build of the own kernel gives the AVX-512 build's bits.
                CPU.setGemmMode(CpuBackend.GEMM_OWN);
                CPU.forceIsa(CpuBackend.ISA_AVX2);
                try {
                    assertTrue(CPU.gemmDescription().startsWith("own avx2"), CPU.gemmDescription());
                    mc.set(c);
                    CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, alpha, ma, mb, beta, mc);
                    assertArrayEquals(own[0], mc.toArray(), "own kernel: AVX2 and AVX-512 builds");
                } finally {
                    CPU.forceIsa(-1);
                }
            }
            CPU.setGemmMode(CpuBackend.GEMM_OPENBLAS);
            assertEquals("openblas", CPU.gemmDescription());
        } finally {
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
            CPU.setThreads(threads);
        }
        assertThrows(IllegalArgumentException.class, () -> CPU.setGemmMode(3));
    }

    /**
     * Past a batch of 256 rows AUTO still gives the own kernel a mostly-zero A (slices of its sparse path) and the
     * weight gradients: the bits of the own kernel, within the float bound of the double reference; with the sparse
     * mode OFF those products go to OpenBLAS (other bits) — unless AUTO gives the own kernel every shape (its
     * AVX-512 build beside OpenBLAS's AVX2 kernels): then OFF runs it too.
     */
    @Test
    void largeBatchesTakeTheOwnKernelWhereItGains() {
        assumeTrue(CPU.supportedIsa() >= CpuBackend.ISA_AVX2, "the own kernel needs AVX2 + FMA");
        boolean everyShape = CPU.gemmDescription().contains("every shape");
        assumeTrue(everyShape || CPU.gemmDescription().contains("mostly-zero A"), CPU.gemmDescription());
        SplittableRandom r = new SplittableRandom(41);
        // k in K blocks unlike OpenBLAS's (its AVX-512 kernels sum a k of 300 in the own kernel's order, to the bit).
        int m = 600, n = 128, k = 800;
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextDouble() < 0.3 ? (float) r.nextDouble() : 0f;
        }
        float[] b = random(r, k * n, -1, 1);
        float[] ref = Reference.gemm(false, false, 1f, a, m, k, b, k, n, 0f, new float[m * n]);
        double[] expected = new double[ref.length];
        for (int i = 0; i < ref.length; i++) {
            expected[i] = ref[i];
        }
        float[][] got = new float[3][];
        float[][] steps = new float[3][];
        int[][] modes = {{CpuBackend.GEMM_AUTO, CpuBackend.SPARSE_AUTO}, {CpuBackend.GEMM_OWN, CpuBackend.SPARSE_AUTO},
            {CpuBackend.GEMM_AUTO, CpuBackend.SPARSE_OFF}};
        try (Matrix ma = CPU.matrix(m, k, a); Matrix mb = CPU.matrix(k, n, b); Matrix mc = CPU.allocate(m, n);
                Matrix h = CPU.matrix(m, n, random(r, m * n, 0, 1)); Matrix g = CPU.allocate(k, n);
                Matrix w = CPU.allocate(k, n); Matrix v = CPU.allocate(k, n)) {
            for (int i = 0; i < modes.length; i++) {
                CPU.setGemmMode(modes[i][0]);
                CPU.setGemmSparse(modes[i][1]);
                CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, ma, mb, 0f, mc);
                got[i] = mc.toArray();
                assertClose(expected, got[i], (k + 2) * U * k, 0, "gemm " + m + "x" + n + "x" + k + " mode " + i);
                // The weight step of an RBM-like gradient with a batch of 600: (a^T h - a^T h) / m.
                CPU.copyFromHost(new float[k * n], 0, w, 0, k * n);
                CPU.copyFromHost(new float[k * n], 0, v, 0, k * n);
                CPU.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f / m, ma, h, ma, mc, g, w, v, 0.1f,
                        0.5f, 0f, false);
                steps[i] = w.toArray();
            }
        } finally {
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
            CPU.setGemmSparse(CpuBackend.SPARSE_AUTO);
        }
        assertArrayEquals(got[1], got[0], "AUTO at batch 600: the own kernel's bits");
        assertArrayEquals(steps[1], steps[0], "AUTO weight step at batch 600: the own kernel's bits");
        if (everyShape) {
            assertArrayEquals(got[1], got[2], "sparse OFF at batch 600: still the own kernel");
            assertArrayEquals(steps[1], steps[2], "sparse OFF weight step at batch 600: still the own kernel");
        } else {
            assertFalse(Arrays.equals(got[1], got[2]), "sparse OFF at batch 600: OpenBLAS, other bits");
            assertFalse(Arrays.equals(steps[1], steps[2]), "sparse OFF weight step at batch 600: OpenBLAS, other bits");
        }
    }

    /**
     * Zeros of A on the own kernel: an image-like A (half zeros) and sampled 0/1 states, each times B and B transposed,
     * give the same bits with the sparse path forced, automatic and off, on 1 and 2 threads, and match the plain Java
     * product.
     */
    @Test
    void sparseAGivesTheDenseKernelsBits() {
        assumeTrue(CPU.supportedIsa() >= CpuBackend.ISA_AVX2, "the own kernel needs AVX2 + FMA");
        SplittableRandom r = new SplittableRandom(29);
        int m = 100, n = 300, k = 400;
        int threads = CPU.threads();
        try {
            CPU.setGemmMode(CpuBackend.GEMM_OWN);
            for (boolean binary : new boolean[] {false, true}) {
                float[] a = new float[m * k];
                for (int i = 0; i < a.length; i++) {
                    a[i] = r.nextDouble() < (binary ? 0.35 : 0.5) ? (binary ? 1f : (float) r.nextDouble()) : 0f;
                }
                float[] b = random(r, k * n, -1, 1);
                for (Transpose tb : new Transpose[] {Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE}) {
                    boolean t = tb == Transpose.TRANSPOSE;
                    float[] ref = Reference.gemm(false, t, 1f, a, m, k, b, t ? n : k, t ? k : n, 0f, new float[m * n]);
                    double[] expected = new double[ref.length];
                    for (int i = 0; i < ref.length; i++) {
                        expected[i] = ref[i];
                    }
                    float[] first = null;
                    try (Matrix ma = CPU.matrix(m, k, a); Matrix mb = t ? CPU.matrix(n, k, b) : CPU.matrix(k, n, b);
                            Matrix mc = CPU.allocate(m, n)) {
                        for (int mode : new int[] {CpuBackend.SPARSE_OFF, CpuBackend.SPARSE_ALWAYS, CpuBackend.SPARSE_AUTO}) {
                            for (int th = 1; th <= 2; th++) {
                                CPU.setGemmSparse(mode);
                                CPU.setThreads(th);
                                CPU.gemm(Transpose.NO_TRANSPOSE, tb, 1f, ma, mb, 0f, mc);
                                float[] got = mc.toArray();
                                String what = "binary " + binary + " " + tb + " sparse mode " + mode + " threads " + th;
                                assertClose(expected, got, (k + 2) * U * k, 0, what);
                                if (first == null) {
                                    first = got;
                                } else {
                                    assertArrayEquals(first, got, what);
                                }
                            }
                        }
                    }
                }
            }
            // An RBM's weight step (v0^T h0 - v1^T h1): runs of blank pixels make whole A panels zero at some k,
            // which the dense kernel skips unless the mode is OFF; W and V must not change by a bit.
            float[] v0 = new float[m * k];
            for (int i = 0; i < m; i++) {
                int from = r.nextInt(k / 2), to = from + r.nextInt(k / 2);
                for (int j = from; j < to; j++) {
                    v0[i * k + j] = (float) r.nextDouble();
                }
            }
            float[] h0 = random(r, m * n, 0, 1), v1 = random(r, m * k, 0, 1), h1 = random(r, m * n, 0, 1);
            float[][] steps = new float[2][];
            for (int mode : new int[] {CpuBackend.SPARSE_OFF, CpuBackend.SPARSE_AUTO}) {
                CPU.setGemmSparse(mode);
                try (Matrix a1 = CPU.matrix(m, k, v0); Matrix b1 = CPU.matrix(m, n, h0); Matrix a2 = CPU.matrix(m, k, v1);
                        Matrix b2 = CPU.matrix(m, n, h1); Matrix g = CPU.allocate(k, n);
                        Matrix w = CPU.matrix(k, n, random(new SplittableRandom(3), k * n, -0.1f, 0.1f));
                        Matrix v = CPU.allocate(k, n)) {
                    CPU.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -1f / m, a1, b1, a2, b2, g, w, v,
                            0.1f, 0.5f, 2e-4f, false);
                    float[] wv = w.toArray();
                    steps[mode == CpuBackend.SPARSE_OFF ? 0 : 1] = wv;
                }
            }
            assertArrayEquals(steps[0], steps[1], "weight step with skipped zero steps");
            CPU.setGemmSparse(CpuBackend.SPARSE_OFF);
            assertTrue(CPU.gemmDescription().endsWith("sparse A off"), CPU.gemmDescription());
        } finally {
            CPU.setGemmSparse(CpuBackend.SPARSE_AUTO);
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
            CPU.setThreads(threads);
        }
        assertEquals(CpuBackend.SPARSE_AUTO, CPU.gemmSparse());
        assertThrows(IllegalArgumentException.class, () -> CPU.setGemmSparse(3));
    }

    /**
     * The weight step with a product gradient (an RBM's two products, an MLP layer's one) against its definition,
     * gemm then sgdMomentum: bit for bit with OpenBLAS (the unfused path), within the gradient's rounding times lr
     * when fused; the fused path leaves g alone. Then the argument checks.
     */
    @Test
    void gemmSgdMomentumMatchesGemmThenStep() {
        SplittableRandom r = new SplittableRandom(14);
        // n: one whole panel of either build of the own kernel, which AUTO gives it beside any OpenBLAS core.
        int m = 70, n = 64, batch = 30;
        float lr = 0.1f, momentum = 0.9f, decay = 1e-3f, alpha = -1f / batch;
        float[] v0 = random(r, batch * m, 0, 1), h0 = random(r, batch * n, 0, 1);
        float[] vk = random(r, batch * m, 0, 1), hk = random(r, batch * n, 0, 1);
        float[] w0 = random(r, m * n, -0.1, 0.1), vel0 = random(r, m * n, -0.01, 0.01);
        try (Matrix a1 = CPU.matrix(batch, m, v0); Matrix b1 = CPU.matrix(batch, n, h0);
                Matrix a2 = CPU.matrix(batch, m, vk); Matrix b2 = CPU.matrix(batch, n, hk);
                Matrix w = CPU.allocate(m, n); Matrix v = CPU.allocate(m, n); Matrix g = CPU.allocate(m, n);
                Matrix wr = CPU.matrix(m, n, w0); Matrix vr = CPU.matrix(m, n, vel0); Matrix gr = CPU.allocate(m, n)) {
            for (boolean two : new boolean[] {true, false}) {
                for (boolean nesterov : new boolean[] {false, true}) {
                    wr.set(w0);
                    vr.set(vel0);
                    CPU.setGemmMode(CpuBackend.GEMM_OPENBLAS);
                    CPU.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, alpha, a1, b1, 0f, gr);
                    if (two) {
                        CPU.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -alpha, a2, b2, 1f, gr);
                    }
                    CPU.sgdMomentum(wr, gr, vr, lr, momentum, decay, nesterov);
                    float[] wExpected = wr.toArray(), vExpected = vr.toArray();
                    for (int mode : new int[] {CpuBackend.GEMM_OPENBLAS, CpuBackend.GEMM_AUTO}) {
                        CPU.setGemmMode(mode);
                        w.set(w0);
                        v.set(vel0);
                        g.set(new float[m * n]);
                        CPU.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, alpha, a1, b1, two ? a2 : null,
                                two ? b2 : null, g, w, v, lr, momentum, decay, nesterov);
                        String what = "two=" + two + " nesterov=" + nesterov + " mode=" + mode;
                        boolean fused = CPU.gemmSgdMomentumFused(m, n, batch, two ? batch : 0);
                        assertEquals(mode == CpuBackend.GEMM_AUTO && CPU.supportedIsa() >= CpuBackend.ISA_AVX2, fused,
                                what);
                        if (!fused) {
                            assertArrayEquals(wExpected, w.toArray(), what);
                            assertArrayEquals(vExpected, v.toArray(), what);
                            continue;
                        }
                        // The gradient of 2 * batch products of values in [0, 1] is within (2 batch + 2) u 2 batch
                        // |alpha| of exact in both; lr (1 + momentum) carries it into w, plus a few roundings of w.
                        double gerr = 2 * (2.0 * batch + 2) * U * 2 * batch * Math.abs(alpha);
                        double tol = lr * (1 + momentum) * gerr + 8 * U;
                        double[] we = new double[m * n], ve = new double[m * n];
                        for (int i = 0; i < m * n; i++) {
                            we[i] = wExpected[i];
                            ve[i] = vExpected[i];
                        }
                        assertClose(we, w.toArray(), tol, 0, what + " w");
                        assertClose(ve, v.toArray(), tol, 0, what + " v");
                        assertArrayEquals(new float[m * n], g.toArray(), what + ": fused step leaves g alone");
                    }
                }
            }
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
            assertThrows(IllegalArgumentException.class, () -> CPU.gemmSgdMomentum(Transpose.TRANSPOSE,
                    Transpose.NO_TRANSPOSE, 1f, a1, b1, a2, null, g, w, v, lr, momentum, 0f, false)); // b2 missing
            assertThrows(IllegalArgumentException.class, () -> CPU.gemmSgdMomentum(Transpose.NO_TRANSPOSE,
                    Transpose.NO_TRANSPOSE, 1f, a1, b1, null, null, g, w, v, lr, momentum, 0f, false)); // shapes
            assertThrows(IllegalArgumentException.class, () -> CPU.gemmSgdMomentum(Transpose.TRANSPOSE,
                    Transpose.NO_TRANSPOSE, 1f, a1, b1, null, null, w, w, v, lr, momentum, 0f, false)); // g is w
            assertThrows(IllegalArgumentException.class, () -> CPU.gemmSgdMomentum(Transpose.TRANSPOSE,
                    Transpose.NO_TRANSPOSE, 1f, a1, b1, null, null, g, w, v, Float.NaN, momentum, 0f, false)); // lr
        } finally {
            CPU.setGemmMode(CpuBackend.GEMM_AUTO);
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void gemmWithEmptyInnerDimensionScalesC(int isa) {
        CPU.forceIsa(isa);
        try (Matrix a = CPU.allocate(3, 0); Matrix b = CPU.allocate(0, 2); Matrix c = CPU.matrix(3, 2, 1, 2, 3, 4, 5, 6)) {
            CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, b, 2f, c);
            assertClose(new double[] {2, 4, 6, 8, 10, 12}, c.toArray(), 0, 0, "beta * c");
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void activationsAndDerivativesMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(12);
        int n = 4099; // not a multiple of any vector width, so the tails run too
        float[] x = random(r, n, -30, 30);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 88f;
        x[3] = -88f;
        x[4] = 1e-8f;
        float[] dy = random(r, n, -2, 2);
        try (Matrix mx = CPU.matrix(1, n, x); Matrix y = CPU.allocate(1, n); Matrix mdy = CPU.matrix(1, n, dy);
                Matrix dx = CPU.allocate(1, n)) {
            double[] e = new double[n];
            double[] de = new double[n];

            CPU.sigmoid(mx, y);
            float[] ys = y.toArray();
            for (int i = 0; i < n; i++) {
                e[i] = Reference.sigmoid(x[i]);
            }
            // A hand-written exp with a degree-6 polynomial is good to a few ulp; 8 u relative leaves room for the
            // division and the final rounding, and is still 100x tighter than any training needs.
            assertClose(e, ys, 1e-37, 8 * U, "sigmoid");
            CPU.sigmoidBackward(y, mdy, dx);
            float[] got = dx.toArray();
            for (int i = 0; i < n; i++) {
                de[i] = (double) dy[i] * ys[i] * (1 - (double) ys[i]);
            }
            // Two float multiplications and a subtraction from float inputs: 3 roundings, plus cancellation in 1 - y
            // which is exact in float for y in [0.5, 1] (Sterbenz) and bounded by u otherwise.
            assertClose(de, got, 1e-37, 4 * U, "sigmoid backward");

            CPU.tanh(mx, y);
            float[] yt = y.toArray();
            for (int i = 0; i < n; i++) {
                e[i] = Math.tanh(x[i]);
            }
            // tanh = 1 - 2/(exp(2x)+1) loses relative accuracy near 0 to cancellation; the kernel switches to a
            // series there. Absolute 2 u around the unit scale plus 8 u relative covers both regimes.
            assertClose(e, yt, 2 * U, 8 * U, "tanh");
            CPU.tanhBackward(y, mdy, dx);
            got = dx.toArray();
            for (int i = 0; i < n; i++) {
                de[i] = dy[i] * (1 - (double) yt[i] * yt[i]);
            }
            // 1 - y^2 cancels for |y| near 1: the error is absolute, about u times |dy| <= 2.
            assertClose(de, got, 8 * U, 4 * U, "tanh backward");

            CPU.relu(mx, y);
            float[] yr = y.toArray();
            for (int i = 0; i < n; i++) {
                e[i] = Math.max(x[i], 0);
            }
            assertClose(e, yr, 0, 0, "relu"); // exact
            CPU.reluBackward(y, mdy, dx);
            got = dx.toArray();
            for (int i = 0; i < n; i++) {
                de[i] = yr[i] > 0 ? dy[i] : 0;
            }
            assertClose(de, got, 0, 0, "relu backward"); // exact
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void activationsWorkInPlace(int isa) {
        CPU.forceIsa(isa);
        float[] x = {-2f, -0.5f, 0f, 0.5f, 2f};
        try (Matrix m = CPU.matrix(1, 5, x); Matrix copy = CPU.matrix(1, 5, x); Matrix out = CPU.allocate(1, 5)) {
            CPU.sigmoid(m, m);
            CPU.sigmoid(copy, out);
            assertTrue(java.util.Arrays.equals(out.toArray(), m.toArray()), "in-place sigmoid equals out-of-place");
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void softmaxAndLogSoftmaxMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(13);
        int rows = 7, k = 33;
        float[] x = random(r, rows * k, -20, 20);
        x[5] = 1000f; // stability: a huge logit must not overflow
        try (Matrix mx = CPU.matrix(rows, k, x); Matrix y = CPU.allocate(rows, k)) {
            double[] e = new double[rows * k];
            double[] le = new double[rows * k];
            for (int i = 0; i < rows; i++) {
                double[] p = Reference.softmaxRow(x, i, k);
                double lse = Reference.logSumExpRow(x, i, k);
                for (int j = 0; j < k; j++) {
                    e[i * k + j] = p[j];
                    le[i * k + j] = x[i * k + j] - lse;
                }
            }
            CPU.softmax(mx, y);
            // Each probability is exp(x - max) / sum: a few roundings of exp plus a sum of k terms: 8 u + k u relative.
            assertClose(e, y.toArray(), 1e-37, (8 + k) * U, "softmax");
            float[] ps = y.toArray();
            for (int i = 0; i < rows; i++) {
                double s = 0;
                for (int j = 0; j < k; j++) {
                    s += ps[i * k + j];
                }
                assertEquals(1.0, s, k * 4 * U, "row " + i + " sums to 1");
            }
            CPU.logSoftmax(mx, y);
            // x - max - log(sum): the log-sum is good to (k + 8) u relative; the result is absolute to that times the
            // magnitude of the largest term (|x - max| up to 2000 here).
            assertClose(le, y.toArray(), (k + 8) * U * 8, (k + 8) * U, "log softmax");
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void lossesAndGradientsMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(14);
        int b = 9, k = 10;
        float[] z = random(r, b * k, -8, 8);
        float[] t = new float[b * k];
        for (int i = 0; i < b; i++) {
            t[i * k + r.nextInt(k)] = 1f;
        }
        float[] tb = random(r, b * k, 0, 1); // soft binary targets
        try (Matrix mz = CPU.matrix(b, k, z); Matrix mt = CPU.matrix(b, k, t); Matrix mtb = CPU.matrix(b, k, tb);
                Matrix p = CPU.allocate(b, k); Matrix dz = CPU.allocate(b, k)) {
            // Softmax cross-entropy.
            double loss = 0;
            double[] ep = new double[b * k];
            double[] edz = new double[b * k];
            for (int i = 0; i < b; i++) {
                double[] pr = Reference.softmaxRow(z, i, k);
                double lse = Reference.logSumExpRow(z, i, k);
                for (int j = 0; j < k; j++) {
                    loss -= t[i * k + j] * (z[i * k + j] - lse);
                    ep[i * k + j] = pr[j];
                    edz[i * k + j] = (pr[j] - t[i * k + j]) / b;
                }
            }
            loss /= b;
            double got = CPU.softmaxCrossEntropy(mz, mt, p, dz);
            // Per-row log-sum-exp in float to (k + 8) u relative of its magnitude (<= ~10), accumulated in double.
            assertEquals(loss, got, (k + 8) * U * 16, "softmax cross-entropy");
            assertClose(ep, p.toArray(), 1e-37, (k + 8) * U, "softmax cross-entropy p");
            // (p - t) / B: p's error plus two roundings, absolute on the scale of 1/B.
            assertClose(edz, dz.toArray(), (k + 10) * U / b, 0, "softmax cross-entropy dz");
            assertEquals(got, CPU.softmaxCrossEntropy(mz, mt, null, null), 0, "loss without outputs");

            // Sigmoid binary cross-entropy.
            loss = 0;
            for (int i = 0; i < b * k; i++) {
                double zi = z[i];
                loss += Math.max(zi, 0) - zi * tb[i] + Math.log1p(Math.exp(-Math.abs(zi)));
                ep[i] = Reference.sigmoid(zi);
                edz[i] = (ep[i] - tb[i]) / b;
            }
            loss /= b;
            got = CPU.sigmoidCrossEntropy(mz, mtb, p, dz);
            // Each term is O(10) with a few float roundings; summed in double.
            assertEquals(loss, got, b * k * 8 * U * 10 / b, "sigmoid cross-entropy");
            assertClose(ep, p.toArray(), 1e-37, 8 * U, "sigmoid cross-entropy p");
            assertClose(edz, dz.toArray(), 10 * U / b, 0, "sigmoid cross-entropy dz");

            // Squared error.
            loss = 0;
            for (int i = 0; i < b * k; i++) {
                double d = (double) z[i] - tb[i];
                loss += d * d;
                edz[i] = d / b;
            }
            loss /= 2 * b;
            got = CPU.squaredError(mz, mtb, dz);
            // (y - t) is rounded once in float (relative u), squared: 2 u + 1 u relative per term.
            assertEquals(loss, got, 4 * U * loss, "squared error");
            assertClose(edz, dz.toArray(), 1e-37, 3 * U, "squared error dy");
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void biasColumnSumsAxpyScaleMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(15);
        int b = 13, n = 37;
        float[] x = random(r, b * n, -1, 1);
        float[] bias = random(r, n, -1, 1);
        float[] out0 = random(r, n, -1, 1);
        try (Matrix mx = CPU.matrix(b, n, x); Matrix mb = CPU.matrix(1, n, bias); Matrix out = CPU.matrix(1, n, out0);
                Matrix y = CPU.matrix(b, n, x)) {
            CPU.addRowVector(y, mb);
            double[] e = new double[b * n];
            for (int i = 0; i < b * n; i++) {
                e[i] = (float) (x[i] + bias[i % n]); // one float addition: exact to the rounding the reference does
            }
            assertClose(e, y.toArray(), 0, 0, "add row bias");
            try (Matrix fused = CPU.matrix(b, n, x); Matrix twoPasses = CPU.matrix(b, n, x)) {
                CPU.biasSigmoid(fused, mb);
                CPU.addRowVector(twoPasses, mb);
                CPU.sigmoid(twoPasses, twoPasses);
                float[] f = fused.toArray();
                org.junit.jupiter.api.Assertions.assertArrayEquals(twoPasses.toArray(), f, "biasSigmoid");
                for (int i = 0; i < b * n; i++) {
                    assertEquals(1 / (1 + Math.exp(-e[i])), f[i], 4 * U, "biasSigmoid element " + i);
                }
            }

            CPU.columnSums(mx, out, 0.5f, 2f);
            double[] cs = new double[n];
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < b; i++) {
                    s += x[i * n + j];
                }
                cs[j] = 0.5 * s + 2.0 * out0[j];
            }
            // Summed in double, then two float roundings of the scaled terms and their sum.
            assertClose(cs, out.toArray(), 1e-7, 3 * U, "column sums");

            CPU.axpy(-1.5f, mx, y);
            float[] yv = y.toArray();
            for (int i = 0; i < b * n; i++) {
                e[i] = (float) ((float) (x[i] + bias[i % n]) + (float) (-1.5f * x[i]));
            }
            // y + alpha x with or without a fused multiply-add differs by one rounding of alpha x.
            assertClose(e, yv, 2 * U * 4, 0, "axpy");

            CPU.scale(0.25f, y);
            float[] ys = y.toArray();
            for (int i = 0; i < b * n; i++) {
                assertEquals(yv[i] * 0.25f, ys[i], 0f, "scale by a power of two is exact");
            }
        }
    }

    /**
     * A velocity that a step leaves subnormal (below Float.MIN_NORMAL) becomes +0, through sgdMomentum and through
     * gemmSgdMomentum's fused step alike (the own GEMM forced, so that the fused step runs wherever the level has
     * AVX2); Float.MIN_NORMAL itself, NaN, infinities and normal velocities stay as the formula makes them. The
     * gradient is zero (a of zeros), so each velocity steps to exactly momentum v: with 0.9, to subnormals and just
     * above Float.MIN_NORMAL; with 0.5, to exactly +-Float.MIN_NORMAL from +-2^-125 and to the largest subnormal from
     * 2^-125 - 2^-148. The reference is the formula in Java floats, compared bit for bit (NaN with NaN).
     */
    @ParameterizedTest
    @MethodSource("isaLevels")
    void subnormalVelocitiesBecomeZero(int isa) {
        CPU.forceIsa(isa);
        float[] cases = {1.2e-38f, -1.3e-38f, 1.4e-38f, 1e-40f, -Float.MIN_VALUE, Float.MIN_NORMAL, -2e-38f, 0x1p-125f,
            -0x1p-125f, 0x1p-125f - 0x1p-148f, -(0x1p-125f - 0x1p-148f), Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 0f, -0f, 0.5f};
        int rows = 7, cols = 37, n = rows * cols;
        float[] w = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = cases[i % cases.length];
            w[i] = 0.25f * (i % 5);
        }
        float lr = 0.1f;
        int mode = CPU.gemmMode();
        CPU.setGemmMode(CpuBackend.GEMM_OWN);
        try {
            assertEquals(isa >= CpuBackend.ISA_AVX2, CPU.gemmSgdMomentumFused(rows, cols, 3, 0),
                    "the fused step runs where the level has AVX2");
            for (float mom : new float[] {0.9f, 0.5f}) {
                for (boolean nesterov : new boolean[] {false, true}) {
                    float[] ew = w.clone();
                    float[] ev = v.clone();
                    int flushed = 0;
                    for (int i = 0; i < n; i++) {
                        float vi = mom * v[i] - lr * 0f;
                        if (Math.abs(vi) < Float.MIN_NORMAL) {
                            flushed += v[i] != 0f ? 1 : 0;
                            vi = 0f;
                        }
                        ev[i] = vi;
                        ew[i] = nesterov ? w[i] + mom * vi - lr * 0f : w[i] + vi;
                    }
                    assertTrue(flushed > n / 4, "the cases flush " + flushed + " of " + n);
                    try (Matrix mw = CPU.matrix(rows, cols, w); Matrix mg = CPU.allocate(rows, cols);
                            Matrix mv = CPU.matrix(rows, cols, v); Matrix fw = CPU.matrix(rows, cols, w);
                            Matrix fv = CPU.matrix(rows, cols, v); Matrix a = CPU.allocate(rows, 3);
                            Matrix b = CPU.allocate(3, cols); Matrix g = CPU.allocate(rows, cols)) {
                        CPU.sgdMomentum(mw, mg, mv, lr, mom, 0f, nesterov);
                        CPU.gemmSgdMomentum(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, b, null, null, g,
                                fw, fv, lr, mom, 0f, nesterov);
                        String at = "isa " + isa + ", momentum " + mom + ", nesterov " + nesterov;
                        assertArrayEquals(ev, mv.toArray(), "sgdMomentum velocities, " + at);
                        assertArrayEquals(ew, mw.toArray(), "sgdMomentum weights, " + at);
                        assertArrayEquals(ev, fv.toArray(), "gemmSgdMomentum velocities, " + at);
                        assertArrayEquals(ew, fw.toArray(), "gemmSgdMomentum weights, " + at);
                    }
                }
            }
        } finally {
            CPU.setGemmMode(mode);
        }
    }

    @ParameterizedTest
    @MethodSource("isaLevels")
    void sgdMomentumPlainAndNesterovMatchReference(int isa) {
        CPU.forceIsa(isa);
        SplittableRandom r = new SplittableRandom(16);
        int n = 1001;
        float[] w = random(r, n, -1, 1);
        float[] g = random(r, n, -1, 1);
        float[] v = random(r, n, -0.1, 0.1);
        float lr = 0.1f, mom = 0.9f, wd = 0.01f;
        for (boolean nesterov : new boolean[] {false, true}) {
            try (Matrix mw = CPU.matrix(1, n, w); Matrix mg = CPU.matrix(1, n, g); Matrix mv = CPU.matrix(1, n, v)) {
                CPU.sgdMomentum(mw, mg, mv, lr, mom, wd, nesterov);
                double[] ew = new double[n];
                double[] ev = new double[n];
                for (int i = 0; i < n; i++) {
                    double gp = g[i] + (double) wd * w[i];
                    ev[i] = mom * (double) v[i] - lr * gp;
                    ew[i] = nesterov ? w[i] + mom * ev[i] - lr * gp : w[i] + ev[i];
                }
                // A handful of float operations on values of order 1: absolute 8 u.
                assertClose(ev, mv.toArray(), 8 * U, 0, "velocity nesterov=" + nesterov);
                assertClose(ew, mw.toArray(), 8 * U, 0, "weights nesterov=" + nesterov);
            }
        }
    }
}
