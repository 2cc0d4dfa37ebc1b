package dbn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DatasetTest {
    /** rows x 3 features where row i holds (i, i + 0.25, i + 0.5); label i % classes. */
    private static Dataset numbered(int rows, int classes) {
        float[] f = new float[rows * 3];
        int[] l = new int[rows];
        for (int i = 0; i < rows; i++) {
            f[3 * i] = i;
            f[3 * i + 1] = i + 0.25f;
            f[3 * i + 2] = i + 0.5f;
            l[i] = i % classes;
        }
        return new Dataset(f, rows, 3, l, classes, "numbered");
    }

    /** The row number stored in each row, checking the row is intact and its label still matches. */
    private static int[] rowIds(Dataset d) {
        int[] ids = new int[d.rows()];
        for (int r = 0; r < d.rows(); r++) {
            ids[r] = (int) d.features()[3 * r];
            assertEquals(ids[r] + 0.5f, d.features()[3 * r + 2]);
            assertEquals(ids[r] % d.numClasses(), d.label(r));
        }
        return ids;
    }

    @Test
    void accessors() {
        Dataset d = numbered(5, 2);
        assertEquals(5, d.rows());
        assertEquals(3, d.cols());
        assertEquals(2, d.numClasses());
        assertEquals("numbered", d.description());
        assertTrue(d.hasLabels());
        assertEquals(1, d.label(3));
        assertSame(d.features(), d.features(), "features() must not copy");
        assertThrows(IndexOutOfBoundsException.class, () -> d.label(5));
        assertSame(d.features(), d.withDescription("other").features());
    }

    @Test
    void constructorChecksShapes() {
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[5], 2, 3, null, 0, "x"));
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[6], 2, 3, new int[3], 2, "x"));
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[6], 2, 3, new int[2], 0, "x"));
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[0], -1, 0, null, 0, "x"));
        assertThrows(NullPointerException.class, () -> new Dataset(null, 0, 0, null, 0, "x"));
    }

    @Test
    void unlabelled() {
        Dataset d = new Dataset(new float[6], 2, 3, null, 0, "unlabelled");
        assertFalse(d.hasLabels());
        assertNull(d.labels());
        assertThrows(IllegalStateException.class, () -> d.label(0));
        assertThrows(IllegalStateException.class, d::oneHot);
        assertSame(d, d.validate());
        assertNull(d.split(0.5, 1).train().labels());
    }

    @Test
    void validateFindsNaNAndInfinity() {
        float[] f = new float[12];
        f[4 * 1 + 2] = Float.NaN;
        Dataset nan = new Dataset(f, 3, 4, null, 0, "with NaN");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, nan::validate);
        assertTrue(e.getMessage().contains("row 1, column 2 is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("with NaN"), e.getMessage());

        float[] g = new float[12];
        g[11] = Float.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, new Dataset(g, 3, 4, null, 0, "x")::validate);
        assertTrue(e.getMessage().contains("row 2, column 3 is -Infinity"), e.getMessage());
    }

    @Test
    void validateFindsBadLabels() {
        int[] labels = {0, 1, 2, 3};
        Dataset d = new Dataset(new float[4], 4, 1, labels, 3, "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, d::validate);
        assertTrue(e.getMessage().contains("row 3 has label 3, outside [0, 3)"), e.getMessage());
        Dataset negative = new Dataset(new float[2], 2, 1, new int[] {0, -1}, 3, "x");
        e = assertThrows(IllegalArgumentException.class, negative::validate);
        assertTrue(e.getMessage().contains("row 1 has label -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, d::oneHot);
    }

    @Test
    void validateRejectsEmpty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                new Dataset(new float[0], 0, 784, new int[0], 10, "nothing")::validate);
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, new Dataset(new float[0], 5, 0, null, 0, "x")::validate);
        Dataset fine = numbered(3, 2);
        assertSame(fine, fine.validate());
    }

    @Test
    void subsetAndSelectCopyRows() {
        Dataset d = numbered(10, 4);
        Dataset s = d.subset(3, 7);
        assertEquals(4, s.rows());
        assertArrayEquals(new int[] {3, 4, 5, 6}, rowIds(s));
        assertEquals(0, d.subset(5, 5).rows());
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(8, 11));
        assertThrows(IndexOutOfBoundsException.class, () -> d.subset(4, 3));

        Dataset sel = d.select(new int[] {9, 0, 9, 2});
        assertArrayEquals(new int[] {9, 0, 9, 2}, rowIds(sel));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> d.select(new int[] {1, 10}));
        assertTrue(e.getMessage().contains("rowIndices[1] = 10"), e.getMessage());

        s.features()[0] = -1; // a copy: the original is untouched
        assertEquals(3f, d.features()[9]);
    }

    @Test
    void splitSizesAndDeterminism() {
        Dataset d = numbered(101, 10);
        Dataset.Split a = d.split(0.2, 42);
        assertEquals(81, a.train().rows());
        assertEquals(20, a.validation().rows());

        // Every row lands in exactly one part.
        int[] all = new int[101];
        System.arraycopy(rowIds(a.train()), 0, all, 0, 81);
        System.arraycopy(rowIds(a.validation()), 0, all, 81, 20);
        int[] sorted = all.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 101; i++) {
            assertEquals(i, sorted[i]);
        }
        assertFalse(Arrays.equals(sorted, all), "the rows were not shuffled");

        Dataset.Split again = d.split(0.2, 42);
        assertArrayEquals(a.train().features(), again.train().features());
        assertArrayEquals(a.validation().labels(), again.validation().labels());
        assertNotEquals(Arrays.toString(rowIds(a.validation())), Arrays.toString(rowIds(d.split(0.2, 43)
                .validation())));
        assertTrue(a.validation().description().contains("seed 42"), a.validation().description());

        assertEquals(0, d.split(0, 1).validation().rows());
        assertEquals(101, d.split(1, 1).validation().rows());
        assertThrows(IllegalArgumentException.class, () -> d.split(1.5, 1));
        assertThrows(IllegalArgumentException.class, () -> d.split(Double.NaN, 1));
    }

    @Test
    void oneHot() {
        Dataset d = new Dataset(new float[3], 3, 1, new int[] {2, 0, 1}, 3, "x");
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 0, 1, 0}, d.oneHot());
    }
}
