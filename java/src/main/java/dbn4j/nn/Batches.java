package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.CodedRows;
import dbn4j.Matrix;
import java.util.SplittableRandom;

/**
 * A data set on the backend, in mini-batches: the inputs (n, D) and targets (n, T) are copied to the backend
 * once. Shuffled, each epoch visits the rows in a seeded order: batch i holds rows order[i*B .. (i+1)*B). Where
 * {@link Backend#gathersPerBatch} (the CPU and CUDA backends) the epoch's order is set once on the backend
 * ({@link Backend.RowOrder}) and each batch is gathered into one batch buffer when it is asked for (or, by a recorded
 * step, at the batch a {@link Backend.Counter} holds: {@link #gather}), so that there is no second copy of the data
 * set; elsewhere the epoch is gathered at once into a shuffled copy whose consecutive rows are the batches. Both
 * give the same batches. Per batch, inputs of at most 256 distinct values (8-bit pixels) are held as byte codes
 * ({@link Backend#encodeRows}): a quarter of the memory, and a quarter of the memory traffic of each gather, which
 * otherwise moves a mini-batch of rows scattered over the whole data set every step. The row views of every batch are
 * made once, so that the training loop allocates nothing. The order of epoch e depends only on
 * (seed, e), so a run resumed at epoch e sees the same batches as an uninterrupted one. {@link StreamedBatches} does
 * the same for data read from disk a chunk at a time.
 *
 * <p>With per-batch gathering a batch's matrices are valid until the next call of {@link #x} or {@link #t} for
 * another batch: use one batch at a time, as the training loops do.
 */
class Batches implements AutoCloseable {
    private final Backend be;
    private final int rows;
    private final int batchSize;
    private final boolean perBatch;
    /** The inputs as floats, or null where they are held as codes. */
    private final Matrix x;
    /** Per-batch gathering of inputs of at most 256 values: their codes (else null). */
    private final CodedRows xc;
    private final Matrix t;
    private final Matrix xs;
    private final Matrix ts;
    private final Matrix[] xb;
    private final Matrix[] tb;
    private final int[] order;
    /** Per-batch gathering: the epoch's order, held where the backend gathers from. */
    private final Backend.RowOrder rowOrder;
    private boolean ordered;

    /** For subclasses that manage their own buffers. */
    Batches(int rows, int batchSize) {
        this.be = null;
        this.rows = rows;
        this.batchSize = batchSize;
        this.perBatch = false;
        this.x = null;
        this.xc = null;
        this.t = null;
        this.xs = null;
        this.ts = null;
        this.xb = null;
        this.tb = null;
        this.order = null;
        this.rowOrder = null;
    }

    /**
     * @param targets (n, tcols) row-major, or null for unlabelled data
     * @param shuffled whether batches come in a per-epoch shuffled order (training) or the data in order
     */
    Batches(Backend be, float[] inputs, int rows, int cols, float[] targets, int tcols, int batchSize,
            boolean shuffled) {
        this(be, inputs, rows, cols, targets, tcols, batchSize, shuffled, shuffled && be.gathersPerBatch());
    }

    /** As above, gathering each batch when it is asked for (perBatch) or each epoch at once (for tests of both). */
    Batches(Backend be, float[] inputs, int rows, int cols, float[] targets, int tcols, int batchSize,
            boolean shuffled, boolean perBatch) {
        if (perBatch && !shuffled) {
            throw new IllegalArgumentException("per-batch gathering is for shuffled batches");
        }
        this.be = be;
        this.rows = rows;
        this.batchSize = batchSize;
        this.perBatch = perBatch;
        // The batches' rows: the whole shuffled copy, one batch buffer, or the data itself.
        int bufferRows = !shuffled ? 0 : perBatch ? Math.min(batchSize, rows) : rows;
        Matrix mx = null, mt = null, mxs = null, mts = null;
        CodedRows mxc = null;
        Backend.RowOrder ro = null;
        try {
            mx = be.matrix(rows, cols, inputs);
            mxc = perBatch ? be.encodeRows(mx) : null;
            if (mxc != null) {
                mx.close();
                mx = null;
            }
            mt = targets == null ? null : be.matrix(rows, tcols, targets);
            if (shuffled) {
                mxs = be.allocate(bufferRows, cols);
                mts = targets == null ? null : be.allocate(bufferRows, tcols);
            }
            ro = perBatch ? be.rowOrder(rows) : null;
        } catch (RuntimeException e) {
            Matrix.closeAll(mx, mt, mxs, mts);
            if (mxc != null) {
                mxc.close();
            }
            throw e;
        }
        rowOrder = ro;
        x = mx;
        xc = mxc;
        t = mt;
        xs = shuffled ? mxs : mx;
        ts = shuffled ? mts : mt;
        int n = count();
        xb = new Matrix[n];
        tb = new Matrix[n];
        for (int i = 0; i < n; i++) {
            int from = i * batchSize;
            int to = Math.min(rows, from + batchSize);
            // Per batch: every batch is the buffer's first (to - from) rows.
            int at = perBatch ? 0 : from;
            xb[i] = xs.rows(at, at + to - from);
            tb[i] = ts == null ? null : ts.rows(at, at + to - from);
        }
        order = shuffled ? new int[rows] : null;
    }

