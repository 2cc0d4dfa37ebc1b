package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** In-memory mini-batches: gathered per batch (host memory) or per epoch, the same rows in the same seeded order. */
class BatchesTest {
    static final Backend BE = Backends.cpu();

    /** n rows of 3 features, row r = (r, -r, 0.5 r); targets (r, 1). */
    static float[] inputs(int n) {
        float[] x = new float[3 * n];
        for (int r = 0; r < n; r++) {
            x[3 * r] = r;
            x[3 * r + 1] = -r;
            x[3 * r + 2] = 0.5f * r;
        }
        return x;
    }

    static float[] targets(int n) {
        float[] t = new float[2 * n];
        for (int r = 0; r < n; r++) {
            t[2 * r] = r;
            t[2 * r + 1] = 1;
        }
        return t;
    }

    /** Every batch's inputs and targets of epoch e, as the training loops ask for them (x then t, in order). */
    static float[][] epoch(Batches b, long seed, int e) {
        b.shuffle(seed, e);
        float[][] out = new float[2 * b.count()][];
        for (int i = 0; i < b.count(); i++) {
            out[2 * i] = b.x(i).toArray();
            out[2 * i + 1] = b.t(i).toArray();
        }
        return out;
    }

    @Test
    void perBatchAndPerEpochGatheringGiveTheSameBatches() {
        int n = 1037; // ten full batches of 100 and a tail of 37
        long before = BE.allocatedBytes();
        try (Batches perBatch = new Batches(BE, inputs(n), n, 3, targets(n), 2, 100, true, true);
                Batches perEpoch = new Batches(BE, inputs(n), n, 3, targets(n), 2, 100, true, false)) {
            assertEquals(11, perBatch.count());
            for (Batches b : new Batches[] {perBatch, perEpoch}) {
                assertThrows(IllegalStateException.class, () -> b.x(0), "no order before the first shuffle");
                assertThrows(IllegalStateException.class, () -> b.t(0), "no order before the first shuffle");
            }
            for (int e = 0; e < 3; e++) {
                float[][] a = epoch(perBatch, 7, e), b = epoch(perEpoch, 7, e);
                int[] seen = new int[n];
                int k = 0;
                for (int i = 0; i < perBatch.count(); i++) {
                    assertArrayEquals(b[2 * i], a[2 * i], "inputs of batch " + i + ", epoch " + e);
                    assertArrayEquals(b[2 * i + 1], a[2 * i + 1], "targets of batch " + i + ", epoch " + e);
                    assertEquals(i < 10 ? 300 : 111, a[2 * i].length, "batch " + i + " holds its rows only");
                    for (int r = 0; r < a[2 * i].length / 3; r++) {
                        int row = (int) a[2 * i][3 * r];
                        // The row's features and target travelled together.
                        assertEquals(-row, a[2 * i][3 * r + 1]);
                        assertEquals(0.5f * row, a[2 * i][3 * r + 2]);
                        assertEquals(row, a[2 * i + 1][2 * r]);
                        seen[k++] = row;
                    }
                }
                assertEquals(n, k);
                int[] sorted = seen.clone();
                Arrays.sort(sorted);
                for (int r = 0; r < n; r++) {
                    assertEquals(r, sorted[r], "row " + r + " exactly once in epoch " + e);
                }
                assertNotEquals(Arrays.toString(sorted), Arrays.toString(seen), "shuffled");
            }
            // Epochs differ; the same (seed, epoch) gives the same order again, also after other epochs.
            assertNotEquals(Arrays.deepToString(epoch(perBatch, 7, 0)), Arrays.deepToString(epoch(perBatch, 7, 1)));
            assertArrayEquals(epoch(perEpoch, 7, 2), epoch(perBatch, 7, 2));
            // Asking for a batch again, after another one, gives it again.
            perBatch.shuffle(7, 1);
            float[] first = perBatch.x(0).toArray();
            perBatch.x(5);
            assertArrayEquals(first, perBatch.x(0).toArray());
        }
        assertEquals(before, BE.allocatedBytes(), "every buffer freed");
    }

