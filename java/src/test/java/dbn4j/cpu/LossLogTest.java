package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Matrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The loss log: logged values are the returned ones, in their slots; misuse fails in Java. The checks take the
 * backend, so that the CUDA tests run them on the GPU too (CudaKernelTest).
 */
public class LossLogTest {
    static final CpuBackend CPU = CpuBackend.instance();

    /** On be: every logged loss equals the value the same call returns; ranges, bad slots, other backends, close. */
    public static void loggedLossesAreTheReturnedOnes(Backend be) {
        int rows = 37, k = 10;
        float[] z = KernelTest.random(new SplittableRandom(71), rows * k, -4, 4);
        float[] t = new float[rows * k];
        for (int i = 0; i < rows; i++) {
            t[i * k + (i * 7) % k] = 1f;
        }
        try (Matrix mz = be.matrix(rows, k, z); Matrix mt = be.matrix(rows, k, t); Matrix p = be.allocate(rows, k);
                Backend.LossLog log = be.lossLog(5)) {
            double[] want = {
                be.softmaxCrossEntropy(mz, mt, p, null),
                be.sigmoidCrossEntropy(mz, mt, p, null),
                be.squaredError(mz, mt, null),
            };
            assertTrue(want[0] > 0 && want[1] > 0 && want[2] > 0, "losses of these inputs are positive");
            be.softmaxCrossEntropy(mz, mt, p, null, log, 4);
            be.sigmoidCrossEntropy(mz, mt, p, null, log, 2);
            be.squaredError(mz, mt, null, log, 3);
            assertArrayEquals(new double[] {want[1], want[2], want[0]}, log.read(2, 5), "the same kernels' values");
            assertEquals(0, log.read(1, 1).length);

            assertThrows(IndexOutOfBoundsException.class, () -> be.squaredError(mz, mt, null, log, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> be.squaredError(mz, mt, null, log, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> log.read(3, 2));
            assertThrows(IllegalArgumentException.class, () -> be.squaredError(mz, mt, null, null, 0));
            try (Matrix empty = be.allocate(0, k)) {
                assertThrows(IllegalArgumentException.class, () -> be.squaredError(empty, empty, null, log, 0));
            }
            Backend other = be == CPU ? null : CPU;
            if (other != null) {
                try (Backend.LossLog foreign = other.lossLog(1)) {
                    assertThrows(IllegalArgumentException.class, () -> be.squaredError(mz, mt, null, foreign, 0),
                            "a log of another backend");
                }
            }
            log.close();
            log.close();
            assertThrows(IllegalStateException.class, () -> log.read(0, 1));
            assertThrows(IllegalStateException.class, () -> be.squaredError(mz, mt, null, log, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> be.lossLog(0));
    }

    @Test
    void loggedLossesAreTheReturnedOnesOnTheCpu() {
        loggedLossesAreTheReturnedOnes(CPU);
    }
}
