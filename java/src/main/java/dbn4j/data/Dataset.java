package dbn4j.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * An immutable in-memory data set: {@code rows} examples of {@code cols} float features each, stored row-major in
 * one array (example i is {@code features[i * cols .. (i + 1) * cols)}), with an optional class label per example.
 *
 * <p>No copies are made on the way in or out: the constructor takes ownership of the arrays it is given, and
 * {@link #features()} and {@link #labels()} return them as they are, because a full Fashion-MNIST training set is
 * 188 MB of floats. Nobody may modify those arrays afterwards; every method that derives a new data set
 * ({@link #subset}, {@link #select}, {@link #split}) copies the rows it keeps.
 *
 * <p>The constructor checks only shapes (cheap); {@link #validate()} checks every value and label. Instances are
 * safe to share between threads as long as nobody breaks the no-modification rule.
 */
public final class Dataset {
    private final float[] features;
    private final int rows;
    private final int cols;
    private final int[] labels;
    private final int numClasses;
    private final String description;

    /** The two parts of a {@link #split}. */
    public record Split(Dataset train, Dataset validation) {
    }

    /**
     * Wraps the given arrays (no copy; see the class comment).
     *
     * @param features row-major, exactly {@code rows * cols} values
     * @param labels one label per row, or null for an unlabelled data set
     * @param numClasses the number of classes labels are drawn from, at least 1 when labels are given; 0 or more
     *     when unlabelled (a hint for whoever adds labels later)
     * @param description what this is and where it came from, for logs and reports
     * @throws IllegalArgumentException if a length does not match the shape, or a count is negative
     * @throws NullPointerException if features or description is null
     */
    public Dataset(float[] features, int rows, int cols, int[] labels, int numClasses, String description) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(description, "description");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("shape " + rows + "x" + cols + " has a negative dimension");
        }
        if (features.length != (long) rows * cols) {
            throw new IllegalArgumentException("features has " + features.length + " values, shape " + rows + "x"
                    + cols + " needs " + (long) rows * cols);
        }
        if (labels != null && labels.length != rows) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but there are " + rows
                    + " rows");
        }
        if (numClasses < 0 || (labels != null && numClasses == 0)) {
            throw new IllegalArgumentException("numClasses is " + numClasses + "; a labelled data set needs at least 1");
        }
        this.features = features;
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.numClasses = numClasses;
        this.description = description;
    }

    /** The number of examples. */
    public int rows() {
        return rows;
    }

    /** The number of features per example. */
    public int cols() {
        return cols;
    }

    /** The features, row-major, rows x cols. Not a copy: never modify it. */
    public float[] features() {
        return features;
    }

    /** True when every row has a label. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** The labels, one per row, or null when unlabelled. Not a copy: never modify it. */
    public int[] labels() {
        return labels;
    }

    /**
     * The label of row i.
     *
     * @throws IllegalStateException if the data set is unlabelled
     * @throws IndexOutOfBoundsException if i is not a row
     */
    public int label(int i) {
        requireLabels("label");
        Objects.checkIndex(i, rows);
        return labels[i];
    }

    public int numClasses() {
        return numClasses;
    }

    public String description() {
        return description;
    }

    /** The same data (shared, not copied) under another description. */
    public Dataset withDescription(String newDescription) {
        return new Dataset(features, rows, cols, labels, numClasses, newDescription);
    }

    /**
     * A copy of rows {@code [from, to)}.
     *
     * @throws IndexOutOfBoundsException if the range is not within the rows
     */
    public Dataset subset(int from, int to) {
        Objects.checkFromToIndex(from, to, rows);
        float[] f = Arrays.copyOfRange(features, from * cols, to * cols);
        int[] l = labels == null ? null : Arrays.copyOfRange(labels, from, to);
        return new Dataset(f, to - from, cols, l, numClasses, description + ", rows [" + from + ", " + to + ")");
    }

    /**
     * A copy of the given rows in the given order (repeats allowed).
     *
     * @throws IndexOutOfBoundsException naming the position of the first index that is not a row
     */
    public Dataset select(int[] rowIndices) {
        return select(rowIndices, 0, rowIndices.length, description + ", " + rowIndices.length + " selected rows");
    }

    private Dataset select(int[] idx, int from, int to, String newDescription) {
        int n = to - from;
        float[] f = new float[Math.multiplyExact(n, cols)];
        int[] l = labels == null ? null : new int[n];
        for (int k = 0; k < n; k++) {
            int r = idx[from + k];
            if (r < 0 || r >= rows) {
                throw new IndexOutOfBoundsException("rowIndices[" + (from + k) + "] = " + r + " is not a row of "
                        + rows);
            }
            System.arraycopy(features, r * cols, f, k * cols, cols);
            if (l != null) {
                l[k] = labels[r];
            }
        }
        return new Dataset(f, n, cols, l, numClasses, newDescription);
    }

    /**
     * Shuffles the rows with a seeded Fisher–Yates shuffle ({@link SplittableRandom}) and cuts them into a training
     * part and a validation part of {@code round(rows * validationFraction)} rows. The same seed always gives the
     * same split of the same data set.
     *
     * @param validationFraction in [0, 1]
     * @throws IllegalArgumentException if the fraction is outside [0, 1] or not a number
     */
    public Split split(double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction <= 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1], got " + validationFraction);
        }
        int validationRows = (int) Math.round(rows * validationFraction);
        int trainRows = rows - validationRows;
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = rows - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        String how = " of a split (validation fraction " + validationFraction + ", seed " + seed + ")";
        return new Split(select(order, 0, trainRows, description + ", training part" + how),
                select(order, trainRows, rows, description + ", validation part" + how));
    }

    /**
     * The labels as one-hot rows: a new rows x numClasses array, row-major, with 1 at each row's label.
     *
     * @throws IllegalStateException if the data set is unlabelled
     * @throws IllegalArgumentException naming the row if a label is outside [0, numClasses)
     */
    public float[] oneHot() {
        requireLabels("oneHot");
        float[] out = new float[Math.multiplyExact(rows, numClasses)];
        for (int i = 0; i < rows; i++) {
            checkLabel(i);
            out[i * numClasses + labels[i]] = 1f;
        }
        return out;
    }

    /**
     * Checks every value and label; returns this data set so that loading code can chain it.
     *
     * @throws IllegalArgumentException naming the problem: an empty data set (no rows or no columns), the row and
     *     column of the first NaN or infinite feature, or the row and value of the first label outside
     *     [0, numClasses)
     */
    public Dataset validate() {
        if (rows == 0 || cols == 0) {
            throw new IllegalArgumentException(description + ": empty data set (" + rows + "x" + cols + ")");
        }
        for (int i = 0; i < features.length; i++) {
            if (!Float.isFinite(features[i])) {
                throw new IllegalArgumentException(description + ": row " + i / cols + ", column " + i % cols
                        + " is " + features[i]);
            }
        }
        if (labels != null) {
            for (int i = 0; i < rows; i++) {
                checkLabel(i);
            }
        }
        return this;
    }

    private void checkLabel(int i) {
        if (labels[i] < 0 || labels[i] >= numClasses) {
            throw new IllegalArgumentException(description + ": row " + i + " has label " + labels[i]
                    + ", outside [0, " + numClasses + ")");
        }
    }

    private void requireLabels(String what) {
        if (labels == null) {
            throw new IllegalStateException(what + ": " + description + " has no labels");
        }
    }

    @Override
    public String toString() {
        return "Dataset[" + rows + "x" + cols + (labels == null ? ", unlabelled" : ", " + numClasses + " classes")
                + ", " + description + "]";
    }
}
