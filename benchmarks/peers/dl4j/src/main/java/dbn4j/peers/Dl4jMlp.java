package dbn4j.peers;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Deeplearning4j peer of dbn4j's MLP epoch: MultiLayerNetwork 784-500-500-10 (DenseLayer ReLU, DenseLayer ReLU,
 * OutputLayer softmax + MCXENT), Nesterovs updater (lr 0.05, momentum 0.9), float32, batch 100, one epoch over the
 * training images of {@code --data} (all 60,000 of Fashion-MNIST, or the rows of a subset) per
 * {@code fit(DataSetIterator)} call.
 *
 * <p>The data are on the nd4j backend before timing. Each timed epoch, like dbn4j and the PyTorch peer, gathers a
 * shuffled copy of inputs and one-hot labels ({@code Nd4j.pullRows}, one op each), wraps its consecutive row ranges
 * as DataSets (views, no copy) and fits an {@link ExistingDataSetIterator} over them. Prints one line
 * {@code RESULT peer=dl4j workload=mlp-784-500-500-10-relu ...}.
 *
 * <pre>java -jar dl4j-mlp.jar [--epochs N] [--batch B] [--threads T] [--data DIR] [--seed S]</pre>
 */
public final class Dl4jMlp {
    /** Rows of the random stand-in (the data set's own count otherwise). */
    private static final int RANDOM_ROWS = 60_000;
    private static final int COLS = 784;
    private static final int CLASSES = 10;

    /** What {@link #load} read: the data set, or the random stand-in. */
    private static String description = "";

    private Dl4jMlp() {}

