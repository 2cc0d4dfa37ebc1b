package dbn4j;

import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.nn.Dbn;
import dbn4j.nn.Evaluation;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.Schedule;
import dbn4j.nn.TrainConfig;
import java.io.IOException;
import java.util.Locale;

/**
 * The main job: trains a Deep Belief Network 784-500-500 on Fashion-MNIST (greedy RBM pre-training, then
 * fine-tuning with a softmax output layer) and prints its test accuracy. Reads the full data set where it is
 * installed (apt-get install dataset-fashion-mnist), else the sample bundled in the jar, and says which.
 * Epochs can be changed with -Ddbn4j.pretrainEpochs=N and -Ddbn4j.finetuneEpochs=N.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
        int pretrainEpochs = Integer.getInteger("dbn4j.pretrainEpochs", 10);
        int finetuneEpochs = Integer.getInteger("dbn4j.finetuneEpochs", 20);
        long seed = Long.getLong("dbn4j.seed", 42);
        FashionMnist data = FashionMnist.load();
        Dataset train = data.train();
        Dataset test = data.test();
        Backend be = Backends.get();
        System.out.println("dbn4j: DBN 784-500-500 + softmax 10 on " + data.source());
        System.out.println("backend: " + be.describe());
        System.out.printf(Locale.ROOT, "data: %d training and %d test images%n", train.rows(), test.rows());
        long t0 = System.nanoTime();
        try (Dbn dbn = Dbn.create(be, new int[] {784, 500, 500}, Rbm.Visible.BERNOULLI, seed)) {
            TrainConfig pre = new TrainConfig().epochs(pretrainEpochs).batchSize(100).learningRate(0.05f)
                    .momentum(0.5f, 5, 0.9f).weightDecay(2e-4f).seed(seed).listener(m -> System.out.println("  " + m));
            System.out.println("pre-training " + pretrainEpochs + " epochs per layer (CD-1)");
            dbn.pretrain(train, null, pre, new RbmOptions());
            TrainConfig fine = new TrainConfig().epochs(finetuneEpochs).batchSize(100).learningRate(0.1f).momentum(0.9f)
                    .schedule(Schedule.cosine(finetuneEpochs)).seed(seed).listener(m -> System.out.println("  " + m));
            System.out.println("fine-tuning " + finetuneEpochs + " epochs");
            dbn.finetune(train, null, fine, FashionMnist.NUM_CLASSES);
            Evaluation ev = dbn.evaluate(test);
            System.out.printf(Locale.ROOT, "test accuracy: %.4f (%d images, %.0f s)%n", ev.accuracy(), ev.total(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
