package dbn4j.cli;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.Dataset;
import dbn4j.io.AtomicFile;
import dbn4j.io.Json;
import dbn4j.nn.Activation;
import dbn4j.nn.Dbn;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.Evaluation;
import dbn4j.nn.LogisticRegression;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.Schedule;
import dbn4j.nn.TrainConfig;
import dbn4j.nn.TrainingInterruptedException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dbn4j train}: trains a model, writing into the output folder the model, the effective configuration, the
 * metrics (JSON lines), checkpoints (every N epochs and on SIGTERM/SIGINT, atomically) and pictures; prints the
 * test accuracy. With no arguments: a DBN 784-500-500 (+ softmax 10) on Fashion-MNIST.
 */
@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = {"Train a model (lr, mlp, rbm or dbn) and write it, its configuration, metrics, checkpoints and "
                + "pictures into the output folder.", "Options can also come from a JSON config file (--config); "
                + "options on the command line override it."})
final class TrainCommand implements Callable<Integer> {
    static final String DEFAULT_OUTPUT = "dbn4j-output";
    static final String CONFIG_FILE = "config.json";
    static final String MODEL_FILE = "model.safetensors";
    static final String CHECKPOINT_FILE = "checkpoint.safetensors";
    static final String METRICS_FILE = "metrics.jsonl";

