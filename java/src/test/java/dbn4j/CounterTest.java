package dbn4j;

import static dbn4j.RowOrderTest.assertSameBits;
import static dbn4j.RowOrderTest.gathered;
import static dbn4j.RowOrderTest.permutation;
import static dbn4j.RowOrderTest.pixels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Backend.Counter}: mini-batches gathered at a counter (floats and byte codes) against the plain Java gather,
 * losses appended at it, and a recorded step that does both, whose runs each take the next batch and slot; the
 * checks that refuse a batch past the order or a slot past the log; misuse. {@link #checkOn} runs on any backend:
 * here the CPU (each run of a recorded step runs the step), in {@code CudaKernelTest} the CUDA backend (a CUDA graph
 * whose replays read and move the counter on the device).
 */
public class CounterTest {
    /** Every check of this class on be. */
    public static void checkOn(Backend be) {
        setAndRead(be);
        gathersAndAppendsAtTheCounter(be);
        recordedStepsTakeTheNextBatch(be);
        refusesMisuse(be);
    }

    static void setAndRead(Backend be) {
        Backend.Counter c = be.counter();
        assertEquals(0, c.value());
        assertEquals(0, c.read());
        c.set(7);
        c.set(1L << 40);
        assertEquals(1L << 40, c.value());
        assertEquals(1L << 40, c.read(), be.name() + ": all 64 bits held");
        assertThrows(IllegalArgumentException.class, () -> c.set(-1));
        assertEquals(1L << 40, c.read(), "a refused set changes nothing");
        c.close();
        c.close();   // idempotent
        assertTrue(c.isClosed());
        assertThrows(IllegalStateException.class, c::value);
        assertThrows(IllegalStateException.class, () -> c.set(1));
        assertThrows(IllegalStateException.class, c::read);
    }

    /** The squared error of rows [0, rows) of x against zero, in double: (1 / (2 rows)) sum x^2. */
    static double halfMeanSquare(float[] x, int rows) {
        double sum = 0;
        for (float v : x) {
            sum += (double) v * v;
        }
        return sum / (2.0 * rows);
    }

    /** 337 rows of 37 columns in batches of 100: batches 0..2 of the order at a counter, then batch 3 refused. */
    static void gathersAndAppendsAtTheCounter(Backend be) {
        int rows = 337, cols = 37, bs = 100;
        float[] data = pixels(rows, cols, 21);
        int[] perm = permutation(rows, 101, 3);
        try (Matrix m = be.matrix(rows, cols, data); CodedRows coded = be.encodeRows(m);
                Backend.RowOrder order = be.rowOrder(rows); Backend.Counter c = be.counter();
                Matrix dst = be.allocate(bs, cols); Matrix dstc = be.allocate(bs, cols);
                Matrix zeros = be.allocate(bs, cols); Backend.LossLog one = be.lossLog(1);
                Backend.LossLog log = be.lossLog(3)) {
            order.set(perm, rows);
            double[] want = new double[3];
            for (int k = 2; k >= 0; k--) {   // the batches in another order than the slots
                c.set(k);
                be.gatherRows(m, order, c, dst);
                be.gatherRows(coded, order, c, dstc);
                float[] ref = gathered(data, cols, perm, k * bs, bs);
                assertSameBits(ref, dst.toArray(), be.name() + " batch " + k + " from floats");
                assertSameBits(ref, dstc.toArray(), be.name() + " batch " + k + " from codes");
                assertEquals(k, c.value(), "a gather leaves the counter");
                be.squaredError(dst, zeros, null, one, 0);
                c.set(2 - k);
                be.appendLoss(one, 0, log, c);
                assertEquals(3 - k, c.value(), "an append moves the counter on");
                assertEquals(3 - k, c.read());
                want[2 - k] = halfMeanSquare(ref, bs);
            }
            double[] got = log.read(0, 3);
            for (int i = 0; i < 3; i++) {
                assertEquals(want[i], got[i], 1e-9 * want[i], be.name() + " slot " + i);
            }
            IndexOutOfBoundsException full = assertThrows(IndexOutOfBoundsException.class,
                    () -> be.appendLoss(one, 0, log, c));
            assertTrue(full.getMessage().contains("slot 3 of a loss log of 3"), full.getMessage());
            assertEquals(3, c.read(), "a refused append leaves the counter");
            IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class,
                    () -> be.gatherRows(m, order, c, dst));
            assertTrue(past.getMessage().contains("rows [300, 400) of a row order of 337"), past.getMessage());
            c.set(1L << 30);   // 2^30 * 100 rows wraps to 0 in an int: batch 0 again, without the check
            assertThrows(IndexOutOfBoundsException.class, () -> be.gatherRows(coded, order, c, dst), "no overflow");
            assertThrows(IndexOutOfBoundsException.class, () -> be.gatherRows(m, order, c, dst), "no overflow");
        }
    }

    /**
     * A step that gathers its batch at the counter, logs its loss and appends it at the counter, recorded once and
     * run again: each run takes the next batch and slot, as the eager calls would; a run whose slot is past the log
     * is refused and leaves the counter; a new order is read by the next run.
     */
    static void recordedStepsTakeTheNextBatch(Backend be) {
        int rows = 337, cols = 37, bs = 100;
        float[] data = pixels(rows, cols, 22);
        int[][] perms = {permutation(rows, 59, 11), permutation(rows, 7, 200)};
        try (Matrix m = be.matrix(rows, cols, data); CodedRows coded = be.encodeRows(m);
                Backend.RowOrder order = be.rowOrder(rows); Backend.Counter c = be.counter();
                Matrix dst = be.allocate(bs, cols); Matrix dstc = be.allocate(bs, cols);
                Matrix zeros = be.allocate(bs, cols); Backend.LossLog one = be.lossLog(1);
                Backend.LossLog log = be.lossLog(2)) {
            order.set(perms[0], rows);
            try (Backend.Replay step = be.recordStep(null, r -> {
                be.gatherRows(coded, order, c, dstc);
                be.gatherRows(m, order, c, dst);
                be.squaredError(dstc, zeros, null, one, 0);
                be.appendLoss(one, 0, log, c);
            })) {
                assertEquals(0, c.value(), "recording moves nothing");
                double[] want = new double[2];
                for (int k = 0; k < 2; k++) {
                    step.run();
                    assertEquals(k + 1, c.value());
                    float[] ref = gathered(data, cols, perms[0], k * bs, bs);
                    assertSameBits(ref, dstc.toArray(), be.name() + " run " + k + " from codes");
                    assertSameBits(ref, dst.toArray(), be.name() + " run " + k + " from floats");
                    assertEquals(k + 1, c.read(), "the counter that the backend holds");
                    want[k] = halfMeanSquare(ref, bs);
                }
                double[] got = log.read(0, 2);
                for (int k = 0; k < 2; k++) {
                    assertEquals(want[k], got[k], 1e-9 * want[k], be.name() + " slot " + k);
                }
                // Batch 2 is in the order, slot 2 is not in the log: refused before the step runs on a device.
                IndexOutOfBoundsException full = assertThrows(IndexOutOfBoundsException.class, step::run);
                assertTrue(full.getMessage().contains("slot 2 of a loss log of 2"), full.getMessage());
                assertEquals(2, c.value(), "a refused run leaves the counter");
                assertEquals(2, c.read());
                c.set(3);
                IndexOutOfBoundsException past = assertThrows(IndexOutOfBoundsException.class, step::run);
                assertTrue(past.getMessage().contains("rows [300, 400)"), past.getMessage());
                assertEquals(3, c.read());
                // The next epoch: a new order, the counter back at batch 1.
                order.set(perms[1], rows);
                c.set(1);
                step.run();
                float[] ref = gathered(data, cols, perms[1], bs, bs);
                assertSameBits(ref, dst.toArray(), be.name() + " a new order");
                assertEquals(halfMeanSquare(ref, bs), log.read(1, 2)[0], 1e-9 * halfMeanSquare(ref, bs));
                assertEquals(2, c.read());
            }
            // Two appends per run: the second is refused at the last slot. A recording backend refuses the run
            // before it is queued, the counter as it was; the CPU runs the step, the first append included.
            try (Backend.LossLog three = be.lossLog(3); Backend.Replay twice = be.recordStep(null, r -> {
                be.appendLoss(one, 0, three, c);
                be.appendLoss(one, 0, three, c);
            })) {
                c.set(0);
                twice.run();
                assertEquals(2, c.value());
                assertThrows(IndexOutOfBoundsException.class, twice::run);
                long left = be.recordsSteps() ? 2 : 3;
                assertEquals(left, c.value(), be.name() + ": the counter after a refused run");
                assertEquals(left, c.read(), be.name() + ": the counter the backend holds");
            }
            // A counter is set outside recorded steps only (each replay would set it again).
            IllegalStateException set = assertThrows(IllegalStateException.class, () -> {
                try (Backend.Replay s = be.recordStep(null, r -> c.set(5))) {
                    s.run();
                }
            });
            assertTrue(set.getMessage().contains("Counter.set"), set.getMessage());
            assertTrue(c.read() != 5, "nothing set");
        }
    }

    static void refusesMisuse(Backend be) {
        try (Matrix m = be.matrix(4, 2, new float[8]); Matrix dst = be.allocate(2, 2);
                Backend.RowOrder order = be.rowOrder(4); Backend.LossLog one = be.lossLog(1);
                Backend.LossLog log = be.lossLog(2)) {
            order.set(new int[] {3, 2, 1, 0}, 4);
            Backend.Counter c = be.counter();
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(m, order, (Backend.Counter) null, dst));
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(m, null, c, dst));
            assertThrows(IllegalArgumentException.class, () -> be.appendLoss(one, 0, log, null));
            assertThrows(IllegalArgumentException.class, () -> be.appendLoss(null, 0, log, c));
            assertThrows(IndexOutOfBoundsException.class, () -> be.appendLoss(one, 1, log, c), "no slot 1");
            c.close();
            assertThrows(IllegalStateException.class, () -> be.gatherRows(m, order, c, dst), "closed");
            assertThrows(IllegalStateException.class, () -> be.appendLoss(one, 0, log, c), "closed");
        }
    }

    /** Counters of another backend are refused in Java (their memory is not this backend's). */
    public static void refusesAnotherBackends(Backend be, Backend other) {
        try (Backend.Counter theirs = other.counter(); Matrix m = be.matrix(4, 2, new float[8]);
                Matrix dst = be.allocate(2, 2); Backend.RowOrder order = be.rowOrder(4);
                Backend.LossLog one = be.lossLog(1); Backend.LossLog log = be.lossLog(2)) {
            order.set(new int[] {3, 2, 1, 0}, 4);
            String what = other.name() + "'s counter on " + be.name();
            assertThrows(IllegalArgumentException.class, () -> be.gatherRows(m, order, theirs, dst), what);
            assertThrows(IllegalArgumentException.class, () -> be.appendLoss(one, 0, log, theirs), what);
        }
    }

    @Test
    void onTheCpu() {
        checkOn(Backends.cpu());
    }
}
