package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.Reference;
import dbn4j.data.Dataset;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loops' recorded-step path ({@link StepRecording}: one replay per full batch, which gathers the batch
 * into a fixed buffer and appends its loss to the batch's slot at a counter it moves on; the smaller last batch run
 * directly), forced on the CPU, where a replay
 * calls the step: it must train the very model of the direct path, bit for bit, log the same losses and name the
 * same batch when training diverges. On CUDA a replay is a CUDA graph launch ({@code CudaTrainingTest} compares that
 * with the CPU on a device).
 */
class RecordedStepsTest {
    static final Backend BE = Backends.cpu();

    /** 50 rows: batches of 12 leave a last batch of 2, run directly in both paths. */
    static Dataset data() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 50, cols = 16;
        float[] x = new float[rows * cols];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x[i * cols + j] = r.nextDouble() < 0.3 ? 1f : (float) (0.1 * r.nextDouble());
            }
            y[i] = (x[i * cols] > 0.5f ? 1 : 0) + (x[i * cols + 3] > 0.5f ? 1 : 0);
        }
        return new Dataset(x, rows, cols, y, 3, "recorded-steps");
    }

    /** 3 epochs whose learning rate and momentum change (each epoch records its step with its own scalars). */
    static TrainConfig config() {
        return new TrainConfig().epochs(3).batchSize(12).learningRate(0.1f).schedule(Schedule.step(1, 0.5))
                .momentum(0.5f, 1, 0.9f).seed(8);
    }

    /**
     * Runs body with the recorded path forced on or off; on, checks that it ran: no step refused, and one replay per
     * full batch of every epoch ({@code replays} in all, the last batch of each epoch running directly; or, where
     * replays < 0, at least one); each batch gathered into the buffer the recorded step reads (none copied there).
     */
    static <T> T recorded(boolean on, long replays, Supplier<T> body) {
        return recorded(on, replays, false, body);
    }

    /** As above; streamed: the batches are streamed, so the recorded path copies them to the step's buffers. */
    static <T> T recorded(boolean on, long replays, boolean streamed, Supplier<T> body) {
        boolean before = StepRecording.forced;
        StepRecording.forced = on;
        StepRecording.lastRefusal = null;
        long start = StepRecording.REPLAYS.get();
        long copies = StepRecording.COPIES.get();
        try {
            T result = body.get();
            long ran = StepRecording.REPLAYS.get() - start;
            assertNull(StepRecording.lastRefusal, "no step refused");
            if (streamed && on) {
                assertTrue(StepRecording.COPIES.get() > copies, "streamed batches copied where the step reads them");
            } else {
                assertEquals(copies, StepRecording.COPIES.get(), "batches gathered where the recorded step reads them");
            }
            if (!on || replays >= 0) {
                assertEquals(on ? replays : 0, ran, "replays");
            } else {
                assertTrue(ran > 0, "replays: " + ran);
            }
            return result;
        } finally {
            StepRecording.forced = before;
        }
    }

    static float[] values(Matrix... blocks) {
        float[][] parts = new float[blocks.length][];
        for (int i = 0; i < blocks.length; i++) {
            parts[i] = blocks[i].toArray();
        }
        return Reference.concat(parts);
    }

    /** The named metric of every epoch. */
    static double[] metric(List<EpochMetrics> history, String name) {
        return history.stream().mapToDouble(m -> m.get(name)).toArray();
    }

    @Test
    void rbmTrainsTheSameModelRecorded() {
        RbmOptions[] options = {new RbmOptions().k(1).monitorRows(10), new RbmOptions().k(1).persistent(true),
            new RbmOptions().k(2).sparsity(0.1f, 0.01f, 0.9f)};
        for (Rbm.Visible visible : Rbm.Visible.values()) {
            for (RbmOptions opts : options) {
                String what = visible + " k=" + opts.k() + (opts.persistent() ? " PCD" : "")
                        + (opts.sparse() ? " sparse" : "");
                Object[][] runs = new Object[2][];
                for (int mode = 0; mode < 2; mode++) {
                    runs[mode] = recorded(mode == 1, 3 * 4, () -> {
                        try (Rbm rbm = Rbm.create(BE, 16, 8, visible, 9)) {
                            List<EpochMetrics> h = rbm.fit(data(), null, config(), opts);
                            return new Object[] {values(rbm.weights(), rbm.hiddenBias(), rbm.visibleBias()),
                                metric(h, "reconstruction_error")};
                        }
                    });
                }
                assertArrayEquals((float[]) runs[0][0], (float[]) runs[1][0], what + ": parameters");
                assertArrayEquals((double[]) runs[0][1], (double[]) runs[1][1], what + ": reconstruction errors");
            }
        }
    }

    @Test
    void mlpTrainsTheSameModelRecorded() {
        for (Activation hidden : new Activation[] {Activation.RELU, Activation.SIGMOID}) {
            Object[][] runs = new Object[2][];
            for (int mode = 0; mode < 2; mode++) {
                runs[mode] = recorded(mode == 1, 3 * 4, () -> {
                    try (Mlp mlp = Mlp.create(BE, new int[] {16, 10, 3}, hidden, Activation.SOFTMAX,
                            Loss.CROSS_ENTROPY, 4)) {
                        List<EpochMetrics> h = mlp.fit(data(), null, config());
                        return new Object[] {values(mlp.params(0), mlp.params(1)), metric(h, "train_loss")};
                    }
                });
            }
            assertArrayEquals((float[]) runs[0][0], (float[]) runs[1][0], hidden + ": parameters");
            // train_loss is the mean of the logged losses: each replay's loss reached its batch's slot.
            assertArrayEquals((double[]) runs[0][1], (double[]) runs[1][1], hidden + ": training losses");
        }
    }

    /**
     * A run stopped in its second epoch and resumed from its checkpoint, recorded, trains the uninterrupted direct
     * run's model: the resumed epoch's recorded step starts at the first batch left (its counter set there).
     */
    @Test
    void resumedMidEpochRecorded(@TempDir Path dir) {
        TrainConfig base = config().epochs(3);
        RbmOptions pcd = new RbmOptions().k(1).persistent(true);
        float[][] direct = recorded(false, 0, () -> {
            try (Mlp m = Mlp.create(BE, new int[] {16, 10, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                    4); Rbm r = Rbm.create(BE, 16, 8, Rbm.Visible.BERNOULLI, 9)) {
                m.fit(data(), null, base.copy());
                r.fit(data(), null, base.copy(), pcd);
                return new float[][] {values(m.params(0), m.params(1)), values(r.weights(), r.hiddenBias())};
            }
        });
        Path mc = dir.resolve("mlp.ckpt");
        Path rc = dir.resolve("rbm.ckpt");
        // 5 batches per epoch: stopped after 7, the second epoch resumes at its batch 2 (2 of its 4 full batches
        // left: recorded).
        float[][] resumed = recorded(true, -1, () -> {
            try (Mlp m = Mlp.create(BE, new int[] {16, 10, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                    4); Rbm r = Rbm.create(BE, 16, 8, Rbm.Visible.BERNOULLI, 9)) {
                TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                        () -> m.fit(data(), null, ModelFilesTest.stopAfterBatches(base.copy().checkpoint(mc, 1), 7)));
                assertTrue(e.getMessage().contains("epoch 2"), e.getMessage());
                assertThrows(TrainingInterruptedException.class, () -> r.fit(data(), null,
                        ModelFilesTest.stopAfterBatches(base.copy().checkpoint(rc, 1), 7), pcd));
            }
            try (Mlp m = Mlp.create(BE, new int[] {16, 10, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                    4); Rbm r = Rbm.create(BE, 16, 8, Rbm.Visible.BERNOULLI, 9)) {
                m.fit(data(), null, base.copy().checkpoint(mc, 1));
                r.fit(data(), null, base.copy().checkpoint(rc, 1), pcd);
                return new float[][] {values(m.params(0), m.params(1)), values(r.weights(), r.hiddenBias())};
            }
        });
        assertArrayEquals(direct[0], resumed[0], "MLP resumed mid-epoch, recorded");
        assertArrayEquals(direct[1], resumed[1], "RBM resumed mid-epoch, recorded");
    }

    /**
     * Data streamed in chunks (no room on the backend: forced with the test switch), recorded: each batch copied to
     * the step's buffers before its replay, the same model and losses as the direct path.
     */
    @Test
    void streamedBatchesRecorded() {
        long room = TrainingData.dataMemoryForTests;
        TrainingData.dataMemoryForTests = 0;
        try {
            Object[][] runs = new Object[2][];
            for (int mode = 0; mode < 2; mode++) {
                runs[mode] = recorded(mode == 1, 3 * 4 * 2, true, () -> {
                    try (Mlp m = Mlp.create(BE, new int[] {16, 10, 3}, Activation.RELU, Activation.SOFTMAX,
                            Loss.CROSS_ENTROPY, 4); Rbm r = Rbm.create(BE, 16, 8, Rbm.Visible.BERNOULLI, 9)) {
                        List<EpochMetrics> hm = m.fit(data(), null, config());
                        List<EpochMetrics> hr = r.fit(data(), null, config(), new RbmOptions().k(1));
                        return new Object[] {values(m.params(0), m.params(1), r.weights()), metric(hm, "train_loss"),
                            metric(hr, "reconstruction_error")};
                    }
                });
            }
            assertArrayEquals((float[]) runs[0][0], (float[]) runs[1][0], "parameters");
            assertArrayEquals((double[]) runs[0][1], (double[]) runs[1][1], "MLP losses");
            assertArrayEquals((double[]) runs[0][2], (double[]) runs[1][2], "RBM reconstruction errors");
        } finally {
            TrainingData.dataMemoryForTests = room;
        }
    }

    /**
     * A diverging run names the same epoch and batch, and restores the same weights: the recorded steps' losses (an
     * MLP's loss, an RBM's reconstruction error, which only the divergence check reads) reach their batches' slots.
     */
    @Test
    void divergenceNamesTheSameBatchRecorded() {
        TrainConfig diverging = config().epochs(50).learningRate(1e6f).schedule(Schedule.constant());
        Object[][] mlp = new Object[2][];
        Object[][] rbm = new Object[2][];
        for (int mode = 0; mode < 2; mode++) {
            boolean on = mode == 1;
            mlp[mode] = recorded(on, -1, () -> {
                try (Mlp m = Mlp.create(BE, new int[] {16, 12, 3}, Activation.RELU, Activation.LINEAR,
                        Loss.SQUARED_ERROR, 1)) {
                    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                            () -> m.fit(data(), null, diverging));
                    return new Object[] {new int[] {e.epoch(), e.batch()}, values(m.params(0), m.params(1))};
                }
            });
            rbm[mode] = recorded(on, -1, () -> {
                try (Rbm r = Rbm.create(BE, 16, 8, Rbm.Visible.GAUSSIAN, 2)) {
                    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                            () -> r.fit(data(), null, diverging, new RbmOptions().k(1)));
                    return new Object[] {new int[] {e.epoch(), e.batch()}, values(r.weights(), r.visibleBias())};
                }
            });
        }
        for (Object[][] runs : new Object[][][] {mlp, rbm}) {
            String what = runs == mlp ? "MLP" : "RBM";
            assertArrayEquals((int[]) runs[0][0], (int[]) runs[1][0], what + ": epoch and batch of the divergence");
            int batch = ((int[]) runs[1][0])[1];
            assertTrue(batch >= 1 && batch <= 5, what + ": one of the 4 full batches or the last: " + batch);
            assertArrayEquals((float[]) runs[0][1], (float[]) runs[1][1], what + ": the last good weights");
        }
        assertEquals(false, StepRecording.forced, "the switch is restored");
    }
}
