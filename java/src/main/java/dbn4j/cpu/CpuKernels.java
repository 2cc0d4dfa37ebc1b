package dbn4j.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI binding of {@code native/include/dbn4j/kernels.h}, generated and compiled by JavaCPP at build time and
 * linked with the static kernel library that CMake builds. Pointers cross as raw {@code long} addresses, which
 * keeps one call at a few nanoseconds of JNI overhead. Nothing here checks arguments: {@link CpuBackend} does
 * that before every call, and the native side checks again and returns an error code.
 *
 * <p>Internal: use {@link dbn4j.Backend}.
 */
@Platform(include = "dbn4j/kernels.h", link = "dbn4j_cpu")
@NoException
public final class CpuKernels {
    static {
        Loader.load();
    }

    private CpuKernels() {}

    /** Ensures the class (and so the native library) is loaded. */
    static void load() {}

    public static native @Cast("const char*") String dbn4j_last_error();
    public static native int dbn4j_isa_supported();
    public static native int dbn4j_isa_active();
    public static native int dbn4j_isa_force(int level);
    public static native int dbn4j_set_num_threads(int n);
    public static native int dbn4j_get_num_threads();

    public static native int dbn4j_host_alloc(@Cast("int64_t") long bytes, @Cast("void**") long[] out);
    public static native void dbn4j_host_free(@Cast("void*") long p);

    public static native int dbn4j_blas_open(@Cast("const char*") String path);
    public static native @Cast("const char*") String dbn4j_blas_corename();
    public static native int dbn4j_blas_set_num_threads(int n);
    public static native int dbn4j_blas_get_num_threads();

    public static native int dbn4j_gemm_set_mode(int mode);
    public static native int dbn4j_gemm_get_mode();
    public static native int dbn4j_gemm_own(int M, int N, int K);
    public static native int dbn4j_gemm_set_sparse(int mode);
    public static native int dbn4j_gemm_get_sparse();

    public static native int dbn4j_gemm_sgd_fused(int M, int N, int K1, int K2);
    public static native int dbn4j_gemm_sgd_momentum(int transA, int transB, int M, int N, int K1, int K2, float alpha,
            @Cast("const float*") long A1, int lda1, @Cast("const float*") long B1, int ldb1,
            @Cast("const float*") long A2, int lda2, @Cast("const float*") long B2, int ldb2, @Cast("float*") long W,
            @Cast("float*") long V, @Cast("float*") long G, float lr, float momentum, float weight_decay, int nesterov);

    public static native int dbn4j_sgemm(int transA, int transB, int M, int N, int K, float alpha,
            @Cast("const float*") long A, int lda, @Cast("const float*") long B, int ldb, float beta,
            @Cast("float*") long C, int ldc);

    public static native int dbn4j_add_row_bias(@Cast("float*") long x, @Cast("const float*") long b, int B, int N);
    public static native int dbn4j_bias_sigmoid(@Cast("float*") long x, @Cast("const float*") long b, int B, int N);
    public static native int dbn4j_sigmoid_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n);
    public static native int dbn4j_sigmoid_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n);
    public static native int dbn4j_tanh_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n);
    public static native int dbn4j_tanh_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n);
    public static native int dbn4j_relu_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n);
    public static native int dbn4j_relu_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n);
    public static native int dbn4j_softmax_forward(@Cast("const float*") long x, @Cast("float*") long y, int B, int K);
    public static native int dbn4j_log_softmax_forward(@Cast("const float*") long x, @Cast("float*") long y, int B,
            int K);

    public static native int dbn4j_softmax_cross_entropy(@Cast("const float*") long z, @Cast("const float*") long t,
            @Cast("float*") long p, @Cast("float*") long dz, int B, int K, double[] loss);
    public static native int dbn4j_sigmoid_cross_entropy(@Cast("const float*") long z, @Cast("const float*") long t,
            @Cast("float*") long p, @Cast("float*") long dz, int B, int N, double[] loss);
    public static native int dbn4j_squared_error(@Cast("const float*") long y, @Cast("const float*") long t,
            @Cast("float*") long dy, int B, int N, double[] loss);

    public static native int dbn4j_column_sums(@Cast("const float*") long x, @Cast("float*") long out, int B, int N,
            float alpha, float beta);
    public static native int dbn4j_axpy(float alpha, @Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n);
    public static native int dbn4j_scale(float alpha, @Cast("float*") long x, @Cast("int64_t") long n);
    public static native int dbn4j_sgd_momentum(@Cast("float*") long w, @Cast("const float*") long g,
            @Cast("float*") long v, @Cast("int64_t") long n, float lr, float momentum, float weightDecay,
            int nesterov);

    public static native int dbn4j_gather_rows(@Cast("const float*") long src, int srcRows, int N,
            @Cast("const int32_t*") int[] idx, int B, @Cast("float*") long dst);
    public static native int dbn4j_gather_rows_u8(@Cast("const uint8_t*") long src, int srcRows, int N,
            @Cast("const float*") long palette, @Cast("const int32_t*") int[] idx, int B, @Cast("float*") long dst);
    public static native int dbn4j_encode_u8(@Cast("const float*") long src, @Cast("int64_t") long n,
            @Cast("uint8_t*") long codes, @Cast("float*") long palette, int[] values);
    public static native int dbn4j_softplus_row_sums(@Cast("const float*") long x, @Cast("float*") long out, int B,
            int N);

    public static native void dbn4j_philox4x32_10(@Cast("const uint32_t*") int[] ctr, @Cast("const uint32_t*") int[] key,
            @Cast("uint32_t*") int[] out);
    public static native int dbn4j_random_bits(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("uint32_t*") long out, @Cast("int64_t") long n);
    public static native int dbn4j_random_uniform(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("float*") long out, @Cast("int64_t") long n);
    public static native int dbn4j_random_bernoulli(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long p, @Cast("float*") long out, @Cast("int64_t") long n);
    public static native int dbn4j_random_gaussian(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long mean, float stddev, @Cast("float*") long out, @Cast("int64_t") long n);
    public static native int dbn4j_sigmoid_bernoulli(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long x, @Cast("const float*") long b, @Cast("float*") long p,
            @Cast("float*") long s, int B, int N);
    public static native int dbn4j_bias_sigmoid_sums(@Cast("float*") long x, @Cast("const float*") long b, int B, int N,
            @Cast("float*") long sums, float alpha, float beta);
    public static native int dbn4j_sigmoid_bernoulli_sums(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long x, @Cast("const float*") long b, @Cast("float*") long p,
            @Cast("float*") long s, int B, int N, @Cast("float*") long sums, float alpha, float beta);
}
