package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.FashionMnist;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Short versions of the accuracy bars, on the real Fashion-MNIST sample bundled in the jar (4,000 training and 1,000
 * test images), that guard against regressions in CI. The floors sit a few points under what these exact runs
 * reach (seeded, so the runs are reproducible); a broken gradient, sampler or update lands far below them (chance
 * is 0.10).
 */
class FashionMnistSampleTest {
    static final Backend BE = Backends.cpu();
    static FashionMnist data;

    @BeforeAll
    static void load() throws IOException {
        data = FashionMnist.loadSample();
    }

    @Test
    void logisticRegression() {
        try (Mlp lr = LogisticRegression.multinomial(BE, 784, 10)) {
            lr.fit(data.train(), null, new TrainConfig().epochs(10).batchSize(50).learningRate(0.05f).momentum(0.9f)
                    .seed(1));
            double acc = lr.evaluate(data.test()).accuracy();
            assertTrue(acc >= LR_FLOOR, "logistic regression on the sample: " + acc);
        }
    }

    @Test
    void mlp() {
        try (Mlp mlp = Mlp.create(BE, new int[] {784, 200, 10}, Activation.RELU, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                1)) {
            mlp.fit(data.train(), null, new TrainConfig().epochs(10).batchSize(50).learningRate(0.05f).momentum(0.9f)
                    .schedule(Schedule.cosine(10)).seed(1));
            double acc = mlp.evaluate(data.test()).accuracy();
            assertTrue(acc >= MLP_FLOOR, "MLP on the sample: " + acc);
        }
    }

    @Test
    void dbnPretrainedThenFinetuned() {
        try (Dbn dbn = Dbn.create(BE, new int[] {784, 200}, Rbm.Visible.BERNOULLI, 1)) {
            var history = dbn.pretrain(data.train(), data.test(), new TrainConfig().epochs(5).batchSize(50)
                    .learningRate(0.05f).momentum(0.5f, 2, 0.9f).weightDecay(2e-4f).seed(1), new RbmOptions());
            assertTrue(history.get(4).get("reconstruction_error") < history.get(0).get("reconstruction_error"),
                    "pre-training lowers the reconstruction error");
            dbn.finetune(data.train(), null, new TrainConfig().epochs(10).batchSize(50).learningRate(0.1f)
                    .momentum(0.9f).schedule(Schedule.cosine(10)).seed(1), 10);
            double acc = dbn.evaluate(data.test()).accuracy();
            assertTrue(acc >= DBN_FLOOR, "DBN on the sample: " + acc);
        }
    }

    // Measured on the bundled sample (AMD EPYC, AVX2 kernels, OpenBLAS Zen): 0.831, 0.850, 0.847.
    static final double LR_FLOOR = 0.80;
    static final double MLP_FLOOR = 0.82;
    static final double DBN_FLOOR = 0.82;
}
