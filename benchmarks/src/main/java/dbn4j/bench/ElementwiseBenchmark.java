package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Matrix;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The activations, their gradients, softmax, the bias/reduction/BLAS-1 kernels and the SGD update on 1000 x 1000
 * matrices. One operation is one element, so the score in ops/s is elements per second. Outputs never alias inputs,
 * so every call sees the same data (the accumulating kernels are bounded: see each method).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(BenchSupport.ELEMENTS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ElementwiseBenchmark extends KernelState {
    private Backend b;
    private Matrix x;      // pre-activations, normal(0, 2)
    private Matrix act;    // activation outputs, uniform [-1, 1): half are > 0 (ReLU's branch is unpredictable)
    private Matrix grad;   // incoming gradients, uniform [-1, 1)
    private Matrix out;    // every result
    private Matrix acc;    // the target of the in-place kernels (bias, axpy, scale)
    private Matrix bias;   // 1 x COLS
    private Matrix sums;   // 1 x COLS
    private Matrix w;
    private Matrix g;
    private Matrix v;
    private boolean doubling;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        b = open(params);
        SplittableRandom rng = new SplittableRandom(BenchSupport.SEED);
        int r = BenchSupport.ROWS;
        int c = BenchSupport.COLS;
        int n = BenchSupport.ELEMENTS;
        x = b.matrix(r, c, BenchSupport.gaussian(rng, n, 2f));
        act = b.matrix(r, c, BenchSupport.uniform(rng, n, -1f, 1f));
        grad = b.matrix(r, c, BenchSupport.uniform(rng, n, -1f, 1f));
        out = b.allocate(r, c);
        acc = b.matrix(r, c, BenchSupport.uniform(rng, n, -1f, 1f));
        bias = b.matrix(1, c, BenchSupport.uniform(rng, c, -1e-3f, 1e-3f));
        sums = b.allocate(1, c);
        w = b.matrix(r, c, BenchSupport.gaussian(rng, n, 0.01f));
        g = b.matrix(r, c, BenchSupport.gaussian(rng, n, 0.01f));
        v = b.allocate(r, c);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.close(x, act, grad, out, acc, bias, sums, w, g, v);
    }

    @Benchmark
    public Matrix sigmoid() {
        b.sigmoid(x, out);
        return out;
    }

    @Benchmark
    public Matrix sigmoidBackward() {
        b.sigmoidBackward(act, grad, out);
        return out;
    }

    @Benchmark
    public Matrix tanh() {
        b.tanh(x, out);
        return out;
    }

    @Benchmark
    public Matrix tanhBackward() {
        b.tanhBackward(act, grad, out);
        return out;
    }

    @Benchmark
    public Matrix relu() {
        b.relu(x, out);
        return out;
    }

    @Benchmark
    public Matrix reluBackward() {
        b.reluBackward(act, grad, out);
        return out;
    }

    /** 1000 rows of 1000 classes. */
    @Benchmark
    public Matrix softmax() {
        b.softmax(x, out);
        return out;
    }

    @Benchmark
    public Matrix logSoftmax() {
        b.logSoftmax(x, out);
        return out;
    }

    /** acc += bias on every row; |bias| < 1e-3, so acc drifts by less than 1e-3 per call. */
    @Benchmark
    public Matrix addRowBias() {
        b.addRowVector(acc, bias);
        return acc;
    }

    @Benchmark
    public Matrix columnSums() {
        b.columnSums(x, sums, 1f, 0f);
        return sums;
    }

    /** acc += 1e-3 x. */
    @Benchmark
    public Matrix axpy() {
        b.axpy(1e-3f, x, acc);
        return acc;
    }

    /** acc *= 2, then 0.5, alternately: exact, so the values never drift. */
    @Benchmark
    public Matrix scale() {
        doubling = !doubling;
        b.scale(doubling ? 2f : 0.5f, acc);
        return acc;
    }

    /** One step on 1M parameters; with weight decay the iteration converges, so w and v stay bounded. */
    @Benchmark
    public Matrix sgdMomentum() {
        b.sgdMomentum(w, g, v, 0.01f, 0.9f, 1e-4f, false);
        return w;
    }

    @Benchmark
    public Matrix sgdNesterov() {
        b.sgdMomentum(w, g, v, 0.01f, 0.9f, 1e-4f, true);
        return w;
    }
}
