package dbn4j.nn;

import dbn4j.Dbn4jException;

/**
 * Training produced a NaN or infinite loss (usually a learning rate too large). The model holds the weights it had
 * at the start of the failing epoch, the last ones known to be good.
 */
public final class TrainingDivergedException extends Dbn4jException {
    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int batch;

    public TrainingDivergedException(String phase, int epoch, int batch, double loss) {
        super(phase + ": training diverged at epoch " + epoch + ", batch " + batch + " (loss " + loss
                + "); the weights from the start of epoch " + epoch + " were kept. Lower the learning rate.");
        this.epoch = epoch;
        this.batch = batch;
    }

    /** 1-based epoch of the failure. */
    public int epoch() {
        return epoch;
    }

    /** 1-based mini-batch within the epoch. */
    public int batch() {
        return batch;
    }
}
