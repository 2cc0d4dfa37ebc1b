package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.RandomStream;
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
 * The Philox sampling kernels and the fused Gibbs step (bias + sigmoid + Bernoulli) on 1000 x 1000 matrices. Each
 * call takes fresh words of one stream. One operation is one output element: ops/s is elements per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(BenchSupport.ELEMENTS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RandomBenchmark extends KernelState {
    private Backend b;
    private RandomStream rng;
    private Matrix x;     // pre-activations, normal(0, 2)
    private Matrix bias;  // 1 x COLS, normal(0, 0.1)
    private Matrix prob;  // probabilities, uniform [0, 1)
    private Matrix p;
    private Matrix s;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        b = open(params);
        SplittableRandom data = new SplittableRandom(BenchSupport.SEED);
        int r = BenchSupport.ROWS;
        int c = BenchSupport.COLS;
        x = b.matrix(r, c, BenchSupport.gaussian(data, BenchSupport.ELEMENTS, 2f));
        bias = b.matrix(1, c, BenchSupport.gaussian(data, c, 0.1f));
        prob = b.matrix(r, c, BenchSupport.uniform(data, BenchSupport.ELEMENTS, 0f, 1f));
        p = b.allocate(r, c);
        s = b.allocate(r, c);
        rng = new RandomStream(BenchSupport.SEED);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.close(x, bias, prob, p, s);
    }

    @Benchmark
    public Matrix uniform() {
        b.uniform(rng, s);
        return s;
    }

    @Benchmark
    public Matrix bernoulli() {
        b.bernoulli(rng, prob, s);
        return s;
    }

    /** Standard normal (mean null, stddev 1): two words per element. */
    @Benchmark
    public Matrix gaussian() {
        b.gaussian(rng, null, 1f, s);
        return s;
    }

    /** p = sigmoid(x + bias), s = Bernoulli(p): the fused kernel. */
    @Benchmark
    public Matrix sigmoidBernoulli() {
        b.sigmoidBernoulli(rng, x, bias, p, s);
        return s;
    }
}
