package dbn4j.cli;

import dbn4j.data.Csv;
import dbn4j.data.DataFormatException;
import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.data.Idx;
import dbn4j.data.Scaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Where the data comes from and how it is scaled; shared by train, evaluate and predict. */
final class DataOptions {
    @Option(names = {"-d", "--data"}, paramLabel = "PATH",
            description = "Training data (evaluate/predict: the data to score): a directory with the four MNIST-style "
                    + "IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), an IDX images "
                    + "file with --labels, or a CSV file. Default: Fashion-MNIST from " + "/usr/share/datasets/fashion-mnist, "
                    + "else the sample bundled in the jar.")
    Path data;

    @Option(names = "--stream", description = "Stream the training data from disk a chunk at a time, so memory stays "
            + "flat however large it is (uncompressed IDX only: an images file with --labels, or a directory).")
    boolean stream;

    @Option(names = "--labels", paramLabel = "FILE", description = "IDX labels file for an IDX images file in --data.")
    Path labels;

    @Option(names = "--test-data", paramLabel = "PATH", description = "Test data (IDX images file or CSV); default: "
            + "the test split of --data where it has one.")
    Path testData;

    @Option(names = "--test-labels", paramLabel = "FILE", description = "IDX labels of --test-data.")
    Path testLabels;

    @Option(names = "--validation-data", paramLabel = "PATH", description = "Validation data (IDX images file or CSV).")
    Path validationData;

    @Option(names = "--validation-labels", paramLabel = "FILE", description = "IDX labels of --validation-data.")
    Path validationLabels;

    @Option(names = "--validation-fraction", paramLabel = "F", defaultValue = "0",
            description = "Hold out this fraction of the training data for validation (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--label-column", paramLabel = "COLUMN", description = "CSV label column: a header name, a 0-based "
            + "index, first or last (default: the column named label, else the first).")
    String labelColumn;

    @Option(names = "--classes", paramLabel = "N", defaultValue = "0",
            description = "Number of classes (default: 10 for IDX, largest CSV label + 1).")
    int classes;

    @Option(names = "--scale", paramLabel = "HOW", defaultValue = "auto", description = "Feature scaling fitted on the "
            + "training data: auto (IDX as read, in [0,1]; CSV to [0,1] if outside), none, unit, standardize "
            + "(default: ${DEFAULT-VALUE}).")
    String scale;

    /** Training, validation and test data, scaled alike. */
    static final class Loaded {
        Dataset train;
        /** With --stream: the training data on disk (train is then null). */
        dbn4j.data.RowSource stream;
        Dataset validation;
        Dataset test;
        String source;
        String scaling;

        int rows() {
            return stream != null ? stream.rows() : train.rows();
        }

        int cols() {
            return stream != null ? stream.cols() : train.cols();
        }

        int classes() {
            return stream != null ? stream.numClasses() : train.numClasses();
        }

        /** Up to n training examples in memory (for pictures). */
        Dataset head(int n) throws IOException {
            if (stream == null) {
                return train.subset(0, Math.min(n, train.rows()));
            }
            int m = Math.min(n, stream.rows());
            float[] x = new float[m * stream.cols()];
            int[] y = new int[m];
            stream.read(0, m, x, y);
            return new Dataset(x, m, stream.cols(), y, stream.numClasses(), stream.description() + " (first " + m + ")");
        }
    }

    /** The streamed training source of --stream (uncompressed IDX). */
    dbn4j.data.RowSource openStream() throws IOException {
        if (data == null) {
            throw new Cli.UsageException("--stream needs --data: an uncompressed IDX images file (with --labels) or a "
                    + "directory holding train-images-idx3-ubyte and train-labels-idx1-ubyte");
        }
        Path images = data;
        Path labelFile = labels;
        if (Files.isDirectory(data)) {
            images = Files.exists(data.resolve("train-images-idx3-ubyte")) ? data.resolve("train-images-idx3-ubyte")
                    : data.resolve("train-images-idx3-ubyte.gz");
            labelFile = Files.exists(data.resolve("train-labels-idx1-ubyte")) ? data.resolve("train-labels-idx1-ubyte")
                    : data.resolve("train-labels-idx1-ubyte.gz");
        } else if (labelFile == null) {
            throw new Cli.UsageException("--stream with an IDX images file needs --labels");
        }
        if (validationFraction > 0) {
            throw new Cli.UsageException("--stream cannot split off --validation-fraction; give --validation-data");
        }
        if (!scale.equalsIgnoreCase("auto") && !scale.equalsIgnoreCase("none")) {
            throw new Cli.UsageException("--stream reads IDX pixels as they are (scaled to [0,1]); --scale " + scale
                    + " is not available with it");
        }
        return dbn4j.data.IdxRowSource.open(images, labelFile, classes > 0 ? classes : 10);
    }

