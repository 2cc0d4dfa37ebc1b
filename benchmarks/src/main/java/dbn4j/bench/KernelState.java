package dbn4j.bench;

import dbn4j.Backend;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The parameters every kernel benchmark shares — the backend, the threads of its kernels and their instruction
 * set — and the opening of that backend. The benchmark classes extend it (JMH reads inherited {@code @Param}s).
 */
@State(Scope.Benchmark)
public abstract class KernelState {
    /** Backend: only "cpu" exists so far. */
    @Param("cpu")
    public String backend;

    /** Threads of dbn4j's kernels (and of OpenBLAS). */
    @Param("1")
    public int threads;

    /** Instruction set of dbn4j's kernels: best, scalar, avx2 or avx512. */
    @Param("best")
    public String isa;

    /** Opens the backend with this state's parameters. */
    protected Backend open(BenchmarkParams params) {
        return BenchSupport.open(backend, threads, isa, params);
    }
}
