package dbn4j.cuda;

import static dbn4j.cuda.CudaKernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JNI binding of {@code cuda_kernels.h}, checked without a GPU: each call below fails the native argument checks
 * that run before any CUDA call, and the native message echoes the arguments it received, so a parameter bound in
 * the wrong place or with the wrong width shows as a wrong number or name. Needs a CUDA build
 * ({@code -Ddbn4j.cuda=true}), not a device; skipped with the reason in the default build.
 */
class CudaBindingTest {
    /** Distinct non-null "device pointers": only compared with NULL and for overlap, never dereferenced here. */
    static final long P1 = 0x1000;
    static final long P2 = 0x20000;
    static final long P3 = 0x300000;

    @BeforeEach
    void needsTheLibrary() {
        Assumptions.assumeTrue(CudaProbe.class.getClassLoader().getResource(CudaProbe.libraryResource()) != null,
                "no CUDA kernel library in this build (" + CudaProbe.libraryResource() + "; build with -Ddbn4j.cuda=true)");
    }

    static void assertInvalid(int status, String message) {
        assertEquals(1, status, "DBN4J_EINVAL expected; message: " + dbn4j_cuda_last_error());
        assertEquals(message, dbn4j_cuda_last_error());
    }

    @Test
    void shapesAndPointersArriveInTheirPlaces() {
        assertInvalid(dbn4j_cuda_add_row_bias(0, P1, 3, 5, 0), "dbn4j_cuda_add_row_bias: x is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_add_row_bias(P1, 0, 3, 5, 0), "dbn4j_cuda_add_row_bias: b is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_bias_sigmoid(P1, 0, 4, 6, 0), "dbn4j_cuda_bias_sigmoid: b is NULL with B=4 N=6");
        assertInvalid(dbn4j_cuda_column_sums(P1, 0, 3, 5, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_column_sums: out is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_column_sums(P1, P2, 3, 5, 1f, 0f, P1, -1, 0),
                "dbn4j_cuda_column_sums: workspace_bytes=-1 < 0");
        assertInvalid(dbn4j_cuda_sigmoid_forward(P1, 0, 7, 0), "dbn4j_cuda_sigmoid_forward: y is NULL with n=7");
        assertInvalid(dbn4j_cuda_tanh_backward(P1, 0, P2, 1L << 33, 0),
                "dbn4j_cuda_tanh_backward: dy is NULL with n=8589934592");
        assertInvalid(dbn4j_cuda_relu_backward(P1, P2, 0, 9, 0), "dbn4j_cuda_relu_backward: dx is NULL with n=9");
        assertInvalid(dbn4j_cuda_scale(2f, 0, 4, 0), "dbn4j_cuda_scale: x is NULL with n=4");
        assertInvalid(dbn4j_cuda_sgd_momentum(P1, P2, 0, 9, 0.1f, 0.9f, 0f, 1, 0),
                "dbn4j_cuda_sgd_momentum: v is NULL with n=9");
        assertInvalid(dbn4j_cuda_softmax_cross_entropy(P1, 0, 0, 0, 3, 5, 0, 0, 0, 0),
                "dbn4j_cuda_softmax_cross_entropy: t is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_squared_error(0, P1, 0, 4, 6, 0, 0, 0, 0),
                "dbn4j_cuda_squared_error: y is NULL with B=4 N=6");
        assertInvalid(dbn4j_cuda_squared_error(P1, P2, 0, 4, 6, P3, P3 + 64, -3, 0),
                "dbn4j_cuda_squared_error: scratch_rows=-3 < 0");
        assertInvalid(dbn4j_cuda_sigmoid_cross_entropy(P1, P2, 0, 0, 4, 6, P3, P2 + 8, 4, 0),
                "dbn4j_cuda_sigmoid_cross_entropy: scratch overlaps an array or loss");
        assertInvalid(dbn4j_cuda_softmax_cross_entropy(P1, P2, 0, 0, 4, 6, P3, P1, 5, 0),
                "dbn4j_cuda_softmax_cross_entropy: scratch overlaps an array or loss");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli(1, 2, P1, 0, 0, P3, 3, 5, 0),
                "dbn4j_cuda_sigmoid_bernoulli: p is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_random_uniform(1, 2, 0, 5, 0), "dbn4j_cuda_random_uniform: out is NULL with n=5");
        assertInvalid(dbn4j_cuda_random_bernoulli(1, 2, 0, P1, 5, 0), "dbn4j_cuda_random_bernoulli: p is NULL with n=5");
        assertInvalid(dbn4j_cuda_gather_rows(P1, -1, 5, P2, 3, P3, 0),
                "dbn4j_cuda_gather_rows: negative size src_rows=-1 N=5 B=3");
    }

    /** The kernels fused with column sums: 10 to 15 arguments each. */
    @Test
    void fusedColumnSumCallsReceiveTheirArguments() {
        long sums = P3 + 0x1000;
        assertInvalid(dbn4j_cuda_bias_sigmoid_sums(P1, 0, 4, 6, sums, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_bias_sigmoid_sums: b is NULL with B=4 N=6");
        assertInvalid(dbn4j_cuda_bias_sigmoid_sums(P1, P2, 4, 6, 0, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_bias_sigmoid_sums: sums is NULL with N=6");
        assertInvalid(dbn4j_cuda_bias_sigmoid_sums(P1, P2, 4, 6, sums, 1f, 0f, P2 + 0x1000, -7, 0),
                "dbn4j_cuda_bias_sigmoid_sums: workspace_bytes=-7 < 0");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_sums(1, 2, P1, 0, 0, P3, 3, 5, sums, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_sigmoid_bernoulli_sums: p is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_sums(1, 1L << 63, P1, 0, P2, P3, 3, 5, sums, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_sigmoid_bernoulli_sums: offset=9223372036854775808 >= 2^63");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_sums(1, 2, P1, 0, P2, P3, 3, 5, P2 + 8, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_sigmoid_bernoulli_sums: sums overlaps x, p, s or b");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_sums_at(1, 0, 2, P1, 0, P2, P3, 3, 5, sums, 1f, 0f, 0, 0, 0),
                "dbn4j_cuda_sigmoid_bernoulli_sums_at: base is NULL");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_sums_at(1, P1 + 0x800, 2, P1, 0, P2, P3, 3, 7, sums, 1f, 0f,
                P2 + 0x1000, -1, 0), "dbn4j_cuda_sigmoid_bernoulli_sums_at: workspace_bytes=-1 < 0");
    }

    @Test
    void graphCallsCheckTheirHandles() {
        assertInvalid(dbn4j_cuda_graph_begin(0),
                "dbn4j_cuda_graph_begin: stream is NULL (the legacy stream: no capture)");
        assertInvalid(dbn4j_cuda_graph_end(P1, null), "dbn4j_cuda_graph_end: exec is NULL");
        long[] counts = {7, 7};
        assertInvalid(dbn4j_cuda_graph_end_counted(P1, null, counts), "dbn4j_cuda_graph_end: exec is NULL");
        assertEquals(-1, counts[0], "no counts without a graph");
        assertEquals(-1, counts[1], "no counts without a graph");
        assertInvalid(dbn4j_cuda_graph_launch(0, P1), "dbn4j_cuda_graph_launch: exec is NULL");
        assertEquals(0, dbn4j_cuda_graph_destroy(0), "destroying NULL is a no-op");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_at(1, 0, 2, P1, 0, P2, P3, 3, 5, 0),
                "dbn4j_cuda_sigmoid_bernoulli_at: base is NULL");
        assertInvalid(dbn4j_cuda_sigmoid_bernoulli_at(1, P1, 2, P1 + 64, 0, 0, P3, 3, 5, 0),
                "dbn4j_cuda_sigmoid_bernoulli_at: p is NULL with B=3 N=5");
        assertInvalid(dbn4j_cuda_set_u64(0, 5, 0), "dbn4j_cuda_set_u64: p is NULL");
    }

    @Test
    void memoryCallsCheckSizesAndKinds() {
        assertInvalid(dbn4j_cuda_malloc(0, new long[1]), "dbn4j_cuda_malloc: bytes=0 <= 0");
        assertInvalid(dbn4j_cuda_memset_async(0, 0, 12, 0), "dbn4j_cuda_memset_async: p is NULL with bytes=12");
        assertEquals(1, dbn4j_cuda_memcpy_async(P1, P2, 4, 9, 0));
        assertEquals(true, dbn4j_cuda_last_error().endsWith("kind=9 is not DBN4J_CUDA_H2D, _D2H or _D2D"),
                dbn4j_cuda_last_error());
    }
}
