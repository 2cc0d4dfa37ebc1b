package dbn4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Dbn4jException;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Reference;
import dbn4j.Transpose;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every CUDA kernel against the CPU backend on the same inputs. The CUDA kernels are compiled without FMA
 * contraction and with IEEE division and square root, and write the CPU's float operations in the CPU's order
 * ({@code native/src/cuda/README.md}), so most outputs must be bit-identical ({@code assertArrayEquals} without a
 * tolerance): the activations and their backward maps, softmax, bias add, column sums, BLAS-1, the SGD update, row
 * gathers, the random stream and everything sampled from it. The exceptions have argued tolerances at their tests.
 * Skipped, with the reason, where there is no CUDA build, driver or device.
 */
@Tag("cuda")
class CudaKernelTest {
    static final Backend CPU = Backends.cpu();
    static Backend gpu;

    /** Per test (the probe's outcome is kept), so that every test reports the skip and its reason. */
    @BeforeEach
    void open() {
        gpu = CudaTestSupport.cudaOrSkip();
    }

    static float[] random(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    /** Runs op on the CPU and on the GPU backend; returns {cpu result, gpu result}. */
    static float[][] both(Function<Backend, float[]> op) {
        return new float[][] {op.apply(CPU), op.apply(gpu)};
    }

    static void assertBitIdentical(float[][] r, String what) {
        assertArrayEquals(r[0], r[1], what + ": CUDA must equal the CPU bit for bit");
    }

    /** |cpu - cuda| <= ulps units in the last place of the larger of the two. */
    static void assertUlps(float[][] r, int ulps, String what) {
        for (int i = 0; i < r[0].length; i++) {
            float a = r[0][i], b = r[1][i];
            float d = Math.abs(a - b);
            assertTrue(d <= ulps * Math.ulp(Math.max(Math.abs(a), Math.abs(b))),
                    what + " at " + i + ": " + a + " vs " + b);
        }
    }

    // ---- memory ----

    @Test
    void allocateIsZeroedAndCopiesRoundTripAcrossStagingChunks() {
        try (Matrix z = gpu.allocate(300, 7)) {
            assertArrayEquals(new float[300 * 7], z.toArray());
        }
        // 1.5 M floats: more than one 4 MiB staging chunk each way, at an offset into the array.
        int n = 1_500_000;
        float[] host = random(1, n + 5, -1, 1);
        try (Matrix m = gpu.allocate(1, n); Matrix copy = gpu.allocate(1, n)) {
            gpu.copyFromHost(host, 5, m, 0, n);
            gpu.copy(m, copy);
            float[] back = new float[n + 3];
            gpu.copyToHost(copy, 0, back, 3, n);
            for (int i = 0; i < n; i += 7919) {
                assertEquals(host[5 + i], back[3 + i], "element " + i);
            }
            assertEquals(host[5 + n - 1], back[3 + n - 1]);
            m.put(0, 17, 42f);
            assertEquals(42f, m.get(0, 17));
        }
    }

    /**
     * Pixels coded on the device and mini-batches gathered from a row order in device memory, from floats and codes:
     * the plain Java gather, bit for bit; misuse refused in Java.
     */
    @Test
    void rowOrderAndCodedRowsGatherAsThePlainJava() {
        dbn4j.RowOrderTest.checkOn(gpu);
        dbn4j.RowOrderTest.refusesAnotherBackends(gpu, CPU);
        dbn4j.RowOrderTest.refusesAnotherBackends(CPU, gpu);
    }

    /**
     * A counter in device memory: gathers of its batch and losses appended at it, eagerly and in a CUDA graph whose
     * replays each take the next batch and slot (read and moved on the device), against the plain Java gather; a
     * replay past the order or the log refused before it is queued; misuse.
     */
    @Test
    void countersFeedRecordedStepsAsThePlainJava() {
        dbn4j.CounterTest.checkOn(gpu);
        dbn4j.CounterTest.refusesAnotherBackends(gpu, CPU);
        dbn4j.CounterTest.refusesAnotherBackends(CPU, gpu);
        CudaBackend cuda = (CudaBackend) gpu;
        try (Backend.Counter c = gpu.counter(); Backend.LossLog one = gpu.lossLog(1);
                Backend.LossLog log = gpu.lossLog(4); Matrix u = gpu.allocate(2, 5)) {
            // A replay that fails where it is queued (its stream has no words left) leaves the counter moved by
            // nothing, though its append's check and move ran first.
            RandomStream end = new RandomStream(3, 0);
            try (CudaBackend.Graph g = cuda.capture(end, r -> {
                gpu.uniform(r, u);
                gpu.appendLoss(one, 0, log, c);
            })) {
                end.take(Long.MAX_VALUE - 4);   // 4 words left, the step draws 10
                assertThrows(ArithmeticException.class, g::launch);
                assertEquals(0, c.value());
                assertEquals(0, c.read());
                assertEquals(Long.MAX_VALUE - 4, end.offset());
                // Nor may a graph be launched inside a step being recorded (it would be recorded, its counters
                // moved once).
                IllegalStateException nested = assertThrows(IllegalStateException.class,
                        () -> cuda.capture(g::launch));
                assertTrue(nested.getMessage().contains("inside a recorded step"), nested.getMessage());
                assertEquals(0, c.read());
            }
            // A step that draws from the stream given to capture, not from the one it receives, is refused.
            RandomStream rng = new RandomStream(3, 100);
            IllegalStateException outer = assertThrows(IllegalStateException.class,
                    () -> cuda.capture(rng, r -> gpu.uniform(rng, u)));
            assertTrue(outer.getMessage().contains("the stream it receives"), outer.getMessage());
        }
    }

    /**
     * Two graphs that sample from one stream, alternating: each replay starts where the other left the device's
     * offset, so none after the first writes it; two streams alternating write it before every replay after the
     * first. Both draw the numbers of the eager steps.
     */
    @Test
    void alternatingGraphsDrawTheEagerStream() {
        CudaBackend cuda = (CudaBackend) gpu;
        float[] x0 = random(41, 6 * 9, -3, 3);
        float[] b0 = random(42, 9, -1, 1);
        for (int streams = 1; streams <= 2; streams++) {
            float[][] results = new float[2][];
            long[] writes = new long[2];
            for (int mode = 0; mode < 2; mode++) {
                RandomStream[] rng = {new RandomStream(7, 3), new RandomStream(streams == 1 ? 7 : 8, 3)};
                try (Matrix x = gpu.matrix(6, 9, x0); Matrix b = gpu.matrix(1, 9, b0); Matrix u = gpu.allocate(5, 7);
                        Matrix p = gpu.allocate(6, 9); Matrix s = gpu.allocate(6, 9); Matrix su = gpu.allocate(5, 7);
                        Matrix ss = gpu.allocate(6, 9)) {
                    java.util.function.Consumer<RandomStream> a = r -> {
                        gpu.uniform(r, u);
                        gpu.axpy(1f, u, su);
                    };
                    java.util.function.Consumer<RandomStream> c = r -> {
                        gpu.sigmoidBernoulli(r, x, b, p, s);
                        gpu.axpy(1f, s, ss);
                    };
                    RandomStream second = streams == 1 ? rng[0] : rng[1];
                    if (mode == 0) {
                        for (int i = 0; i < 3; i++) {
                            a.accept(rng[0]);
                            c.accept(second);
                        }
                    } else {
                        try (CudaBackend.Graph ga = cuda.capture(rng[0], a);
                                CudaBackend.Graph gc = cuda.capture(second, c)) {
                            ga.launch();   // writes the offset unless the device holds it already
                            long before = cuda.offsetWrites();
                            for (int i = 0; i < 3; i++) {
                                if (i > 0) {
                                    ga.launch();
                                }
                                gc.launch();
                            }
                            writes[mode] = cuda.offsetWrites() - before;
                        }
                    }
                    results[mode] = Reference.concat(su.toArray(), ss.toArray(), new float[] {rng[0].offset(),
                        rng[1].offset()});
                }
            }
            assertArrayEquals(results[0], results[1], streams + " stream(s): the eager steps' numbers");
            if (streams == 1) {
                assertEquals(0, writes[1], "one stream: no offset write after the first of 6 replays");
            } else {
                assertEquals(5, writes[1], "two streams: an offset write before each of the 5 replays after the first");
            }
        }
    }

    @Test
    void loggedLossesAreTheReturnedOnesAndReadBackInRanges() {
        dbn4j.cpu.LossLogTest.loggedLossesAreTheReturnedOnes(gpu);
        try (Matrix z = gpu.matrix(3, 4, random(72, 12, -2, 2)); Matrix t = gpu.matrix(3, 4, random(73, 12, 0, 1));
                Backend.LossLog log = gpu.lossLog(1)) {
            gpu.sigmoidCrossEntropy(z, t, null, null, log, 0);
            double cpu;
            try (Matrix cz = CPU.matrix(3, 4, random(72, 12, -2, 2));
                    Matrix ct = CPU.matrix(3, 4, random(73, 12, 0, 1))) {
                cpu = CPU.sigmoidCrossEntropy(cz, ct, null, null);
            }
            assertEquals(cpu, log.read(0, 1)[0], 1e-12 * Math.abs(cpu), "the logged GPU loss against the CPU's");
            // A log longer than the staging buffer (4 MiB = 524,288 doubles) is read back in pieces.
            try (Backend.LossLog big = gpu.lossLog(600_000)) {
                gpu.sigmoidCrossEntropy(z, t, null, null, big, 0);
                gpu.squaredError(z, t, null, big, 524_289);
                double[] all = big.read(0, 600_000);
                assertEquals(log.read(0, 1)[0], all[0]);
                assertEquals(gpu.squaredError(z, t, null), all[524_289]);
                assertArrayEquals(new double[] {all[524_289]}, big.read(524_289, 524_290));
            }
        }
    }

    @Test
    void misuseFailsInJavaAndOutOfMemoryNamesTheCall() {
        Matrix m = gpu.allocate(2, 2);
        m.close();
        m.close(); // idempotent
        assertThrows(IllegalStateException.class, m::toArray);
        try (Matrix onCpu = CPU.allocate(2, 2); Matrix y = gpu.allocate(2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.sigmoid(onCpu, y));
            assertTrue(e.getMessage().contains("cpu backend"), e.getMessage());
        }
        // 1 TiB: more than any card has; cudaMalloc fails and the exception names it.
        Dbn4jException oom = assertThrows(Dbn4jException.class, () -> gpu.allocate(1 << 20, 1 << 18));
        assertTrue(oom.getMessage().contains("dbn4j_cuda_malloc") && oom.getMessage().contains("cudaMalloc"),
                oom.getMessage());
        gpu.synchronize(); // the failed allocation leaves the stream usable
        try (Matrix ok = gpu.matrix(1, 2, 1f, 2f)) {
            assertArrayEquals(new float[] {1f, 2f}, ok.toArray());
        }
    }

    // ---- GEMM ----

    /**
     * cuBLAS sums the K products in another order (and blocking) than OpenBLAS. Each result is a sum of K products
     * rounded to float; any summation order is within K u sum|a_ik b_kj| of the exact value (u = 2^-24), so two
     * orders differ by at most 2 K u sum|a b|, plus three roundings per side for alpha s + beta c: that bound,
     * computed per element, is the tolerance (a wrong operand, transpose or leading dimension misses it by far).
     * TF32 reduces both inputs to an 11-bit significand before FP32 accumulation: relative 2^-10 each if the
     * hardware truncates (2^-11 if it rounds), so at most 2^-9 per product: the bound gains 2^-9 sum|a b|. BF16 keeps
     * an 8-bit significand: 2^-7 per input truncated, at most 2^-6 (with the cross term, under 2^-5.9) per product:
     * the bound gains 2^-5 sum|a b|; a wrong operand still misses it by far (errors of order sum|a b| itself).
     */
    @Test
    void gemmAgreesWithinTheSummationOrderBound() {
        int m = 67, n = 45, k = 129;
        CudaBackend cuda = (CudaBackend) gpu;
        for (CudaBackend.MathMode mode : CudaBackend.MathMode.values()) {
            cuda.setMathMode(mode);
            try {
                for (Transpose ta : Transpose.values()) {
                    for (Transpose tb : Transpose.values()) {
                        gemmCase(ta, tb, m, n, k, mode == CudaBackend.MathMode.TF32 ? 0x1p-9
                                : mode == CudaBackend.MathMode.BF16 ? 0x1p-5 : 0);
                    }
                }
            } finally {
                cuda.setMathMode(CudaBackend.MathMode.FP32);
            }
        }
        // The reduced precisions are really used: their products differ from FP32's somewhere.
        float[] a = random(5, 64 * 64, -1, 1), b = random(6, 64 * 64, -1, 1);
        float[][] products = new float[3][];
        for (CudaBackend.MathMode mode : CudaBackend.MathMode.values()) {
            cuda.setMathMode(mode);
            try (Matrix ma = gpu.matrix(64, 64, a); Matrix mb = gpu.matrix(64, 64, b);
                    Matrix mc = gpu.allocate(64, 64)) {
                gpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, ma, mb, 0f, mc);
                products[mode.ordinal()] = mc.toArray();
            } finally {
                cuda.setMathMode(CudaBackend.MathMode.FP32);
            }
        }
        for (CudaBackend.MathMode mode : new CudaBackend.MathMode[] {CudaBackend.MathMode.TF32,
            CudaBackend.MathMode.BF16}) {
            assertTrue(!java.util.Arrays.equals(products[0], products[mode.ordinal()]), mode + " equals FP32");
        }
    }

