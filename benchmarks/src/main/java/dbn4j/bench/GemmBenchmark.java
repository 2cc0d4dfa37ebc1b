package dbn4j.bench;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.Transpose;
import dbn4j.cpu.CpuBackend;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * C = A * B (no transposes, alpha 1, beta 0) through dbn4j ({@link Backend#gemm}) and through {@code cblas_sgemm}
 * of the bytedeco {@code openblas_nolapack} preset called directly on the same memory: the very library copy that
 * dbn4j binds to. With {@code -Ddbn4j.gemm=openblas} the difference is dbn4j's own overhead; with the default
 * ({@code auto}) dbn4j runs its own AVX2 kernel on the batch shape 100x784x500 (not on the larger two), so there the
 * ratio compares the two kernels. Shapes are M x K x N.
 *
 * <p>{@code dbn4jGemm} and {@code cblasSgemm} run in separate forks, one after the other, so on a shared machine a
 * change of load between them moves their ratio by far more than 3%. {@code interleaved} therefore also times the two
 * paths alternately within one fork (each invocation calls both, in alternating order) and reports, per iteration,
 * their total and their fastest call times as the secondary metrics {@code dbn4jNanos}, {@code directNanos},
 * {@code dbn4jBestNanos} and {@code directBestNanos}; the runner's GEMM bar uses them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    @Param({"100x784x500", "1000x784x500", "1024x1024x1024"})
    public String shape;

    /** Threads of OpenBLAS (and of dbn4j's kernels). */
    @Param("1")
    public int threads;

    @Param("cpu")
    public String backend;

    private Backend b;
    private int m;
    private int k;
    private int n;
    private Matrix a;
    private Matrix bm;
    private Matrix c;
    private FloatPointer ap;
    private FloatPointer bp;
    private FloatPointer cp;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String[] mkn = shape.split("x");
        m = Integer.parseInt(mkn[0]);
        k = Integer.parseInt(mkn[1]);
        n = Integer.parseInt(mkn[2]);
        b = BenchSupport.open(backend, threads, "best", params);
        checkOneOpenBlas();
        SplittableRandom rng = new SplittableRandom(BenchSupport.SEED);
        a = b.matrix(m, k, BenchSupport.uniform(rng, m * k, -1f, 1f));
        bm = b.matrix(k, n, BenchSupport.uniform(rng, k * n, -1f, 1f));
        c = b.allocate(m, n);
        ap = BenchSupport.floats(a);
        bp = BenchSupport.floats(bm);
        cp = BenchSupport.floats(c);
        checkSameResult();
    }

    /**
     * The preset and dbn4j must drive one OpenBLAS copy (one thread pool): a thread count set through the preset
     * must be the one dbn4j reads.
     */
    private void checkOneOpenBlas() {
        CpuBackend cpu = (CpuBackend) b;
        openblas_nolapack.blas_set_num_threads(threads + 1);
        int seen = cpu.blasThreads();
        cpu.setBlasThreads(threads);
        if (seen != threads + 1) {
            throw new IllegalStateException("openblas_nolapack and dbn4j use different OpenBLAS copies: "
                    + cpu.blasLibrary());
        }
    }

    /** Both paths must compute the same C, or the comparison means nothing. */
    private void checkSameResult() {
        cblasSgemm();
        float[] direct = c.toArray();
        dbn4jGemm();
        float[] viaDbn4j = c.toArray();
        double maxDiff = 0;
        for (int i = 0; i < direct.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(direct[i] - viaDbn4j[i]));
        }
        // |C| is up to about sqrt(K); a float sum of K products differs by far less than 1e-3 between two orders.
        if (!(maxDiff <= 1e-3)) {
            throw new IllegalStateException("dbn4j gemm and cblas_sgemm differ on " + shape + ": max |diff| "
                    + maxDiff);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.close(a, bm, c);
    }

    /**
     * Nanoseconds spent in each path by {@link #interleaved} during one iteration: in all, and the fastest call (0 until
     * the first call: JMH zeroes the counters before each iteration).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PairTimes {
        public long dbn4jNanos;
        public long directNanos;
        public long dbn4jBestNanos;
        public long directBestNanos;
        private boolean dbn4jFirst;

        @Setup(Level.Iteration)
        public void reset() {
            dbn4jNanos = 0;
            directNanos = 0;
            dbn4jBestNanos = 0;
            directBestNanos = 0;
        }

        void add(long dbn4j, long direct) {
            dbn4jNanos += dbn4j;
            directNanos += direct;
            dbn4jBestNanos = dbn4jBestNanos == 0 ? dbn4j : Math.min(dbn4jBestNanos, dbn4j);
            directBestNanos = directBestNanos == 0 ? direct : Math.min(directBestNanos, direct);
        }
    }

    /** Both paths, alternately first (so neither always finds the other's data in cache); time per pair. */
    @Benchmark
    public Matrix interleaved(PairTimes t) {
        t.dbn4jFirst = !t.dbn4jFirst;
        if (t.dbn4jFirst) {
            long t0 = System.nanoTime();
            dbn4jGemm();
            long t1 = System.nanoTime();
            cblasSgemm();
            long t2 = System.nanoTime();
            t.add(t1 - t0, t2 - t1);
        } else {
            long t0 = System.nanoTime();
            cblasSgemm();
            long t1 = System.nanoTime();
            dbn4jGemm();
            long t2 = System.nanoTime();
            t.add(t2 - t1, t1 - t0);
        }
        return c;
    }

    @Benchmark
    public Matrix dbn4jGemm() {
        b.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, bm, 0f, c);
        return c;
    }

    @Benchmark
    public Matrix cblasSgemm() {
        openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1f, ap, k, bp, n, 0f, cp, n);
        return c;
    }
}
