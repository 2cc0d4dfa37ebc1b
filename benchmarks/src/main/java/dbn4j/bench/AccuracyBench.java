package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.nn.Activation;
import dbn4j.nn.Dbn;
import dbn4j.nn.LogisticRegression;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.Schedule;
import dbn4j.nn.TrainConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The accuracy bars of the models: trains on the 60,000 Fashion-MNIST training images, tests on the 10,000, and
 * prints a table. Models: logistic regression; MLP 784-500-500-10 with ReLU; DBN 784-500-500 (+ softmax 10),
 * pretrained then fine-tuned; and the same sigmoid MLP without pre-training (same fine-tuning), so that the gain of
 * pre-training is measured in the same run.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dbn4j.bench.AccuracyBench [lr] [mlp] [dbn] [--quick]</pre>
 * With no model named, all run. {@code --quick} divides every epoch count by 5 (a smoke run, not the bars).
 */
public final class AccuracyBench {
    private AccuracyBench() {}

    public static void main(String[] args) throws IOException {
        List<String> which = new ArrayList<>();
        int div = 1;
        for (String a : args) {
            if (a.equals("--quick")) {
                div = 5;
            } else {
                which.add(a);
            }
        }
        if (which.isEmpty()) {
            which = List.of("lr", "mlp", "dbn");
        }
        FashionMnist data = FashionMnist.load();
        Backend be = Backends.get();
        System.out.println("data: " + data.source());
        System.out.println("machine: " + be.describe());
        List<String> table = new ArrayList<>();
        Dataset train = data.train();
        Dataset test = data.test();
        if (which.contains("lr")) {
            int e = Math.max(1, 30 / div);
            long t0 = System.nanoTime();
            try (Mlp lr = LogisticRegression.multinomial(be, 784, 10)) {
                lr.fit(train, null, new TrainConfig().epochs(e).batchSize(100).learningRate(0.02f).momentum(0.9f)
                        .schedule(Schedule.cosine(e)).seed(1).listener(AccuracyBench::progress));
                table.add(line("logistic regression", e + " epochs", lr.evaluate(test).accuracy(), 0.845, t0));
            }
        }
        if (which.contains("mlp")) {
            int e = Math.max(1, 40 / div);
            long t0 = System.nanoTime();
            try (Mlp mlp = Mlp.create(be, new int[] {784, 500, 500, 10}, Activation.RELU, Activation.SOFTMAX,
                    Loss.CROSS_ENTROPY, 1)) {
                mlp.fit(train, null, new TrainConfig().epochs(e).batchSize(100).learningRate(0.05f).momentum(0.9f)
                        .weightDecay(1e-4f).schedule(Schedule.cosine(e)).seed(1).listener(AccuracyBench::progress));
                table.add(line("MLP 784-500-500-10 ReLU", e + " epochs", mlp.evaluate(test).accuracy(), 0.895, t0));
            }
        }
        if (which.contains("dbn")) {
            int pe = Math.max(1, 10 / div);
            int fe = Math.max(1, 30 / div);
            TrainConfig fine = new TrainConfig().epochs(fe).batchSize(100).learningRate(0.3f).momentum(0.9f)
                    .schedule(Schedule.cosine(fe)).seed(1).listener(AccuracyBench::progress);
            long t0 = System.nanoTime();
            double dbnAcc;
            try (Dbn dbn = Dbn.create(be, new int[] {784, 500, 500}, Rbm.Visible.BERNOULLI, 1)) {
                dbn.pretrain(train, null, new TrainConfig().epochs(pe).batchSize(100).learningRate(0.05f)
                        .momentum(0.5f, 5, 0.9f).weightDecay(2e-4f).seed(1).listener(AccuracyBench::progress),
                        new RbmOptions());
                dbn.finetune(train, null, fine, 10);
                dbnAcc = dbn.evaluate(test).accuracy();
                table.add(line("DBN 784-500-500-10", pe + "+" + pe + " pre, " + fe + " fine", dbnAcc, 0.90, t0));
            }
            t0 = System.nanoTime();
            try (Mlp mlp = Mlp.create(be, new int[] {784, 500, 500, 10}, Activation.SIGMOID, Activation.SOFTMAX,
                    Loss.CROSS_ENTROPY, 1)) {
                mlp.fit(train, null, fine);
                double acc = mlp.evaluate(test).accuracy();
                table.add(line("same MLP, no pre-training", fe + " epochs", acc, Double.NaN, t0));
                table.add(String.format(Locale.ROOT, "%-28s %-22s %8s  %s", "DBN minus no-pretraining", "",
                        String.format(Locale.ROOT, "%+.4f", dbnAcc - acc), dbnAcc >= acc ? "PASS (>= 0)" : "FAIL"));
            }
        }
        System.out.printf(Locale.ROOT, "%-28s %-22s %8s  %s%n", "model", "training", "test acc", "bar");
        table.forEach(System.out::println);
    }

    private static void progress(dbn4j.nn.EpochMetrics m) {
        System.out.println("  " + m);
    }

    private static String line(String model, String training, double acc, double bar, long t0) {
        String verdict = Double.isNaN(bar) ? "" : (acc >= bar ? "PASS" : "FAIL") + String.format(Locale.ROOT, " (>= %.3f)", bar);
        return String.format(Locale.ROOT, "%-28s %-22s %8.4f  %s  [%.0f s]", model, training, acc, verdict,
                (System.nanoTime() - t0) / 1e9);
    }
}
