package dbn4j.data;

import java.util.Locale;

/**
 * Feature scaling fitted on the training data and applied unchanged to validation and test data: to [0, 1] per
 * feature (min-max; a constant feature becomes 0) or standardised per feature (zero mean, unit variance; a constant
 * feature becomes 0).
 */
public enum Scaling {
    NONE,
    UNIT,
    STANDARDIZE;

    /** Per-feature offset and scale: x' = (x - offset) * scale. */
    public static final class Fitted {
        final Scaling kind;
        final float[] offset;
        final float[] scale;

        Fitted(Scaling kind, float[] offset, float[] scale) {
            this.kind = kind;
            this.offset = offset;
            this.scale = scale;
        }

        /** A scaled copy of the data set (the same object for NONE). */
        public Dataset apply(Dataset d) {
            if (kind == NONE) {
                return d;
            }
            if (d.cols() != offset.length) {
                throw new IllegalArgumentException("data set '" + d.description() + "' has " + d.cols()
                        + " features, the scaling was fitted on " + offset.length);
            }
            float[] x = d.features().clone();
            int cols = d.cols();
            for (int i = 0; i < x.length; i++) {
                int c = i % cols;
                x[i] = (x[i] - offset[c]) * scale[c];
            }
            return new Dataset(x, d.rows(), cols, d.labels(), d.numClasses(),
                    d.description() + ", scaled " + kind.name().toLowerCase(Locale.ROOT));
        }
    }

    /** Fits this scaling on the training data. */
    public Fitted fit(Dataset train) {
        int cols = train.cols();
        float[] offset = new float[cols];
        float[] scale = new float[cols];
        java.util.Arrays.fill(scale, 1f);
        if (this == NONE) {
            return new Fitted(this, offset, scale);
        }
        float[] x = train.features();
        int n = train.rows();
        for (int c = 0; c < cols; c++) {
            double a = 0;
            double b = 0;
            if (this == UNIT) {
                a = Double.POSITIVE_INFINITY;
                b = Double.NEGATIVE_INFINITY;
                for (int r = 0; r < n; r++) {
                    a = Math.min(a, x[r * cols + c]);
                    b = Math.max(b, x[r * cols + c]);
                }
                offset[c] = (float) a;
                scale[c] = b > a ? (float) (1 / (b - a)) : 0f;
            } else {
                for (int r = 0; r < n; r++) {
                    a += x[r * cols + c];
                }
                double mean = a / n;
                for (int r = 0; r < n; r++) {
                    double d = x[r * cols + c] - mean;
                    b += d * d;
                }
                double sd = Math.sqrt(b / n);
                offset[c] = (float) mean;
                scale[c] = sd > 0 ? (float) (1 / sd) : 0f;
            }
        }
        return new Fitted(this, offset, scale);
    }

    /** Whether every feature value lies in [0, 1]. */
    public static boolean inUnitRange(Dataset d) {
        for (float v : d.features()) {
            if (v < 0f || v > 1f) {
                return false;
            }
        }
        return true;
    }
}