    /** With --stream: only the validation and test data, in memory. */
    Loaded loadHeldOut(dbn4j.data.RowSource train) throws IOException {
        Loaded out = new Loaded();
        out.source = train.description();
        out.scaling = "none";
        if (testData != null) {
            out.test = readFile(testData, testLabels, "--test-labels");
        } else if (Files.isDirectory(data) && (Files.exists(data.resolve("t10k-images-idx3-ubyte"))
                || Files.exists(data.resolve("t10k-images-idx3-ubyte.gz")))) {
            Path img = Files.exists(data.resolve("t10k-images-idx3-ubyte")) ? data.resolve("t10k-images-idx3-ubyte")
                    : data.resolve("t10k-images-idx3-ubyte.gz");
            Path lab = Files.exists(data.resolve("t10k-labels-idx1-ubyte")) ? data.resolve("t10k-labels-idx1-ubyte")
                    : data.resolve("t10k-labels-idx1-ubyte.gz");
            out.test = Idx.read(img, lab, train.numClasses(), "IDX " + img.getFileName());
        }
        if (validationData != null) {
            out.validation = readFile(validationData, validationLabels, "--validation-labels");
        }
        return out;
    }

    Loaded load(long seed) throws IOException {
        Loaded out = new Loaded();
        if (data == null) {
            FashionMnist f = FashionMnist.load();
            out.train = f.train();
            out.test = f.test();
            out.source = f.source();
        } else if (Files.isDirectory(data)) {
            FashionMnist f = FashionMnist.loadDirectory(data);
            out.train = f.train();
            out.test = f.test();
            out.source = "IDX files in " + data;
        } else {
            out.train = readFile(data, labels, "--labels");
            out.source = out.train.description();
        }
        if (testData != null) {
            out.test = readFile(testData, testLabels, "--test-labels");
        }
        if (validationData != null) {
            out.validation = readFile(validationData, validationLabels, "--validation-labels");
        }
        if (validationFraction < 0 || validationFraction >= 1) {
            throw new IllegalArgumentException("--validation-fraction must be in [0, 1), got " + validationFraction);
        }
        if (validationFraction > 0) {
            if (out.validation != null) {
                throw new IllegalArgumentException("give --validation-data or --validation-fraction, not both");
            }
            Dataset.Split split = out.train.split(validationFraction, seed);
            out.train = split.train();
            out.validation = split.validation();
        }
        Scaling how = scaling(out.train);
        out.scaling = how.name().toLowerCase(Locale.ROOT);
        Scaling.Fitted fitted = how.fit(out.train);
        out.train = fitted.apply(out.train);
        out.validation = out.validation == null ? null : fitted.apply(out.validation);
        out.test = out.test == null ? null : fitted.apply(out.test);
        return out;
    }

    /** Data to score (evaluate, predict): --data, else the Fashion-MNIST test set. */
    Dataset loadScored() throws IOException {
        Dataset d;
        if (data == null) {
            d = FashionMnist.load().test();
        } else if (Files.isDirectory(data)) {
            d = FashionMnist.loadDirectory(data).test();
        } else {
            d = readFile(data, labels, "--labels");
        }
        return scaling(d).fit(d).apply(d);
    }

    private Scaling scaling(Dataset train) {
        switch (scale.toLowerCase(Locale.ROOT)) {
            case "auto":
                return Scaling.inUnitRange(train) ? Scaling.NONE : Scaling.UNIT;
            case "none":
                return Scaling.NONE;
            case "unit":
                return Scaling.UNIT;
            case "standardize":
            case "standardise":
                return Scaling.STANDARDIZE;
            default:
                throw new IllegalArgumentException("--scale must be auto, none, unit or standardize, got '" + scale + "'");
        }
    }

    private Dataset readFile(Path file, Path labelFile, String labelOption) throws IOException {
        if (Files.isDirectory(file)) {
            throw new DataFormatException(file, "is a directory; give an IDX images file or a CSV file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.csv(\\.gz)?$")) {
            return Csv.read(file, labelColumn, classes);
        }
        if (labelFile == null) {
            throw new IllegalArgumentException(file + " is not a .csv file, so it is read as IDX images; give its labels "
                    + "with " + labelOption);
        }
        return Idx.read(file, labelFile, classes > 0 ? classes : 10, "IDX " + file.getFileName());
    }
}
