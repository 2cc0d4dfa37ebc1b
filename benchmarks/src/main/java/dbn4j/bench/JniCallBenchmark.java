package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.cpu.CpuKernels;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The fixed cost of one kernel call: sigmoid on 16 elements through the Backend (Java argument checks + JNI +
 * native checks + kernel) and through the raw JNI binding with addresses, and an empty JNI call as the floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class JniCallBenchmark extends KernelState {
    private Backend b;
    private Matrix x;
    private Matrix y;
    private long xAddress;
    private long yAddress;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        b = open(params);
        float[] data = new float[16];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i - 8) * 0.5f;
        }
        x = b.matrix(1, 16, data);
        y = b.allocate(1, 16);
        xAddress = x.address();
        yAddress = y.address();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.close(x, y);
    }

    /** Backend.sigmoid on a 1 x 16 matrix. */
    @Benchmark
    public Matrix backendSigmoid16() {
        b.sigmoid(x, y);
        return y;
    }

    /** CpuKernels.dbn4j_sigmoid_forward(x, y, 16) with raw addresses. */
    @Benchmark
    public int rawSigmoid16() {
        return CpuKernels.dbn4j_sigmoid_forward(xAddress, yAddress, 16);
    }

    /** CpuKernels.dbn4j_get_num_threads(): a JNI call that does no work, the floor of the two above. */
    @Benchmark
    public int rawEmptyCall() {
        return CpuKernels.dbn4j_get_num_threads();
    }
}
