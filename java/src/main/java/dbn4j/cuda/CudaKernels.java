package dbn4j.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI binding of {@code native/include/dbn4j/cuda_kernels.h}, generated and compiled by JavaCPP only in the
 * CUDA build ({@code mvn -Ddbn4j.cuda=true ...}), linked with the static library {@code dbn4j_cuda} and the static
 * CUDA runtime, so that at run time it needs only the driver ({@code libcuda.so.1}, opened lazily by the runtime).
 * Device pointers and the stream cross as raw {@code long} addresses. Nothing here checks arguments:
 * {@link CudaBackend} does that before every call, and the native side checks again and returns an error code.
 *
 * <p>Internal: use {@link dbn4j.Backend}. Loading this class in a build without CUDA throws
 * {@link UnsatisfiedLinkError}; {@link CudaProbe} looks for the library before it touches this class.
 */
// JavaCPP passes the link list to the linker in reverse order: this gives -ldbn4j_cuda -lcudart_static -ldl ...,
// the order static libraries need (a user before what it uses).
@Platform(include = "dbn4j/cuda_kernels.h", link = {"rt", "pthread", "dl", "cudart_static", "dbn4j_cuda"})
@NoException
public final class CudaKernels {
    static {
        Loader.load();
    }

    private CudaKernels() {}

    /** The name JavaCPP gives the JNI library of this class (without platform prefix and suffix). */
    static final String LIBRARY = "jniCudaKernels";

    static final int H2D = 1;
    static final int D2H = 2;
    static final int D2D = 3;

    /** DBN4J_ENOMEM, DBN4J_ECUDA and DBN4J_ENODEV of kernels.h / cuda_kernels.h. */
    static final int ENOMEM = 3;
    static final int ECUDA = 5;
    static final int ENODEV = 6;

    public static native @Cast("const char*") String dbn4j_cuda_last_error();
    public static native int dbn4j_cuda_device_count(int[] count);
    public static native int dbn4j_cuda_device_info(int device, @Cast("char*") byte[] name, int nameLen,
            int[] ccMajor, int[] ccMinor, @Cast("int64_t*") long[] totalBytes, int[] multiprocessors);
    public static native int dbn4j_cuda_set_device(int device);
    public static native int dbn4j_cuda_mem_info(@Cast("int64_t*") long[] freeBytes,
            @Cast("int64_t*") long[] totalBytes);

    public static native int dbn4j_cuda_stream_create(@Cast("void**") long[] stream);
    public static native int dbn4j_cuda_stream_destroy(@Cast("void*") long stream);
    public static native int dbn4j_cuda_event_create(@Cast("void**") long[] event);
    public static native int dbn4j_cuda_event_destroy(@Cast("void*") long event);
    public static native int dbn4j_cuda_event_record(@Cast("void*") long event, @Cast("void*") long stream);
    public static native int dbn4j_cuda_stream_wait_event(@Cast("void*") long stream, @Cast("void*") long event);
    public static native int dbn4j_cuda_synchronize(@Cast("void*") long stream);
    public static native int dbn4j_cuda_device_synchronize();

