package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.data.Dataset;
import dbn4j.data.RowSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.logging.Logger;

/** The training set of a run: a {@link Dataset} in memory, or a {@link RowSource} streamed from disk in chunks. */
final class TrainingData {
    private static final Logger LOG = Logger.getLogger(TrainingData.class.getName());

    /** Tests: the bytes {@link #batches} assumes the backend gives the data, instead of its own answer (< 0: its). */
    static volatile long dataMemoryForTests = -1;

    private final Dataset dataset;
    private final RowSource source;

    private TrainingData(Dataset dataset, RowSource source) {
        this.dataset = dataset;
        this.source = source;
    }

    static TrainingData of(Dataset d) {
        return new TrainingData(d, null);
    }

    static TrainingData of(RowSource s) {
        return new TrainingData(null, s);
    }

    int rows() {
        return dataset != null ? dataset.rows() : source.rows();
    }

    int cols() {
        return dataset != null ? dataset.cols() : source.cols();
    }

    int numClasses() {
        return dataset != null ? dataset.numClasses() : source.numClasses();
    }

    /** Whether the rows have labels (a RowSource always has). */
    boolean labelled() {
        return dataset == null || dataset.labels() != null;
    }

    String description() {
        return dataset != null ? dataset.description() : source.description();
    }

    /** Checks every value and label of in-memory data (a RowSource checks its labels when opened). */
    void validate() {
        if (dataset != null) {
            dataset.validate();
        }
    }

    /**
     * The mini-batches on the backend.
     *
     * @param targets fills target rows from labels, or null for unlabelled training (RBMs)
     */
    Batches batches(Backend be, StreamedBatches.Targets targets, int tcols, int batchSize) {
        if (dataset == null) {
            return new StreamedBatches(be, source, targets, tcols, batchSize);
        }
        // In memory on the backend (Batches.backendBytes). Where that is more than the backend can give (a GPU's
        // memory), the rows are streamed to it in chunks from host memory instead.
        long bytes = Batches.backendBytes(be, dataset.rows(), dataset.cols(), targets == null ? 0 : tcols, batchSize);
        long room = dataMemoryForTests >= 0 ? dataMemoryForTests : be.dataMemory();
        if (bytes > room) {
            LOG.info(() -> String.format(Locale.ROOT, "dbn4j: training data '%s' needs %.1f MB on the %s backend, "
                    + "which has %.1f MB for it: streamed in chunks of %d rows", dataset.description(), bytes / 1e6,
                    be.name(), room / 1e6, StreamedBatches.CHUNK_ROWS));
            return new StreamedBatches(be, new DatasetRows(dataset), targets, tcols, batchSize);
        }
        float[] t = null;
        if (targets != null) {
            t = new float[dataset.rows() * tcols];
            targets.fill(dataset.labels(), dataset.rows(), t);
        }
        return new Batches(be, dataset.features(), dataset.rows(), dataset.cols(), t, tcols, batchSize, true);
    }

    /** The first m rows' features (for per-epoch monitoring). */
    float[] firstRows(int m) {
        if (dataset != null) {
            return java.util.Arrays.copyOf(dataset.features(), m * dataset.cols());
        }
        float[] x = new float[m * source.cols()];
        try {
            source.read(0, m, x, new int[m]);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        return x;
    }

    /** The mean of every column, in one pass (chunked for a stream). */
    double[] columnMeans() {
        int cols = cols();
        double[] mean = new double[cols];
        int chunk = dataset != null ? rows() : Math.min(rows(), StreamedBatches.CHUNK_ROWS);
        float[] x = dataset != null ? dataset.features() : new float[chunk * cols];
        int[] labels = new int[chunk];
        for (int from = 0; from < rows(); from += chunk) {
            int n = Math.min(chunk, rows() - from);
            if (source != null) {
                try {
                    source.read(from, n, x, labels);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < cols; c++) {
                    mean[c] += x[r * cols + c];
                }
            }
        }
        for (int c = 0; c < cols; c++) {
            mean[c] /= rows();
        }
        return mean;
    }

    /** An in-memory data set read as a {@link RowSource} (streamed to a backend that cannot hold it at once). */
    static final class DatasetRows implements RowSource {
        private final Dataset d;

        DatasetRows(Dataset d) {
            this.d = d;
        }

        @Override
        public int rows() {
            return d.rows();
        }

        @Override
        public int cols() {
            return d.cols();
        }

        @Override
        public int numClasses() {
            return d.numClasses();
        }

        @Override
        public String description() {
            return d.description();
        }

        @Override
        public void read(int from, int count, float[] features, int[] labels) {
            System.arraycopy(d.features(), from * d.cols(), features, 0, count * d.cols());
            if (d.labels() != null) {
                System.arraycopy(d.labels(), from, labels, 0, count);
            } else {
                java.util.Arrays.fill(labels, 0, count, 0);
            }
        }

        @Override
        public void close() {}
    }
}