    public static void main(String[] args) throws IOException {
        int epochs = 3;
        int batch = 100;
        int threads = 1;
        String data = "/usr/share/datasets/fashion-mnist";
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--epochs": epochs = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--data": data = args[++i]; break;
                case "--seed": seed = Long.parseLong(args[++i]); break;
                default:
                    System.err.println("usage: Dl4jMlp [--epochs N] [--batch B] [--threads T] [--data DIR] [--seed S]");
                    System.exit(2);
            }
        }
        if (epochs < 1 || batch < 1 || threads < 1) {
            System.err.println("--epochs, --batch and --threads must be >= 1");
            System.exit(2);
        }
        // nd4j-native's AVX2 binaries sit under the platform "linux-x86_64-avx2"; JavaCPP finds them only with
        // this extension set (before the first nd4j class loads). Without them on the class path, the generic ones.
        if (System.getProperty("org.bytedeco.javacpp.platform.extension") == null && Dl4jMlp.class.getClassLoader()
                .getResource("org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-avx2/") != null) {
            System.setProperty("org.bytedeco.javacpp.platform.extension", "-avx2");
        }

        float[][] xy = load(Path.of(data), seed);
        final int rows = xy[1].length / CLASSES;
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        INDArray x = Nd4j.create(xy[0], new long[] {rows, COLS}, 'c');
        INDArray y = Nd4j.create(xy[1], new long[] {rows, CLASSES}, 'c');

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.05, 0.9))
                .list()
                .layer(new DenseLayer.Builder().nIn(COLS).nOut(500).activation(Activation.RELU)
                        .weightInit(WeightInit.RELU).build())
                .layer(new DenseLayer.Builder().nIn(500).nOut(500).activation(Activation.RELU)
                        .weightInit(WeightInit.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(500).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();

        System.err.println("# data: " + description + "; batch " + batch + "; threads " + threads + "; " + env());
        double[] times = new double[epochs + 1];
        for (int e = 0; e <= epochs; e++) {
            long t0 = System.nanoTime();
            int[] order = permutation(rows, seed, e);
            INDArray xs = Nd4j.pullRows(x, 1, order);
            INDArray ys = Nd4j.pullRows(y, 1, order);
            List<DataSet> batches = new ArrayList<>();
            for (int from = 0; from < rows; from += batch) {
                int to = Math.min(rows, from + batch);
                batches.add(new DataSet(xs.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()),
                        ys.get(NDArrayIndex.interval(from, to), NDArrayIndex.all())));
            }
            long tFit = System.nanoTime();
            net.fit(new ExistingDataSetIterator(batches));
            times[e] = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "# dl4j mlp epoch %d: %.3f s (shuffle and batch views %.3f s), last batch"
                    + " score %.4f%n", e + 1, times[e], (tFit - t0) / 1e9, net.score());
        }
        double[] measured = Arrays.copyOfRange(times, 1, times.length);
        StringBuilder list = new StringBuilder();
        for (double t : measured) {
            list.append(list.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", t));
        }
        System.out.println(String.format(Locale.ROOT,
                "RESULT peer=dl4j workload=mlp-784-500-500-10-relu batch=%d threads=%d epoch_s_median=%.4f epochs=%d"
                        + " epoch_s=%s blas=%s",
                batch, threads, median(measured), measured.length, list, blas()));
    }

    /**
     * Inputs (rows x 784, x / 255) and one-hot labels (rows x 10), row-major: every image the files hold (a subset
     * written for a quick run trains on its rows, as the other participants do).
     */
    private static float[][] load(Path dir, long seed) {
        try {
            float[] x = images(dir.resolve("train-images-idx3-ubyte.gz"));
            float[] y = oneHot(dir.resolve("train-labels-idx1-ubyte.gz"));
            int rows = x.length / COLS;
            if (y.length / CLASSES != rows) {
                throw new IOException(dir + ": " + rows + " images but " + y.length / CLASSES + " labels");
            }
            description = "Fashion-MNIST train " + rows + " x " + COLS;
            return new float[][] {x, y};
        } catch (IOException | RuntimeException e) {
            System.err.println("NOTICE: Fashion-MNIST not readable in " + dir + " (" + e.getMessage()
                    + "); using random binary data " + RANDOM_ROWS + " x " + COLS + " instead");
            SplittableRandom r = new SplittableRandom(seed);
            float[] x = new float[RANDOM_ROWS * COLS];
            float[] y = new float[RANDOM_ROWS * CLASSES];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(4) == 0 ? 1f : 0f;
            }
            for (int i = 0; i < RANDOM_ROWS; i++) {
                y[i * CLASSES + r.nextInt(CLASSES)] = 1f;
            }
            description = "random binary " + RANDOM_ROWS + " x " + COLS + " (Fashion-MNIST not installed)";
            return new float[][] {x, y};
        }
    }

    private static DataInputStream open(Path p, int magic) throws IOException {
        InputStream in = new GZIPInputStream(Files.newInputStream(p), 1 << 16);
        DataInputStream d = new DataInputStream(in);
        int got = d.readInt();
        if (got != magic) {
            d.close();
            throw new IOException(p + ": magic " + Integer.toHexString(got) + ", expected "
                    + Integer.toHexString(magic));
        }
        return d;
    }

    private static float[] images(Path p) throws IOException {
        try (DataInputStream d = open(p, 0x803)) {
            int n = d.readInt();
            int h = d.readInt();
            int w = d.readInt();
            if (n < 1 || h * w != COLS) {
                throw new IOException(p + ": " + n + " images of " + h + "x" + w + ", expected at least 1 of 28x28");
            }
            byte[] raw = new byte[Math.multiplyExact(n, COLS)];
            d.readFully(raw);
            float[] x = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                x[i] = (raw[i] & 0xff) / 255f;
            }
            return x;
        }
    }

    private static float[] oneHot(Path p) throws IOException {
        try (DataInputStream d = open(p, 0x801)) {
            int n = d.readInt();
            if (n < 1) {
                throw new IOException(p + ": " + n + " labels");
            }
            byte[] raw = new byte[n];
            d.readFully(raw);
            float[] y = new float[Math.multiplyExact(n, CLASSES)];
            for (int i = 0; i < n; i++) {
                int label = raw[i] & 0xff;
                if (label >= CLASSES) {
                    throw new IOException(p + ": label " + label + " at " + i);
                }
                y[i * CLASSES + label] = 1f;
            }
            return y;
        }
    }

    /** Fisher-Yates permutation depending only on (seed, epoch). */
    private static int[] permutation(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private static String env() {
        StringBuilder s = new StringBuilder();
        for (String k : new String[] {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE"}) {
            String v = System.getenv(k);
            s.append(s.length() == 0 ? "" : " ").append(k).append('=').append(v == null ? "<unset>" : v);
        }
        return s.toString();
    }

    /**
     * nd4j's OpenBLAS (the bytedeco openblas_nolapack library it calls): version and thread count, nd4j's own thread
     * limits, and the core type. The bytedeco 1.5.7 preset binds no openblas_get_corename, so the core comes from
     * OpenBLAS itself: run with OPENBLAS_VERBOSE=2 (run-peers.sh does) and its dynamic-arch start-up prints
     * "Core: NAME" to stderr; here core=see-stderr stands for that.
     */
    private static String blas() {
        String library = "?";
        List<String> seen = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                String name = at < 0 ? "" : line.substring(line.lastIndexOf('/') + 1);
                if ((name.startsWith("libopenblas") || name.startsWith("libnd4jcpu")) && !seen.contains(name)) {
                    seen.add(name);
                    System.err.println("# dl4j native library: " + line.substring(at));
                    if (name.startsWith("libopenblas")) {
                        library = library.equals("?") ? name : library + "+" + name;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it unknown
        }
        int blasThreads = -1;
        int vendor = -1;
        try {
            blasThreads = org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads();
            vendor = org.bytedeco.openblas.global.openblas_nolapack.blas_get_vendor();
        } catch (Throwable t) {
            // leave -1
        }
        String platform = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
        String version = org.bytedeco.openblas.global.openblas_nolapack.class.getPackage().getImplementationVersion();
        return String.format(Locale.ROOT, "dl4j-1.0.0-M2.1:nd4j-native-linux-x86_64%s:openblas-%s:core=see-stderr"
                + ":threads=%d:vendor=%d:%s:nd4j-maxThreads=%d:nd4j-maxMasterThreads=%d", platform,
                version == null ? "0.3.19-1.5.7" : version, blasThreads, vendor, library,
                Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