    public static native int dbn4j_cuda_sigmoid_bernoulli_at(@Cast("uint64_t") long seed,
            @Cast("const uint64_t*") long base, @Cast("uint64_t") long delta, @Cast("const float*") long x,
            @Cast("const float*") long b, @Cast("float*") long p, @Cast("float*") long s, int B, int N,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_set_u64(@Cast("uint64_t*") long p, @Cast("uint64_t") long value,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_add_u64(@Cast("uint64_t*") long p, @Cast("uint64_t") long delta,
            @Cast("void*") long stream);

    public static native int dbn4j_cuda_graph_begin(@Cast("void*") long stream);
    public static native int dbn4j_cuda_graph_end(@Cast("void*") long stream, @Cast("void**") long[] exec);
    public static native int dbn4j_cuda_graph_end_counted(@Cast("void*") long stream, @Cast("void**") long[] exec,
            @Cast("int64_t*") long[] counts);
    public static native int dbn4j_cuda_graph_launch(@Cast("void*") long exec, @Cast("void*") long stream);
    public static native int dbn4j_cuda_graph_destroy(@Cast("void*") long exec);

    public static native int dbn4j_cuda_malloc(@Cast("int64_t") long bytes, @Cast("void**") long[] out);
    public static native int dbn4j_cuda_free(@Cast("void*") long p);
    public static native int dbn4j_cuda_host_alloc(@Cast("int64_t") long bytes, @Cast("void**") long[] out);
    public static native int dbn4j_cuda_host_free(@Cast("void*") long p);
    public static native int dbn4j_cuda_memset_async(@Cast("void*") long p, int value, @Cast("int64_t") long bytes,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_memcpy_async(@Cast("void*") long dst, @Cast("const void*") long src,
            @Cast("int64_t") long bytes, int kind, @Cast("void*") long stream);
    public static native int dbn4j_cuda_copy_to_host(@Cast("void*") long hostDst, @Cast("const void*") long src,
            @Cast("int64_t") long bytes, @Cast("void*") long stream);

    public static native int dbn4j_cuda_add_row_bias(@Cast("float*") long x, @Cast("const float*") long b, int B, int N,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_bias_sigmoid(@Cast("float*") long x, @Cast("const float*") long b, int B,
            int N, @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_tanh_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_tanh_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_relu_forward(@Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_relu_backward(@Cast("const float*") long y, @Cast("const float*") long dy,
            @Cast("float*") long dx, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_softmax_forward(@Cast("const float*") long x, @Cast("float*") long y, int B,
            int K, @Cast("void*") long stream);
    public static native int dbn4j_cuda_log_softmax_forward(@Cast("const float*") long x, @Cast("float*") long y,
            int B, int K, @Cast("void*") long stream);

    public static native int dbn4j_cuda_softmax_cross_entropy(@Cast("const float*") long z,
            @Cast("const float*") long t, @Cast("float*") long p, @Cast("float*") long dz, int B, int K,
            @Cast("double*") long loss, @Cast("double*") long scratch, @Cast("int64_t") long scratchRows,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_cross_entropy(@Cast("const float*") long z,
            @Cast("const float*") long t, @Cast("float*") long p, @Cast("float*") long dz, int B, int N,
            @Cast("double*") long loss, @Cast("double*") long scratch, @Cast("int64_t") long scratchRows,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_squared_error(@Cast("const float*") long y, @Cast("const float*") long t,
            @Cast("float*") long dy, int B, int N, @Cast("double*") long loss, @Cast("double*") long scratch,
            @Cast("int64_t") long scratchRows, @Cast("void*") long stream);

    public static native int dbn4j_cuda_column_sums(@Cast("const float*") long x, @Cast("float*") long out, int B,
            int N, float alpha, float beta, @Cast("void*") long workspace, @Cast("int64_t") long workspaceBytes,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_bias_sigmoid_sums(@Cast("float*") long x, @Cast("const float*") long b,
            int B, int N, @Cast("float*") long sums, float alpha, float beta, @Cast("void*") long workspace,
            @Cast("int64_t") long workspaceBytes, @Cast("void*") long stream);
    public static native int dbn4j_cuda_column_sums_sgd(@Cast("const float*") long x, @Cast("float*") long out,
            int B, int N, float alpha, float beta, @Cast("float*") long w, @Cast("float*") long v, float lr,
            float momentum, float weightDecay, int nesterov, @Cast("void*") long workspace,
            @Cast("int64_t") long workspaceBytes, @Cast("void*") long stream);
    public static native int dbn4j_cuda_bias_sigmoid_sums_sgd(@Cast("float*") long x, @Cast("const float*") long b,
            int B, int N, @Cast("float*") long sums, float alpha, float beta, @Cast("float*") long w,
            @Cast("float*") long v, float lr, float momentum, float weightDecay, int nesterov,
            @Cast("void*") long workspace, @Cast("int64_t") long workspaceBytes, @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_bernoulli_sums(@Cast("uint64_t") long seed,
            @Cast("uint64_t") long offset, @Cast("const float*") long x, @Cast("const float*") long b,
            @Cast("float*") long p, @Cast("float*") long s, int B, int N, @Cast("float*") long sums, float alpha,
            float beta, @Cast("void*") long workspace, @Cast("int64_t") long workspaceBytes,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_bernoulli_sums_at(@Cast("uint64_t") long seed,
            @Cast("const uint64_t*") long base, @Cast("uint64_t") long delta, @Cast("const float*") long x,
            @Cast("const float*") long b, @Cast("float*") long p, @Cast("float*") long s, int B, int N,
            @Cast("float*") long sums, float alpha, float beta, @Cast("void*") long workspace,
            @Cast("int64_t") long workspaceBytes, @Cast("void*") long stream);
    public static native int dbn4j_cuda_axpy(float alpha, @Cast("const float*") long x, @Cast("float*") long y,
            @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_scale(float alpha, @Cast("float*") long x, @Cast("int64_t") long n,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_sgd_momentum(@Cast("float*") long w, @Cast("const float*") long g,
            @Cast("float*") long v, @Cast("int64_t") long n, float lr, float momentum, float weightDecay,
            int nesterov, @Cast("void*") long stream);

    public static native int dbn4j_cuda_gather_rows(@Cast("const float*") long src, int srcRows, int N,
            @Cast("const int32_t*") long idx, int B, @Cast("float*") long dst, @Cast("void*") long stream);
    public static native int dbn4j_cuda_gather_rows_u8(@Cast("const uint8_t*") long codes, int srcRows, int N,
            @Cast("const float*") long palette, @Cast("const int32_t*") long idx, int B, @Cast("float*") long dst,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_gather_rows_at(@Cast("const float*") long src, int srcRows, int N,
            @Cast("const int32_t*") long order, @Cast("int64_t") long len, @Cast("const uint64_t*") long batch, int B,
            @Cast("float*") long dst, @Cast("void*") long stream);
    public static native int dbn4j_cuda_gather_rows_u8_at(@Cast("const uint8_t*") long codes, int srcRows, int N,
            @Cast("const float*") long palette, @Cast("const int32_t*") long order, @Cast("int64_t") long len,
            @Cast("const uint64_t*") long batch, int B, @Cast("float*") long dst, @Cast("void*") long stream);
    public static native int dbn4j_cuda_append_double(@Cast("const double*") long value, @Cast("double*") long log,
            @Cast("int64_t") long slots, @Cast("uint64_t*") long next, @Cast("void*") long stream);
    public static native int dbn4j_cuda_softplus_row_sums(@Cast("const float*") long x, @Cast("float*") long out,
            int B, int N, @Cast("void*") long stream);

    public static native int dbn4j_cuda_random_uniform(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("float*") long out, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_random_bernoulli(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long p, @Cast("float*") long out, @Cast("int64_t") long n,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_random_gaussian(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long mean, float stddev, @Cast("float*") long out, @Cast("int64_t") long n,
            @Cast("void*") long stream);
    public static native int dbn4j_cuda_random_uniform_at(@Cast("uint64_t") long seed,
            @Cast("const uint64_t*") long base, @Cast("uint64_t") long delta, @Cast("float*") long out,
            @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_random_bernoulli_at(@Cast("uint64_t") long seed,
            @Cast("const uint64_t*") long base, @Cast("uint64_t") long delta, @Cast("const float*") long p,
            @Cast("float*") long out, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_random_gaussian_at(@Cast("uint64_t") long seed,
            @Cast("const uint64_t*") long base, @Cast("uint64_t") long delta, @Cast("const float*") long mean,
            float stddev, @Cast("float*") long out, @Cast("int64_t") long n, @Cast("void*") long stream);
    public static native int dbn4j_cuda_sigmoid_bernoulli(@Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
            @Cast("const float*") long x, @Cast("const float*") long b, @Cast("float*") long p,
            @Cast("float*") long s, int B, int N, @Cast("void*") long stream);
}
