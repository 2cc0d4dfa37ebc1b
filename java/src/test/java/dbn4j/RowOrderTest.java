package dbn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mini-batches gathered from a {@link Backend.RowOrder}, from floats and from byte codes, against the plain Java
 * gather (bit for bit); and its misuse. {@link #checkOn} runs on any backend: here the CPU, in {@code CudaKernelTest}
 * the CUDA backend (whose order lives in device memory).
 */
public class RowOrderTest {
    /** 8-bit pixel values scaled to [0, 1], a negative zero and a subnormal value: 256 distinct values at most. */
    static float[] pixels(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (r.nextInt(3) == 0 ? 0 : r.nextInt(254)) / 255f;
        }
        x[1] = -0.0f;
        x[2] = 1e-40f;
        return x;
    }

    /** i -> (i * stride + shift) mod n: a permutation where stride and n have no common factor. */
    static int[] permutation(int n, int stride, int shift) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = (int) (((long) i * stride + shift) % n);
        }
        return p;
    }

    /** The plain Java reference: rows order[from], order[from + 1], ... of data, count of them. */
    static float[] gathered(float[] data, int cols, int[] order, int from, int count) {
        float[] out = new float[count * cols];
        for (int r = 0; r < count; r++) {
            System.arraycopy(data, order[from + r] * cols, out, r * cols, cols);
        }
        return out;
    }

    public static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** Every check of this class on be. */
    public static void checkOn(Backend be) {
        gathersAsTheReference(be);
        refusesMisuse(be);
    }

    /**
     * 337 rows of 37 columns (a coded row is not 4-byte aligned) in batches of 100 and a last one of 37, from two
     * epochs' orders; the gathers of the first epoch are queued before the second order is set and read only after.
     */
    static void gathersAsTheReference(Backend be) {
        int rows = 337, cols = 37, bs = 100;
        float[] data = pixels(rows, cols, 11);
        int[][] orders = {permutation(rows, 101, 7), permutation(rows, 59, 300)};   // 337 is prime
        try (Matrix m = be.matrix(rows, cols, data); CodedRows coded = be.encodeRows(m);
                Backend.RowOrder order = be.rowOrder(rows + 5)) {
            assertNotNull(coded, be.name() + ": pixels are coded");
            assertEquals(java.util.stream.IntStream.range(0, data.length)
                    .map(i -> Float.floatToRawIntBits(data[i])).distinct().count(), coded.values(), "distinct values");
            assertSameBits(data, m.toArray(), "encodeRows leaves its source as it was");
            Matrix[][] out = new Matrix[2][8];
            try {
                for (int e = 0; e < 2; e++) {
                    order.set(orders[e], rows);
                    assertEquals(rows, order.length());
                    for (int b = 0; b < 4; b++) {
                        int count = Math.min(bs, rows - b * bs);
                        out[e][2 * b] = be.allocate(count, cols);
                        out[e][2 * b + 1] = be.allocate(count, cols);
                        be.gatherRows(m, order, b * bs, out[e][2 * b]);
                        be.gatherRows(coded, order, b * bs, out[e][2 * b + 1]);
                    }
                }
                for (int e = 0; e < 2; e++) {
                    for (int b = 0; b < 4; b++) {
                        int count = Math.min(bs, rows - b * bs);
                        float[] want = gathered(data, cols, orders[e], b * bs, count);
                        String what = be.name() + " epoch " + e + " batch " + b;
                        assertSameBits(want, out[e][2 * b].toArray(), what + " from floats");
                        assertSameBits(want, out[e][2 * b + 1].toArray(), what + " from codes");
                    }
                }
            } finally {
                for (Matrix[] epoch : out) {
                    Matrix.closeAll(epoch);
                }
            }
            // Codes gathered by an index array (on a device: uploaded for the call).
            try (Matrix dst = be.allocate(bs, cols)) {
                int[] slice = java.util.Arrays.copyOfRange(orders[1], 50, 50 + bs);
                be.gatherRows(coded, slice, dst);
                assertSameBits(gathered(data, cols, orders[1], 50, bs), dst.toArray(), be.name() + " codes by array");
            }
        }
    }

    static void refusesMisuse(Backend be) {
        float[] data = pixels(10, 4, 3);
        try (Matrix m = be.matrix(10, 4, data); Matrix small = be.matrix(3, 4, new float[12]);
                Matrix dst = be.allocate(2, 4); Matrix wide = be.allocate(2, 5)) {
            Backend.RowOrder order = be.rowOrder(10);
            int[] first = {9, 0, 4, 4, 1};
            order.set(first, 5);
            assertThrows(IndexOutOfBoundsException.class, () -> order.set(new int[] {1, -2}, 2), "negative index");
            assertThrows(IllegalArgumentException.class, () -> order.set(new int[11], 11), "more than its capacity");
            assertThrows(IllegalArgumentException.class, () -> order.set(new int[] {1}, 2), "more than the array");
            assertThrows(IllegalArgumentException.class, () -> order.set(null, 0), "null");
            // A refused order leaves the last one in place.
            assertEquals(5, order.length());
            be.gatherRows(m, order, 3, dst);
            assertSameBits(gathered(data, 4, first, 3, 2), dst.toArray(), "the order before the refused ones");
            assertThrows(IndexOutOfBoundsException.class, () -> be.gatherRows(m, order, 4, dst), "past its length");
            assertThrows(IndexOutOfBoundsException.class, () -> be.gatherRows(m, order, -1, dst), "negative start");
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> be.gatherRows(small, order, 0, dst));
            assertTrue(e.getMessage().contains("index 9"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(m, order, 0, wide), "columns");
            try (Backend.RowOrder huge = be.rowOrder(1); Matrix one = be.allocate(1, 4)) {
                huge.set(new int[] {Integer.MAX_VALUE}, 1);
                IndexOutOfBoundsException h = assertThrows(IndexOutOfBoundsException.class,
                        () -> be.gatherRows(m, huge, 0, one));
                assertTrue(h.getMessage().contains("index 2147483647"), h.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(m, (Backend.RowOrder) null, 0, dst));
            order.close();
            order.close();   // idempotent
            assertTrue(order.isClosed());
            assertThrows(IllegalStateException.class, () -> be.gatherRows(m, order, 0, dst), "closed");
            assertThrows(IllegalStateException.class, () -> order.set(first, 5), "closed");
            assertThrows(IllegalArgumentException.class, () -> be.rowOrder(-1), "negative capacity");
            try (Backend.RowOrder none = be.rowOrder(0)) {
                none.set(first, 0);
                try (Matrix empty = be.allocate(0, 4)) {
                    be.gatherRows(m, none, 0, empty);
                }
            }
        }
    }

    /** Codes and orders of another backend are refused in Java (their memory is not this backend's). */
    public static void refusesAnotherBackends(Backend be, Backend other) {
        float[] data = pixels(6, 4, 5);
        try (Matrix theirs = other.matrix(6, 4, data); CodedRows coded = other.encodeRows(theirs);
                Backend.RowOrder theirOrder = other.rowOrder(6); Backend.RowOrder order = be.rowOrder(6);
                Matrix mine = be.matrix(6, 4, data); Matrix dst = be.allocate(2, 4)) {
            assertNotNull(coded);
            theirOrder.set(new int[] {5, 1}, 2);
            order.set(new int[] {5, 1}, 2);
            String what = other.name() + "'s codes on " + be.name();
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(coded, new int[] {0, 1}, dst), what);
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(coded, order, 0, dst), what);
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(mine, theirOrder, 0, dst),
                    other.name() + "'s order on " + be.name());
        }
    }

    @Test
    void onTheCpu() {
        checkOn(Backends.cpu());
    }
}
