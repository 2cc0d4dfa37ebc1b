package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dbn4j.Matrix;
import dbn4j.RandomStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * biasSigmoid and sigmoidBernoulli with the column sums of their result (the RBM's bias gradients): the same
 * outputs, samples and stream position as the plain calls, and the sums of columnSums bit for bit, on 1 and 2 threads
 * and for batches around the 64-row chunk.
 */
class FusedSumsTest {
    static final CpuBackend CPU = CpuBackend.instance();

    static float[] values(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 4);
        }
        return x;
    }

    @Test
    void fusedSumsEqualSeparateCallsBitForBit() {
        int threads = CPU.threads();
        try {
            for (int t : new int[] {1, 2}) {
                CPU.setThreads(t);
                for (int rows : new int[] {0, 1, 5, 63, 64, 65, 100, 129, 300}) {
                    for (int cols : new int[] {1, 17, 500, 784}) {
                        check(rows, cols, t);
                    }
                }
            }
        } finally {
            CPU.setThreads(threads);
        }
    }

    private void check(int rows, int cols, int threads) {
        String at = rows + "x" + cols + ", " + threads + " thread(s)";
        float[] x0 = values(rows * cols, rows * 31L + cols), bias = values(cols, 7), start = values(cols, 8);
        try (Matrix x = CPU.matrix(rows, cols, x0); Matrix xr = CPU.matrix(rows, cols, x0);
                Matrix b = CPU.matrix(1, cols, bias); Matrix sums = CPU.matrix(1, cols, start);
                Matrix ref = CPU.matrix(1, cols, start); Matrix s = CPU.allocate(rows, cols);
                Matrix sr = CPU.allocate(rows, cols)) {
            // beta 0 (sums never read) and beta 1 after a first term, as the RBM takes them.
            for (float beta : new float[] {0f, 1f}) {
                CPU.copyFromHost(x0, 0, x, 0, x0.length);
                CPU.copyFromHost(x0, 0, xr, 0, x0.length);
                CPU.biasSigmoid(x, b, sums, -0.01f, beta);
                CPU.biasSigmoid(xr, b);
                CPU.columnSums(xr, ref, -0.01f, beta);
                assertArrayEquals(xr.toArray(), x.toArray(), "biasSigmoid " + at);
                assertArrayEquals(ref.toArray(), sums.toArray(), "biasSigmoid sums, beta " + beta + ", " + at);

                RandomStream r1 = new RandomStream(11, 3), r2 = new RandomStream(11, 3);
                CPU.copyFromHost(x0, 0, x, 0, x0.length);
                CPU.copyFromHost(x0, 0, xr, 0, x0.length);
                CPU.sigmoidBernoulli(r1, x, b, x, s, sums, 0.01f, beta);
                CPU.sigmoidBernoulli(r2, xr, b, xr, sr);
                CPU.columnSums(xr, ref, 0.01f, beta);
                assertArrayEquals(xr.toArray(), x.toArray(), "sigmoidBernoulli p " + at);
                assertArrayEquals(sr.toArray(), s.toArray(), "sigmoidBernoulli samples " + at);
                assertArrayEquals(ref.toArray(), sums.toArray(), "sigmoidBernoulli sums, beta " + beta + ", " + at);
                assertEquals(r2.offset(), r1.offset(), "the same words of the stream");
            }
        }
    }

    @Test
    void sumsMustHaveTheColumnsAndStayApart() {
        try (Matrix x = CPU.allocate(4, 6); Matrix b = CPU.allocate(1, 6); Matrix s = CPU.allocate(4, 6);
                Matrix wrong = CPU.allocate(1, 5)) {
            RandomStream rng = new RandomStream(1);
            assertThrows(IllegalArgumentException.class, () -> CPU.biasSigmoid(x, b, wrong, 1f, 0f));
            assertThrows(IllegalArgumentException.class, () -> CPU.biasSigmoid(x, b, b, 1f, 0f), "sums is the bias");
            assertThrows(IllegalArgumentException.class, () -> CPU.biasSigmoid(x, b, x.rows(0, 1), 1f, 0f),
                    "sums inside x");
            assertThrows(IllegalArgumentException.class, () -> CPU.sigmoidBernoulli(rng, x, b, x, s, wrong, 1f, 0f));
            assertThrows(IllegalArgumentException.class,
                    () -> CPU.sigmoidBernoulli(rng, x, b, x, s, s.rows(1, 2), 1f, 0f), "sums inside s");
            Matrix closed = CPU.allocate(1, 6);
            closed.close();
            assertThrows(IllegalStateException.class, () -> CPU.sigmoidBernoulli(rng, x, b, x, s, closed, 1f, 0f));
            assertEquals(0, rng.offset(), "no words taken by rejected calls");
        }
    }
}
