package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import java.util.SplittableRandom;

/**
 * A data set on the backend, in mini-batches: the inputs (n, D) and targets (n, T) are copied to the backend
 * once, and each epoch gathers them into a shuffled copy whose consecutive rows are the mini-batches. The row views
 * of every batch are made once, so that the training loop allocates nothing. The order of epoch e depends only on
 * (seed, e), so a run resumed at epoch e sees the same batches as an uninterrupted one. {@link StreamedBatches}
 * does the same for data read from disk a chunk at a time.
 */
class Batches implements AutoCloseable {
    private final Backend be;
    private final int rows;
    private final int batchSize;
    private final Matrix x;
    private final Matrix t;
    private final Matrix xs;
    private final Matrix ts;
    private final Matrix[] xb;
    private final Matrix[] tb;
    private final int[] order;

    /** For subclasses that manage their own buffers. */
    Batches(int rows, int batchSize) {
        this.be = null;
        this.rows = rows;
        this.batchSize = batchSize;
        this.x = null;
        this.t = null;
        this.xs = null;
        this.ts = null;
        this.xb = null;
        this.tb = null;
        this.order = null;
    }

    /**
     * @param targets (n, tcols) row-major, or null for unlabelled data
     * @param shuffled whether batches come from a per-epoch shuffled copy (training) or the data in order
     */
    Batches(Backend be, float[] inputs, int rows, int cols, float[] targets, int tcols, int batchSize,
            boolean shuffled) {
        this.be = be;
        this.rows = rows;
        this.batchSize = batchSize;
        Matrix mx = null, mt = null, mxs = null, mts = null;
        try {
            mx = be.matrix(rows, cols, inputs);
            mt = targets == null ? null : be.matrix(rows, tcols, targets);
            if (shuffled) {
                mxs = be.allocate(rows, cols);
                mts = targets == null ? null : be.allocate(rows, tcols);
            }
        } catch (RuntimeException e) {
            Matrix.closeAll(mx, mt, mxs, mts);
            throw e;
        }
        x = mx;
        t = mt;
        xs = shuffled ? mxs : mx;
        ts = shuffled ? mts : mt;
        int n = count();
        xb = new Matrix[n];
        tb = new Matrix[n];
        for (int i = 0; i < n; i++) {
            int from = i * batchSize;
            int to = Math.min(rows, from + batchSize);
            xb[i] = xs.rows(from, to);
            tb[i] = ts == null ? null : ts.rows(from, to);
        }
        order = shuffled ? new int[rows] : null;
    }

    /** Number of mini-batches (the last may be smaller). */
    int count() {
        return (rows + batchSize - 1) / batchSize;
    }

    int rows() {
        return rows;
    }

    /** Fisher-Yates over order[0, n) with a generator seeded from (seed, epoch, salt) alone. */
    static void permute(int[] order, int n, long seed, int epoch, long salt) {
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + salt + 1);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
    }

    /** Puts epoch {@code epoch}'s permutation of the data into the batch buffers. */
    void shuffle(long seed, int epoch) {
        if (order == null) {
            return;
        }
        permute(order, rows, seed, epoch, 0);
        be.gatherRows(x, order, xs);
        if (t != null) {
            be.gatherRows(t, order, ts);
        }
    }

    Matrix x(int batch) {
        return xb[batch];
    }

    Matrix t(int batch) {
        return tb[batch];
    }

    @Override
    public void close() {
        x.close();
        if (t != null) {
            t.close();
        }
        if (xs != x) {
            xs.close();
        }
        if (ts != null && ts != t) {
            ts.close();
        }
    }
}
