package dbn4j.nn;

/**
 * The training loss of a network's output, with the output activation it pairs with:
 * CROSS_ENTROPY with SOFTMAX (multinomial) or SIGMOID (binary / multi-label), SQUARED_ERROR with any output.
 */
public enum Loss {
    CROSS_ENTROPY,
    SQUARED_ERROR;

    /** Throws if this loss cannot train an output of the given activation. */
    public void checkOutput(Activation output) {
        if (this == CROSS_ENTROPY && output != Activation.SOFTMAX && output != Activation.SIGMOID) {
            throw new IllegalArgumentException("cross-entropy needs a softmax or sigmoid output, not " + output);
        }
        if (this == SQUARED_ERROR && output == Activation.SOFTMAX) {
            throw new IllegalArgumentException("squared error with a softmax output is not supported; use cross-entropy");
        }
    }
}