    /** Options that describe this invocation rather than the training, left out of config.json. */
    private static final Set<String> NOT_CONFIG = Set.of("help", "version", "config", "resume", "overwrite", "verbose",
            "metrics-stdout");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    ConfigDefaults configDefaults;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "JSON config file of option defaults.")
    Path config;

    @Option(names = {"-m", "--model"}, paramLabel = "KIND", defaultValue = "dbn",
            description = "lr (logistic regression), mlp, rbm or dbn.")
    String model;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--hidden", paramLabel = "SIZES", split = ",", defaultValue = "500,500",
            description = "Hidden layer sizes (mlp, dbn; rbm uses the first).")
    int[] hidden;

    @Option(names = "--activation", paramLabel = "F", defaultValue = "relu",
            description = "Hidden units of an mlp: sigmoid, tanh or relu.")
    Activation activation;

    @Option(names = "--output-activation", paramLabel = "F", defaultValue = "softmax",
            description = "Output units of an mlp: softmax, sigmoid or linear.")
    Activation outputActivation;

    @Option(names = "--loss", paramLabel = "L", defaultValue = "cross_entropy",
            description = "cross_entropy or squared_error (mlp).")
    Loss loss;

    @Option(names = "--visible", paramLabel = "TYPE", defaultValue = "bernoulli",
            description = "Visible units of the (first) RBM: bernoulli or gaussian.")
    Rbm.Visible visible;

    @Option(names = {"-e", "--epochs"}, paramLabel = "N", defaultValue = "20",
            description = "Epochs (of fine-tuning for a dbn).")
    int epochs;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "100", description = "Mini-batch size.")
    int batchSize;

    @Option(names = {"-l", "--learning-rate"}, paramLabel = "RATE",
            description = "Learning rate (default: 0.3 for dbn fine-tuning, 0.05 otherwise).")
    Float learningRate;

    @Option(names = "--schedule", paramLabel = "S", defaultValue = "cosine", description = "Learning-rate schedule: "
            + "constant, cosine (over all epochs), cosine:EPOCHS, step:EVERY:FACTOR or exponential:GAMMA.")
    String schedule;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9", description = "Momentum.")
    float momentum;

    @Option(names = "--initial-momentum", paramLabel = "M", description = "Momentum of the first "
            + "--initial-momentum-epochs epochs (default: --momentum).")
    Float initialMomentum;

    @Option(names = "--initial-momentum-epochs", paramLabel = "N", defaultValue = "0",
            description = "Epochs that use --initial-momentum.")
    int initialMomentumEpochs;

    @Option(names = "--nesterov", description = "Nesterov momentum.")
    boolean nesterov;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0", description = "L2 weight decay.")
    float weightDecay;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of initialisation, shuffling "
            + "and sampling.")
    long seed;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "0", description = "Early stopping after N epochs "
            + "without a better validation score (0: off; the best weights are kept whenever there is validation data).")
    int patience;

    @Option(names = "--pretrain-epochs", paramLabel = "N", defaultValue = "10",
            description = "RBM epochs per layer of a dbn.")
    int pretrainEpochs;

    @Option(names = "--pretrain-learning-rate", paramLabel = "RATE", defaultValue = "0.05",
            description = "RBM learning rate of a dbn's pre-training.")
    float pretrainLearningRate;

    @Option(names = "--pretrain-weight-decay", paramLabel = "W", defaultValue = "0.0002",
            description = "RBM weight cost (rbm and dbn pre-training).")
    float pretrainWeightDecay;

    @Option(names = "-k", paramLabel = "N", defaultValue = "1", description = "Gibbs steps per RBM update (CD-k).")
    int k;

    @Option(names = "--persistent", description = "Persistent contrastive divergence (PCD-k).")
    boolean persistent;

    @Option(names = "--sparsity-target", paramLabel = "P", defaultValue = "0",
            description = "RBM hidden sparsity target (0: off).")
    float sparsityTarget;

    @Option(names = "--sparsity-cost", paramLabel = "C", defaultValue = "0", description = "RBM sparsity penalty weight.")
    float sparsityCost;

    @Option(names = "--sparsity-decay", paramLabel = "D", defaultValue = "0.95",
            description = "Decay of the running hidden activation for sparsity.")
    float sparsityDecay;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = DEFAULT_OUTPUT, description = "Output folder "
            + "(when not given and the default holds an earlier run: the next free " + DEFAULT_OUTPUT + "-N).")
    Path output;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "1", description = "Checkpoint every N epochs.")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue the run in --output from its checkpoint (with its config.json "
            + "as defaults).")
    boolean resume;

    @Option(names = "--overwrite", description = "Start over in an --output folder that holds an earlier run.")
    boolean overwrite;

    @Option(names = "--metrics-stdout", description = "Also print each epoch's metrics as a JSON line on stdout.")
    boolean metricsStdout;

    @Option(names = "--pictures-every", paramLabel = "N", defaultValue = "0", description = "Also write the pictures "
            + "every N epochs (0: only at the end).")
    int picturesEvery;

    @Option(names = "--no-pictures", description = "Write no pictures.")
    boolean noPictures;

    @Option(names = "--sample-steps", paramLabel = "N", defaultValue = "1000",
            description = "Gibbs steps of the samples picture (rbm, dbn).")
    int sampleSteps;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    public Integer call() throws IOException {
        checkConfigKeys();
        checkOptions();
        common.apply();
        PrintStream out = System.out;
        output = chooseOutput();
        Files.createDirectories(output);
        requireWritable(output);
        Path checkpoint = output.resolve(CHECKPOINT_FILE);
        handleEarlierRun(checkpoint);
        dbn4j.data.RowSource stream = data.stream ? data.openStream() : null;
        try {
            DataOptions.Loaded d = stream != null ? data.loadHeldOut(stream) : data.load(seed);
            d.stream = stream;
            return run(d, checkpoint, out);
        } finally {
            if (stream != null) {
                stream.close();
            }
        }
    }

    private int run(DataOptions.Loaded d, Path checkpoint, PrintStream out) throws IOException {
        writeConfig(d);
        Backend be = Backends.get();
        out.println("dbn4j train: " + describeModel(d) + " on " + d.source);
        out.println("backend: " + be.describe());
        out.printf(Locale.ROOT, "data: %d training%s%s examples, %d features, %d classes, scaling %s%n", d.rows(),
                d.validation == null ? "" : ", " + d.validation.rows() + " validation",
                d.test == null ? "" : ", " + d.test.rows() + " test", d.cols(), d.classes(), d.scaling);
        out.println("output: " + output.toAbsolutePath().normalize());

        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dbn4j-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean terminal = System.console() != null;
        ProgressReporter progress = new ProgressReporter(out, terminal, this::epochsOf);
        try (MetricsLog metrics = new MetricsLog(output.resolve(METRICS_FILE), resume, metricsStdout ? out : null)) {
            Outputs pictures = new Outputs(output, noPictures, picturesEvery, sampleSteps, seed, metrics::history);
            TrainConfig base = new TrainConfig().batchSize(batchSize).seed(seed).progress(progress).listener(metrics)
                    .listener(progress).stopWhen(stop::get).checkpoint(checkpoint, checkpointEvery);
            try {
                return train(be, d, base, pictures, out);
            } catch (TrainingInterruptedException e) {
                out.println();
                out.println("interrupted: " + e.getMessage());
                out.println("resume with: dbn4j train --output " + output + " --resume");
                return 130;
            }
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already stopping: the hook is running and has been released above
            }
        }
    }

    private int train(Backend be, DataOptions.Loaded d, TrainConfig base, Outputs pictures, PrintStream out)
            throws IOException {
        Dataset train = d.train;
        Path modelFile = output.resolve(MODEL_FILE);
        Dataset shown = d.test != null ? d.test : d.head(100);
        Evaluation test = null;
        switch (model) {
            case "lr":
            case "mlp": {
                int[] sizes = new int[model.equals("lr") ? 2 : hidden.length + 2];
                sizes[0] = d.cols();
                if (model.equals("mlp")) {
                    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
                }
                boolean single = d.classes() == 2
                        && (model.equals("lr") || outputActivation == Activation.SIGMOID);
                sizes[sizes.length - 1] = single ? 1 : d.classes();
                try (Mlp m = model.equals("lr")
                        ? (single ? LogisticRegression.binary(be, d.cols())
                                : LogisticRegression.multinomial(be, d.cols(), d.classes()))
                        : Mlp.create(be, sizes, activation, outputActivation, loss, seed)) {
                    TrainConfig cfg = supervised(base, 0.05f).listener(e -> pictures.during(e, m));
                    if (d.stream != null) {
                        m.fit(d.stream, d.validation, cfg);
                    } else {
                        m.fit(train, d.validation, cfg);
                    }
                    m.save(modelFile);
                    pictures.end(m, shown);
                    test = d.test == null ? null : m.evaluate(d.test);
                }
                break;
            }
            case "rbm": {
                try (Rbm r = Rbm.create(be, d.cols(), hidden[0], visible, seed)) {
                    TrainConfig cfg = rbmConfig(base, epochs).listener(e -> pictures.during(e, r));
                    Dataset heldOut = d.validation != null ? d.validation : d.test;
                    if (d.stream != null) {
                        r.fit(d.stream, heldOut, cfg, rbmOptions());
                    } else {
                        r.fit(train, heldOut, cfg, rbmOptions());
                    }
                    r.save(modelFile);
                    pictures.end(r, shown);
                }
                break;
            }
            case "dbn": {
                int[] sizes = new int[hidden.length + 1];
                sizes[0] = d.cols();
                System.arraycopy(hidden, 0, sizes, 1, hidden.length);
                try (Dbn dbn = Dbn.create(be, sizes, visible, seed)) {
                    out.println("pre-training " + hidden.length + " RBM(s), " + pretrainEpochs + " epochs each");
                    TrainConfig pre = rbmConfig(base, pretrainEpochs).listener(e -> pictures.during(e, dbn));
                    TrainConfig fine = supervised(base, 0.3f).listener(e -> pictures.during(e, dbn));
                    if (d.stream != null) {
                        dbn.pretrain(d.stream, d.validation, pre, rbmOptions());
                        out.println("fine-tuning " + epochs + " epochs");
                        dbn.finetune(d.stream, d.validation, fine, d.classes());
                    } else {
                        dbn.pretrain(train, d.validation, pre, rbmOptions());
                        out.println("fine-tuning " + epochs + " epochs");
                        dbn.finetune(train, d.validation, fine, d.classes());
                    }
                    dbn.save(modelFile);
                    pictures.end(dbn, shown);
                    test = d.test == null ? null : dbn.evaluate(d.test);
                }
                break;
            }
            default:
                throw new AssertionError(model);
        }
        removeCheckpoints();
        out.println("model: " + modelFile);
        if (!pictures.written().isEmpty()) {
            out.println("pictures: " + String.join(", ", pictures.written()));
        }
        if (test != null) {
            out.printf(Locale.ROOT, "test accuracy: %.4f (%d examples)%n", test.accuracy(), test.total());
        }
        return 0;
    }

    private TrainConfig supervised(TrainConfig base, float defaultRate) {
        TrainConfig c = base.copy().epochs(epochs).learningRate(learningRate != null ? learningRate : defaultRate)
                .schedule(schedule()).weightDecay(weightDecay).nesterov(nesterov).patience(patience);
        return momentum(c);
    }

    private TrainConfig rbmConfig(TrainConfig base, int n) {
        float rate = model.equals("rbm") && learningRate != null ? learningRate : pretrainLearningRate;
        TrainConfig c = base.copy().epochs(n).learningRate(rate).weightDecay(pretrainWeightDecay).nesterov(nesterov);
        // Hinton's guide: momentum 0.5 for the first epochs, then 0.9; --initial-momentum overrides.
        if (initialMomentum == null) {
            return c.momentum(0.5f, Math.min(5, n), momentum);
        }
        return momentum(c);
    }

    private TrainConfig momentum(TrainConfig c) {
        return initialMomentum == null ? c.momentum(momentum)
                : c.momentum(initialMomentum, initialMomentumEpochs, momentum);
    }

    private Schedule schedule() {
        return schedule.trim().equalsIgnoreCase("cosine") ? Schedule.cosine(Math.max(1, epochs)) : Schedule.parse(schedule);
    }

    private RbmOptions rbmOptions() {
        RbmOptions o = new RbmOptions().k(k).persistent(persistent);
        if (sparsityCost > 0) {
            o.sparsity(sparsityTarget, sparsityCost, sparsityDecay);
        }
        return o;
    }

    private int epochsOf(String phase) {
        return phase.startsWith("rbm[") && model.equals("dbn") ? pretrainEpochs : epochs;
    }

    private String describeModel(DataOptions.Loaded d) {
        StringBuilder sizes = new StringBuilder().append(d.cols());
        int[] layers = model.equals("rbm") ? new int[] {hidden[0]} : model.equals("lr") ? new int[0] : hidden;
        for (int h : layers) {
            sizes.append('-').append(h);
        }
        switch (model) {
            case "lr": return "logistic regression " + sizes + "-" + d.classes();
            case "mlp": return "MLP " + sizes + "-" + d.classes() + " (" + name(activation) + ")";
            case "rbm": return "RBM " + sizes + " (" + name(visible) + " visible, " + (persistent ? "PCD-" : "CD-") + k + ")";
            default: return "DBN " + sizes + " + softmax " + d.classes();
        }
    }

    private static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    // ---- checks ----

    private void checkConfigKeys() {
        if (configDefaults == null || configDefaults.file() == null) {
            return;
        }
        Set<String> known = new java.util.HashSet<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            known.add(o.longestName().replaceFirst("^-+", ""));
        }
        for (String key : configDefaults.values().keySet()) {
            if (!known.contains(key)) {
                throw new Cli.UsageException(configDefaults.file() + ": unknown option '" + key + "'");
            }
        }
    }

    private void checkOptions() {
        if (!Set.of("lr", "mlp", "rbm", "dbn").contains(model)) {
            throw new Cli.UsageException("--model must be lr, mlp, rbm or dbn, got '" + model + "'");
        }
        if (hidden.length == 0 && !model.equals("lr")) {
            throw new Cli.UsageException("--hidden needs at least one size for " + model);
        }
        for (int h : hidden) {
            if (h < 1) {
                throw new Cli.UsageException("--hidden sizes must be >= 1, got " + h);
            }
        }
        positive("--epochs", epochs);
        positive("--batch-size", batchSize);
        positive("--pretrain-epochs", pretrainEpochs);
        positive("--checkpoint-every", checkpointEvery);
        positive("-k", k);
        if (learningRate != null && !(learningRate > 0)) {
            throw new Cli.UsageException("--learning-rate must be > 0, got " + learningRate);
        }
        if (!(pretrainLearningRate > 0)) {
            throw new Cli.UsageException("--pretrain-learning-rate must be > 0, got " + pretrainLearningRate);
        }
        if (picturesEvery < 0 || patience < 0) {
            throw new Cli.UsageException("--pictures-every and --patience must be >= 0");
        }
        if (resume && overwrite) {
            throw new Cli.UsageException("--resume and --overwrite exclude each other");
        }
        try {
            schedule();
            new TrainConfig().momentum(momentum).weightDecay(weightDecay);
            if (initialMomentum != null) {
                new TrainConfig().momentum(initialMomentum, initialMomentumEpochs, momentum);
            }
            if (sparsityCost > 0) {
                rbmOptions();
            }
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageException(e.getMessage());
        }
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new Cli.UsageException(name + " must be >= 1, got " + v);
        }
    }

    /**
     * The output folder: as given; or, when none was given and the default one holds an earlier run, the next free
     * dbn4j-output-N, so that running {@code dbn4j train} again never touches an earlier result.
     */
    private Path chooseOutput() {
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--output")
                || (configDefaults != null && configDefaults.values().containsKey("output"));
        if (given || resume || !holdsRun(output)) {
            return output;
        }
        for (int i = 2;; i++) {
            Path p = output.resolveSibling(output.getFileName() + "-" + i);
            if (!holdsRun(p)) {
                return p;
            }
        }
    }

    private static boolean holdsRun(Path dir) {
        return Files.exists(dir.resolve(MODEL_FILE)) || Files.exists(dir.resolve(CHECKPOINT_FILE))
                || Files.exists(dir.resolve(CONFIG_FILE));
    }

    private static void requireWritable(Path dir) throws IOException {
        Path probe;
        try {
            probe = Files.createTempFile(dir, ".dbn4j-write-test", ".tmp");
        } catch (IOException e) {
            throw new IOException(dir + ": output folder is not writable (" + e.getClass().getSimpleName() + ")", e);
        }
        Files.deleteIfExists(probe);
    }

    private List<Path> checkpointFiles() throws IOException {
        List<Path> found = new ArrayList<>();
        try (var s = Files.list(output)) {
            s.filter(p -> p.getFileName().toString().startsWith(CHECKPOINT_FILE)).forEach(found::add);
        }
        return found;
    }

    private void handleEarlierRun(Path checkpoint) throws IOException {
        List<Path> earlier = checkpointFiles();
        if (resume) {
            if (earlier.isEmpty()) {
                throw new Cli.UsageException("--resume: " + output + " holds no checkpoint to resume");
            }
            return;
        }
        if (!earlier.isEmpty() || Files.exists(output.resolve(MODEL_FILE))) {
            if (!overwrite) {
                throw new Cli.UsageException(output + " holds an earlier run; add --resume to continue it or "
                        + "--overwrite to start over");
            }
            for (Path p : earlier) {
                Files.delete(p);
            }
        }
    }

    private void removeCheckpoints() throws IOException {
        for (Path p : checkpointFiles()) {
            Files.delete(p);
        }
    }

    /** The effective configuration: every training option's value, written atomically beside the model. */
    private void writeConfig(DataOptions.Loaded d) throws IOException {
        Map<String, Object> cfg = new LinkedHashMap<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String key = o.longestName().replaceFirst("^-+", "");
            if (NOT_CONFIG.contains(key)) {
                continue;
            }
            Object v = o.getValue();
            if (v == null) {
                continue;
            }
            if (v instanceof int[]) {
                List<Object> list = new ArrayList<>();
                for (int x : (int[]) v) {
                    list.add((long) x);
                }
                v = list;
            } else if (v instanceof Enum) {
                v = ((Enum<?>) v).name().toLowerCase(Locale.ROOT);
            } else if (v instanceof Path) {
                v = v.toString();
            } else if (v instanceof Integer || v instanceof Long) {
                v = ((Number) v).longValue();
            } else if (v instanceof Float) {
                v = Double.valueOf(Float.toString((Float) v));
            }
            cfg.put(key, v);
        }
        AtomicFile.write(output.resolve(CONFIG_FILE), (Json.writeIndented(cfg) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** For tests: the metrics of a finished run. */
    static List<EpochMetrics> metrics(Path output) throws IOException {
        return MetricsLog.read(output.resolve(METRICS_FILE));
    }
}
