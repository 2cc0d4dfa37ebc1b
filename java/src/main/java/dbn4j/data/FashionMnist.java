package dbn4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Zalando Research, MIT licence): 28 x 28 grey-scale images of clothing in 10 classes, 60000 for
 * training and 10000 for testing. Pixels are scaled to [0, 1], one image per row (784 features).
 *
 * <p>{@link #load()} looks in three places, in order, and {@link #source()} says which one it used:
 * <ol>
 *   <li>the directory named by the system property {@value #DIRECTORY_PROPERTY}, if set; then it must hold the four
 *       files, or loading fails (a typo should not silently fall back to the sample);
 *   <li>{@link #SYSTEM_DIRECTORY}, where Debian's {@code dataset-fashion-mnist} package installs them, if all four
 *       files are there;
 *   <li>a small real sample bundled in the jar under {@value #SAMPLE_RESOURCES}: the first 4000 training and the
 *       first 1000 test images, enough for tests and demos but not for meaningful accuracy numbers.
 * </ol>
 * A directory holds the four files under their usual names ({@code train-images-idx3-ubyte.gz},
 * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}), each
 * gzipped or plain (the same names without {@code .gz}).
 */
public final class FashionMnist {
    /** The class names, indexed by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final int NUM_CLASSES = 10;
    /** System property naming a directory with the full data set; overrides the other places. */
    public static final String DIRECTORY_PROPERTY = "dbn4j.data.fashionMnist";
    /** Where {@code apt-get install dataset-fashion-mnist} puts the data. */
    public static final Path SYSTEM_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");
    /** Classpath folder of the bundled sample (same file names, gzipped). */
    public static final String SAMPLE_RESOURCES = "/dbn4j/data/fashion-mnist-sample/";

    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    private final Dataset train;
    private final Dataset test;
    private final String source;
    private final boolean sample;

    private FashionMnist(Dataset train, Dataset test, String source, boolean sample) {
        this.train = train;
        this.test = test;
        this.source = source;
        this.sample = sample;
    }

    /**
     * Loads from the first usable place (see the class comment).
     *
     * @throws NoSuchFileException if the system property is set but its directory or one of its files is missing,
     *     or the bundled sample is missing from the classpath
     * @throws DataFormatException if a file is malformed
     * @throws IOException if reading fails
     */
    public static FashionMnist load() throws IOException {
        String property = System.getProperty(DIRECTORY_PROPERTY);
        if (property != null) {
            String why = "named by system property " + DIRECTORY_PROPERTY;
            Path dir;
            try {
                dir = Path.of(property);
            } catch (InvalidPathException e) {
                throw new NoSuchFileException(property, null, "not a valid path (" + why + ")");
            }
            if (property.isBlank() || !Files.isDirectory(dir)) {
                throw new NoSuchFileException(property, null, "no such directory (" + why + ")");
            }
            return loadDirectory(dir, why);
        }
        if (hasAllFiles(SYSTEM_DIRECTORY)) {
            return loadDirectory(SYSTEM_DIRECTORY, null);
        }
        return loadSample();
    }

    /**
     * Loads the four files from {@code dir}.
     *
     * @throws NoSuchFileException naming the first file that is missing, in either form
     * @throws DataFormatException if a file is malformed
     * @throws IOException if reading fails
     */
    public static FashionMnist loadDirectory(Path dir) throws IOException {
        return loadDirectory(dir, null);
    }

    /**
     * Loads the sample bundled in the jar (4000 training and 1000 test images).
     *
     * @throws NoSuchFileException if the resources are missing from the classpath
     * @throws DataFormatException if a resource is malformed
     */
    public static FashionMnist loadSample() throws IOException {
        String where = "classpath:" + SAMPLE_RESOURCES;
        Dataset train = Idx.read(resource(TRAIN_IMAGES), resource(TRAIN_LABELS), NUM_CLASSES, null);
        Dataset test = Idx.read(resource(TEST_IMAGES), resource(TEST_LABELS), NUM_CLASSES, null);
        return new FashionMnist(describe(train, "train (bundled sample)", where),
                describe(test, "test (bundled sample)", where),
                "bundled sample of Fashion-MNIST (" + train.rows() + " train, " + test.rows() + " test images);"
                        + " install the full set with apt-get install dataset-fashion-mnist, or set -D"
                        + DIRECTORY_PROPERTY + "=DIR to a directory holding it",
                true);
    }

    /** The training set (60000 x 784 for the full data, 4000 x 784 for the sample). */
    public Dataset train() {
        return train;
    }

    /** The test set (10000 x 784 for the full data, 1000 x 784 for the sample). */
    public Dataset test() {
        return test;
    }

    /** Where the data came from, in words, for logs and reports. */
    public String source() {
        return source;
    }

    /** True when this is the small bundled sample rather than data from a directory. */
    public boolean isSample() {
        return sample;
    }

    /** The name of class {@code label}, e.g. "Ankle boot" for 9. */
    public static String className(int label) {
        return CLASS_NAMES.get(label);
    }

    @Override
    public String toString() {
        return "FashionMnist[" + source + "]";
    }

    private static FashionMnist loadDirectory(Path dir, String why) throws IOException {
        Path trainImages = find(dir, TRAIN_IMAGES, why);
        Path trainLabels = find(dir, TRAIN_LABELS, why);
        Path testImages = find(dir, TEST_IMAGES, why);
        Path testLabels = find(dir, TEST_LABELS, why);
        Dataset train = describe(Idx.read(trainImages, trainLabels, NUM_CLASSES, null), "train", dir.toString());
        Dataset test = describe(Idx.read(testImages, testLabels, NUM_CLASSES, null), "test", dir.toString());
        boolean full = train.rows() == 60000 && test.rows() == 10000;
        String source = (full ? "full Fashion-MNIST" : "Fashion-MNIST") + " (" + train.rows() + " train, "
                + test.rows() + " test images) from " + dir + (why == null ? "" : ", " + why);
        return new FashionMnist(train, test, source, false);
    }

    private static Dataset describe(Dataset d, String part, String where) {
        return d.withDescription("Fashion-MNIST " + part + ", " + d.rows() + " x " + d.cols() + ", " + where);
    }

    private static boolean hasAllFiles(Path dir) {
        for (String name : List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)) {
            if (!Files.isRegularFile(dir.resolve(name + ".gz")) && !Files.isRegularFile(dir.resolve(name))) {
                return false;
            }
        }
        return true;
    }

    /** dir/name.gz if it exists, else dir/name if that exists. */
    private static Path find(Path dir, String name, String why) throws NoSuchFileException {
        Path gz = dir.resolve(name + ".gz");
        if (Files.exists(gz)) {
            return gz;
        }
        Path plain = dir.resolve(name);
        if (Files.exists(plain)) {
            return plain;
        }
        throw new NoSuchFileException(dir.toString(), null, "holds neither " + name + ".gz nor " + name
                + (why == null ? "" : " (directory " + why + ")"));
    }

    private static Idx.Source resource(String file) {
        String path = SAMPLE_RESOURCES + file + ".gz";
        return new Idx.Source() {
            @Override
            public String name() {
                return "classpath:" + path;
            }

            @Override
            public InputStream open() throws IOException {
                InputStream in = FashionMnist.class.getResourceAsStream(path);
                if (in == null) {
                    throw new NoSuchFileException(name(), null, "bundled sample missing from the classpath");
                }
                return in;
            }
        };
    }
}
