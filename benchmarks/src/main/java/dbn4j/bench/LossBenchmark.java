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
 * The losses on 1000 x 1000 logits/outputs, each writing its probabilities (where it has them) and its gradient
 * and returning the loss. One operation is one element: ops/s is elements per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(BenchSupport.ELEMENTS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LossBenchmark extends KernelState {
    private Backend b;
    private Matrix z;       // logits / outputs, normal(0, 2)
    private Matrix oneHot;  // softmax targets: one class per row
    private Matrix target;  // sigmoid and squared-error targets, uniform [0, 1)
    private Matrix p;
    private Matrix dz;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        b = open(params);
        SplittableRandom rng = new SplittableRandom(BenchSupport.SEED);
        int r = BenchSupport.ROWS;
        int c = BenchSupport.COLS;
        z = b.matrix(r, c, BenchSupport.gaussian(rng, BenchSupport.ELEMENTS, 2f));
        oneHot = b.matrix(r, c, BenchSupport.oneHot(rng, r, c));
        target = b.matrix(r, c, BenchSupport.uniform(rng, BenchSupport.ELEMENTS, 0f, 1f));
        p = b.allocate(r, c);
        dz = b.allocate(r, c);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.close(z, oneHot, target, p, dz);
    }

    @Benchmark
    public double softmaxCrossEntropy() {
        return b.softmaxCrossEntropy(z, oneHot, p, dz);
    }

    @Benchmark
    public double sigmoidCrossEntropy() {
        return b.sigmoidCrossEntropy(z, target, p, dz);
    }

    @Benchmark
    public double squaredError() {
        return b.squaredError(z, target, dz);
    }
}
