package dbn4j.data;

import java.io.IOException;

/**
 * A labelled data set whose rows are read on demand, for training data larger than memory: the training loop reads
 * one chunk of rows at a time, so memory stays flat however large the source is.
 */
public interface RowSource extends AutoCloseable {
    int rows();

    int cols();

    int numClasses();

    String description();

    /**
     * Reads rows [from, from + count) into {@code features} (count x cols, row-major) and {@code labels} (count).
     *
     * @throws IOException naming the file and the problem if reading fails
     */
    void read(int from, int count, float[] features, int[] labels) throws IOException;

    @Override
    void close() throws IOException;
}
