package dbn4j.cli;

import dbn4j.Backends;
import dbn4j.data.Dataset;
import dbn4j.io.AtomicFile;
import dbn4j.nn.Dbn;
import dbn4j.nn.Mlp;
import dbn4j.nn.Models;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dbn4j predict}: the predicted class and class probabilities of every example, as CSV. */
@Command(name = "predict", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Predict classes with a saved classifier (lr, mlp or dbn); writes CSV: row,predicted,p0,p1,...")
final class PredictCommand implements Callable<Integer> {
    @Option(names = {"-M", "--model-file"}, paramLabel = "FILE", required = true, description = "The model file.")
    Path modelFile;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "CSV file to write (default: stdout).")
    Path output;

    @Mixin
    DataOptions data = new DataOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    public Integer call() throws Exception {
        common.apply();
        Dataset d = data.loadScored();
        float[] p;
        int k;
        try (AutoCloseable m = Models.load(Backends.get(), modelFile)) {
            if (m instanceof Dbn) {
                p = ((Dbn) m).predictProbabilities(d);
                k = ((Dbn) m).classifier().numClasses();
            } else if (m instanceof Mlp) {
                p = ((Mlp) m).predictProbabilities(d);
                k = ((Mlp) m).numClasses();
            } else {
                throw new IllegalArgumentException(modelFile + ": an RBM is not a classifier; use evaluate or sample");
            }
        }
        if (output == null) {
            Writer w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
            write(w, p, d.rows(), k);
            w.flush();
        } else {
            java.io.StringWriter csv = new java.io.StringWriter();
            write(csv, p, d.rows(), k);
            AtomicFile.write(output, csv.toString().getBytes(StandardCharsets.UTF_8));
            System.err.println("predictions of " + d.rows() + " examples written to " + output);
        }
        return 0;
    }

    private static void write(Writer w, float[] p, int n, int k) throws IOException {
        StringBuilder sb = new StringBuilder("row,predicted");
        for (int j = 0; j < k; j++) {
            sb.append(",p").append(j);
        }
        w.write(sb.append('\n').toString());
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (p[i * k + j] > p[i * k + best]) {
                    best = j;
                }
            }
            sb.setLength(0);
            sb.append(i).append(',').append(best);
            for (int j = 0; j < k; j++) {
                sb.append(',').append(String.format(Locale.ROOT, "%.6g", p[i * k + j]));
            }
            w.write(sb.append('\n').toString());
        }
    }
}
