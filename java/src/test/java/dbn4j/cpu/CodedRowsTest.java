package dbn4j.cpu;

import static dbn4j.RowOrderTest.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.CodedRows;
import dbn4j.Matrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Data sets held as byte codes into a palette: the gathered rows against the floats they were made of. */
class CodedRowsTest {
    static final Backend BE = Backends.cpu();

    /** rows x cols of 8-bit pixel values scaled to [0, 1], zeros of both signs and a subnormal value. */
    static float[] pixels(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            int k = r.nextInt(4) == 0 ? 0 : r.nextInt(254); // 254 values, -0 and 1e-40: 256 at most
            x[i] = k / 255f;
        }
        x[1] = -0.0f;
        x[2] = 1e-40f; // subnormal
        return x;
    }

    /** data (rows x cols) coded on the backend through a float matrix, which is closed again; null as encodeRows. */
    static CodedRows encode(float[] data, int rows, int cols) {
        try (Matrix m = BE.matrix(rows, cols, data)) {
            CodedRows coded = BE.encodeRows(m);
            assertSameBits(data, m.toArray(), "encodeRows leaves its source as it was");
            return coded;
        }
    }

    /** The plain Java reference: row rows[r] of data, for each r. */
    static float[] reference(float[] data, int cols, int[] rows, int count) {
        float[] out = new float[count * cols];
        for (int r = 0; r < count; r++) {
            System.arraycopy(data, rows[r] * cols, out, r * cols, cols);
        }
        return out;
    }

    @Test
    void gatheredRowsAreTheOriginalFloatsBitForBit() {
        int rows = 3000, cols = 785; // a column count that is no multiple of 4 or 64
        float[] data = pixels(rows, cols, 3);
        long before = BE.allocatedBytes();
        try (CodedRows coded = encode(data, rows, cols); Matrix dst = BE.allocate(100, cols)) {
            assertNotNull(coded, "8-bit pixels and -0 fit the palette");
            java.util.Set<Integer> distinct = new java.util.HashSet<>();
            for (float v : data) {
                distinct.add(Float.floatToRawIntBits(v));
            }
            assertEquals(distinct.size(), coded.values(), "one palette entry per distinct bit pattern");
            // A quarter of the floats' memory, plus the palette.
            assertTrue(coded.byteSize() <= (long) rows * (cols + 3) + 4L * CodedRows.PALETTE_SIZE,
                    coded.byteSize() + " bytes");
            SplittableRandom r = new SplittableRandom(9);
            int[] order = new int[100];
            for (int trial = 0; trial < 20; trial++) {
                for (int i = 0; i < order.length; i++) {
                    order[i] = trial == 0 && i < 3 ? i : r.nextInt(rows); // rows 0-2 hold -0 and the subnormal
                }
                BE.gatherRows(coded, order, dst);
                assertSameBits(reference(data, cols, order, 100), dst.toArray(), "trial " + trial);
            }
        }
        assertEquals(before, BE.allocatedBytes(), "codes and palette freed");
    }

    @Test
    void moreThan256ValuesStayFloats() {
        float[] data = new float[257 * 2];
        for (int i = 0; i < data.length; i++) {
            data[i] = i % 257;
        }
        assertNull(encode(data, 2, 257), "257 distinct values");
        // Exactly 256, in any order, fit; 0 and -0 count as two.
        float[] two56 = new float[512];
        for (int i = 0; i < two56.length; i++) {
            two56[i] = (i * 37) % 255 + 1;
        }
        two56[0] = 0.0f;
        two56[1] = -0.0f; // 255 values from 1 to 255 (all of them, as 37 and 255 are coprime), 0 and -0: 257
        assertNull(encode(two56, 2, 256));
        two56[1] = 0.0f;
        try (CodedRows coded = encode(two56, 2, 256); Matrix dst = BE.allocate(2, 256)) {
            assertNotNull(coded);
            assertEquals(256, coded.values());
            BE.gatherRows(coded, new int[] {1, 0}, dst);
            assertSameBits(reference(two56, 256, new int[] {1, 0}, 2), dst.toArray(), "256 values");
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyNativeCall() {
        float[] data = pixels(10, 8, 1);
        Matrix closedSource = BE.matrix(10, 8, data);
        closedSource.close();
        assertThrows(IllegalStateException.class, () -> BE.encodeRows(closedSource));
        try (Matrix empty = BE.allocate(0, 8)) {
            assertNull(BE.encodeRows(empty), "nothing to code");
        }
        CodedRows coded = encode(data, 10, 8);
        try (Matrix dst = BE.allocate(2, 8); Matrix wide = BE.allocate(2, 9)) {
            assertThrows(IndexOutOfBoundsException.class, () -> BE.gatherRows(coded, new int[] {0, 10}, dst));
            assertThrows(IndexOutOfBoundsException.class, () -> BE.gatherRows(coded, new int[] {-1, 0}, dst));
            assertThrows(IllegalArgumentException.class, () -> BE.gatherRows(coded, new int[] {0}, dst),
                    "fewer indices than rows");
            assertThrows(IllegalArgumentException.class, () -> BE.gatherRows(coded, new int[] {0, 1}, wide),
                    "column counts differ");
            assertThrows(IllegalArgumentException.class, () -> BE.gatherRows((CodedRows) null, new int[] {0, 1}, dst));
            coded.close();
            coded.close(); // idempotent
            IllegalStateException closed = assertThrows(IllegalStateException.class,
                    () -> BE.gatherRows(coded, new int[] {0, 1}, dst));
            assertTrue(closed.getMessage().contains("src"), closed.getMessage());
        }
    }
}
