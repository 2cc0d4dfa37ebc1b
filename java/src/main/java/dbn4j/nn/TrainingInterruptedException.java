package dbn4j.nn;

import dbn4j.Dbn4jException;
import java.nio.file.Path;

/**
 * Training stopped because its stop signal was raised (for example by SIGTERM). If the run had a checkpoint file,
 * the state after the last finished mini-batch was written there first, and a run with the same settings resumes from
 * it to the same result as an uninterrupted run.
 */
public final class TrainingInterruptedException extends Dbn4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path checkpoint;

    public TrainingInterruptedException(String phase, int epoch, int batch, Path checkpoint) {
        super(phase + ": training stopped at epoch " + epoch + ", batch " + batch
                + (checkpoint == null ? " (no checkpoint file configured)" : "; checkpoint written to " + checkpoint));
        this.checkpoint = checkpoint;
    }

    /** Where the state was saved, or null. */
    public Path checkpoint() {
        return checkpoint;
    }
}
