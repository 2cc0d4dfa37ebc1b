package dbn4j.cpu;

import dbn4j.Backend;
import dbn4j.Dbn4jException;
import dbn4j.Transpose;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The CPU backend: host memory (64-byte aligned), dbn4j's own C++ kernels (AVX-512, AVX2 or scalar, chosen at run
 * time) and OpenBLAS SGEMM from the bytedeco preset. One instance per process.
 *
 * <p>Threads: {@code -Ddbn4j.threads=N} sets the threads of dbn4j's kernels (default 1) and
 * {@code -Ddbn4j.blas.threads=N} those of OpenBLAS (default 1). Results of dbn4j's kernels do not depend on the
 * thread count.
 */
public final class CpuBackend extends Backend {
    private static volatile CpuBackend instance;

    /** Per-thread out-parameter of the loss kernels, so that a mini-batch step allocates nothing. */
    private static final ThreadLocal<double[]> LOSS = ThreadLocal.withInitial(() -> new double[1]);

    private final String blasPath;

    private CpuBackend() {
        // OpenBLAS is loaded through exactly one preset class (openblas_nolapack, which links libopenblas.so.0
        // dynamically); the kernels then dlopen that same file, so one copy and one thread pool serve both.
        Loader.load(openblas_nolapack.class);
        CpuKernels.load();
        blasPath = findOpenBlas();
        check(CpuKernels.dbn4j_blas_open(blasPath), "dbn4j_blas_open");
        String threads = System.getProperty("dbn4j.threads");
        if (threads != null) {
            setThreads(parsePositive("dbn4j.threads", threads));
        }
        // One OpenBLAS thread unless asked for more: the GEMMs of these models (batch 100, a few hundred units) gain
        // little from threads, and on a shared machine two threads ran 6x slower than one (logistic regression on
        // Fashion-MNIST: 42k against 249k samples/s).
        String blasThreads = System.getProperty("dbn4j.blas.threads", "1");
        setBlasThreads(parsePositive("dbn4j.blas.threads", blasThreads));
        setGemmMode(parseChoice("dbn4j.gemm", System.getProperty("dbn4j.gemm", "auto"), "auto", "openblas", "own"));
        setGemmSparse(parseChoice("dbn4j.gemm.sparse", System.getProperty("dbn4j.gemm.sparse", "auto"),
                SPARSE_NAMES.toArray(new String[0])));
        String isa = System.getProperty("dbn4j.isa");
        if (isa != null) {
            // scalar, avx2, avx512 are levels 0-2; best is -1 (the widest this CPU runs).
            int level = parseChoice("dbn4j.isa", isa, "scalar", "avx2", "avx512", "best");
            try {
                forceIsa(level == 3 ? -1 : level);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("dbn4j.isa=" + isa.trim() + ": " + e.getMessage(), e);
            }
        }
    }

