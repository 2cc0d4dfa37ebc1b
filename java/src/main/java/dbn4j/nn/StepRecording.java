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
 * and fed through fixed buffers. The recorded step gathers its batch from the epoch's order and appends its loss to
 * the epoch's log, both at a {@link Backend.Counter} that it moves on itself: each full batch is then one replay (one
 * CUDA graph launch, with nothing else sent to the device). Batches that come from elsewhere (streamed from disk) are
 * copied into the fixed buffers before their replay instead. A smaller last batch, an epoch with fewer than two full
 * batches left, and every batch on a backend that does not record run the step directly. A step that the backend
 * cannot record (a sampler without a device-side offset, for one) runs directly too, said once in the log.
 *
 * <p>On CUDA a recording captures everything queued on the backend's streams: while one training records its step,
 * another training's calls on the (process-wide) backend wait for the recording to end ({@code CudaBackend}). A
 * recording that cannot start (it waited a minute for other threads' calls or forks) is a refused step: this
 * training then runs its steps directly.
 */
final class StepRecording implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StepRecording.class.getName());

    /** Tests: the recorded path also on a backend that runs steps directly, so that the CPU tests it. */
    static volatile boolean forced;

    /** Why a step was last refused in this process, or null (tests on a device check that their steps recorded). */
    static volatile String lastRefusal;

    /** The size ({@link Backend.Replay#size}) of the step last recorded in this process, by what it is of. */
    static final java.util.Map<String, long[]> SIZES = new java.util.concurrent.ConcurrentHashMap<>();

    /** Replays run in this process (tests check that the recorded path ran). */
    static final AtomicLong REPLAYS = new AtomicLong();

    /** Batches copied into a fixed buffer in this process (tests check that gathered batches need none). */
    static final AtomicLong COPIES = new AtomicLong();

    private final Backend be;
    private final String what;
    private final Batches data;
    private boolean refused;
    /** Where recording is used: the fixed buffers of the step's inputs and the one-slot log of its loss. */
    private final Matrix[] fixed;
    /** The fixed buffers made here (the others are the batches' own buffers). */
    private final Matrix[] made;
    private final Backend.LossLog loss;
    /** Where recording is used: the batch that the next replay takes, and its loss's slot. */
    private final Backend.Counter batch;
    /** Whether the recorded step gathers its batch itself (else each batch is copied to the fixed buffers). */
    private final boolean gathers;

    /**
     * For steps whose inputs are the batches of {@code data} (input 0 its inputs, 1 its targets), {@code rows} rows of
     * {@code cols[i]} columns each: where the backend records, the fixed buffers a recorded step reads them from and
     * the slot it writes its loss to. Where the data gathers every full batch into one buffer
     * ({@link Batches#batchBuffer}), that is the fixed buffer, and the recorded step gathers there; else one is made
     * here (closed with this object), and each batch is copied to it.
     */
    StepRecording(Backend be, String what, Batches data, int rows, int... cols) {
        this.be = be;
        this.what = what;
        this.data = data;
        fixed = new Matrix[cols.length];
        made = new Matrix[cols.length];
        Backend.LossLog log = null;
        Backend.Counter counter = null;
        boolean own = false;
        if (active()) {
            try {
                for (int i = 0; i < cols.length; i++) {
                    Matrix given = data.batchBuffer(i);
                    if (given != null && given.rows() == rows && given.cols() == cols[i]) {
                        fixed[i] = given;
                    } else {
                        fixed[i] = made[i] = be.allocate(rows, cols[i]);
                        own = true;
                    }
                }
                log = be.lossLog(1);
                counter = be.counter();
            } catch (RuntimeException e) {
                Matrix.closeAll(made);
                if (log != null) {
                    log.close();
                }
                throw e;
            }
        }
        loss = log;
        batch = counter;
        gathers = counter != null && !own;
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
     * The step, recorded for an epoch with {@code fullBatches} full batches left, whose replays append their losses
     * to {@code log}; or null where that is fewer than two (recording would cost more than it saves) or the backend
     * refuses the step (said once), for the loop to run the step directly.
     */
    Backend.Replay record(int fullBatches, RandomStream rng, Backend.LossLog log, Consumer<RandomStream> step) {
        if (!active() || fullBatches < 2) {
            return null;
        }
        Backend.Replay replay;
        try {
            replay = be.recordStep(rng, r -> {
                if (gathers) {
                    data.gather(batch);
                }
                step.accept(r);
                be.appendLoss(loss, 0, log, batch);
            });
        } catch (IllegalStateException | Dbn4jException e) {
            refused = true;
            lastRefusal = what + ": " + e;
            LOG.warning(() -> "dbn4j: the " + what + " step runs kernel by kernel on " + be.name()
                    + ": it cannot be recorded (" + e.getMessage() + ")");
            return null;
        }
        long[] size = replay.size();
        if (size != null) {
            SIZES.put(what, size);
            LOG.fine(() -> "dbn4j: the " + what + " step recorded on " + be.name() + ": " + size[0] + " work nodes, "
                    + size[1] + " on its longest path");
        }
        return new Backend.Replay() {
            @Override
            public void run() {
                replay.run();
                REPLAYS.incrementAndGet();
            }

            @Override
            public long[] size() {
                return size;
            }

            @Override
            public void close() {
                replay.close();
            }
        };
    }

    /**
     * Runs full batch {@code i} of the data through {@code replay}, its loss into slot i of the recording's log: the
     * counter set to i unless the last replay left it there; the batch copied into the fixed buffers unless the
     * replay gathers it (or it is there already).
     */
    void run(Backend.Replay replay, int i) {
        if (batch.value() != i) {
            batch.set(i);
        }
        if (!gathers) {
            for (int k = 0; k < fixed.length; k++) {
                Matrix in = k == 0 ? data.x(i) : data.t(i);
                if (!in.sameMemory(fixed[k])) {
                    be.copy(in, fixed[k]);
                    COPIES.incrementAndGet();
                }
            }
        }
        replay.run();
    }

    @Override
    public void close() {
        Matrix.closeAll(made);
        if (loss != null) {
            loss.close();
        }
        if (batch != null) {
            batch.close();
        }
    }
}