    private static void gemmCase(Transpose ta, Transpose tb, int m, int n, int k, double inputRounding) {
        boolean tA = ta == Transpose.TRANSPOSE, tB = tb == Transpose.TRANSPOSE;
        int ar = tA ? k : m, ac = tA ? m : k, br = tB ? n : k, bc = tB ? k : n;
        float[] a = random(2, ar * ac, -1, 1);
        float[] b = random(3, br * bc, -1, 1);
        float[] c = random(4, m * n, -1, 1);
        float alpha = 0.5f, beta = 0.25f;
        float[][] r = both(be -> {
            try (Matrix ma = be.matrix(ar, ac, a); Matrix mb = be.matrix(br, bc, b); Matrix mc = be.matrix(m, n, c)) {
                be.gemm(ta, tb, alpha, ma, mb, beta, mc);
                return mc.toArray();
            }
        });
        double u = 0x1p-24;
        // sum_k |a_ik b_kj| for every (i, j): the reference product of the absolute values.
        float[] absProducts = Reference.gemm(tA, tB, 1f, abs(a), ar, ac, abs(b), br, bc, 0f, null);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double abs = absProducts[i * n + j];
                // + 3 roundings per side for alpha s + beta c.
                double bound = inputRounding * alpha * abs
                        + 2 * (k + 3) * u * (alpha * abs + beta * Math.abs(c[i * n + j]));
                double d = Math.abs(r[0][i * n + j] - r[1][i * n + j]);
                assertTrue(d <= bound, ta + "/" + tb + " (" + i + "," + j + "): cpu " + r[0][i * n + j] + " cuda "
                        + r[1][i * n + j] + ", |d| " + d + " > bound " + bound);
            }
        }
    }

    static float[] abs(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.abs(x[i]);
        }
        return out;
    }

    // ---- elementwise ----

    @Test
    void activationsAndBackwardMapsAreBitIdentical() {
        int rows = 33, cols = 65;
        float[] x = random(5, rows * cols, -20, 20);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 88.8f;
        x[3] = -104f;
        float[] dy = random(6, rows * cols, -1, 1);
        assertBitIdentical(both(be -> unary(be, rows, cols, x, Backend::sigmoid)), "sigmoid");
        assertBitIdentical(both(be -> unary(be, rows, cols, x, Backend::tanh)), "tanh");
        assertBitIdentical(both(be -> unary(be, rows, cols, x, Backend::relu)), "relu");
        assertBitIdentical(both(be -> unary(be, rows, cols, x, Backend::softmax)), "softmax");
        float[] y = random(7, rows * cols, 0, 1);
        assertBitIdentical(both(be -> backward(be, rows, cols, y, dy, Backend::sigmoidBackward)), "sigmoidBackward");
        assertBitIdentical(both(be -> backward(be, rows, cols, y, dy, Backend::tanhBackward)), "tanhBackward");
        float[] yr = random(8, rows * cols, -1, 1);
        assertBitIdentical(both(be -> backward(be, rows, cols, yr, dy, Backend::reluBackward)), "reluBackward");
        float[] bias = random(9, cols, -1, 1);
        assertBitIdentical(both(be -> {
            try (Matrix m = be.matrix(rows, cols, x); Matrix bm = be.matrix(1, cols, bias)) {
                be.addRowVector(m, bm);
                return m.toArray();
            }
        }), "addRowVector");
        float[][] fused = both(be -> {
            try (Matrix m = be.matrix(rows, cols, x); Matrix bm = be.matrix(1, cols, bias)) {
                be.biasSigmoid(m, bm);
                return m.toArray();
            }
        });
        assertBitIdentical(fused, "biasSigmoid");
        try (Matrix m = gpu.matrix(rows, cols, x); Matrix bm = gpu.matrix(1, cols, bias)) {
            gpu.addRowVector(m, bm);
            gpu.sigmoid(m, m);
            assertArrayEquals(m.toArray(), fused[1], "biasSigmoid = addRowVector + sigmoid on the GPU");
        }
    }

    /** log_softmax: CUDA's double log against glibc's, both correctly rounded to within 1 double ulp, then rounded
     *  to float: at most 1 float ulp apart. */
    @Test
    void logSoftmaxWithinOneUlp() {
        float[] x = random(10, 40 * 10, -30, 30);
        assertUlps(both(be -> unary(be, 40, 10, x, Backend::logSoftmax)), 1, "logSoftmax");
    }

    interface Unary {
        void apply(Backend be, Matrix x, Matrix y);
    }

    interface Backward {
        void apply(Backend be, Matrix y, Matrix dy, Matrix dx);
    }

    static float[] unary(Backend be, int rows, int cols, float[] x, Unary op) {
        try (Matrix mx = be.matrix(rows, cols, x); Matrix my = be.allocate(rows, cols)) {
            op.apply(be, mx, my);
            return my.toArray();
        }
    }

    static float[] backward(Backend be, int rows, int cols, float[] y, float[] dy, Backward op) {
        try (Matrix my = be.matrix(rows, cols, y); Matrix mdy = be.matrix(rows, cols, dy);
                Matrix dx = be.allocate(rows, cols)) {
            op.apply(be, my, mdy, dx);
            return dx.toArray();
        }
    }

    // ---- losses ----

    /**
     * p and dz are bit-identical (same float operations per element). The loss values are double sums of B row
     * terms in another order (a warp butterfly on the GPU, rows in order on the CPU) of terms computed with CUDA's
     * double exp/log/log1p (within 1-2 double ulps of glibc's): relative 1e-12 is thousands of double ulps of
     * margin and still far below any float-level error.
     */
    @Test
    void lossesAgree() {
        int rows = 50, k = 10;
        float[] z = random(11, rows * k, -8, 8);
        float[] t = new float[rows * k];
        for (int i = 0; i < rows; i++) {
            t[i * k + (i * 7) % k] = 1f;
        }
        float[] tb = random(12, rows * k, 0, 1);
        double[] loss = new double[2];
        for (int which = 0; which < 3; which++) {
            final int w = which;
            float[][] out = new float[2][];
            for (int side = 0; side < 2; side++) {
                Backend be = side == 0 ? CPU : gpu;
                try (Matrix mz = be.matrix(rows, k, z); Matrix mt = be.matrix(rows, k, w == 0 ? t : tb);
                        Matrix p = be.allocate(rows, k); Matrix dz = be.allocate(rows, k)) {
                    if (w == 0) {
                        loss[side] = be.softmaxCrossEntropy(mz, mt, p, dz);
                    } else if (w == 1) {
                        loss[side] = be.sigmoidCrossEntropy(mz, mt, p, dz);
                    } else {
                        loss[side] = be.squaredError(mz, mt, dz);
                    }
                    float[] pa = p.toArray(), da = dz.toArray();
                    float[] both = new float[pa.length + da.length];
                    System.arraycopy(pa, 0, both, 0, pa.length);
                    System.arraycopy(da, 0, both, pa.length, da.length);
                    out[side] = both;
                }
            }
            String name = new String[] {"softmaxCrossEntropy", "sigmoidCrossEntropy", "squaredError"}[w];
            assertBitIdentical(out, name + " p and dz");
            assertEquals(loss[0], loss[1], 1e-12 * Math.abs(loss[0]), name + " loss");
            assertTrue(loss[0] > 0, name + " loss is positive on these inputs");
        }
        float[][] gradientOnly = both(be -> {
            try (Matrix mz = be.matrix(rows, k, z); Matrix mt = be.matrix(rows, k, t);
                    Matrix dz = be.allocate(rows, k)) {
                be.softmaxCrossEntropyGradient(mz, mt, null, dz);
                return dz.toArray();
            }
        });
        assertBitIdentical(gradientOnly, "softmaxCrossEntropyGradient dz");
    }

    // ---- reductions, BLAS-1, updates, rows ----

    @Test
    void reductionsUpdatesAndGathersAreBitIdentical() {
        int rows = 257, cols = 33;
        float[] x = random(13, rows * cols, -1, 1);
        float[] out0 = random(14, cols, -1, 1);
        assertBitIdentical(both(be -> {
            try (Matrix mx = be.matrix(rows, cols, x); Matrix out = be.matrix(1, cols, out0)) {
                be.columnSums(mx, out, 0.3f, 0.7f);
                return out.toArray();
            }
        }), "columnSums");
        // 1500 rows: 24 chunks of 64 rows in 3 groups, summed at once through the backend's workspace.
        float[] tall = random(16, 1500 * cols, -1, 3);
        assertBitIdentical(both(be -> {
            try (Matrix mx = be.matrix(1500, cols, tall); Matrix out = be.matrix(1, cols, out0)) {
                be.columnSums(mx, out, -0.3f, 0f);
                float[] first = out.toArray();
                be.columnSums(mx, out, 0.3f, 1f); // a second call finds the workspace's counters at zero again
                float[] both = out.toArray();
                float[] r = java.util.Arrays.copyOf(first, 2 * cols);
                System.arraycopy(both, 0, r, cols, cols);
                return r;
            }
        }), "columnSums of 1500 rows");
        float[] y0 = random(15, rows * cols, -1, 1);
        assertBitIdentical(both(be -> {
            try (Matrix mx = be.matrix(rows, cols, x); Matrix my = be.matrix(rows, cols, y0)) {
                be.axpy(-0.37f, mx, my);
                be.scale(1.7f, my);
                return my.toArray();
            }
        }), "axpy and scale");
        float[] g = random(16, rows * cols, -1, 1);
        float[] v0 = random(17, rows * cols, -0.1, 0.1);
        for (boolean nesterov : new boolean[] {false, true}) {
            assertBitIdentical(both(be -> {
                try (Matrix w = be.matrix(rows, cols, y0); Matrix mg = be.matrix(rows, cols, g);
                        Matrix v = be.matrix(rows, cols, v0)) {
                    be.sgdMomentum(w, mg, v, 0.05f, 0.9f, 1e-4f, nesterov);
                    float[] wa = w.toArray(), va = v.toArray();
                    float[] both = new float[wa.length * 2];
                    System.arraycopy(wa, 0, both, 0, wa.length);
                    System.arraycopy(va, 0, both, wa.length, va.length);
                    return both;
                }
            }), "sgdMomentum nesterov=" + nesterov);
        }
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = (i * 101) % rows;
        }
        assertBitIdentical(both(be -> {
            try (Matrix mx = be.matrix(rows, cols, x); Matrix dst = be.allocate(rows, cols)) {
                be.gatherRows(mx, order, dst);
                return dst.toArray();
            }
        }), "gatherRows");
    }

    /**
     * The activations with their column sums (an RBM's bias gradients), fused into one kernel each on CUDA, against
     * the CPU (whose fused calls equal the plain call and columnSums): rows, samples and sums bit for bit, fused and
     * unfused, and with only the sampler above its fusion limit, for 100 rows (one block per 32 columns) and 1500 (row
     * chunks summed at once through the workspace), with beta 0 and 1 and the stream at offsets of every residue
     * mod 4.
     */
    @Test
    void fusedColumnSumsAreBitIdentical() {
        CudaBackend cuda = (CudaBackend) gpu;
        int cols = 77;
        float[] bias = random(40, cols, -1, 1);
        float[] sums0 = random(41, cols, -1, 1);
        try {
            for (int mode = 0; mode < 3; mode++) {
                String fused = new String[] {"both fused", "none fused", "sampler not fused"}[mode];
                cuda.setFusedSums(mode != 1);
                cuda.setFusedSamplerLimit(mode == 2 ? 0 : Long.MAX_VALUE);
                for (int rows : new int[] {100, 1500}) {
                    float[] x = random(42 + rows, rows * cols, -6, 6);
                    for (long offset : new long[] {0, 1, 2, 3}) {
                        assertBitIdentical(both(be -> {
                            RandomStream rng = new RandomStream(5, offset);
                            try (Matrix mx = be.matrix(rows, cols, x); Matrix mb = be.matrix(1, cols, bias);
                                    Matrix p = be.allocate(rows, cols); Matrix smp = be.allocate(rows, cols);
                                    Matrix sums = be.matrix(1, cols, sums0); Matrix y = be.matrix(rows, cols, x)) {
                                be.sigmoidBernoulli(rng, mx, mb, p, smp, sums, -1f / rows, 0f);
                                be.biasSigmoid(y, mb, sums, 1f / rows, 1f);
                                be.sigmoidBernoulli(rng, mx, null, mx, smp, sums, 0.5f, 1f); // in place, no bias
                                return Reference.concat(p.toArray(), smp.toArray(), y.toArray(), mx.toArray(),
                                        sums.toArray(), new float[] {rng.offset()});
                            }
                        }), "sigmoidBernoulli and biasSigmoid with sums, " + fused + ", " + rows + " rows, offset "
                                + offset);
                    }
                }
            }
        } finally {
            cuda.setFusedSums(true);
            cuda.setFusedSamplerLimit(CudaBackend.DEFAULT_FUSED_SAMPLER_LIMIT);
        }
    }

    /**
     * A bias's step given to columnSums and biasSigmoid (in the sums' launch, or after it when not fused): the sums,
     * the stepped vector (the bias itself for biasSigmoid, as the RBM does) and its velocity equal the CPU's bit for
     * bit, with and without the column-sum workspace's many-block path (1500 rows), plain and Nesterov momentum.
     */
    @Test
    void biasStepsInTheSumKernelsAreBitIdentical() {
        CudaBackend cuda = (CudaBackend) gpu;
        int cols = 77;
        float[] bias = random(50, cols, -1, 1);
        float[] sums0 = random(51, cols, -1, 1);
        float[] w0 = random(52, cols, -1, 1);
        float[] v0 = random(53, cols, -0.1, 0.1);
        try {
            for (boolean fused : new boolean[] {true, false}) {
                cuda.setFusedSums(fused);
                for (int rows : new int[] {0, 100, 1500}) {
                    float[] x = random(54 + rows, rows * cols, -6, 6);
                    for (boolean nesterov : new boolean[] {false, true}) {
                        assertBitIdentical(both(be -> {
                            try (Matrix mx = be.matrix(rows, cols, x); Matrix mb = be.matrix(1, cols, bias);
                                    Matrix sums = be.matrix(1, cols, sums0); Matrix w = be.matrix(1, cols, w0);
                                    Matrix v = be.matrix(1, cols, v0); Matrix vb = be.matrix(1, cols, v0)) {
                                be.columnSums(mx, sums, 1f / Math.max(rows, 1), 0.5f,
                                        new Backend.SgdStep(w, v, 0.1f, 0.9f, 1e-3f, nesterov));
                                be.biasSigmoid(mx, mb, sums, -1f / Math.max(rows, 1), 1f,
                                        new Backend.SgdStep(mb, vb, 0.05f, 0.5f, 0f, nesterov));
                                return Reference.concat(sums.toArray(), w.toArray(), v.toArray(), mx.toArray(),
                                        mb.toArray(), vb.toArray());
                            }
                        }), "bias steps after the sums, " + (fused ? "fused" : "not fused") + ", " + rows
                                + " rows, nesterov " + nesterov);
                    }
                }
            }
        } finally {
            cuda.setFusedSums(true);
        }
    }


    /** softplus row sums: per element CUDA's log1p/exp (float results within 1 ulp), summed over 33 columns in the
     *  same order: the sum may differ by about one ulp per term relative to each term; 33 ulps of the total bounds it
     *  (all terms are positive, so no cancellation). */
    @Test
    void softplusRowSumsWithinUlps() {
        int rows = 40, cols = 33;
        float[] x = random(18, rows * cols, -10, 10);
        assertUlps(both(be -> {
            try (Matrix mx = be.matrix(rows, cols, x); Matrix out = be.allocate(rows, 1)) {
                be.softplusRowSums(mx, out);
                return out.toArray();
            }
        }), cols, "softplusRowSums");
    }

    // ---- random ----

    @Test
    void randomStreamAndSamplesAreBitIdentical() {
        int rows = 31, cols = 77; // odd sizes: Philox blocks of 4 words straddle calls and rows
        float[] p = random(19, rows * cols, 0, 1);
        float[] x = random(20, rows * cols, -4, 4);
        float[] bias = random(21, cols, -1, 1);
        for (long offset : new long[] {0, 3, (1L << 32) + 5}) {
            assertBitIdentical(both(be -> {
                RandomStream rng = new RandomStream(77, offset);
                try (Matrix u = be.allocate(rows, cols); Matrix mp = be.matrix(rows, cols, p);
                        Matrix s = be.allocate(rows, cols); Matrix gss = be.allocate(rows, cols);
                        Matrix mx = be.matrix(rows, cols, x); Matrix mb = be.matrix(1, cols, bias);
                        Matrix sp = be.allocate(rows, cols); Matrix ss = be.allocate(rows, cols)) {
                    be.uniform(rng, u);
                    be.bernoulli(rng, mp, s);
                    be.gaussian(rng, mp, 0.5f, gss);
                    be.sigmoidBernoulli(rng, mx, mb, sp, ss);
                    float[] all = new float[rows * cols * 5];
                    int at = 0;
                    for (Matrix m : new Matrix[] {u, s, gss, sp, ss}) {
                        float[] a = m.toArray();
                        System.arraycopy(a, 0, all, at, a.length);
                        at += a.length;
                    }
                    return all;
                }
            }), "uniform, bernoulli, gaussian, sigmoidBernoulli at offset " + offset);
        }
    }

    /**
     * Logged losses of both streams at once (each stream's row scratch), eagerly and in a graph: a squared error
     * forked to the second stream while the main one computes a cross-entropy of other rows, both logged, give the
     * values of the two calls in order.
     */
    private static void loggedLossesOnBothStreams() {
        CudaBackend cuda = (CudaBackend) gpu;
        int rows = 300, cols = 40;
        double[][] logged = new double[3][];
        for (int mode = 0; mode < 3; mode++) {   // in order, forked eagerly, forked in a graph
            try (Matrix y = gpu.matrix(rows, cols, random(51, rows * cols, -2, 2));
                    Matrix t = gpu.matrix(rows, cols, random(52, rows * cols, 0, 1));
                    Matrix z = gpu.matrix(rows, cols, random(53, rows * cols, -3, 3));
                    Backend.LossLog log = gpu.lossLog(2)) {
                boolean inOrder = mode == 0;
                Runnable step = () -> {
                    if (inOrder) {
                        gpu.squaredError(y, t, null, log, 0);
                        gpu.sigmoidCrossEntropy(z, t, null, null, log, 1);
                    } else {
                        Backend.Fork f = gpu.fork(() -> gpu.squaredError(y, t, null, log, 0));
                        gpu.sigmoidCrossEntropy(z, t, null, null, log, 1);
                        gpu.join(f);
                    }
                };
                if (mode < 2) {
                    step.run();
                } else {
                    try (CudaBackend.Graph g = cuda.capture(step)) {
                        g.launch();
                    }
                }
                logged[mode] = log.read(0, 2);
            }
        }
        assertArrayEquals(logged[0], logged[1], "a logged loss on the second stream, eagerly");
        assertArrayEquals(logged[0], logged[2], "a logged loss on the second stream, in a graph");
        assertTrue(logged[0][0] > 0 && logged[0][1] > 0, java.util.Arrays.toString(logged[0]));
    }

    /**
     * Forks on the second stream ({@link Backend#fork}): a step whose column sums (into the same vector the main
     * stream later accumulates into) and a GEMM run as forks gives the bits of the same calls in order eagerly, and
     * them within a few ulps replayed from a graph (the forks its parallel branches), on 1500 rows (both streams'
     * column-sum workspaces in use at once). A captured step that leaves a fork open fails, naming it, and the
     * backend works on; more forks open than the backend has events for are refused.
     */
    @Test
    void forksOnTheSecondStreamGiveTheBitsOfTheCallsInOrder() {
        loggedLossesOnBothStreams();
        CudaBackend cuda = (CudaBackend) gpu;
        int rows = 1500, cols = 77, out = 40;
        float[] x0 = random(60, rows * cols, -2, 2);
        float[] w0 = random(61, cols * out, -1, 1);
        float[][] results = new float[3][];
        for (int mode = 0; mode < 3; mode++) {   // in order, forked eagerly, forked in a graph
            cuda.setConcurrentForks(mode > 0);
            try (Matrix x = gpu.matrix(rows, cols, x0); Matrix w = gpu.matrix(cols, out, w0);
                    Matrix y = gpu.allocate(rows, out); Matrix z = gpu.allocate(rows, out);
                    Matrix g = gpu.allocate(cols, out); Matrix sums = gpu.allocate(1, cols);
                    Matrix zb = gpu.matrix(1, out, random(62, out, -1, 1)); Matrix zsums = gpu.allocate(1, out)) {
                Runnable step = () -> {
                    Backend.Fork f1 = gpu.fork(() -> gpu.columnSums(x, sums, 1f / rows, 0f));
                    gpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, x, w, 0f, y);
                    Backend.Fork f2 = gpu.fork(() -> gpu.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 0.5f, x, y,
                            0f, g));
                    // Between fork and join the main stream neither writes x or y nor touches sums or g.
                    gpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 2f, x, w, 0f, z);
                    gpu.biasSigmoid(z, zb, zsums, 1f / rows, 0f);
                    gpu.join(f1);
                    gpu.columnSums(x, sums, -0.25f / rows, 1f);
                    gpu.join(f2);
                    gpu.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -0.5f, x, z, 1f, g);
                };
                if (mode < 2) {
                    step.run();
                } else {
                    try (CudaBackend.Graph graph = cuda.capture(step)) {
                        graph.launch();
                    }
                }
                results[mode] = Reference.concat(sums.toArray(), g.toArray(), y.toArray(), z.toArray(),
                        zsums.toArray());
            } finally {
                cuda.setConcurrentForks(true);
            }
        }
        assertArrayEquals(results[0], results[1], "forked eagerly = in order (same kernels, same cuBLAS setup)");
        // Under capture cuBLAS may pick another GEMM algorithm (graphReplaysEqualEagerSteps): a few ulps.
        assertNull(CudaTestSupport.compare(results[0], results[2], 1e-6, 1e-5), "forked in a graph = in order");

        try (Matrix a = gpu.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix sums = gpu.allocate(1, 3)) {
            IllegalStateException open = assertThrows(IllegalStateException.class,
                    () -> cuda.capture(() -> gpu.fork(() -> gpu.columnSums(a, sums, 1f, 0f))));
            assertTrue(open.getMessage().contains("not joined"), open.getMessage());
            gpu.columnSums(a, sums, 1f, 0f);
            assertArrayEquals(new float[] {5, 7, 9}, sums.toArray(), "the backend works after the failed capture");
            java.util.List<Backend.Fork> forks = new java.util.ArrayList<>();
            IllegalStateException many = assertThrows(IllegalStateException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    forks.add(gpu.fork(() -> gpu.scale(1f, sums)));
                }
            });
            assertTrue(many.getMessage().contains("forks are open"), many.getMessage());
            for (Backend.Fork f : forks) {
                gpu.join(f);
            }
            gpu.synchronize();
        }
    }

    /**
     * Capturing runs nothing; each launch replays the step, which here changes w, so three replays must equal three
     * eager steps. Same kernels and cuBLAS calls; the tolerance only allows cuBLAS another algorithm under capture
     * (10-term sums: a few float ulps).
     */
    @Test
    void graphReplaysEqualEagerSteps() {
        CudaBackend cuda = (CudaBackend) gpu;
        float[] w0 = random(30, 10 * 6, -1, 1);
        float[] x0 = random(31, 4 * 10, -1, 1);
        float[][] results = new float[2][];
        for (int mode = 0; mode < 2; mode++) {
            try (Matrix w = gpu.matrix(10, 6, w0); Matrix x = gpu.matrix(4, 10, x0); Matrix y = gpu.allocate(4, 6)) {
                Runnable step = () -> {
                    gpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, x, w, 0f, y);
                    gpu.sigmoid(y, y);
                    gpu.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -0.1f, x, y, 1f, w);
                };
                if (mode == 0) {
                    for (int i = 0; i < 3; i++) {
                        step.run();
                    }
                } else {
                    try (CudaBackend.Graph g = cuda.capture(step)) {
                        assertArrayEquals(w0, w.toArray(), "capturing runs nothing");
                        for (int i = 0; i < 3; i++) {
                            g.launch();
                        }
                        g.close();
                        assertThrows(IllegalStateException.class, g::launch);
                    }
                }
                results[mode] = w.toArray();
            }
        }
        assertTrue(CudaTestSupport.compare(w0, results[0], 1e-3, 0) != null, "the steps change w");
        assertNull(CudaTestSupport.compare(results[0], results[1], 1e-6, 1e-5), "three replays = three eager steps");
    }

    /**
     * A captured step that samples: every replay must draw the next words of the stream, as the eager step does, so
     * three replays give bit-identical samples (same kernels, offsets read on the device), the same column sums, and
     * leave the stream at the same offset. The step samples 7 x 13 units with the plain sampler, then 70 x 13 (two
     * row chunks) with the fused one that also sums its columns (an RBM step's), then with the other samplers
     * (uniform, Bernoulli, Gaussian: a Gaussian-visible RBM's): 813 words per step, so the replays start at offsets
     * of three residues mod 4. A replay that follows another moves the device's offset on itself (the graph's last
     * node): no replay after the first writes the offset first, but for the one after 3 words drawn in between.
     */
    @Test
    void graphReplaysDrawTheEagerRandomStream() {
        CudaBackend cuda = (CudaBackend) gpu;
        int rows = 7, cols = 13, tall = 70;
        float[] x0 = random(32, rows * cols, -3, 3);
        float[] b0 = random(33, cols, -1, 1);
        float[] y0 = random(34, tall * cols, -3, 3);
        float[][] results = new float[2][];
        long[] offsets = new long[2];
        for (int mode = 0; mode < 2; mode++) {
            RandomStream rng = new RandomStream(91, 5);
            try (Matrix x = gpu.matrix(rows, cols, x0); Matrix b = gpu.matrix(1, cols, b0);
                    Matrix p = gpu.allocate(rows, cols); Matrix s = gpu.allocate(rows, cols);
                    Matrix sum = gpu.allocate(rows, cols); Matrix y = gpu.matrix(tall, cols, y0);
                    Matrix py = gpu.allocate(tall, cols); Matrix sy = gpu.allocate(tall, cols);
                    Matrix sumy = gpu.allocate(tall, cols); Matrix sums = gpu.allocate(1, cols);
                    Matrix u = gpu.allocate(rows, cols); Matrix gs = gpu.allocate(rows, cols);
                    Matrix sumu = gpu.allocate(rows, cols)) {
                java.util.function.Consumer<RandomStream> step = r -> {
                    gpu.sigmoidBernoulli(r, x, b, p, s);
                    gpu.axpy(1f, s, sum);
                    gpu.sigmoidBernoulli(r, y, b, py, sy, sums, 1f, 1f);
                    gpu.axpy(1f, sy, sumy);
                    // The other samplers (a Gaussian-visible RBM's): uniform, Bernoulli of those, Gaussian around p.
                    gpu.uniform(r, u);
                    gpu.bernoulli(r, u.rows(0, rows - 1), s.rows(0, rows - 1));
                    gpu.axpy(1f, s, sumu);
                    gpu.gaussian(r, p, 0.5f, gs);
                    gpu.axpy(1f, gs, sumu);
                };
                if (mode == 0) {
                    for (int i = 0; i < 3; i++) {
                        step.accept(rng);
                    }
                    rng.take(3);
                    step.accept(rng);
                } else {
                    try (CudaBackend.Graph g = cuda.capture(rng, step)) {
                        assertEquals(5, rng.offset(), "capturing draws nothing");
                        g.launch();   // writes the offset unless the device holds it already
                        long writes = cuda.offsetWrites();
                        for (int i = 1; i < 3; i++) {
                            g.launch();
                        }
                        assertEquals(0, cuda.offsetWrites() - writes, "replays that follow each other write no "
                                + "offset");
                        rng.take(3);
                        writes = cuda.offsetWrites();
                        g.launch();
                        assertEquals(1, cuda.offsetWrites() - writes, "a replay after words drawn elsewhere writes "
                                + "the stream's offset");
                    }
                    assertThrows(IllegalStateException.class,
                            () -> cuda.capture(rng, r -> gpu.uniform(new RandomStream(1), p)).close(),
                            "a capture samples from its own stream only");
                    assertThrows(IllegalStateException.class,
                            () -> cuda.capture(rng, r -> gpu.uniform(new RandomStream(91, 100_000), p)).close(),
                            "not from another stream with the same seed either");
                }
                results[mode] = Reference.concat(sum.toArray(), sumy.toArray(), sums.toArray(), sumu.toArray());
                offsets[mode] = rng.offset();
            }
        }
        // sigmoidBernoulli and bernoulli draw ceil(n/2) words per call (one half word per sample), uniform n, gaussian
        // 2n.
        int n = rows * cols;
        int perStep = (n + 1) / 2 + tall * cols / 2 + n + ((rows - 1) * cols + 1) / 2 + 2 * n;
        assertEquals(46 + 455 + 91 + 39 + 182, perStep, "813 words: the replays start at residues 1, 2, 3 mod 4");
        assertEquals(5 + 4 * perStep + 3, offsets[1]);
        assertEquals(offsets[0], offsets[1]);
        assertArrayEquals(results[0], results[1], "four replays draw the samples and sums of four eager steps");
        float total = 0;
        for (int i = 0; i < rows * cols; i++) {
            total += results[0][i];
        }
        assertTrue(total > 0 && total < 4 * rows * cols, "the samples vary: " + total);
    }

    @Test
    void aWaitInsideACaptureFailsAndLeavesTheStreamUsable() {
        CudaBackend cuda = (CudaBackend) gpu;
        try (Matrix m = gpu.matrix(1, 2, 1f, 2f)) {
            Dbn4jException e = assertThrows(Dbn4jException.class, () -> cuda.capture(m::toArray));
            assertTrue(e.getMessage().contains("dbn4j_cuda_copy_to_host"), e.getMessage());
            gpu.scale(2f, m);
            assertArrayEquals(new float[] {2f, 4f}, m.toArray());
        }
    }

    /**
     * A capture that fails with a fork's branch open (a host copy after the fork) ends for both streams: eager forks,
     * joins and waits work afterwards, and the fork pool has all its events back.
     */
    @Test
    void aCaptureFailingWithAnOpenForkLeavesBothStreamsUsable() {
        CudaBackend cuda = (CudaBackend) gpu;
        try (Matrix a = gpu.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix sums = gpu.allocate(1, 3)) {
            assertThrows(Dbn4jException.class, () -> cuda.capture(() -> {
                gpu.fork(() -> gpu.columnSums(a, sums, 1f, 0f));
                a.toArray();
            }));
            java.util.List<Backend.Fork> forks = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {   // the whole pool: the failed capture gave its event back
                forks.add(gpu.fork(() -> gpu.columnSums(a, sums, 1f, 0f)));
            }
            for (Backend.Fork f : forks) {
                gpu.join(f);
            }
            gpu.synchronize();
            assertArrayEquals(new float[] {5, 7, 9}, sums.toArray());
        }
    }

    /**
     * A step recorded without a RandomStream may not sample (its replays would repeat the numbers); the backend works
     * afterwards. (Other threads during a recording: {@link CudaThreadsTest}.)
     */
    @Test
    void captureRefusesSamplingWithoutAStream() {
        CudaBackend cuda = (CudaBackend) gpu;
        try (Matrix m = gpu.matrix(1, 4, 1f, 2f, 3f, 4f)) {
            IllegalStateException sampled = assertThrows(IllegalStateException.class,
                    () -> cuda.capture(() -> gpu.uniform(new RandomStream(5), m)));
            assertTrue(sampled.getMessage().contains("without a RandomStream"), sampled.getMessage());
            try (CudaBackend.Graph g = cuda.capture(() -> gpu.scale(2f, m))) {
                g.launch();
            }
            assertArrayEquals(new float[] {2f, 4f, 6f, 8f}, m.toArray(), "the replay scaled by 2 only");
        }
    }

    /**
     * A step that tries to record another step is refused, both ways of capturing, and its own recording goes on
     * unharmed: the step's sampling still draws the stream's numbers.
     */
    @Test
    void aNestedCaptureIsRefusedAndTheStepStillRecords() {
        CudaBackend cuda = (CudaBackend) gpu;
        float[] want;
        try (Matrix w = CPU.allocate(1, 6)) {
            CPU.uniform(new RandomStream(8), w);
            want = w.toArray();
        }
        try (Matrix m = gpu.matrix(1, 2, 1f, 2f); Matrix u = gpu.allocate(1, 6)) {
            IllegalStateException[] nested = new IllegalStateException[2];
            RandomStream rng = new RandomStream(8);
            try (CudaBackend.Graph g = cuda.capture(rng, r -> {
                gpu.scale(2f, m);
                nested[0] = assertThrows(IllegalStateException.class, () -> cuda.capture(() -> gpu.scale(5f, m)));
                nested[1] = assertThrows(IllegalStateException.class,
                        () -> cuda.capture(r, q -> gpu.scale(7f, m)));
                gpu.uniform(r, u);
            })) {
                for (IllegalStateException e : nested) {
                    assertTrue(e.getMessage().contains("already recording a step"), e.getMessage());
                }
                assertArrayEquals(new float[] {1f, 2f}, m.toArray(), "recorded, not run");
                g.launch();
            }
            assertArrayEquals(new float[] {2f, 4f}, m.toArray(), "the replay scaled by 2 only");
            assertArrayEquals(want, u.toArray(), "the replay drew the stream's first numbers");
            assertEquals(6, rng.offset(), "and moved the stream past them");
        }
    }

    /** A replay refuses to run once the memory of a matrix that its step uses is freed (not at a view's close). */
    @Test
    void aReplayRefusesClosedMatrices() {
        CudaBackend cuda = (CudaBackend) gpu;
        try (Matrix kept = gpu.matrix(1, 2, 1f, 2f)) {
            Matrix gone = gpu.matrix(2, 2, 1f, 2f, 3f, 4f);
            Matrix row = gone.rows(1, 2);
            try (CudaBackend.Graph g = cuda.capture(() -> {
                gpu.scale(2f, kept);
                gpu.axpy(1f, row, kept);
            })) {
                g.launch();
                assertArrayEquals(new float[] {5f, 8f}, kept.toArray());
                row.close();   // a view: its memory stays (its parent's)
                g.launch();
                assertArrayEquals(new float[] {13f, 20f}, kept.toArray());
                gone.close();
                IllegalStateException e = assertThrows(IllegalStateException.class, g::launch);
                assertTrue(e.getMessage().contains("(1x2) that the recorded step uses has been closed and freed"),
                        e.getMessage());
                assertArrayEquals(new float[] {13f, 20f}, kept.toArray(), "nothing replayed");
            }
        }
    }

    @Test
    void synchronizeReportsNothingAfterGoodWork() {
        try (Matrix m = gpu.matrix(1, 3, 1f, 2f, 3f)) {
            gpu.scale(2f, m);
            gpu.synchronize();
            assertNull(CudaTestSupport.compare(new float[] {2f, 4f, 6f}, m.toArray(), 0, 0));
        }
    }
}
