package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Dbn4jException;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * How a training loop uses {@link Backend#recordStep}: where the backend records (CUDA), each epoch's full
 * mini-batches run as one step recorded for that epoch (its learning rate and momentum are scalars of the recording)
 * and fed through fixed buffers: the batch gathered there (or copied, where the batches come from elsewhere), one
 * replay (one CUDA graph launch instead of a launch per kernel), a copy of its loss to the batch's slot. A smaller
 * last batch, an epoch with fewer than two full batches left, and every batch on a backend that does not record run
 * the step directly. A step that the backend cannot record (a sampler without a device-side offset, for one) runs
 * directly too, said once in the log.
 *
 * <p>On CUDA a recording captures everything queued on the backend's stream (and its forks): two training runs must
 * not use the CUDA backend at the same time (one process-wide backend; run them one after the other).
 */
final class StepRecording implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StepRecording.class.getName());

    /** Tests: the recorded path also on a backend that runs steps directly, so that the CPU tests it. */
    static volatile boolean forced;

    /** Why a step was last refused in this process, or null (tests on a device check that their steps recorded). */
    static volatile String lastRefusal;

    /** Replays run in this process (tests check that the recorded path ran). */
    static final AtomicLong REPLAYS = new AtomicLong();

    /** Batches copied into a fixed buffer in this process (tests check that gathered batches need none). */
    static final AtomicLong COPIES = new AtomicLong();

    private final Backend be;
    private final String what;
    private boolean refused;
    /** Where recording is used: the fixed buffers of the step's inputs and the one-slot log of its loss. */
    private final Matrix[] fixed;
    /** The fixed buffers made here (the others are the batches' own buffers). */
    private final Matrix[] made;
    private final Backend.LossLog loss;

    /**
     * For steps whose inputs are the batches of {@code data}, {@code rows} rows of {@code cols[i]} columns each: where
     * the backend records, the fixed buffers a recorded step reads them from and the slot it writes its loss to.
     * Where the data gathers every full batch into one buffer ({@link Batches#batchBuffer}), that is the fixed
     * buffer; else one is made here (closed with this object), and each batch is copied to it.
     */
    StepRecording(Backend be, String what, Batches data, int rows, int... cols) {
        this.be = be;
        this.what = what;
        fixed = new Matrix[cols.length];
        made = new Matrix[cols.length];
        Backend.LossLog log = null;
        if (active()) {
            try {
                for (int i = 0; i < cols.length; i++) {
                    Matrix given = data.batchBuffer(i);
                    if (given != null && given.rows() == rows && given.cols() == cols[i]) {
                        fixed[i] = given;
                    } else {
                        fixed[i] = made[i] = be.allocate(rows, cols[i]);
                    }
                }
                log = be.lossLog(1);
            } catch (RuntimeException e) {
                Matrix.closeAll(made);
                throw e;
            }
        }
        loss = log;
    }

    /** The fixed buffer of input i (null where nothing is recorded). */
    Matrix fixed(int i) {
        return fixed[i];
    }

    /** The one-slot log a recorded step writes its loss to (null where nothing is recorded). */
    Backend.LossLog loss() {
        return loss;
    }

    /** Whether the loop feeds its full batches through fixed buffers and a recorded step. */
    boolean active() {
        return !refused && (forced || be.recordsSteps());
    }

    /**
     * The step, recorded for an epoch with {@code fullBatches} full batches left; or null where that is fewer than
     * two (recording would cost more than it saves) or the backend refuses the step (said once), for the loop to run
     * the step directly.
     */
    Backend.Replay record(int fullBatches, RandomStream rng, Consumer<RandomStream> step) {
        if (!active() || fullBatches < 2) {
            return null;
        }
        Backend.Replay replay;
        try {
            replay = be.recordStep(rng, step);
        } catch (IllegalStateException | Dbn4jException e) {
            refused = true;
            lastRefusal = what + ": " + e;
            LOG.warning(() -> "dbn4j: the " + what + " step runs kernel by kernel on " + be.name()
                    + ": it cannot be recorded (" + e.getMessage() + ")");
            return null;
        }
        return new Backend.Replay() {
            @Override
            public void run() {
                replay.run();
                REPLAYS.incrementAndGet();
            }

            @Override
            public void close() {
                replay.close();
            }
        };
    }

    /**
     * Runs one batch through {@code replay}: its inputs (as many as fixed buffers, same shapes) copied into the fixed
     * buffers unless they are there already, the replay, its loss moved to slot {@code slot} of {@code log}.
     */
    void run(Backend.Replay replay, Backend.LossLog log, int slot, Matrix... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].sameMemory(fixed[i])) {
                be.copy(inputs[i], fixed[i]);
                COPIES.incrementAndGet();
            }
        }
        replay.run();
        be.copyLoss(loss, 0, log, slot);
    }

    @Override
    public void close() {
        Matrix.closeAll(made);
        if (loss != null) {
            loss.close();
        }
    }
}
