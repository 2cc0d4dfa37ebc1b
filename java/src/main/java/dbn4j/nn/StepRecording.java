package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.RandomStream;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * How a training loop uses {@link Backend#recordStep}: where the backend records (CUDA), each epoch's full
 * mini-batches run as one step recorded for that epoch (its learning rate and momentum are scalars of the recording)
 * and fed through fixed buffers: a copy of the batch, one replay (one CUDA graph launch instead of a launch per
 * kernel), a copy of its loss to the batch's slot. A smaller last batch, and every batch on a backend that does not
 * record, runs the step directly. A step that the backend cannot record (a sampler without a device-side offset,
 * for one) runs directly too, said once in the log.
 */
final class StepRecording {
    private static final Logger LOG = Logger.getLogger(StepRecording.class.getName());

    /** Tests: the recorded path also on a backend that runs steps directly, so that the CPU tests it. */
    static volatile boolean forced;

    /** Why a step was last refused in this process, or null (tests on a device check that their steps recorded). */
    static volatile String lastRefusal;

    private final Backend be;
    private final String what;
    private boolean refused;

    StepRecording(Backend be, String what) {
        this.be = be;
        this.what = what;
    }

    /** Whether the loop feeds its full batches through fixed buffers and a recorded step. */
    boolean active() {
        return !refused && (forced || be.recordsSteps());
    }

    /** The step, recorded; or null, where the backend refuses it (said once), for the loop to run it directly. */
    Backend.Replay record(RandomStream rng, Consumer<RandomStream> step) {
        if (!active()) {
            return null;
        }
        try {
            return be.recordStep(rng, step);
        } catch (RuntimeException e) {
            refused = true;
            lastRefusal = what + ": " + e;
            LOG.info(() -> "dbn4j: the " + what + " step runs kernel by kernel on " + be.name()
                    + ": it cannot be recorded (" + e.getMessage() + ")");
            return null;
        }
    }
}
