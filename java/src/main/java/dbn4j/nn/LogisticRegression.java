package dbn4j.nn;

import dbn4j.Backend;

/**
 * Logistic regression: an {@link Mlp} without hidden layers. Binary: one sigmoid output trained with binary
 * cross-entropy (labels 0 and 1). Multinomial: a softmax over K outputs trained with cross-entropy. Weights start
 * at zero (the problem is convex; {@link Backend#allocate} zeroes), so the seed only matters for the shuffling of
 * {@link Mlp#fit}.
 */
public final class LogisticRegression {
    static final String MODEL = "logistic";

    private LogisticRegression() {}

    /** Binary logistic regression on {@code inputs} features. The caller closes the model. */
    public static Mlp binary(Backend be, int inputs) {
        return new Mlp(be, MODEL, new int[] {inputs, 1}, new Activation[] {Activation.SIGMOID}, Loss.CROSS_ENTROPY);
    }

    /** Multinomial (softmax) logistic regression over {@code classes} classes. The caller closes the model. */
    public static Mlp multinomial(Backend be, int inputs, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
        return new Mlp(be, MODEL, new int[] {inputs, classes}, new Activation[] {Activation.SOFTMAX},
                Loss.CROSS_ENTROPY);
    }
}