    @Test
    void unlabelledDataAndBatchCountsWithoutATail() {
        // (rows, batch): whole batches only, fewer rows than one batch, exactly one batch. No targets (an RBM's data).
        int[][] cases = {{1000, 100}, {37, 100}, {100, 100}};
        for (int[] c : cases) {
            int n = c[0], bs = c[1];
            try (Batches perBatch = new Batches(BE, inputs(n), n, 3, null, 0, bs, true, true);
                    Batches perEpoch = new Batches(BE, inputs(n), n, 3, null, 0, bs, true, false)) {
                assertEquals((n + bs - 1) / bs, perBatch.count());
                perBatch.shuffle(11, 4);
                perEpoch.shuffle(11, 4);
                int total = 0;
                for (int i = 0; i < perBatch.count(); i++) {
                    float[] a = perBatch.x(i).toArray();
                    assertArrayEquals(perEpoch.x(i).toArray(), a, n + " rows, batch " + i);
                    assertNull(perBatch.t(i), "no targets");
                    total += a.length / 3;
                }
                assertEquals(n, total, "every row once");
            }
        }
    }

    @Test
    void inputsOfFewValuesAreHeldAsCodesAndGiveTheSameBatches() {
        // 8-bit pixel values (and -0, a value of its own): per batch they are held as byte codes.
        int n = 1037, cols = 50;
        float[] x = new float[n * cols];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7 == 0 ? -0.0f : r.nextInt(255) / 255f; // 255 values and -0: 256
        }
        long base = BE.allocatedBytes();
        long coded;
        try (Batches perBatch = new Batches(BE, x, n, cols, targets(n), 2, 100, true, true)) {
            coded = BE.allocatedBytes() - base;
            try (Batches perEpoch = new Batches(BE, x, n, cols, targets(n), 2, 100, true, false)) {
                for (int e = 0; e < 2; e++) {
                    // Bit for bit (assertArrayEquals tells -0 from 0).
                    assertArrayEquals(epoch(perEpoch, 3, e), epoch(perBatch, 3, e), "epoch " + e);
                }
            }
        }
        // A byte per input (rows padded to whole floats), the palette, the targets as floats, one batch buffer.
        long codes = (long) n * ((cols + 3) / 4) * Float.BYTES, palette = 256 * Float.BYTES;
        long targets = (long) n * 2 * Float.BYTES, batch = 100L * (cols + 2) * Float.BYTES;
        assertEquals(codes + palette + targets + batch, coded, "instead of " + (long) n * cols * Float.BYTES
                + " bytes of float inputs");
        assertEquals(base, BE.allocatedBytes(), "every buffer freed");
    }

    @Test
    void perBatchGatheringHoldsOneBatchBesideTheData() {
        int n = 5000;
        long base = BE.allocatedBytes();
        long perBatch, perEpoch;
        try (Batches b = new Batches(BE, inputs(n), n, 3, targets(n), 2, 100, true, true)) {
            perBatch = BE.allocatedBytes() - base;
        }
        try (Batches b = new Batches(BE, inputs(n), n, 3, targets(n), 2, 100, true, false)) {
            perEpoch = BE.allocatedBytes() - base;
        }
        long data = (long) n * (3 + 2) * Float.BYTES;
        assertTrue(perBatch < data + data / 10, "per batch: the data and one batch, " + perBatch + " bytes");
        assertTrue(perEpoch >= 2 * data, "per epoch: the data and its shuffled copy, " + perEpoch + " bytes");
        assertTrue(perBatch <= Batches.backendBytes(BE, n, 3, 2, 100), "the estimate TrainingData checks");
        // The CPU backend gathers per batch in training.
        assertTrue(BE.gathersPerBatch());
        try (Batches b = new Batches(BE, inputs(n), n, 3, targets(n), 2, 100, true)) {
            assertEquals(perBatch, BE.allocatedBytes() - base);
        }
    }
}
