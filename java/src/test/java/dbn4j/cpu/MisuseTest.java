package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Dbn4jException;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse is a Java exception that names the problem, thrown before native code runs; never a JVM crash. */
class MisuseTest {
    static final CpuBackend CPU = CpuBackend.instance();

    static <T extends Throwable> void assertThrowsNaming(Class<T> type, Executable call, String... words) {
        T e = assertThrows(type, call);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message '" + e.getMessage() + "' should name '" + w + "'");
        }
    }

    @Test
    void gemmShapeMismatchNamesOperands() {
        try (Matrix a = CPU.allocate(3, 4); Matrix b = CPU.allocate(5, 2); Matrix c = CPU.allocate(3, 2)) {
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1, a, b, 0, c), "inner", "a 3x4",
                    "b 5x2");
        }
        try (Matrix a = CPU.allocate(3, 4); Matrix b = CPU.allocate(4, 2); Matrix c = CPU.allocate(2, 3)) {
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1, a, b, 0, c), "c is 2x3", "3x2");
        }
    }

    @Test
    void gemmOutputOverlappingAnInputIsRejected() {
        try (Matrix a = CPU.allocate(4, 4); Matrix b = CPU.allocate(4, 4)) {
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1, a, b, 0, a), "c and a overlap");
            Matrix top = a.rows(0, 2);
            Matrix a2 = a.rows(1, 3);
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> CPU.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1, a2, b, 0, top), "overlap");
        }
    }

    @Test
    void elementwisePartialOverlapIsRejectedButInPlaceIsAllowed() {
        try (Matrix x = CPU.allocate(4, 3)) {
            CPU.sigmoid(x, x);
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.sigmoid(x.rows(0, 2), x.rows(1, 3)),
                    "y partly overlaps x");
        }
    }

    @Test
    void wrongShapesAreNamed() {
        try (Matrix x = CPU.allocate(4, 3); Matrix y = CPU.allocate(3, 4); Matrix bias = CPU.allocate(1, 4);
                Matrix out = CPU.allocate(1, 2)) {
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.sigmoid(x, y), "y is 3x4", "x is 4x3");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.addRowVector(x, bias), "bias is 1x4",
                    "expected 1x3");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.columnSums(x, out, 1, 0), "out is 1x2");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.softmaxCrossEntropy(x, y, null, null), "t");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.matrix(2, 2, 1f, 2f, 3f), "3 values",
                    "needs 4");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.allocate(-1, 2), "negative");
        }
    }

    @Test
    void closedMatricesAreRejectedAndCloseIsIdempotent() {
        Matrix x = CPU.allocate(2, 2);
        Matrix view = x.rows(0, 1);
        Matrix y = CPU.allocate(2, 2);
        Matrix other = x.rows(1, 2);
        other.close();
        assertTrue(other.isClosed() && !other.isFreed() && !x.isClosed(), "closing a view frees nothing");
        x.close();
        x.close();
        assertTrue(x.isClosed() && x.isFreed());
        assertTrue(view.isClosed() && view.isFreed(), "a view of a closed matrix is closed, its memory freed");
        assertThrowsNaming(IllegalStateException.class, () -> CPU.sigmoid(x, y), "x (2x2) is closed");
        assertThrowsNaming(IllegalStateException.class, () -> CPU.relu(y, x), "y (2x2) is closed");
        assertThrowsNaming(IllegalStateException.class, x::toArray, "closed");
        assertThrowsNaming(IllegalStateException.class, () -> view.get(0, 0), "closed");
        y.close();
    }

    @Test
    void nonFiniteHyperParametersAreRejected() {
        try (Matrix w = CPU.allocate(2, 2); Matrix g = CPU.allocate(2, 2); Matrix v = CPU.allocate(2, 2)) {
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> CPU.sgdMomentum(w, g, v, Float.NaN, 0.9f, 0, false), "lr", "NaN");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.sgdMomentum(w, g, w, 0.1f, 0.9f, 0, false),
                    "overlap");
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.gaussian(new RandomStream(1), null,
                    Float.POSITIVE_INFINITY, w), "stddev");
        }
    }

    @Test
    void nullArgumentsAreNamed() {
        try (Matrix x = CPU.allocate(2, 2)) {
            assertThrowsNaming(IllegalArgumentException.class, () -> CPU.sigmoid(x, null), "y is null");
        }
    }

    @Test
    void indexOutOfRangeIsReported() {
        try (Matrix x = CPU.allocate(2, 3)) {
            assertThrows(IndexOutOfBoundsException.class, () -> x.get(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> x.rows(1, 3));
        }
    }

    @Test
    void nativeErrorsBecomeDbn4jExceptionWithTheNativeMessage() {
        // Bypass the Java checks on purpose: the native side checks again and reports, it does not crash.
        try (Matrix a = CPU.allocate(4, 4); Matrix b = CPU.allocate(4, 4); Matrix c = CPU.allocate(4, 4)) {
            int status = CpuKernels.dbn4j_sgemm(0, 0, 4, 4, 4, 1f, a.address(), 2, b.address(), 4, 0f, c.address(), 4);
            assertEquals(1, status, "DBN4J_EINVAL");
            Dbn4jException e = assertThrows(Dbn4jException.class, () -> CpuBackend.check(status, "dbn4j_sgemm"));
            assertTrue(e.getMessage().contains("dbn4j_sgemm") && e.getMessage().contains("lda"), e.getMessage());
            assertEquals(1, e.code());
        }
        assertEquals(1, CpuKernels.dbn4j_sigmoid_forward(0, 0, 10), "null pointers with n > 0");
        assertTrue(CpuKernels.dbn4j_last_error().contains("dbn4j_sigmoid_forward"), CpuKernels.dbn4j_last_error());
    }

    @Test
    void forcingAnUnsupportedIsaOrBadThreadCountIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> CPU.forceIsa(7));
        assertThrows(IllegalArgumentException.class, () -> CPU.setThreads(0));
        assertThrows(IllegalArgumentException.class, () -> CPU.setBlasThreads(-2));
    }
}
