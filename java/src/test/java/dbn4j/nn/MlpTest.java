package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MlpTest {
    static final Backend BE = Backends.cpu();

    static Dataset xor() {
        return new Dataset(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2, new int[] {0, 1, 1, 0}, 2, "XOR");
    }

    /** Two Gaussian blobs per class in 10 dimensions: learnable, not trivially. */
    static Dataset blobs(int n, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = 10;
        float[] centers = new float[classes * d];
        SplittableRandom cr = new SplittableRandom(99);
        for (int i = 0; i < centers.length; i++) {
            centers[i] = (float) (2 * cr.nextGaussian());
        }
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
            for (int j = 0; j < d; j++) {
                x[i * d + j] = centers[y[i] * d + j] + (float) r.nextGaussian();
            }
        }
        return new Dataset(x, n, d, y, classes, "blobs");
    }

    @Test
    void mlpLearnsXorAndLogisticRegressionCannot() {
        TrainConfig cfg = new TrainConfig().epochs(2000).batchSize(4).learningRate(0.5f).momentum(0.9f).seed(3);
        try (Mlp mlp = Mlp.create(BE, new int[] {2, 8, 2}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 3)) {
            mlp.fit(xor(), null, cfg);
            assertEquals(1.0, mlp.evaluate(xor()).accuracy(), "a hidden layer separates XOR");
            assertArrayEquals(new int[] {0, 1, 1, 0}, mlp.predict(xor()));
        }
        try (Mlp lr = LogisticRegression.binary(BE, 2)) {
            lr.fit(xor(), null, cfg);
            // No line separates XOR: a linear classifier gets at most 3 of the 4 points right.
            assertTrue(lr.evaluate(xor()).accuracy() <= 0.75, "logistic regression on XOR: " + lr.evaluate(xor()));
        }
    }

    @Test
    void logisticRegressionLearnsSeparableClasses() {
        Dataset train = blobs(2000, 4, 1);
        Dataset test = blobs(1000, 4, 2);
        try (Mlp lr = LogisticRegression.multinomial(BE, 10, 4)) {
            List<EpochMetrics> h = lr.fit(train, null, new TrainConfig().epochs(5).batchSize(50).learningRate(0.1f));
            assertTrue(h.get(4).get("train_loss") < h.get(0).get("train_loss"), "loss decreases");
            Evaluation ev = lr.evaluate(test);
            assertTrue(ev.accuracy() > 0.9, ev.toString());
            int[][] c = ev.confusion();
            int total = 0;
            for (int[] row : c) {
                for (int v : row) {
                    total += v;
                }
            }
            assertEquals(1000, total);
        }
    }

    @Test
    void earlyStoppingKeepsTheBestWeightsAndListenersSeeEveryEpoch() {
        Dataset all = blobs(1500, 3, 5);
        Dataset.Split s = all.split(0.2, 1);
        List<EpochMetrics> seen = new ArrayList<>();
        try (Mlp m = Mlp.create(BE, new int[] {10, 16, 3}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1)) {
            List<EpochMetrics> h = m.fit(s.train(), s.validation(),
                    new TrainConfig().epochs(30).batchSize(32).learningRate(0.05f).patience(3).listener(seen::add));
            assertEquals(h.size(), seen.size());
            double best = h.stream().mapToDouble(e -> e.get("val_accuracy")).max().getAsDouble();
            assertEquals(best, m.evaluate(s.validation()).accuracy(), 1e-12, "best validation weights restored");
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsForAnyKernelThreadCount() {
        Dataset train = blobs(3000, 3, 8);
        CpuBackend cpu = Backends.cpu();
        float[][] runs = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            cpu.setThreads(threads);
            try (Mlp m = Mlp.create(BE, new int[] {10, 64, 3}, Activation.SIGMOID, Activation.SOFTMAX,
                    Loss.CROSS_ENTROPY, 11)) {
                m.fit(train, null, new TrainConfig().epochs(2).batchSize(1000).learningRate(0.1f).nesterov(true).seed(4));
                runs[threads - 1] = m.params(0).toArray();
            }
        }
        cpu.setThreads(1);
        assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void badInputIsRejectedBeforeTraining() {
        try (Mlp m = Mlp.create(BE, new int[] {2, 4, 2}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1)) {
            TrainConfig cfg = new TrainConfig().batchSize(2);
            Dataset wrongFeatures = new Dataset(new float[6], 2, 3, new int[] {0, 1}, 2, "three features");
            assertMessage(() -> m.fit(wrongFeatures, null, cfg), "3 features", "expects 2");
            Dataset nan = new Dataset(new float[] {0, Float.NaN, 1, 1}, 2, 2, new int[] {0, 1}, 2, "nan");
            assertMessage(() -> m.fit(nan, null, cfg), "NaN");
            Dataset bigLabel = new Dataset(new float[4], 2, 2, new int[] {0, 5}, 2, "labels");
            assertMessage(() -> m.fit(bigLabel, null, cfg), "5");
            Dataset empty = new Dataset(new float[0], 0, 2, new int[0], 2, "nothing");
            assertMessage(() -> m.fit(empty, null, cfg), "empty");
            assertMessage(() -> m.fit(xor(), null, new TrainConfig().batchSize(5)), "batch size 5", "4 rows");
            Dataset threeClasses = new Dataset(new float[4], 2, 2, new int[] {0, 2}, 3, "three classes");
            assertMessage(() -> m.fit(threeClasses, null, cfg), "2 outputs", "3 classes");
            Dataset unlabelled = new Dataset(new float[4], 2, 2, null, 2, "no labels");
            assertMessage(() -> m.fit(unlabelled, null, cfg), "'no labels' has no labels");
        }
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().learningRate(0f));
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().learningRate(-1f));
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().epochs(-3));
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().momentum(1.5f));
        assertThrows(IllegalArgumentException.class, () -> new TrainConfig().weightDecay(Float.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> Mlp.create(BE, new int[] {2, 0, 2}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Mlp.create(BE, new int[] {2, 3}, Activation.RELU, Activation.LINEAR, Loss.CROSS_ENTROPY, 1));
    }

    @Test
    void divergenceStopsWithEpochAndBatchAndKeepsLastGoodWeights() {
        Dataset train = blobs(400, 3, 2);
        try (Mlp m = Mlp.create(BE, new int[] {10, 32, 3}, Activation.RELU, Activation.LINEAR, Loss.SQUARED_ERROR, 1)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> m.fit(train, null, new TrainConfig().epochs(50).batchSize(20).learningRate(1e6f)));
            assertTrue(e.getMessage().contains("epoch " + e.epoch()) && e.getMessage().contains("batch " + e.batch()),
                    e.getMessage());
            for (float v : m.params(0).toArray()) {
                assertTrue(Float.isFinite(v), "weights restored to the last good (finite) ones");
            }
            assertTrue(e.batch() >= 1 && e.batch() <= 20, "a batch of the 20 of an epoch: " + e.batch());
            // The last good weights are those the diverging epoch started from: a fresh model trained for the epochs
            // before it (none, if the first epoch diverged) with the same seed ends with the same bits.
            try (Mlp ref = Mlp.create(BE, new int[] {10, 32, 3}, Activation.RELU, Activation.LINEAR,
                    Loss.SQUARED_ERROR, 1)) {
                if (e.epoch() > 1) {
                    ref.fit(train, null, new TrainConfig().epochs(e.epoch() - 1).batchSize(20).learningRate(1e6f));
                }
                for (int l = 0; l < 2; l++) {
                    assertArrayEquals(ref.params(l).toArray(), m.params(l).toArray(), "layer " + l);
                }
            }
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + e.getMessage() + "' should mention '" + w + "'");
        }
    }
}
