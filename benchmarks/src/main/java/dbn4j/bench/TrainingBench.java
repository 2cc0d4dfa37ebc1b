package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.nn.Activation;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.TrainConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Training epochs against their GEMM floor: one epoch of RBM CD-1 784-500 and of MLP 784-500-500-10 (ReLU, SGD with
 * momentum) at batch 100 on 60,000 images, and, in the same run, the same GEMMs (same shapes, same transposes, same
 * count) run alone. The ratio epoch / floor says how much everything beside the GEMMs costs (activations, sampling,
 * updates, Java). Epoch times come from the training loop's own per-epoch timing (the mini-batch loop and the
 * shuffle; not the per-epoch monitoring).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dbn4j.bench.TrainingBench [--epochs N] [--batch B] [--blas-threads T]
 *     [--peers-format]</pre>
 *
 * <p>{@code --peers-format} also prints, for each workload, one machine-readable line in the format of the peer
 * benchmarks in {@code benchmarks/peers/} ({@code RESULT peer=dbn4j workload=... epoch_s_median=...}), which
 * {@code benchmarks/peers/run-peers.sh} reads. The kernels' own thread count is {@code -Ddbn4j.threads}.
 */
public final class TrainingBench {
    private TrainingBench() {}

    public static void main(String[] args) throws IOException {
        int epochs = 3;
        int batch = 100;
        int blasThreads = 1;
        boolean peersFormat = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--epochs": epochs = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--blas-threads": blasThreads = Integer.parseInt(args[++i]); break;
                case "--peers-format": peersFormat = true; break;
                default:
                    System.err.println(
                            "usage: TrainingBench [--epochs N] [--batch B] [--blas-threads T] [--peers-format]");
                    System.exit(2);
            }
        }
        CpuBackend cpu = Backends.cpu();
        cpu.setBlasThreads(blasThreads);
        Dataset train = sixtyThousand();
        System.out.println("machine: " + cpu.describe());
        System.out.println("env: OPENBLAS_CORETYPE=" + envOrUnset("OPENBLAS_CORETYPE") + " OPENBLAS_L2_SIZE="
                + envOrUnset("OPENBLAS_L2_SIZE"));
        System.out.println("data: " + train.description() + "; batch " + batch + "; " + epochs
                + " measured epochs after 1 warm-up; medians");
        List<String[]> rows = new ArrayList<>();

        // Each training epoch is followed at once by one epoch of its GEMMs alone (from the epoch listener), so a
        // change of load on a shared machine moves both alike; the first pair is warm-up.
        double[][] rbm = rbmEpochs(cpu, train, batch, epochs + 1);
        double[] rbmTimes = rbm[0];
        double rbmFloor = median(rbm[1]);
        rows.add(row("RBM CD-1 784-500", median(rbmTimes), rbmFloor, 1.25));

        double[][] mlp = mlpEpochs(cpu, train, batch, epochs + 1);
        double[] mlpTimes = mlp[0];
        double mlpFloor = median(mlp[1]);
        rows.add(row("MLP 784-500-500-10 ReLU", median(mlpTimes), mlpFloor, 1.3));

        System.out.printf(Locale.ROOT, "%-26s %10s %10s %7s %6s %s%n", "workload", "epoch s", "GEMM s", "ratio", "bar",
                "result");
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, "%-26s %10s %10s %7s %6s %s%n", (Object[]) r);
        }
        if (peersFormat) {
            System.out.println(resultLine(cpu, "rbm-cd1-784-500", batch, rbmTimes, rbmFloor));
            System.out.println(resultLine(cpu, "mlp-784-500-500-10-relu", batch, mlpTimes, mlpFloor));
        }
    }

    /** One line in the peer benchmarks' format (benchmarks/peers/): space-separated key=value, no spaces inside. */
    static String resultLine(CpuBackend cpu, String workload, int batch, double[] times, double gemmFloor) {
        StringBuilder list = new StringBuilder();
        for (double t : times) {
            list.append(list.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", t));
        }
        String lib = cpu.blasLibrary() == null ? "?"
                : java.nio.file.Path.of(cpu.blasLibrary()).getFileName().toString();
        return String.format(Locale.ROOT,
                "RESULT peer=dbn4j workload=%s batch=%d threads=%d epoch_s_median=%.4f epochs=%d epoch_s=%s"
                        + " blas=dbn4j:openblas:core=%s:threads=%d:%s:kernels=%s:kernel-threads=%d"
                        + " gemm_floor_s_median=%.4f",
                workload, batch, cpu.blasThreads(), median(times), times.length, list,
                cpu.blasCoreName().trim().replace(' ', '_'), cpu.blasThreads(), lib.replace(' ', '_'),
                CpuBackend.isaName(cpu.activeIsa()), cpu.threads(), gemmFloor);
    }

    private static String[] row(String name, double epoch, double floor, double bar) {
        double ratio = epoch / floor;
        return new String[] {name, fmt(epoch), fmt(floor), String.format(Locale.ROOT, "%.3f", ratio),
            String.format(Locale.ROOT, "<=%.2f", bar), ratio <= bar ? "PASS" : "FAIL"};
    }

    private static String fmt(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** The full Fashion-MNIST training set where installed, else random binary images of the same shape. */
    static Dataset sixtyThousand() throws IOException {
        FashionMnist f = FashionMnist.load();
        if (!f.isSample()) {
            return f.train();
        }
        int n = 60_000;
        float[] x = new float[n * 784];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(4) == 0 ? 1f : 0f;
        }
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(10);
        }
        return new Dataset(x, n, 784, y, 10, "random binary 60000 x 784 (Fashion-MNIST not installed)");
    }

    static String envOrUnset(String name) {
        String v = System.getenv(name);
        return v == null ? "<unset>" : v;
    }

    /** Epoch times and, interleaved, GEMM-floor times of RBM CD-1 784-500; warm-up dropped. */
    static double[][] rbmEpochs(Backend be, Dataset train, int batch, int epochs) {
        List<Double> times = new ArrayList<>();
        List<Double> floors = new ArrayList<>();
        try (Rbm rbm = Rbm.create(be, 784, 500, Rbm.Visible.BERNOULLI, 1); RbmFloor floor = new RbmFloor(be, batch)) {
            rbm.fit(train, null, new TrainConfig().epochs(epochs).batchSize(batch).learningRate(0.05f)
                    .momentum(0.5f, 5, 0.9f).weightDecay(2e-4f).listener(m -> {
                        times.add(epochSeconds(m, train));
                        floors.add(floor.epoch(train.rows() / batch));
                    }), new RbmOptions().monitorRows(100));
        }
        return new double[][] {measured(times), measured(floors)};
    }

    /** Epoch times and, interleaved, GEMM-floor times of MLP 784-500-500-10 ReLU; warm-up dropped. */
    static double[][] mlpEpochs(Backend be, Dataset train, int batch, int epochs) {
        List<Double> times = new ArrayList<>();
        List<Double> floors = new ArrayList<>();
        try (Mlp mlp = Mlp.create(be, new int[] {784, 500, 500, 10}, Activation.RELU, Activation.SOFTMAX,
                Loss.CROSS_ENTROPY, 1); MlpFloor floor = new MlpFloor(be, batch)) {
            mlp.fit(train, null, new TrainConfig().epochs(epochs).batchSize(batch).learningRate(0.05f).momentum(0.9f)
                    .listener(m -> {
                        times.add(epochSeconds(m, train));
                        floors.add(floor.epoch(train.rows() / batch));
                    }));
        }
        return new double[][] {measured(times), measured(floors)};
    }

    private static double epochSeconds(EpochMetrics m, Dataset train) {
        return train.rows() / m.get("samples_per_second");
    }

    /** Drops the first (warm-up) time. */
    private static double[] measured(List<Double> times) {
        return times.subList(1, times.size()).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The 5 GEMMs of a CD-1 step (v W, h W^T, v' W, v^T h, v'^T h') on buffers of the same shapes. */
    static final class RbmFloor implements AutoCloseable {
        final Backend be;
        final Matrix x;
        final Matrix w;
        final Matrix hp;
        final Matrix vp;
        final Matrix gw;

        RbmFloor(Backend be, int batch) {
            this.be = be;
            x = be.allocate(batch, 784);
            w = be.allocate(784, 500);
            hp = be.allocate(batch, 500);
            vp = be.allocate(batch, 784);
            gw = be.allocate(784, 500);
            fill(be, x, w, hp, vp);
        }

        /** Seconds for the GEMMs of {@code batches} mini-batches. */
        double epoch(int batches) {
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, x, w, 0f, hp);
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, hp, w, 0f, vp);
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, vp, w, 0f, hp);
                be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -0.01f, x, hp, 0f, gw);
                be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 0.01f, vp, hp, 1f, gw);
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            for (Matrix m : new Matrix[] {x, w, hp, vp, gw}) {
                m.close();
            }
        }
    }

    /** The 8 GEMMs of an MLP 784-500-500-10 step: 3 forward, 3 weight gradients, 2 input gradients. */
    static final class MlpFloor implements AutoCloseable {
        static final int[] SIZES = {784, 500, 500, 10};
        final Backend be;
        final Matrix[] a = new Matrix[4];
        final Matrix[] w = new Matrix[3];
        final Matrix[] g = new Matrix[3];

        MlpFloor(Backend be, int batch) {
            this.be = be;
            for (int l = 0; l < 4; l++) {
                a[l] = be.allocate(batch, SIZES[l]);
            }
            for (int l = 0; l < 3; l++) {
                w[l] = be.allocate(SIZES[l], SIZES[l + 1]);
                g[l] = be.allocate(SIZES[l], SIZES[l + 1]);
            }
            fill(be, a);
            fill(be, w);
        }

        double epoch(int batches) {
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                for (int l = 0; l < 3; l++) {
                    be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a[l], w[l], 0f, a[l + 1]);
                }
                for (int l = 2; l >= 0; l--) {
                    // Deltas reuse the activation buffers: the floor needs the shapes, not the values.
                    be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a[l], a[l + 1], 0f, g[l]);
                    if (l > 0) {
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, a[l + 1], w[l], 0f, a[l]);
                    }
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            for (Matrix[] ms : new Matrix[][] {a, w, g}) {
                for (Matrix m : ms) {
                    m.close();
                }
            }
        }
    }

    /** Small random values, so that no GEMM runs on denormals or infinities. */
    private static void fill(Backend be, Matrix... ms) {
        RandomStream r = new RandomStream(3);
        for (Matrix m : ms) {
            be.gaussian(r, null, 0.01f, m);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
