package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.data.Dataset;
import dbn4j.data.RowSource;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The training set of a run: a {@link Dataset} in memory, or a {@link RowSource} streamed from disk in chunks. */
final class TrainingData {
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
}
