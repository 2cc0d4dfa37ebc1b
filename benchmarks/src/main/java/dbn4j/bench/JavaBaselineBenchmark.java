package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.cpu.CpuKernels;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Plain Java loops over float[] (one thread) doing the work of ElementwiseBenchmark.sigmoid and of
 * RandomBenchmark.sigmoidBernoulli on the same 1000 x 1000 shape and the same kind of inputs, so the runner can
 * print the ratio dbn4j / plain Java of one run. One operation is one element.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(BenchSupport.ELEMENTS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class JavaBaselineBenchmark {
    private static final int ROWS = BenchSupport.ROWS;
    private static final int COLS = BenchSupport.COLS;

    private float[] x;
    private float[] bias;
    private float[] p;
    private float[] s;
    private SplittableRandom splittable;
    private long philoxSeed;
    private long philoxOffset;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        try { // dbn4j is only needed to record the environment and to check the Java Philox
            checkPhilox(BenchSupport.open("cpu", 1, "best", params));
        } catch (RuntimeException | LinkageError e) {
            BenchSupport.record(params, "dbn4j unavailable: " + e);
        }
        SplittableRandom data = new SplittableRandom(BenchSupport.SEED);
        x = BenchSupport.gaussian(data, BenchSupport.ELEMENTS, 2f);
        bias = BenchSupport.gaussian(data, COLS, 0.1f);
        p = new float[BenchSupport.ELEMENTS];
        s = new float[BenchSupport.ELEMENTS];
        splittable = new SplittableRandom(BenchSupport.SEED);
        philoxSeed = BenchSupport.SEED;
        philoxOffset = 0;
    }

    /** The Java Philox must produce dbn4j's stream, or it is not the same work. Warns only. */
    private static void checkPhilox(Backend b) {
        long seed = 0x0123456789ABCDEFL;
        long offset = (1L << 34) + 3; // crosses a block and uses the high counter word
        try (Matrix words = b.allocate(1, 9)) {
            int status = CpuKernels.dbn4j_random_bits(seed, offset, words.address(), 9);
            float[] f = words.toArray();
            for (int i = 0; i < f.length; i++) {
                int expected = Float.floatToRawIntBits(f[i]);
                int actual = Philox.word(seed, offset + i);
                if (status != 0 || expected != actual) {
                    System.err.printf("# dbn4j: WARNING: Java Philox word %d is %08x, dbn4j_random_bits gives %08x"
                            + " (status %d)%n", offset + i, actual, expected, status);
                    return;
                }
            }
        }
    }

    private static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    /** y = 1 / (1 + exp(-x)) with Math.exp. */
    @Benchmark
    public float[] javaSigmoid() {
        float[] in = x;
        float[] out = p;
        for (int i = 0; i < in.length; i++) {
            out[i] = sigmoid(in[i]);
        }
        return out;
    }

    /** p = sigmoid(x + bias), s = nextFloat() < p with java.util.SplittableRandom. */
    @Benchmark
    public float[] javaSigmoidBernoulli() {
        SplittableRandom rng = splittable;
        for (int r = 0; r < ROWS; r++) {
            int row = r * COLS;
            for (int c = 0; c < COLS; c++) {
                float pr = sigmoid(x[row + c] + bias[c]);
                p[row + c] = pr;
                s[row + c] = rng.nextFloat() < pr ? 1f : 0f;
            }
        }
        return s;
    }

    /**
     * The same with dbn4j's samples: half words of its stream (Philox4x32-10, one block per 8 elements, each
     * element compares 16 bits, as kernels.h defines the Bernoulli samplers).
     */
    @Benchmark
    public float[] javaSigmoidBernoulliPhilox() {
        int k0 = (int) philoxSeed;
        int k1 = (int) (philoxSeed >>> 32);
        long blk = philoxOffset >>> 2; // the offset stays a multiple of 4 (COLS / 2 is)
        philoxOffset += BenchSupport.ELEMENTS / 2;
        for (int r = 0; r < ROWS; r++) {
            int row = r * COLS;
            for (int c = 0; c < COLS; c += 8, blk++) {
                int c0 = (int) blk;
                int c1 = (int) (blk >>> 32);
                int c2 = 0;
                int c3 = 0;
                int key0 = k0;
                int key1 = k1;
                for (int round = 0; round < 10; round++) {
                    long p0 = (c0 & 0xFFFFFFFFL) * Philox.M0;
                    long p1 = (c2 & 0xFFFFFFFFL) * Philox.M1;
                    c0 = (int) (p1 >>> 32) ^ c1 ^ key0;
                    c1 = (int) p1;
                    c2 = (int) (p0 >>> 32) ^ c3 ^ key1;
                    c3 = (int) p0;
                    key0 += Philox.W0;
                    key1 += Philox.W1;
                }
                sample(row + c, c, c0);
                sample(row + c + 2, c + 2, c1);
                sample(row + c + 4, c + 4, c2);
                sample(row + c + 6, c + 6, c3);
            }
        }
        return s;
    }

    /** Elements i (low half of the word) and i + 1 (high half). */
    private void sample(int i, int col, int word) {
        float p0 = sigmoid(x[i] + bias[col]);
        float p1 = sigmoid(x[i + 1] + bias[col + 1]);
        p[i] = p0;
        p[i + 1] = p1;
        s[i] = (word & 0xFFFF) * 0x1p-16f < p0 ? 1f : 0f;
        s[i + 1] = (word >>> 16) * 0x1p-16f < p1 ? 1f : 0f;
    }
}
