package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.data.RowSource;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Mini-batches of a {@link RowSource} too large for memory: the rows are split into chunks of a whole number of
 * batches; each epoch visits the full chunks in a seeded order (the last, partial chunk always last) and the rows of
 * each chunk in a seeded order, reading one chunk from disk at a time into fixed buffers. Memory is one chunk on the
 * host and two on the backend, whatever the size of the source. Like {@link Batches}, the order of epoch e depends
 * only on (seed, e); batches must be asked for in increasing order within an epoch.
 */
final class StreamedBatches extends Batches {
    /** Rows per chunk, rounded to whole batches: about 25 MB of float32 features at 784 columns. */
    static final int CHUNK_ROWS = 8192;

    private final Backend be;
    private final RowSource source;
    private final Targets targets;
    private final int tcols;
    private final int batchSize;
    private final int chunkRows;
    private final int fullChunks;
    private final int perChunk;
    private final float[] hostX;
    private final float[] hostT;
    private final int[] labels;
    private final int[] chunkOrder;
    private final int[] rowOrder;
    private final Matrix x;
    private final Matrix t;
    private final Matrix xs;
    private final Matrix ts;
    private final Matrix[] xb;
    private final Matrix[] tb;
    private Matrix[] tailX;
    private Matrix[] tailT;
    private long seed;
    private int epoch = Integer.MIN_VALUE;
    private int loaded = -1;

    /** Writes the targets of rows with the given labels into out (rows x tcols). */
    interface Targets {
        void fill(int[] labels, int count, float[] out);
    }

    StreamedBatches(Backend be, RowSource source, Targets targets, int tcols, int batchSize) {
        super(source.rows(), batchSize);
        this.be = be;
        this.source = source;
        this.targets = targets;
        this.tcols = tcols;
        this.batchSize = batchSize;
        this.perChunk = Math.max(1, CHUNK_ROWS / batchSize);
        this.chunkRows = perChunk * batchSize;
        this.fullChunks = source.rows() / chunkRows;
        int cols = source.cols();
        int c = Math.min(chunkRows, source.rows());
        hostX = new float[c * cols];
        hostT = targets == null ? null : new float[c * tcols];
        labels = new int[c];
        chunkOrder = new int[Math.max(1, fullChunks)];
        rowOrder = new int[c];
        Matrix mx = null, mt = null, mxs = null, mts = null;
        try {
            mx = be.allocate(c, cols);
            mxs = be.allocate(c, cols);
            if (targets != null) {
                mt = be.allocate(c, tcols);
                mts = be.allocate(c, tcols);
            }
        } catch (RuntimeException e) {
            Matrix.closeAll(mx, mt, mxs, mts);
            throw e;
        }
        x = mx;
        t = mt;
        xs = mxs;
        ts = mts;
        int full = c / batchSize;
        xb = new Matrix[full];
        tb = new Matrix[full];
        for (int i = 0; i < full; i++) {
            xb[i] = xs.rows(i * batchSize, (i + 1) * batchSize);
            tb[i] = ts == null ? null : ts.rows(i * batchSize, (i + 1) * batchSize);
        }
    }

    @Override
    int count() {
        return (rows() + batchSize - 1) / batchSize;
    }

    @Override
    void shuffle(long seed, int epoch) {
        this.seed = seed;
        this.epoch = epoch;
        this.loaded = -1;
        permute(chunkOrder, fullChunks, seed, epoch, 0x51ED27L);
    }

    @Override
    Matrix x(int batch) {
        int chunk = batch / perChunk;
        load(chunk);
        return view(chunk, batch % perChunk, true);
    }

    @Override
    Matrix t(int batch) {
        int chunk = batch / perChunk;
        load(chunk);
        return view(chunk, batch % perChunk, false);
    }

    private Matrix view(int chunk, int j, boolean inputs) {
        if (chunk < fullChunks) {
            return inputs ? xb[j] : tb[j];
        }
        int rowsInChunk = rows() - fullChunks * chunkRows;
        if (tailX == null) {
            int n = (rowsInChunk + batchSize - 1) / batchSize;
            tailX = new Matrix[n];
            tailT = new Matrix[n];
            for (int i = 0; i < n; i++) {
                int to = Math.min(rowsInChunk, (i + 1) * batchSize);
                tailX[i] = xs.rows(i * batchSize, to);
                tailT[i] = ts == null ? null : ts.rows(i * batchSize, to);
            }
        }
        return inputs ? tailX[j] : tailT[j];
    }

    /** Reads chunk number {@code position} of this epoch's order and shuffles its rows on the backend. */
    private void load(int position) {
        if (position == loaded) {
            return;
        }
        if (epoch == Integer.MIN_VALUE) {
            throw new IllegalStateException("shuffle(seed, epoch) must come before the first batch");
        }
        int chunk = position < fullChunks ? chunkOrder[position] : fullChunks;
        int from = chunk * chunkRows;
        int n = Math.min(chunkRows, rows() - from);
        int cols = source.cols();
        try {
            source.read(from, n, hostX, labels);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        Matrix xv = n == x.rows() ? x : x.rows(0, n);
        Matrix xsv = n == xs.rows() ? xs : xs.rows(0, n);
        be.copyFromHost(hostX, 0, xv, 0, n * cols);
        permute(rowOrder, n, seed, epoch, 0x1000L + chunk);
        be.gatherRows(xv, rowOrder, xsv);
        if (targets != null) {
            targets.fill(labels, n, hostT);
            Matrix tv = n == t.rows() ? t : t.rows(0, n);
            Matrix tsv = n == ts.rows() ? ts : ts.rows(0, n);
            be.copyFromHost(hostT, 0, tv, 0, n * tcols);
            be.gatherRows(tv, rowOrder, tsv);
        }
        loaded = position;
    }

    @Override
    public void close() {
        Matrix.closeAll(x, t, xs, ts);
    }
}
