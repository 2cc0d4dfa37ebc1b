package dbn4j.cli;

import dbn4j.io.SafeTensors;
import dbn4j.nn.Models;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dbn4j inspect}: what a model or checkpoint file holds — kind, metadata, tensors. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a dbn4j model or checkpoint file holds: its kind, architecture, hyper-parameters and "
                + "tensors.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "A model or checkpoint file.")
    Path file;

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        String kind = Models.kind(file);
        SafeTensors.Contents c = SafeTensors.read(file);
        System.out.println(file + ": dbn4j " + kind + " (format version " + c.metadata().get("format_version") + ")");
        System.out.println("metadata:");
        for (Map.Entry<String, String> e : c.metadata().entrySet()) {
            if (e.getKey().equals("history")) {
                long lines = e.getValue().lines().count();
                System.out.println("  history: " + lines + " epoch records");
                continue;
            }
            System.out.println("  " + e.getKey() + ": " + e.getValue());
        }
        System.out.println("tensors:");
        long params = 0;
        for (Map.Entry<String, SafeTensors.Tensor> e : c.tensors().entrySet()) {
            SafeTensors.Tensor t = e.getValue();
            params += t.elementCount();
            System.out.println("  " + e.getKey() + ": " + t.dtype() + " " + Arrays.toString(t.shape()));
        }
        System.out.println("total: " + params + " values");
        return 0;
    }
}
