package dbn4j.cli;

import dbn4j.Backends;
import dbn4j.data.Dataset;
import dbn4j.nn.Dbn;
import dbn4j.nn.Evaluation;
import dbn4j.nn.Mlp;
import dbn4j.nn.Models;
import dbn4j.nn.Rbm;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dbn4j evaluate}: accuracy, loss and confusion matrix of a classifier; reconstruction error of an RBM. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Score a saved model on labelled data (default: the Fashion-MNIST test set).")
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = {"-M", "--model-file"}, paramLabel = "FILE", required = true, description = "The model file.")
    Path modelFile;

    @Mixin
    DataOptions data = new DataOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    public Integer call() throws Exception {
        common.apply();
        Dataset d = data.loadScored();
        try (AutoCloseable m = Models.load(Backends.get(), modelFile)) {
            System.out.println("model: " + m + " (" + modelFile + ")");
            System.out.println("data: " + d.description());
            if (m instanceof Rbm) {
                Rbm r = (Rbm) m;
                requireFeatures(d, r.visibleUnits());
                float[] rec = r.reconstruct(d.features(), d.rows());
                double sum = 0;
                for (int i = 0; i < rec.length; i++) {
                    double e = rec[i] - d.features()[i];
                    sum += e * e;
                }
                double[] f = r.freeEnergy(d.features(), d.rows());
                double mf = java.util.Arrays.stream(f).average().orElse(Double.NaN);
                System.out.printf(Locale.ROOT, "reconstruction error: %.4f per example%nmean free energy: %.4f%n",
                        sum / d.rows(), mf);
                return 0;
            }
            Evaluation ev = m instanceof Dbn ? ((Dbn) m).evaluate(d) : ((Mlp) m).evaluate(d);
            System.out.printf(Locale.ROOT, "accuracy: %.4f (%d examples)%nloss: %.4f%n", ev.accuracy(), ev.total(),
                    ev.loss());
            System.out.print("confusion matrix:\n" + ev.confusionTable());
            return 0;
        }
    }

    static void requireFeatures(Dataset d, int expected) {
        if (d.cols() != expected) {
            throw new IllegalArgumentException("data set '" + d.description() + "' has " + d.cols()
                    + " features, the model expects " + expected);
        }
    }
}
