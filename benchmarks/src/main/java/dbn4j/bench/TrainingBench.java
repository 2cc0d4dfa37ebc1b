package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.Transpose;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.nn.Activation;
import dbn4j.nn.Dbn;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.LogisticRegression;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.TrainConfig;
import dbn4j.nn.TrainingListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training epochs against their GEMM floor: one epoch of RBM CD-1 784-500 and of MLP 784-500-500-10 (ReLU, SGD with
 * momentum) at batch 100 on 60,000 images, and, in the same run, the same GEMMs (same shapes, same transposes, same
 * count) run alone on the operands of a real mini-batch (its pixels, the model's hidden states and activations of it,
 * refreshed after each epoch: the own GEMM skips zeros of A, so the floor must have the same zeros). The ratio
 * epoch / floor says how much everything beside the GEMMs costs (activations, sampling, updates, Java). Epoch times come from the training loop's own per-epoch timing (the mini-batch loop and the
 * shuffle; not the per-epoch monitoring).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dbn4j.bench.TrainingBench [--epochs N] [--batch B] [--blas-threads T]
 *     [--peers-format] [--also LIST] [--pcd-rows N] [--dbn-rows N] [--dbn-sizes 784,1000,1000,1000]</pre>
 *
 * <p>{@code --also} adds, after the two workloads above, the epochs of other models for the peer comparison (no
 * GEMM floor): {@code logistic} (multinomial logistic regression 784-10), {@code cd10} (RBM CD-10 784-500),
 * {@code pcd15} (RBM PCD-15 784-500 on the first {@code --pcd-rows} rows), {@code dbn} (DBN pre-training, CD-1 every layer, and fine-tuning of
 * {@code --dbn-sizes} plus 10 classes on the first {@code --dbn-rows} rows). The suite's training table uses the
 * same methods ({@link #logisticEpochs}, {@link #rbmEpochs(Backend, Dataset, int, int, int, boolean)},
 * {@link #dbnEpochs}).
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
        List<String> also = List.of();
        int pcdRows = 60_000;
        int dbnRows = 60_000;
        int[] dbnSizes = {784, 1000, 1000, 1000};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--epochs": epochs = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--blas-threads": blasThreads = Integer.parseInt(args[++i]); break;
                case "--peers-format": peersFormat = true; break;
                case "--also": also = List.of(args[++i].split(",")); break;
                case "--pcd-rows": pcdRows = Integer.parseInt(args[++i]); break;
                case "--dbn-rows": dbnRows = Integer.parseInt(args[++i]); break;
                case "--dbn-sizes":
                    dbnSizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                    break;
                default:
                    System.err.println("usage: TrainingBench [--epochs N] [--batch B] [--blas-threads T] [--peers-format]"
                            + " [--also logistic,cd10,pcd15,dbn] [--pcd-rows N] [--dbn-rows N] [--dbn-sizes 784,1000,...]");
                    System.exit(2);
            }
        }
        for (String w : also) {
            if (!w.matches("logistic|cd10|pcd15|dbn")) {
                System.err.println("TrainingBench: --also takes logistic, cd10, pcd15, dbn; not " + w);
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
            System.out.println(resultLine(cpu, "rbm-cd1-784-500", batch, train.rows(), rbmTimes, rbmFloor));
            System.out.println(resultLine(cpu, "mlp-784-500-500-10-relu", batch, train.rows(), mlpTimes, mlpFloor));
        }
        // The other models, without a GEMM floor: epoch times only (printed as RESULT lines with --peers-format).
        Map<String, Object[]> more = new LinkedHashMap<>(); // workload -> {rows, epoch times}
        for (String w : also) {
            if (w.equals("logistic")) {
                more.put(LOGISTIC, new Object[] {train.rows(), logisticEpochs(cpu, train, batch, epochs + 1)});
            } else if (w.equals("cd10")) {
                more.put(RBM_CD10, new Object[] {train.rows(), rbmEpochs(cpu, train, batch, epochs + 1, 10, false)});
            } else if (w.equals("pcd15")) {
                Dataset d = firstRows(train, pcdRows);
                more.put(RBM_PCD15, new Object[] {d.rows(), rbmEpochs(cpu, d, batch, epochs + 1, 15, true)});
            } else {
                Dataset d = firstRows(train, dbnRows);
                double[][] t = dbnEpochs(cpu, d, batch, dbnSizes, epochs + 1);
                more.put(dbnKey(dbnSizes, true), new Object[] {d.rows(), t[0]});
                more.put(dbnKey(dbnSizes, false), new Object[] {d.rows(), t[1]});
            }
        }
        for (Map.Entry<String, Object[]> e : more.entrySet()) {
            double[] t = (double[]) e.getValue()[1];
            System.out.printf(Locale.ROOT, "%-34s rows %6d  epoch s median %.3f%n", e.getKey(), e.getValue()[0],
                    median(t));
            if (peersFormat) {
                System.out.println(resultLine(cpu, e.getKey(), batch, (Integer) e.getValue()[0], t, Double.NaN));
            }
        }
    }

    /** Peer workload names (benchmarks/peers/) of the models beside the two with a GEMM floor. */
    static final String LOGISTIC = "logistic-784-10";
    static final String RBM_CD10 = "rbm-cd10-784-500";
    static final String RBM_PCD15 = "rbm-pcd15-784-500";

    /** "dbn-784-500-500-pretrain" or "dbn-784-500-500-10-finetune": the peer workload names of a DBN. */
    static String dbnKey(int[] sizes, boolean pretrain) {
        String arch = Arrays.toString(sizes).replaceAll("[\\[\\] ]", "").replace(',', '-');
        return "dbn-" + arch + (pretrain ? "-pretrain" : "-10-finetune");
    }

    /** The first {@code rows} rows of {@code d} (all of it when it has no more). */
    static Dataset firstRows(Dataset d, int rows) {
        return rows >= d.rows() ? d : d.subset(0, rows);
    }

    /** One line in the peer benchmarks' format (benchmarks/peers/): space-separated key=value, no spaces inside. */
    static String resultLine(CpuBackend cpu, String workload, int batch, int rows, double[] times, double gemmFloor) {
        StringBuilder list = new StringBuilder();
        for (double t : times) {
            list.append(list.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.3f", t));
        }
        String lib = cpu.blasLibrary() == null ? "?"
                : java.nio.file.Path.of(cpu.blasLibrary()).getFileName().toString();
        return String.format(Locale.ROOT,
                "RESULT peer=dbn4j workload=%s batch=%d threads=%d epoch_s_median=%.4f epochs=%d epoch_s=%s"
                        + " blas=dbn4j:openblas:core=%s:threads=%d:%s:kernels=%s:kernel-threads=%d:gemm=%s rows=%d%s",
                workload, batch, cpu.blasThreads(), median(times), times.length, list,
                cpu.blasCoreName().trim().replace(' ', '_'), cpu.blasThreads(), lib.replace(' ', '_'),
                CpuBackend.isaName(cpu.activeIsa()), cpu.threads(),
                gemmTag(cpu), rows, Double.isNaN(gemmFloor) ? ""
                        : String.format(Locale.ROOT, " gemm_floor_s_median=%.4f", gemmFloor));
    }

    /** The GEMM of a RESULT line: openblas, or the own kernel and how it treats zeros of A. */
    static String gemmTag(CpuBackend cpu) {
        if (!cpu.gemmDescription().startsWith("own")) {
            return "openblas";
        }
        String level = cpu.activeIsa() >= CpuBackend.ISA_AVX512 ? "avx512" : "avx2";
        String shapes = cpu.gemmDescription().contains("every shape") ? "all" : "batch<=256";
        return "own-" + level + "-" + shapes + "-sparse-" + CpuBackend.SPARSE_NAMES.get(cpu.gemmSparse());
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
            rbm.fit(train, null, rbmConfig(batch, epochs).listener(m -> {
                        times.add(epochSeconds(m, train));
                        floor.refresh(rbm, train);
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
                        floor.refresh(mlp, train);
                        floors.add(floor.epoch(train.rows() / batch));
                    }));
        }
        return new double[][] {measured(times), measured(floors)};
    }

    /** Epoch times of multinomial logistic regression 784-10 (SGD, lr 0.1, momentum 0.9); warm-up dropped. */
    static double[] logisticEpochs(Backend be, Dataset train, int batch, int epochs) {
        List<Double> times = new ArrayList<>();
        try (Mlp m = LogisticRegression.multinomial(be, 784, 10)) {
            m.fit(train, null, new TrainConfig().epochs(epochs).batchSize(batch).learningRate(0.1f).seed(1)
                    .listener(e -> times.add(epochSeconds(e, train))));
        }
        return measured(times);
    }

    /**
     * Epoch times of RBM CD-k or PCD-k 784-500 with the hyper-parameters of {@link #rbmEpochs(Backend, Dataset, int,
     * int)} (lr 0.05, momentum 0.5 then 0.9 after 5 epochs, weight cost 2e-4), without a GEMM floor; warm-up dropped.
     */
    static double[] rbmEpochs(Backend be, Dataset train, int batch, int epochs, int k, boolean persistent) {
        List<Double> times = new ArrayList<>();
        try (Rbm rbm = Rbm.create(be, 784, 500, Rbm.Visible.BERNOULLI, 1)) {
            rbm.fit(train, null, rbmConfig(batch, epochs).listener(m -> times.add(epochSeconds(m, train))),
                    new RbmOptions().k(k).persistent(persistent).monitorRows(100));
        }
        return measured(times);
    }

    private static TrainConfig rbmConfig(int batch, int epochs) {
        return new TrainConfig().epochs(epochs).batchSize(batch).learningRate(0.05f).momentum(0.5f, 5, 0.9f)
                .weightDecay(2e-4f);
    }

    /**
     * DBN {@code sizes} (Bernoulli visible layer) and 10 classes: {pre-training epoch times, fine-tuning epoch times},
     * warm-up dropped. Pre-training is CD-1 on every layer with the RBM hyper-parameters, {@code epochs} epochs each;
     * a pre-training epoch is epoch i of every layer summed (the features passed between layers are not timed).
     * Fine-tuning: sigmoid MLP with a softmax output, SGD lr 0.1, momentum 0.9.
     */
    static double[][] dbnEpochs(Backend be, Dataset train, int batch, int[] sizes, int epochs) {
        Map<String, List<Double>> times = new LinkedHashMap<>(); // phase -> epoch times
        TrainingListener byPhase = e -> times.computeIfAbsent(e.phase(), p -> new ArrayList<>())
                .add(epochSeconds(e, train));
        try (Dbn dbn = Dbn.create(be, sizes, Rbm.Visible.BERNOULLI, 1)) {
            dbn.pretrain(train, null, rbmConfig(batch, epochs).listener(byPhase), new RbmOptions().monitorRows(100));
            dbn.finetune(train, null, new TrainConfig().epochs(epochs).batchSize(batch).learningRate(0.1f)
                    .listener(byPhase), 10);
        }
        double[] pre = new double[epochs - 1];
        double[] fine = null;
        for (Map.Entry<String, List<Double>> e : times.entrySet()) {
            double[] t = measured(e.getValue());
            if (e.getKey().startsWith("rbm")) {
                for (int i = 0; i < pre.length; i++) {
                    pre[i] += t[i];
                }
            } else {
                fine = t;
            }
        }
        return new double[][] {pre, fine};
    }

    private static double epochSeconds(EpochMetrics m, Dataset train) {
        return train.rows() / m.get("samples_per_second");
    }

    /** Drops the first (warm-up) time. */
    private static double[] measured(List<Double> times) {
        return times.subList(1, times.size()).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * The GEMMs of a CD-1 step (v W, h W^T, v' W, and v^T h - v'^T h' in one call as training makes it) on operands
     * with the zeros of a real mini-batch,
     * each into its own output: the data's first mini-batch, hidden states sampled from the model's current hidden
     * probabilities for it (the own kernel skips the zeros of both), dense visible probabilities. {@link #refresh}
     * takes them from the model after each epoch (not timed).
     */
    static final class RbmFloor implements AutoCloseable {
        final Backend be;
        final int batch;
        final Matrix x;
        final Matrix w;
        final Matrix hs;
        final Matrix vp;
        final Matrix h0;
        final Matrix vr;
        final Matrix h1;
        final Matrix gw;
        final Matrix ws;
        final Matrix vs;

        RbmFloor(Backend be, int batch) {
            this.be = be;
            this.batch = batch;
            x = be.allocate(batch, 784);
            w = be.allocate(784, 500);
            hs = be.allocate(batch, 500);
            vp = be.allocate(batch, 784);
            h0 = be.allocate(batch, 500);
            vr = be.allocate(batch, 784);
            h1 = be.allocate(batch, 500);
            gw = be.allocate(784, 500);
            ws = be.allocate(784, 500);
            vs = be.allocate(784, 500);
        }

        /** Operands from the model and the data's first mini-batch. */
        void refresh(Rbm rbm, Dataset train) {
            float[] v = Arrays.copyOf(train.features(), batch * 784);
            float[] p = rbm.transform(v, batch);
            java.util.SplittableRandom r = new java.util.SplittableRandom(5);
            float[] states = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                states[i] = r.nextDouble() < p[i] ? 1f : 0f;
            }
            float[] probs = new float[batch * 784];
            for (int i = 0; i < probs.length; i++) {
                probs[i] = (float) r.nextDouble();
            }
            be.copyFromHost(v, 0, x, 0, v.length);
            be.copyFromHost(states, 0, hs, 0, states.length);
            be.copyFromHost(probs, 0, vp, 0, probs.length);
            be.copy(rbm.weights(), w);
        }

        /** Seconds for the GEMMs of {@code batches} mini-batches. */
        double epoch(int batches) {
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, x, w, 0f, h0);
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, hs, w, 0f, vr);
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, vp, w, 0f, h1);
                // The weight gradient as training computes it: both products in one call, fused with the step on
                // the CPU (applied to a scratch copy, with lr 0, so that w stays the model's).
                be.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -0.01f, x, h0, vp, h1, gw, ws, vs,
                        0f, 0.5f, 0f, false);
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            for (Matrix m : new Matrix[] {x, w, hs, vp, h0, vr, h1, gw, ws, vs}) {
                m.close();
            }
        }
    }

    /**
     * The 8 GEMMs of an MLP 784-500-500-10 step (3 forward, 3 weight gradients, 2 input gradients), each on its own
     * operands with the zeros of a real mini-batch: the data's first mini-batch, the model's ReLU activations of it,
     * deltas zero where those activations are (as the ReLU derivative makes them), a dense output delta.
     * {@link #refresh} takes them from the model after each epoch (not timed).
     */
    static final class MlpFloor implements AutoCloseable {
        static final int[] SIZES = {784, 500, 500, 10};
        final Backend be;
        final int batch;
        final Matrix[] a = new Matrix[3]; // layer inputs: x, h1, h2
        final Matrix[] d = new Matrix[3]; // deltas of the layer outputs: d1, d2 (masked), d3 (dense)
        final Matrix[] z = new Matrix[3]; // forward outputs
        final Matrix[] e = new Matrix[2]; // input gradients of layers 2 and 3
        final Matrix[] w = new Matrix[3];
        final Matrix[] g = new Matrix[3];

        MlpFloor(Backend be, int batch) {
            this.be = be;
            this.batch = batch;
            for (int l = 0; l < 3; l++) {
                a[l] = be.allocate(batch, SIZES[l]);
                d[l] = be.allocate(batch, SIZES[l + 1]);
                z[l] = be.allocate(batch, SIZES[l + 1]);
                w[l] = be.allocate(SIZES[l], SIZES[l + 1]);
                g[l] = be.allocate(SIZES[l], SIZES[l + 1]);
            }
            for (int l = 0; l < 2; l++) {
                e[l] = be.allocate(batch, SIZES[l + 1]);
            }
        }

        /** Operands from the model and the data's first mini-batch. */
        void refresh(Mlp mlp, Dataset train) {
            be.copyFromHost(Arrays.copyOf(train.features(), batch * 784), 0, a[0], 0, batch * 784);
            for (int l = 0; l < 3; l++) {
                be.copy(mlp.weights(l), w[l]);
            }
            for (int l = 1; l < 3; l++) { // h_l = relu(h_{l-1} W_l + b_l)
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a[l - 1], w[l - 1], 0f, a[l]);
                be.addRowVector(a[l], mlp.bias(l - 1));
                be.relu(a[l], a[l]);
            }
            java.util.SplittableRandom r = new java.util.SplittableRandom(7);
            for (int l = 0; l < 3; l++) {
                float[] act = l < 2 ? a[l + 1].toArray() : null;
                float[] delta = new float[batch * SIZES[l + 1]];
                for (int i = 0; i < delta.length; i++) {
                    delta[i] = act != null && act[i] <= 0f ? 0f : (float) (r.nextGaussian() * 0.01);
                }
                be.copyFromHost(delta, 0, d[l], 0, delta.length);
            }
        }

        double epoch(int batches) {
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                for (int l = 0; l < 3; l++) {
                    be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a[l], w[l], 0f, z[l]);
                }
                for (int l = 2; l >= 0; l--) {
                    be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a[l], d[l], 0f, g[l]);
                    if (l > 0) {
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, d[l], w[l], 0f, e[l - 1]);
                    }
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public void close() {
            for (Matrix[] ms : new Matrix[][] {a, d, z, e, w, g}) {
                for (Matrix m : ms) {
                    m.close();
                }
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
