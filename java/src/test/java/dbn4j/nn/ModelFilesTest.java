package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.Dataset;
import dbn4j.io.ModelFormatException;
import dbn4j.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save, load, corrupt files, and checkpoints that resume to bit-identical weights. */
class ModelFilesTest {
    static final Backend BE = Backends.cpu();

    @TempDir
    Path dir;

    static Dataset binaryImages(int n, long seed) {
        Dataset d = MlpTest.blobs(n, 3, seed);
        float[] x = d.features().clone();
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] > 0 ? 1f : 0f;
        }
        return new Dataset(x, d.rows(), d.cols(), d.labels(), d.numClasses(), "binary blobs");
    }

    @Test
    void mlpSaveLoadGivesIdenticalPredictions() throws IOException {
        Dataset d = MlpTest.blobs(500, 3, 1);
        Path file = dir.resolve("mlp.safetensors");
        try (Mlp m = Mlp.create(BE, new int[] {10, 12, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 2)) {
            m.fit(d, null, new TrainConfig().epochs(2).batchSize(50));
            m.save(file);
            try (Mlp back = Mlp.load(BE, file)) {
                assertEquals(m.toString(), back.toString());
                assertArrayEquals(m.predictProbabilities(d), back.predictProbabilities(d));
            }
        }
        // Any safetensors reader sees float32 tensors and the metadata.
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals("dbn4j", c.metadata().get("format"));
        assertEquals("mlp", c.metadata().get("model"));
        assertEquals("2", c.metadata().get("train.epochs"), "hyper-parameters of the training run are recorded");
        assertEquals("tanh,softmax", c.metadata().get("activations"));
        assertEquals("F32", c.tensors().get("layer.0.weight").dtype());
        assertArrayEquals(new long[] {10, 12}, c.tensors().get("layer.0.weight").shape());
    }

    @Test
    void logisticRbmAndDbnRoundTrip() throws IOException {
        Dataset d = binaryImages(300, 3);
        try (Mlp lr = LogisticRegression.multinomial(BE, 10, 3)) {
            lr.fit(d, null, new TrainConfig().epochs(1).batchSize(30));
            lr.save(dir.resolve("lr"));
            try (Mlp back = Mlp.load(BE, dir.resolve("lr"))) {
                assertEquals("logistic", back.kind());
                assertArrayEquals(lr.predictProbabilities(d), back.predictProbabilities(d));
            }
        }
        try (Rbm rbm = Rbm.create(BE, 10, 7, Rbm.Visible.BERNOULLI, 1)) {
            rbm.fit(d, null, new TrainConfig().epochs(1).batchSize(30), new RbmOptions());
            rbm.save(dir.resolve("rbm"));
            try (Rbm back = Rbm.load(BE, dir.resolve("rbm"))) {
                assertArrayEquals(rbm.transform(d.features(), d.rows()), back.transform(d.features(), d.rows()));
            }
        }
        try (Dbn dbn = Dbn.create(BE, new int[] {10, 8, 6}, Rbm.Visible.BERNOULLI, 1)) {
            TrainConfig cfg = new TrainConfig().epochs(1).batchSize(30);
            dbn.pretrain(d, null, cfg, new RbmOptions());
            dbn.finetune(d, null, cfg, 3);
            dbn.save(dir.resolve("dbn"));
            try (Dbn back = Dbn.load(BE, dir.resolve("dbn"))) {
                assertArrayEquals(dbn.predictProbabilities(d), back.predictProbabilities(d));
                assertArrayEquals(dbn.generate(4, 3, 1), back.generate(4, 3, 1));
            }
        }
    }

    @Test
    void corruptTruncatedWrongModelAndNewerVersionAreNamed() throws IOException {
        Path file = dir.resolve("m.safetensors");
        try (Mlp m = Mlp.create(BE, new int[] {4, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1)) {
            m.save(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Mlp.load(BE, cut));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());

        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, "this is not a model".getBytes());
        e = assertThrows(ModelFormatException.class, () -> Mlp.load(BE, garbage));
        assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());

        try (Rbm rbm = Rbm.create(BE, 4, 3, Rbm.Visible.BERNOULLI, 1)) {
            rbm.save(dir.resolve("rbm"));
        }
        e = assertThrows(ModelFormatException.class, () -> Mlp.load(BE, dir.resolve("rbm")));
        assertTrue(e.getMessage().contains("holds a rbm model"), e.getMessage());

        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put("format_version", "99");
        Path newer = dir.resolve("newer.safetensors");
        SafeTensors.write(newer, c.tensors(), meta);
        e = assertThrows(ModelFormatException.class, () -> Mlp.load(BE, newer));
        assertTrue(e.getMessage().contains("newer") && e.getMessage().contains(newer.toString()), e.getMessage());

        assertThrows(IOException.class, () -> Mlp.load(BE, dir.resolve("missing.safetensors")));
    }

    /** Interrupts a run after {@code stopAfter} epochs by throwing from a listener (the checkpoint is written first). */
    static TrainingListener interruptAfter(int stopAfter) {
        return m -> {
            if (m.epoch() == stopAfter) {
                throw new IllegalStateException("simulated interruption");
            }
        };
    }

    @Test
    void resumedMlpRunEqualsUninterruptedRun() {
        Dataset all = MlpTest.blobs(600, 3, 4);
        Dataset.Split s = all.split(0.25, 2);
        TrainConfig base = new TrainConfig().epochs(5).batchSize(32).learningRate(0.05f).momentum(0.5f, 2, 0.9f)
                .schedule(Schedule.step(2, 0.5)).seed(6);
        float[] expected;
        try (Mlp m = Mlp.create(BE, new int[] {10, 16, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 3)) {
            m.fit(s.train(), s.validation(), base.copy());
            expected = m.params(0).toArray();
        }
        Path ckpt = dir.resolve("mlp.ckpt");
        try (Mlp m = Mlp.create(BE, new int[] {10, 16, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 3)) {
            assertThrows(IllegalStateException.class,
                    () -> m.fit(s.train(), s.validation(), base.copy().checkpoint(ckpt, 1).listener(interruptAfter(3))));
        }
        try (Mlp m = Mlp.create(BE, new int[] {10, 16, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 99)) {
            var history = m.fit(s.train(), s.validation(), base.copy().checkpoint(ckpt, 1));
            assertEquals(5, history.size(), "the history of the interrupted part is restored");
            assertArrayEquals(expected, m.params(0).toArray(), "resumed weights bit-identical");
        }
    }

    @Test
    void resumedPcdRunEqualsUninterruptedRun() {
        Dataset d = binaryImages(400, 5);
        TrainConfig base = new TrainConfig().epochs(4).batchSize(30).learningRate(0.05f).seed(8);
        RbmOptions opts = new RbmOptions().persistent(true).k(2).sparsity(0.1f, 0.01f, 0.9f);
        float[] expected;
        try (Rbm rbm = Rbm.create(BE, 10, 6, Rbm.Visible.BERNOULLI, 2)) {
            rbm.fit(d, null, base.copy(), opts);
            expected = rbm.params().toArray();
        }
        Path ckpt = dir.resolve("rbm.ckpt");
        try (Rbm rbm = Rbm.create(BE, 10, 6, Rbm.Visible.BERNOULLI, 2)) {
            assertThrows(IllegalStateException.class,
                    () -> rbm.fit(d, null, base.copy().checkpoint(ckpt, 1).listener(interruptAfter(2)), opts));
        }
        try (Rbm rbm = Rbm.create(BE, 10, 6, Rbm.Visible.BERNOULLI, 2)) {
            rbm.fit(d, null, base.copy().checkpoint(ckpt, 1), opts);
            assertArrayEquals(expected, rbm.params().toArray(), "resumed RBM bit-identical");
        }
    }

    /** A stop signal raised after {@code batches} mini-batches, as a SIGTERM handler would raise it. */
    static TrainConfig stopAfterBatches(TrainConfig cfg, int batches) {
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        return cfg.progress((phase, epoch, batch, count, rows) -> seen.incrementAndGet())
                .stopWhen(() -> seen.get() >= batches);
    }

    @Test
    void stopSignalMidEpochWritesACheckpointThatResumesBitIdentically() {
        Dataset d = binaryImages(400, 6);
        TrainConfig base = new TrainConfig().epochs(3).batchSize(32).learningRate(0.05f).seed(2);
        float[] mlpExpected;
        float[] rbmExpected;
        try (Mlp m = Mlp.create(BE, new int[] {10, 8, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1);
                Rbm r = Rbm.create(BE, 10, 5, Rbm.Visible.BERNOULLI, 1)) {
            m.fit(d, null, base.copy());
            r.fit(d, null, base.copy(), new RbmOptions().persistent(true));
            mlpExpected = m.params(0).toArray();
            rbmExpected = r.params().toArray();
        }
        Path mc = dir.resolve("stop-mlp.ckpt");
        Path rc = dir.resolve("stop-rbm.ckpt");
        try (Mlp m = Mlp.create(BE, new int[] {10, 8, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1);
                Rbm r = Rbm.create(BE, 10, 5, Rbm.Visible.BERNOULLI, 1)) {
            // 13 batches per epoch: stop in the middle of the second epoch.
            TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                    () -> m.fit(d, null, stopAfterBatches(base.copy().checkpoint(mc, 5), 20)));
            assertEquals(mc, e.checkpoint());
            assertThrows(TrainingInterruptedException.class, () -> r.fit(d, null,
                    stopAfterBatches(base.copy().checkpoint(rc, 5), 20), new RbmOptions().persistent(true)));
        }
        try (Mlp m = Mlp.create(BE, new int[] {10, 8, 3}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1);
                Rbm r = Rbm.create(BE, 10, 5, Rbm.Visible.BERNOULLI, 1)) {
            m.fit(d, null, base.copy().checkpoint(mc, 5));
            r.fit(d, null, base.copy().checkpoint(rc, 5), new RbmOptions().persistent(true));
            assertArrayEquals(mlpExpected, m.params(0).toArray(), "MLP resumed mid-epoch");
            assertArrayEquals(rbmExpected, r.params().toArray(), "RBM resumed mid-epoch");
        }
    }

    @Test
    void resumingARunThatStoppedEarlyTrainsNoFurther() {
        Dataset all = MlpTest.blobs(600, 3, 9);
        Dataset.Split s = all.split(0.3, 3);
        Path ckpt = dir.resolve("early.ckpt");
        // A large learning rate with patience 1 stops well before 40 epochs.
        TrainConfig cfg = new TrainConfig().epochs(40).batchSize(20).learningRate(0.5f).patience(1).seed(4)
                .checkpoint(ckpt, 1);
        int epochs;
        float[] stopped;
        try (Mlp m = Mlp.create(BE, new int[] {10, 8, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 2)) {
            epochs = m.fit(s.train(), s.validation(), cfg.copy()).size();
            stopped = m.params(0).toArray();
        }
        assertTrue(epochs < 40, "stopped early after " + epochs + " epochs");
        try (Mlp m = Mlp.create(BE, new int[] {10, 8, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 2)) {
            assertEquals(epochs, m.fit(s.train(), s.validation(), cfg.copy()).size(), "no epoch added on resume");
            assertArrayEquals(stopped, m.params(0).toArray(), "the best weights, as when it stopped");
        }
    }
}
