package dbn4j.cli;

import dbn4j.nn.TrainingDivergedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dbn4j} executable: train, evaluate, predict, sample and inspect models from the command line.
 * Exit codes: 0 success, 1 a failed run (bad data, a damaged file, training diverged, an I/O error), 2 bad usage.
 * Errors are one line on stderr naming the file, line or record and the problem; {@code --verbose} adds the stack
 * trace.
 */
@Command(name = "dbn4j", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Classic neural networks (logistic regression, MLP, RBM, DBN) on native kernels.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, SampleCommand.class,
            InspectCommand.class, CommandLine.HelpCommand.class},
        showDefaultValues = true)
public final class Cli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        if (args.length > 0 && args[0].equals("train")) {
            ConfigDefaults defaults;
            try {
                defaults = new ConfigDefaults(ConfigDefaults.requested(args));
            } catch (UncheckedIOException e) {
                cl.getErr().println("dbn4j train: " + e.getMessage());
                cl.getErr().flush();
                return 2;
            }
            CommandLine train = cl.getSubcommands().get("train");
            train.setDefaultValueProvider(defaults);
            ((TrainCommand) train.getCommand()).configDefaults = defaults;
        }
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Cli::usageError);
        cl.setExecutionExceptionHandler(Cli::failure);
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(cl.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        return 2;
    }

    private static int failure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean verbose = parsed.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"))
                || parsed.hasMatchedOption("--verbose");
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        if (e instanceof CommandLine.ParameterException) {
            return usageError((CommandLine.ParameterException) e, new String[0]);
        }
        if (e instanceof UsageException) {
            err.println(name + ": " + e.getMessage());
            err.println("Try '" + name + " --help' for more information.");
            return 2;
        }
        err.println(name + ": " + describe(e));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** One line for an exception, naming the file where there is one. */
    static String describe(Throwable e) {
        Throwable t = e;
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException) {
            String m = t.getMessage();
            return m.contains("no such file") ? m : m + ": no such file";
        }
        if (t instanceof AccessDeniedException) {
            return ((FileSystemException) t).getFile() + ": permission denied";
        }
        if (t instanceof FileSystemException) {
            FileSystemException f = (FileSystemException) t;
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
        }
        if (t instanceof TrainingDivergedException || t instanceof IOException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException) {
            return t.getMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Bad usage discovered after parsing (a combination of options): exit code 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"dbn4j " + (v == null ? "(development build)" : v)};
        }
    }
}
