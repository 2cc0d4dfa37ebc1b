package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.cpu.CpuBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.infra.BenchmarkParams;

/** What the benchmark states share: the backend from the @Params, inputs, and the record of the run environment. */
final class BenchSupport {
    /** The elementwise shape: 1000 x 1000 = 1M elements (softmax: 1000 rows of 1000 classes). */
    static final int ROWS = 1000;
    static final int COLS = 1000;
    static final int ELEMENTS = ROWS * COLS;
    /** Every input is drawn from this seed, so every run measures the same data. */
    static final long SEED = 20240601L;

    /** Set by {@link KernelBenchmarks} to a file where each forked JVM appends the line of {@link #record}. */
    static final String ENV_FILE_PROPERTY = "dbn4j.bench.envFile";

    private BenchSupport() {}

    /**
     * The backend named by the @Param {@code backend}, with {@code threads} threads for dbn4j's kernels and for
     * OpenBLAS, and the kernels' instruction set {@code isa} ("best", "scalar", "avx2" or "avx512"). Records the
     * environment of this trial (see {@link #record}).
     */
    static Backend open(String backend, int threads, String isa, BenchmarkParams params) {
        if (!backend.equals("cpu")) {
            throw new IllegalArgumentException("backend '" + backend + "' is not available; this build has: cpu");
        }
        CpuBackend cpu = CpuBackend.instance();
        cpu.setThreads(threads);
        cpu.setBlasThreads(threads);
        cpu.forceIsa(isaLevel(isa));
        record(params, cpu.describe());
        return cpu;
    }

    static int isaLevel(String isa) {
        switch (isa) {
            case "best": return -1;
            case "scalar": return CpuBackend.ISA_SCALAR;
            case "avx2": return CpuBackend.ISA_AVX2;
            case "avx512": return CpuBackend.ISA_AVX512;
            default: throw new IllegalArgumentException("isa must be best, scalar, avx2 or avx512, got '" + isa + "'");
        }
    }

    /** The OpenBLAS environment variables that change its kernels (never set by this code). */
    static String blasEnvironment() {
        return "OPENBLAS_CORETYPE=" + envOrUnset("OPENBLAS_CORETYPE") + " OPENBLAS_L2_SIZE="
                + envOrUnset("OPENBLAS_L2_SIZE");
    }

    private static String envOrUnset(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }

    /** "benchmark k1=v1,k2=v2" with the keys sorted: the same key in the forked JVM and in the runner. */
    static String label(BenchmarkParams params) {
        StringBuilder sb = new StringBuilder(params.getBenchmark()).append(' ');
        String sep = "";
        for (String key : new TreeSet<>(params.getParamsKeys())) {
            sb.append(sep).append(key).append('=').append(params.getParam(key));
            sep = ",";
        }
        return sb.toString();
    }

    /**
     * Prints the environment of this trial (the backend's describe() and the OpenBLAS variables) to stderr, and
     * appends it to the runner's file when there is one: "label TAB describe TAB variables".
     */
    static void record(BenchmarkParams params, String describe) {
        String line = label(params) + '\t' + describe + '\t' + blasEnvironment();
        System.err.println("# dbn4j: " + describe + "; " + blasEnvironment());
        String file = System.getProperty(ENV_FILE_PROPERTY);
        if (file != null) {
            try {
                Files.write(Path.of(file), (line + '\n').getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.err.println("# dbn4j: could not write " + file + ": " + e);
            }
        }
    }

    // ---- inputs ----

    /** rows x cols floats uniform in [lo, hi). */
    static float[] uniform(SplittableRandom rng, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * (float) rng.nextDouble();
        }
        return a;
    }

    /** n floats normal(0, stddev). */
    static float[] gaussian(SplittableRandom rng, int n, float stddev) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (stddev * rng.nextGaussian());
        }
        return a;
    }

    /** rows x cols one-hot rows (a random class per row). */
    static float[] oneHot(SplittableRandom rng, int rows, int cols) {
        float[] a = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            a[r * cols + rng.nextInt(cols)] = 1f;
        }
        return a;
    }

    /** A JavaCPP view of a matrix's memory (no copy, no ownership), for direct calls into OpenBLAS. */
    static FloatPointer floats(Matrix m) {
        long at = m.address();
        Pointer p = new Pointer() {
            {
                address = at;
            }
        };
        return new FloatPointer(p).capacity(m.size());
    }

    /** Closes every matrix that is not null. */
    static void close(Matrix... matrices) {
        for (Matrix m : matrices) {
            if (m != null) {
                m.close();
            }
        }
    }
}