    /**
     * The bytes that {@link #Batches(Backend, float[], int, int, float[], int, int, boolean)} asks of the backend at
     * most for rows x cols inputs (held as byte codes, or not) and rows x tcols targets: per-batch gathering holds the
     * data once, its codes while it is coded, and the order; per-epoch gathering the data and its shuffled copy.
     */
    static long backendBytes(Backend be, int rows, int cols, int tcols, int batchSize) {
        long data = (long) rows * ((long) cols + tcols) * Float.BYTES;
        if (!be.gathersPerBatch()) {
            return 2 * data;
        }
        long buffers = (long) Math.min(batchSize, rows) * ((long) cols + tcols) * Float.BYTES;
        return data + (long) rows * cols + (long) rows * Integer.BYTES + buffers;
    }

    /**
     * Input 0 or targets 1: the matrix every full batch's rows are gathered into (the batch matrices of those are
     * views of all of it), or null where batches are views of an epoch's copy. A recorded step reads them there.
     */
    Matrix batchBuffer(int i) {
        return perBatch && xs.rows() == batchSize ? (i == 0 ? xs : ts) : null;
    }

    /** Number of mini-batches (the last may be smaller). */
    int count() {
        return (rows + batchSize - 1) / batchSize;
    }

    /** The rows of batch {@code batch}. */
    int batchRows(int batch) {
        return Math.min(batchSize, rows - batch * batchSize);
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

    /** Sets epoch {@code epoch}'s order of the data: gathers it into the batch buffers, or per batch later. */
    void shuffle(long seed, int epoch) {
        if (order == null) {
            return;
        }
        permute(order, rows, seed, epoch, 0);
        ordered = true;
        if (perBatch) {
            rowOrder.set(order, rows);
            return;
        }
        be.gatherRows(x, order, xs);
        if (t != null) {
            be.gatherRows(t, order, ts);
        }
    }

    /** The inputs of batch {@code batch} (per-batch gathering: valid until another batch is asked for). */
    Matrix x(int batch) {
        requireOrder();
        if (perBatch) {
            if (xc != null) {
                be.gatherRows(xc, rowOrder, batch * batchSize, xb[batch]);
            } else {
                be.gatherRows(x, rowOrder, batch * batchSize, xb[batch]);
            }
        }
        return xb[batch];
    }

    /** The targets of batch {@code batch} (null for unlabelled data; per batch as {@link #x}). */
    Matrix t(int batch) {
        requireOrder();
        if (perBatch && t != null) {
            be.gatherRows(t, rowOrder, batch * batchSize, tb[batch]);
        }
        return tb[batch];
    }

    /**
     * Where {@link #batchBuffer} is not null: gathers the full batch that {@code batch} holds when the gather runs
     * into the batch buffers (a recorded step's replays each take the batch the counter holds then).
     */
    void gather(Backend.Counter batch) {
        requireOrder();
        if (batchBuffer(0) == null) {
            throw new IllegalStateException("the batches are not gathered into one buffer");
        }
        if (xc != null) {
            be.gatherRows(xc, rowOrder, batch, xs);
        } else {
            be.gatherRows(x, rowOrder, batch, xs);
        }
        if (t != null) {
            be.gatherRows(t, rowOrder, batch, ts);
        }
    }

    /** Shuffled batches exist only once an epoch's order is set (per epoch: the copy is still zeros before). */
    private void requireOrder() {
        if (order != null && !ordered) {
            throw new IllegalStateException("shuffle(seed, epoch) must come before the first batch");
        }
    }

    @Override
    public void close() {
        if (x != null) {
            x.close();
        }
        if (xc != null) {
            xc.close();
        }
        if (t != null) {
            t.close();
        }
        if (xs != x) {
            xs.close();
        }
        if (ts != null && ts != t) {
            ts.close();
        }
        if (rowOrder != null) {
            rowOrder.close();
        }
    }
}
