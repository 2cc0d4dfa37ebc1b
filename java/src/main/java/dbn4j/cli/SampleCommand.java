package dbn4j.cli;

import dbn4j.Backends;
import dbn4j.nn.Dbn;
import dbn4j.nn.Models;
import dbn4j.nn.Rbm;
import dbn4j.viz.Pictures;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dbn4j sample}: draws from an RBM or DBN by Gibbs sampling and writes the samples as a PNG grid. */
@Command(name = "sample", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Draw samples from a saved RBM or DBN (Gibbs chains; a DBN passes its top chains down to pixels).")
final class SampleCommand implements Callable<Integer> {
    @Option(names = {"-M", "--model-file"}, paramLabel = "FILE", required = true, description = "The model file.")
    Path modelFile;

    @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "100", description = "Samples (chains).")
    int count;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000", description = "Gibbs steps per chain.")
    int steps;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of the chains.")
    long seed;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "samples.png", description = "PNG to write.")
    Path output;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    public Integer call() throws Exception {
        common.apply();
        if (count < 1 || steps < 1) {
            throw new Cli.UsageException("--count and --steps must be >= 1");
        }
        try (AutoCloseable m = Models.load(Backends.get(), modelFile)) {
            float[] x;
            int visible;
            if (m instanceof Rbm) {
                visible = ((Rbm) m).visibleUnits();
                x = ((Rbm) m).sample(count, steps, seed, null);
            } else if (m instanceof Dbn) {
                visible = ((Dbn) m).sizes()[0];
                x = ((Dbn) m).generate(count, steps, seed);
            } else {
                throw new IllegalArgumentException(modelFile + ": holds a " + m + "; only an RBM or a DBN can be sampled");
            }
            int side = Outputs.side(visible);
            if (side == 0) {
                throw new IllegalArgumentException(modelFile + ": " + visible + " visible units are not a square image");
            }
            int columns = (int) Math.ceil(Math.sqrt(count));
            Pictures.grid(output, x, count, side, side, columns);
            System.out.println(count + " samples (" + steps + " Gibbs steps) written to " + output);
        }
        return 0;
    }
}