    /** The index of value (trimmed, any case) in names: the mode constants are numbered in that order. */
    private static int parseChoice(String property, String value, String... names) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(v)) {
                return i;
            }
        }
        throw new IllegalArgumentException(property + " must be one of " + String.join(", ", names) + ", got '"
                + value + "'");
    }

    /** The process-wide CPU backend, loading the native libraries on first use. */
    public static CpuBackend instance() {
        CpuBackend b = instance;
        if (b == null) {
            synchronized (CpuBackend.class) {
                b = instance;
                if (b == null) {
                    b = new CpuBackend();
                    instance = b;
                }
            }
        }
        return b;
    }

    private static String findOpenBlas() {
        for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
            String file = Path.of(e.getValue()).getFileName().toString();
            // The preset caches libopenblas.so.0 under the name libopenblas_nolapack.so.0.
            if (file.startsWith("libopenblas")) {
                return e.getValue();
            }
        }
        throw new Dbn4jException("OpenBLAS was not loaded by the openblas_nolapack preset; loaded: "
                + Loader.getLoadedLibraries().keySet());
    }

    private static int parsePositive(String name, String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(name + " must be a positive integer, got '" + value + "'");
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String describe() {
        return "CPU " + cpuModel() + ", kernels " + isaName(activeIsa()) + " x" + threads() + " threads, OpenBLAS core "
                + blasCoreName() + " x" + blasThreads() + " threads, GEMM " + gemmDescription();
    }

    /**
     * Which SGEMM runs the products of a mini-batch: "openblas", or "own avx512 (batch <= 256, ...)" when dbn4j's
     * own kernel (its build for the active kernel level, avx2 or avx512) takes the skinny shapes, and the larger
     * batches whose A is mostly zeros ("narrow N" where it also takes the products of few columns of larger batches,
     * a 10-class output layer's; see {@link #setGemmMode}).
     */
    public String gemmDescription() {
        boolean batch = CpuKernels.dbn4j_gemm_own(100, 500, 784) != 0;
        boolean large = CpuKernels.dbn4j_gemm_own(1024, 1024, 1024) != 0;
        String level = activeIsa() >= ISA_AVX512 ? "own avx512" : "own avx2";
        boolean narrow = CpuKernels.dbn4j_gemm_own(1000, 10, 784) != 0;
        String own = large ? level + " (every shape)"
                : batch ? level + " (batch <= 256; larger: mostly-zero A, weight steps"
                        + (narrow ? ", narrow N" : "") + "), else openblas" : "openblas";
        if (!batch && !large) {
            return own;
        }
        return own + ", sparse A " + SPARSE_NAMES.get(gemmSparse());
    }

    /** The CPU model from /proc/cpuinfo, or os.arch where that is not readable. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux or not readable: fall back below
        }
        return System.getProperty("os.arch");
    }

    // ---- threads, ISA, BLAS ----

    public void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        check(CpuKernels.dbn4j_set_num_threads(n), "dbn4j_set_num_threads");
    }

    public int threads() {
        return CpuKernels.dbn4j_get_num_threads();
    }

    public void setBlasThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("BLAS threads must be >= 1, got " + n);
        }
        check(CpuKernels.dbn4j_blas_set_num_threads(n), "dbn4j_blas_set_num_threads");
    }

    /** {@link #setGemmMode}: dbn4j's own kernel for the skinny products of mini-batches, OpenBLAS for the rest. */
    public static final int GEMM_AUTO = 0;
    /** {@link #setGemmMode}: OpenBLAS for every product. */
    public static final int GEMM_OPENBLAS = 1;
    /** {@link #setGemmMode}: dbn4j's own kernel for every product (where the CPU has AVX2 and FMA). */
    public static final int GEMM_OWN = 2;

    /**
     * Chooses the SGEMM behind {@link #gemm} (also {@code -Ddbn4j.gemm=auto|openblas|own}). AUTO, the default, runs
     * dbn4j's own kernel where one of M and K is a mini-batch of at most 256 rows and one of its builds competes at
     * N, the columns of C; elsewhere OpenBLAS. The AVX2 + FMA build competes for N at least 16 unless OpenBLAS runs
     * AVX-512 kernels; the AVX-512 build (used at the AVX-512 kernel level) where its 64-column panels pad N by at
     * most 7% beside OpenBLAS's AVX-512 kernels, or 60% beside its AVX2 kernels (e.g. {@code
     * OPENBLAS_CORETYPE=Haswell}), and then for every shape, as it runs twice as fast. Products of at most 32 columns
     * (16 at the AVX2 level) with K at least 32, such as a 10-class output layer's, run on the own kernel's narrow
     * path (A read in place, not packed): beside OpenBLAS's AVX2 kernels always (at the AVX-512 level also a fused
     * weight step of N up to 12 from K = 10), beside its AVX-512 kernels at the AVX-512 level for N at least 10 (or 2, where M K is at least
     * 2^18). Both builds and both paths give the same bits. The own kernel runs on dbn4j's kernel
     * threads ({@link #setThreads}), OpenBLAS on its own ({@link #setBlasThreads}). Each sums in an order fixed by
     * the shape, never by the thread count; the own kernel and OpenBLAS round differently. Without AVX2, or with the
     * kernels forced to the scalar level, every product goes to OpenBLAS.
     */
    public void setGemmMode(int mode) {
        if (mode < GEMM_AUTO || mode > GEMM_OWN) {
            throw new IllegalArgumentException("GEMM mode must be 0 (auto), 1 (openblas) or 2 (own), got " + mode);
        }
        check(CpuKernels.dbn4j_gemm_set_mode(mode), "dbn4j_gemm_set_mode");
    }

    public int gemmMode() {
        return CpuKernels.dbn4j_gemm_get_mode();
    }

    /** {@link #setGemmSparse}: rows of A that are mostly zeros run over their nonzeros only (the default). */
    public static final int SPARSE_AUTO = 0;
    /** {@link #setGemmSparse}: the own kernel always runs dense. */
    public static final int SPARSE_OFF = 1;
    /** {@link #setGemmSparse}: every non-transposed A the own kernel takes runs over its nonzeros (for tests). */
    public static final int SPARSE_ALWAYS = 2;
    /** The names of the sparse modes, by their number ({@code -Ddbn4j.gemm.sparse}). */
    public static final java.util.List<String> SPARSE_NAMES = java.util.List.of("auto", "off", "always");

    /**
     * How the own kernel treats zeros of A (also {@code -Ddbn4j.gemm.sparse=auto|off|always}). In AUTO, the default, a
     * product whose A is not transposed and at most 60% nonzero (the pixels of an image with a blank background,
     * ReLU outputs, an RBM's sampled binary hidden states) runs one row of A at a time over its nonzeros: on Zen 3
     * that takes 0.6-0.75 of the dense time for 0/1 states at 35% and 0.8-0.95 for images at 50% (bench_gemm_sparse). The result
     * is bit for bit the dense kernel's (the same sums in the same order: skipped terms are exact zeros), so this
     * setting never changes what a model learns; the one exception is an infinite or NaN entry of B met only by zeros
     * of A, which the dense kernel turns into NaN (0 * inf) and this path never reads. In AUTO and ALWAYS the dense
     * kernel (any transpose, and the fused weight step) also skips the k where six neighbouring rows of A are all zero,
     * with the same bits; OFF runs every term. Products OpenBLAS runs are not affected.
     */
    public void setGemmSparse(int mode) {
        if (mode < SPARSE_AUTO || mode > SPARSE_ALWAYS) {
            throw new IllegalArgumentException("sparse mode must be 0 (auto), 1 (off) or 2 (always), got " + mode);
        }
        check(CpuKernels.dbn4j_gemm_set_sparse(mode), "dbn4j_gemm_set_sparse");
    }

    public int gemmSparse() {
        return CpuKernels.dbn4j_gemm_get_sparse();
    }

    public int blasThreads() {
        return CpuKernels.dbn4j_blas_get_num_threads();
    }

    /** OpenBLAS's kernel family in use, e.g. "Haswell" or "SkylakeX". */
    public String blasCoreName() {
        return CpuKernels.dbn4j_blas_corename();
    }

    /** The path of the OpenBLAS library in use (for benchmarks that call it directly). */
    public String blasLibrary() {
        return blasPath;
    }

    public static final int ISA_SCALAR = 0;
    public static final int ISA_AVX2 = 1;
    public static final int ISA_AVX512 = 2;

    public int supportedIsa() {
        return CpuKernels.dbn4j_isa_supported();
    }

    public int activeIsa() {
        return CpuKernels.dbn4j_isa_active();
    }

    /**
     * Forces the kernels' instruction-set level (ISA_SCALAR, ISA_AVX2, ISA_AVX512), or -1 for the best available.
     *
     * @throws IllegalArgumentException if this CPU does not support the level
     */
    public void forceIsa(int level) {
        if (level < -1 || level > ISA_AVX512) {
            throw new IllegalArgumentException("ISA level must be -1, 0, 1 or 2, got " + level);
        }
        if (level > supportedIsa()) {
            throw new IllegalArgumentException("this CPU supports ISA level " + isaName(supportedIsa()) + ", not "
                    + isaName(level));
        }
        check(CpuKernels.dbn4j_isa_force(level), "dbn4j_isa_force");
    }

    public static String isaName(int level) {
        switch (level) {
            case ISA_SCALAR: return "scalar";
            case ISA_AVX2: return "avx2";
            case ISA_AVX512: return "avx512";
            default: return "isa" + level;
        }
    }

    // ---- kernels ----

    static void check(int status, String function) {
        if (status != 0) {
            String message = CpuKernels.dbn4j_last_error();
            throw new Dbn4jException(function + " failed (code " + status + "): " + message, status, null);
        }
    }

    /** A JavaCPP view of native floats at address, for bulk copies through a direct buffer. */
    private static FloatPointer floatsAt(long at, long count) {
        Pointer p = new Pointer() {
            {
                address = at; // the inherited field; 'at' avoids shadowing by it
            }
        };
        return new FloatPointer(p).capacity(count);
    }

    @Override
    protected long allocateK(long bytes) {
        long[] out = new long[1];
        check(CpuKernels.dbn4j_host_alloc(bytes, out), "dbn4j_host_alloc");
        return out[0];
    }

    @Override
    protected void freeK(long address) {
        CpuKernels.dbn4j_host_free(address);
    }

    @Override
    protected void copyFromHostK(float[] src, int srcOffset, long dst, int count) {
        floatsAt(dst, count).asBuffer().put(src, srcOffset, count);
    }

    @Override
    protected void copyToHostK(long src, float[] dst, int dstOffset, int count) {
        floatsAt(src, count).asBuffer().get(dst, dstOffset, count);
    }

    @Override
    protected void copyK(long src, long dst, long bytes) {
        Pointer.memcpy(floatsAt(dst, bytes / Float.BYTES), floatsAt(src, bytes / Float.BYTES), bytes);
    }

    @Override
    protected void gemmK(Transpose ta, Transpose tb, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        check(CpuKernels.dbn4j_sgemm(ta.code, tb.code, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), "dbn4j_sgemm");
    }

    @Override
    protected void gemmSgdMomentumK(Transpose ta, Transpose tb, int m, int n, int k1, int k2, float alpha, long a1,
            int lda1, long b1, int ldb1, long a2, int lda2, long b2, int ldb2, long g, long w, long v, float lr,
            float momentum, float weightDecay, boolean nesterov) {
        check(CpuKernels.dbn4j_gemm_sgd_momentum(ta.code, tb.code, m, n, k1, k2, alpha, a1, lda1, b1, ldb1, a2, lda2, b2,
                ldb2, w, v, g, lr, momentum, weightDecay, nesterov ? 1 : 0), "dbn4j_gemm_sgd_momentum");
    }

    /** Host memory: a mini-batch is gathered when it is used (see {@link Backend#gathersPerBatch}). */
    @Override
    public boolean gathersPerBatch() {
        return true;
    }

    /** Whether {@link #gemmSgdMomentum} runs fused (g not written) for these sizes in the current GEMM mode. */
    public boolean gemmSgdMomentumFused(int m, int n, int k1, int k2) {
        return CpuKernels.dbn4j_gemm_sgd_fused(m, n, k1, k2) != 0;
    }

    @Override
    protected void addRowBiasK(long x, long b, int rows, int cols) {
        check(CpuKernels.dbn4j_add_row_bias(x, b, rows, cols), "dbn4j_add_row_bias");
    }

    @Override
    protected void biasSigmoidK(long x, long b, int rows, int cols) {
        check(CpuKernels.dbn4j_bias_sigmoid(x, b, rows, cols), "dbn4j_bias_sigmoid");
    }

    @Override
    protected void sigmoidK(long x, long y, long n) {
        check(CpuKernels.dbn4j_sigmoid_forward(x, y, n), "dbn4j_sigmoid_forward");
    }

    @Override
    protected void sigmoidBackwardK(long y, long dy, long dx, long n) {
        check(CpuKernels.dbn4j_sigmoid_backward(y, dy, dx, n), "dbn4j_sigmoid_backward");
    }

    @Override
    protected void tanhK(long x, long y, long n) {
        check(CpuKernels.dbn4j_tanh_forward(x, y, n), "dbn4j_tanh_forward");
    }

    @Override
    protected void tanhBackwardK(long y, long dy, long dx, long n) {
        check(CpuKernels.dbn4j_tanh_backward(y, dy, dx, n), "dbn4j_tanh_backward");
    }

    @Override
    protected void reluK(long x, long y, long n) {
        check(CpuKernels.dbn4j_relu_forward(x, y, n), "dbn4j_relu_forward");
    }

    @Override
    protected void reluBackwardK(long y, long dy, long dx, long n) {
        check(CpuKernels.dbn4j_relu_backward(y, dy, dx, n), "dbn4j_relu_backward");
    }

    @Override
    protected void softmaxK(long x, long y, int rows, int cols) {
        check(CpuKernels.dbn4j_softmax_forward(x, y, rows, cols), "dbn4j_softmax_forward");
    }

    @Override
    protected void logSoftmaxK(long x, long y, int rows, int cols) {
        check(CpuKernels.dbn4j_log_softmax_forward(x, y, rows, cols), "dbn4j_log_softmax_forward");
    }

    @Override
    protected double softmaxCrossEntropyK(long z, long t, long p, long dz, int rows, int cols) {
        double[] loss = LOSS.get();
        check(CpuKernels.dbn4j_softmax_cross_entropy(z, t, p, dz, rows, cols, loss), "dbn4j_softmax_cross_entropy");
        return loss[0];
    }

    @Override
    protected double sigmoidCrossEntropyK(long z, long t, long p, long dz, int rows, int cols) {
        double[] loss = LOSS.get();
        check(CpuKernels.dbn4j_sigmoid_cross_entropy(z, t, p, dz, rows, cols, loss), "dbn4j_sigmoid_cross_entropy");
        return loss[0];
    }

    @Override
    protected double squaredErrorK(long y, long t, long dy, int rows, int cols) {
        double[] loss = LOSS.get();
        check(CpuKernels.dbn4j_squared_error(y, t, dy, rows, cols, loss), "dbn4j_squared_error");
        return loss[0];
    }

    @Override
    protected void columnSumsK(long x, long out, int rows, int cols, float alpha, float beta) {
        check(CpuKernels.dbn4j_column_sums(x, out, rows, cols, alpha, beta), "dbn4j_column_sums");
    }

    @Override
    protected void axpyK(float alpha, long x, long y, long n) {
        check(CpuKernels.dbn4j_axpy(alpha, x, y, n), "dbn4j_axpy");
    }

    @Override
    protected void scaleK(float alpha, long x, long n) {
        check(CpuKernels.dbn4j_scale(alpha, x, n), "dbn4j_scale");
    }

    @Override
    protected void sgdMomentumK(long w, long g, long v, long n, float lr, float momentum, float weightDecay,
            boolean nesterov) {
        check(CpuKernels.dbn4j_sgd_momentum(w, g, v, n, lr, momentum, weightDecay, nesterov ? 1 : 0),
                "dbn4j_sgd_momentum");
    }

    @Override
    protected void gatherRowsK(long src, int srcRows, int cols, int[] rows, int count, long dst) {
        check(CpuKernels.dbn4j_gather_rows(src, srcRows, cols, rows, count, dst), "dbn4j_gather_rows");
    }

    @Override
    protected boolean holdsCodedRows() {
        return true;
    }

    @Override
    protected int encodeRowsK(long src, long n, long codes, long palette) {
        int[] values = new int[1];
        check(CpuKernels.dbn4j_encode_u8(src, n, codes, palette, values), "dbn4j_encode_u8");
        return values[0];
    }

    @Override
    protected void gatherCodedRowsK(long codes, int srcRows, int cols, long palette, int[] rows, int count, long dst) {
        check(CpuKernels.dbn4j_gather_rows_u8(codes, srcRows, cols, palette, rows, count, dst), "dbn4j_gather_rows_u8");
    }

    @Override
    protected void softplusRowSumsK(long x, long out, int rows, int cols) {
        check(CpuKernels.dbn4j_softplus_row_sums(x, out, rows, cols), "dbn4j_softplus_row_sums");
    }

    @Override
    protected void uniformK(long seed, long offset, long out, long n) {
        check(CpuKernels.dbn4j_random_uniform(seed, offset, out, n), "dbn4j_random_uniform");
    }

    @Override
    protected void bernoulliK(long seed, long offset, long p, long out, long n) {
        check(CpuKernels.dbn4j_random_bernoulli(seed, offset, p, out, n), "dbn4j_random_bernoulli");
    }

    @Override
    protected void gaussianK(long seed, long offset, long mean, float stddev, long out, long n) {
        check(CpuKernels.dbn4j_random_gaussian(seed, offset, mean, stddev, out, n), "dbn4j_random_gaussian");
    }

    @Override
    protected void sigmoidBernoulliK(long seed, long offset, long x, long bias, long p, long s, int rows, int cols) {
        check(CpuKernels.dbn4j_sigmoid_bernoulli(seed, offset, x, bias, p, s, rows, cols), "dbn4j_sigmoid_bernoulli");
    }

    @Override
    protected void biasSigmoidSumsK(long x, long b, int rows, int cols, long sums, float alpha, float beta) {
        check(CpuKernels.dbn4j_bias_sigmoid_sums(x, b, rows, cols, sums, alpha, beta), "dbn4j_bias_sigmoid_sums");
    }

    @Override
    protected void sigmoidBernoulliSumsK(long seed, long offset, long x, long bias, long p, long s, int rows, int cols,
            long sums, float alpha, float beta) {
        check(CpuKernels.dbn4j_sigmoid_bernoulli_sums(seed, offset, x, bias, p, s, rows, cols, sums, alpha, beta),
                "dbn4j_sigmoid_bernoulli_sums");
    }
}
