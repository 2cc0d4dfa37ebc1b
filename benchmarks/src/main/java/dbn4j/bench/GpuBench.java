package dbn4j.bench;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.cuda.CudaBackend;
import dbn4j.data.Dataset;
import dbn4j.nn.Activation;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.TrainConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * dbn4j's side of the GPU check (benchmarks/gpu/gpu-check.sh): the workloads of benchmarks/gpu/torch_reference.py on
 * the backend that {@code -Ddbn4j.backend} chooses (cuda on the GPU machine), data resident on the device, written
 * with the same operations as the PyTorch reference (one CD-1 update: 5 GEMMs; one MLP step with SGD momentum), then
 * the models' own training loops ({@code fit}, which also shuffle, replay a recorded step per mini-batch on CUDA and
 * read the epoch's losses once).
 * On CUDA the RBM CD-1 (batch 100 and 1000) and MLP steps are also captured once as CUDA graphs and replayed
 * ({@link CudaBackend#capture}; the RBM's replays draw new random numbers each time). Each measurement: warm-up, then
 * the median of a few repetitions of N steps, each repetition ended by {@link Backend#synchronize()}. Prints
 * {@code RESULT peer=dbn4j[-graph|-tf32|-bf16|-fit|-unfused[-graph]|-serial[-graph]] workload=...} lines in the
 * format of the PyTorch reference, and for each graph measured a {@code GRAPH} line with its work nodes and the most
 * of them on one path.
 *
 * <pre>java -Ddbn4j.backend=cuda -cp benchmarks.jar dbn4j.bench.GpuBench [--steps N] [--quick] [--smoke]</pre>
 */
public final class GpuBench {
    private GpuBench() {}

    public static void main(String[] args) {
        int steps = 200;
        boolean quick = false;
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps": steps = Integer.parseInt(args[++i]); break;
                case "--quick": quick = true; break;
                case "--smoke": smoke = true; break;
                default:
                    System.err.println("usage: GpuBench [--steps N] [--quick] [--smoke]");
                    System.exit(2);
            }
        }
        Backend be = Backends.get();
        System.out.println("# dbn4j on " + be.describe());
        int reps = quick ? 3 : 5;
        CudaBackend gpu = be instanceof CudaBackend ? (CudaBackend) be : null;
        // Each measurement on its own: one that fails (a refused capture, a kernel error) is reported as a FAILED
        // line and the others still run, so one call on the GPU machine measures all that works.
        // --smoke: every measurement on small sizes (SGEMM 256, the big RBM 256, 2,000 rows to fit), so that the CUDA
        // backend emulated on the host (native/tests/cuda_host) runs all of this program in seconds; numbers mean
        // nothing then.
        final int ceilingN = smoke ? 256 : 8192;
        if (gpu != null) {
            guarded("sgemm-" + ceilingN + ", d2d-copy", () -> ceilings(gpu, reps, ceilingN));
        }
        int stepCount = steps;
        for (int batch : new int[] {100, 1000}) {
            String workload = "rbm-cd1-784-500-b" + batch;
            guarded(workload, () -> {
                double[] s = rbmStepSeconds(be, 784, 500, batch, stepCount, reps, true, true);
                result("dbn4j", workload, batch / s[0], "samples/s");
                if (!Double.isNaN(s[1])) {
                    result("dbn4j-graph", workload, batch / s[1], "samples/s");
                    graphLine("dbn4j-graph", workload, s);
                }
            });
            if (gpu != null) {
                // The same step with each activation and its column sums as two kernels: what the fusion gains.
                guarded(workload + " unfused", () -> {
                    double[] u = unfused(gpu, () -> rbmStepSeconds(be, 784, 500, batch, stepCount, reps, true, false));
                    result("dbn4j-unfused", workload, batch / u[0], "samples/s");
                    if (!Double.isNaN(u[1])) {
                        result("dbn4j-unfused-graph", workload, batch / u[1], "samples/s");
                        graphLine("dbn4j-unfused-graph", workload, u);
                    }
                });
                // And with the forks run in order on one stream: what the overlap gains.
                guarded(workload + " serial", () -> {
                    double[] q = serial(gpu, () -> rbmStepSeconds(be, 784, 500, batch, stepCount, reps, true, false));
                    result("dbn4j-serial", workload, batch / q[0], "samples/s");
                    if (!Double.isNaN(q[1])) {
                        result("dbn4j-serial-graph", workload, batch / q[1], "samples/s");
                        graphLine("dbn4j-serial-graph", workload, q);
                    }
                });
            }
        }
        int n = smoke ? 256 : gpu != null ? 4096 : 512;
        double flops = 5.0 * 2 * n * n * n;
        int bigSteps = gpu != null ? Math.max(3, steps / 20) : 2;
        String big = "rbm-cd1-" + n + "-" + n + "-b" + n;
        java.util.function.Supplier<double[]> bigStep = () -> rbmStepSeconds(be, n, n, n, bigSteps, 3, false, false);
        guarded(big, () -> result("dbn4j", big, flops / rbmStepSeconds(be, n, n, n, bigSteps, 3, false, true)[0] / 1e12,
                "TFLOP/s"));
        if (gpu != null) {
            guarded(big + " unfused", () -> result("dbn4j-unfused", big, flops / unfused(gpu, bigStep)[0] / 1e12,
                    "TFLOP/s"));
            guarded(big + " serial", () -> result("dbn4j-serial", big, flops / serial(gpu, bigStep)[0] / 1e12,
                    "TFLOP/s"));
            for (CudaBackend.MathMode mode : REDUCED) {
                guarded(big + " " + peer(mode), () -> result(peer(mode), big,
                        flops / inMode(gpu, mode, bigStep)[0] / 1e12, "TFLOP/s"));
            }
        }
        String mlp = "mlp-784-500-500-10-b100";
        guarded(mlp, () -> {
            double[] t = mlpStepSeconds(be, 100, stepCount, reps);
            result("dbn4j", mlp, 100 / t[0], "samples/s");
            if (!Double.isNaN(t[1])) {
                result("dbn4j-graph", mlp, 100 / t[1], "samples/s");
                graphLine("dbn4j-graph", mlp, t);
            }
        });
        int rows = smoke ? 2_000 : quick ? 20_000 : 60_000;
        guarded("rbm fit", () -> result("dbn4j-fit", "rbm-cd1-784-500-b100", rbmFitSamplesPerSecond(be, rows),
                "samples/s"));
        guarded("mlp fit", () -> result("dbn4j-fit", mlp, mlpFitSamplesPerSecond(be, rows), "samples/s"));
        if (failures > 0) {
            System.out.println("# " + failures + " measurement(s) FAILED");
            System.exit(1);
        }
    }

    private static int failures;

    /**
     * Runs one measurement; a failure is printed ({@code FAILED what: exception}, the stack trace on stderr) and
     * counted, and the next measurement runs. After a device fault that poisons the CUDA context the next ones fail
     * too, each with its own line.
     */
    static void guarded(String what, Runnable measurement) {
        try {
            measurement.run();
        } catch (RuntimeException | LinkageError e) {
            failures++;
            System.out.println("FAILED " + what + ": " + e);
            e.printStackTrace();
            // A fork left open would refuse every later capture of this thread (and so the graph measurements).
            Backends.get().releaseForks();
        }
    }

    /**
     * The card's ceilings, measured like everything else here: cuBLAS SGEMM at 8192^3 (FP32, TF32, BF16) through
     * {@link Backend#gemm}, and a device-to-device copy of 1 GiB through {@link Backend#copy} (bytes read plus bytes
     * written per second). The suite reads the training throughputs as fractions of these.
     */
    static void ceilings(CudaBackend be, int reps, int n) {
        try (Matrix a = be.allocate(n, n); Matrix b = be.allocate(n, n); Matrix c = be.allocate(n, n)) {
            RandomStream r = new RandomStream(3);
            be.uniform(r, a);
            be.uniform(r, b);
            Runnable gemm = () -> be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, b, 0f, c);
            double flops = 2.0 * n * n * n;
            result("dbn4j", "sgemm-" + n, flops / timed(be, gemm, 3, reps) / 1e12, "TFLOP/s");
            for (CudaBackend.MathMode mode : REDUCED) {
                result(peer(mode), "sgemm-" + n, flops / inMode(be, mode, () -> timed(be, gemm, 3, reps)) / 1e12,
                        "TFLOP/s");
            }
        }
        int rows = n * 2; // x 16,384 floats: 1 GiB at n = 8192
        try (Matrix src = be.allocate(rows, 16_384); Matrix dst = be.allocate(rows, 16_384)) {
            double bytes = 2.0 * src.byteSize();
            String name = n == 8192 ? "d2d-copy-1GiB" : "d2d-copy-" + (src.byteSize() >> 20) + "MiB";
            result("dbn4j", name, bytes / timed(be, () -> be.copy(src, dst), 5, reps) / 1e9, "GB/s");
        }
    }

    /** The GEMM precisions measured beside FP32. */
    static final CudaBackend.MathMode[] REDUCED = {CudaBackend.MathMode.TF32, CudaBackend.MathMode.BF16};

    static String peer(CudaBackend.MathMode mode) {
        return "dbn4j-" + mode.name().toLowerCase(Locale.ROOT);
    }

    /** What {@code run} measures with the GEMMs in {@code mode}, then FP32 again. */
    static <T> T inMode(CudaBackend gpu, CudaBackend.MathMode mode, java.util.function.Supplier<T> run) {
        gpu.setMathMode(mode);
        try {
            return run.get();
        } finally {
            gpu.setMathMode(CudaBackend.MathMode.FP32);
        }
    }

    /** What {@code run} measures with each activation and its column sums as two kernels, then fused again. */
    static <T> T unfused(CudaBackend gpu, java.util.function.Supplier<T> run) {
        return switchedOff(gpu::setFusedSums, run);
    }

    /** What {@code run} measures with a backend switch off, then on again. */
    static <T> T switchedOff(Consumer<Boolean> setting, java.util.function.Supplier<T> run) {
        setting.accept(false);
        try {
            return run.get();
        } finally {
            setting.accept(true);
        }
    }

    /** What {@code run} measures with forks run in order on the main stream, then concurrent again. */
    static <T> T serial(CudaBackend gpu, java.util.function.Supplier<T> run) {
        return switchedOff(gpu::setConcurrentForks, run);
    }

    static Map.Entry<String, Runnable> op(String name, Runnable r) {
        return Map.entry(name, r);
    }

    /**
     * {@code GRAPH peer=... workload=... nodes=N depth=D}: the measured graph's work nodes and the most of them on one
     * path (measured[2] and [3], where the runtime said).
     */
    static void graphLine(String peer, String workload, double[] measured) {
        if (measured.length > 3 && measured[2] >= 0) {
            System.out.printf(Locale.ROOT, "GRAPH peer=%s workload=%s nodes=%d depth=%d%n", peer, workload,
                    (long) measured[2], (long) measured[3]);
        }
    }

    static void result(String peer, String workload, double value, String unit) {
        System.out.printf(Locale.ROOT, "RESULT peer=%s workload=%s value=%.4g unit=%s%n", peer, workload, value, unit);
    }

    /** Runs step warm-up times, then reps repetitions of steps calls; the median seconds per call. */
    static double timed(Backend be, Runnable step, int steps, int reps) {
        for (int i = 0; i < Math.max(3, steps / 10); i++) {
            step.run();
        }
        be.synchronize();
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step.run();
            }
            be.synchronize();
            t[r] = (System.nanoTime() - t0) / 1e9 / steps;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    static float[] binary(SplittableRandom r, int n, double p) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble() < p ? 1f : 0f;
        }
        return x;
    }

    /**
     * One CD-1 update as in torch_reference.py: h0 = sigmoid(v0 W + c) and its sample, v1 = sigmoid(hs W^T + b),
     * h1 = sigmoid(v1 W + c), W by momentum on (v1^T h1 - v0^T h0) / B, the biases by plain steps on their column
     * means, each activation summed over its columns by the call that computes it, and each bias stepped by the call
     * that completes its gradient, as {@code Rbm}'s training does (a step with momentum 0: the bits of the plain
     * step). On CUDA each of those is one kernel unless {@link CudaBackend#setFusedSums} turned that off: 10
     * launches instead of 15.
     * 5 GEMMs: 10 B V H flops. Returns the seconds per step eagerly and, on CUDA with {@code graph}, replayed as a
     * CUDA graph that draws new random numbers every replay (else NaN).
     */
    static double[] rbmStepSeconds(Backend be, int nv, int nh, int batch, int steps, int reps, boolean graph,
            boolean breakdown) {
        SplittableRandom r = new SplittableRandom(1);
        RandomStream rng = new RandomStream(1);
        float inv = 1f / batch;
        float lr = 0.05f;
        try (Matrix v0 = be.matrix(batch, nv, binary(r, batch * nv, 0.3)); Matrix w = be.allocate(nv, nh);
                Matrix b = be.allocate(1, nv); Matrix c = be.allocate(1, nh); Matrix vw = be.allocate(nv, nh);
                Matrix pre = be.allocate(batch, nh); Matrix h0 = be.allocate(batch, nh);
                Matrix hs = be.allocate(batch, nh);
                Matrix v1 = be.allocate(batch, nv); Matrix h1 = be.allocate(batch, nh); Matrix g = be.allocate(nv, nh);
                Matrix gb = be.allocate(1, nv); Matrix gc = be.allocate(1, nh); Matrix vb = be.allocate(1, nv);
                Matrix vc = be.allocate(1, nh)) {
            be.gaussian(rng, null, 0.01f, w);
            Backend.SgdStep stepB = new Backend.SgdStep(b, vb, lr, 0f, 0f, false);
            Backend.SgdStep stepC = new Backend.SgdStep(c, vc, lr, 0f, 0f, false);
            // The step's operations in order, named for the breakdown.
            java.util.function.Function<RandomStream, List<Map.Entry<String, Runnable>>> ops = stream -> List.of(
                    op("gemm v0.W", () -> be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v0, w, 0f,
                            pre)),
                    op("columnSums v0", () -> be.columnSums(v0, gb, -inv, 0f)),
                    op("sigmoidBernoulli+sums h0", () -> be.sigmoidBernoulli(stream, pre, c, h0, hs, gc, -inv, 0f)),
                    op("gemm hs.W^T", () -> be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, hs, w, 0f, v1)),
                    op("biasSigmoid+sums+step v1", () -> be.biasSigmoid(v1, b, gb, inv, 1f, stepB)),
                    op("gemm v1.W", () -> be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v1, w, 0f, h1)),
                    op("biasSigmoid+sums+step h1", () -> be.biasSigmoid(h1, c, gc, inv, 1f, stepC)),
                    op("gemm v0^T.h0", () -> be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -inv, v0, h0, 0f,
                            g)),
                    op("gemm v1^T.h1", () -> be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, inv, v1, h1, 1f,
                            g)),
                    op("sgdMomentum W", () -> be.sgdMomentum(w, g, vw, lr, 0.5f, 0f, false)));
            Consumer<RandomStream> step = stream -> runForked(be, ops.apply(stream));
            // Eagerly the operations are built once (no allocation inside the timed loop); a capture builds them
            // once for the stream copy it records with.
            List<Map.Entry<String, Runnable>> eagerOps = ops.apply(rng);
            double eager = timed(be, () -> runForked(be, eagerOps), steps, reps);
            if (breakdown) {
                // Each operation alone, repeated (the sampling one draws new numbers each time): where a step's time
                // goes. Their sum is the step without the gaps between launches.
                String workload = "rbm-cd1-" + nv + "-" + nh + "-b" + batch;
                double sum = 0;
                for (Map.Entry<String, Runnable> o : eagerOps) {
                    double seconds = timed(be, o.getValue(), steps, reps);
                    sum += seconds;
                    breakdownLine(workload, o.getKey().replace(' ', '_'), seconds);
                }
                breakdownLine(workload, "sum_of_ops", sum);
                breakdownLine(workload, "step", eager);
                if (be instanceof CudaBackend) {
                    // The activations with sums as one kernel (whatever the size) and as two: sets the fused
                    // sampler's size limit (CudaBackend.DEFAULT_FUSED_SAMPLER_LIMIT).
                    CudaBackend cuda = (CudaBackend) be;
                    Runnable sampler = eagerOps.get(2).getValue();
                    Runnable visible = eagerOps.get(4).getValue();
                    try {
                        cuda.setFusedSamplerLimit(Long.MAX_VALUE);
                        breakdownLine(workload, "sigmoidBernoulli+sums_h0_one_kernel", timed(be, sampler, steps, reps));
                        breakdownLine(workload, "biasSigmoid+sums+step_v1_one_kernel", timed(be, visible, steps, reps));
                        breakdownLine(workload, "sigmoidBernoulli+sums_h0_two_kernels",
                                unfused(cuda, () -> timed(be, sampler, steps, reps)));
                        breakdownLine(workload, "biasSigmoid+sums+step_v1_three_kernels",
                                unfused(cuda, () -> timed(be, visible, steps, reps)));
                    } finally {
                        cuda.setFusedSamplerLimit(CudaBackend.DEFAULT_FUSED_SAMPLER_LIMIT);
                    }
                }
            }
            double replayed = Double.NaN;
            long[] size = {-1, -1};
            if (graph && be instanceof CudaBackend) {
                try (CudaBackend.Graph replay = ((CudaBackend) be).capture(rng, step)) {
                    size = new long[] {replay.nodes(), replay.depth()};
                    replayed = timed(be, replay::launch, steps, reps);
                } catch (RuntimeException e) {
                    System.out.println("# CUDA graph of the RBM step failed: " + e);
                }
            }
            return new double[] {eager, replayed, size[0], size[1]};
        }
    }

    /**
     * The CD-1 step's operations (in {@link #rbmStepSeconds}'s order) as the models run them: the data's column sums
     * (op 1) and the weight gradient's positive half (op 7) as forks beside the chain ({@link Backend#fork}: a second
     * stream on CUDA, in order on the CPU), joined before the ops that read their results.
     */
    static void runForked(Backend be, List<Map.Entry<String, Runnable>> ops) {
        Backend.Fork sums = be.fork(ops.get(1).getValue());
        ops.get(0).getValue().run();
        ops.get(2).getValue().run();
        Backend.Fork positive = be.fork(ops.get(7).getValue());
        ops.get(3).getValue().run();
        be.join(sums);
        for (int i = 4; i <= 6; i++) {
            ops.get(i).getValue().run();
        }
        be.join(positive);
        ops.get(8).getValue().run();
        ops.get(9).getValue().run();
    }

    static void breakdownLine(String workload, String op, double seconds) {
        System.out.printf(Locale.ROOT, "BREAKDOWN workload=%s op=%s us=%.2f%n", workload, op, seconds * 1e6);
    }

    /**
     * One step of MLP 784-500-500-10 (ReLU, softmax cross-entropy, SGD momentum 0.9) as in torch_reference.py, with
     * the backward pass and updates as the models run them (bias steps fused and forked); the loss value is not read
     * (as there), so nothing waits for the device inside the loop. Returns the seconds per
     * step eagerly and, on CUDA, replayed as a CUDA graph (the step has no random numbers, so a replay is the same
     * step; else NaN).
     */
    static double[] mlpStepSeconds(Backend be, int batch, int steps, int reps) {
        int[] sizes = {784, 500, 500, 10};
        int layers = sizes.length - 1;
        SplittableRandom r = new SplittableRandom(2);
        float[] t = new float[batch * 10];
        for (int i = 0; i < batch; i++) {
            t[i * 10 + r.nextInt(10)] = 1f;
        }
        Matrix[] all = new Matrix[6 * layers + 3];
        int at = 0;
        try {
            Matrix x = all[at++] = be.matrix(batch, 784, binary(r, batch * 784, 0.5));
            Matrix target = all[at++] = be.matrix(batch, 10, t);
            Matrix dz = all[at++] = be.allocate(batch, 10);
            Matrix[] w = new Matrix[layers], bias = new Matrix[layers];
            Matrix[] gw = new Matrix[layers], gb = new Matrix[layers];
            Matrix[] vw = new Matrix[layers], vb = new Matrix[layers], a = new Matrix[layers];
            RandomStream rng = new RandomStream(3);
            for (int l = 0; l < layers; l++) {
                w[l] = all[at++] = be.allocate(sizes[l], sizes[l + 1]);
                be.gaussian(rng, null, (float) Math.sqrt(2.0 / sizes[l]), w[l]);
                bias[l] = all[at++] = be.allocate(1, sizes[l + 1]);
                gw[l] = all[at++] = be.allocate(sizes[l], sizes[l + 1]);
                gb[l] = all[at++] = be.allocate(1, sizes[l + 1]);
                vw[l] = all[at++] = be.allocate(sizes[l], sizes[l + 1]);
                vb[l] = all[at++] = be.allocate(1, sizes[l + 1]);
            }
            Matrix[] delta = new Matrix[layers];
            Matrix[] owned = new Matrix[2 * layers];
            for (int l = 0; l < layers; l++) {
                a[l] = owned[2 * l] = be.allocate(batch, sizes[l + 1]);
                delta[l] = owned[2 * l + 1] = be.allocate(batch, sizes[l + 1]);
            }
            try {
                Runnable step = () -> {
                    Matrix in = x;
                    for (int l = 0; l < layers; l++) {
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, in, w[l], 0f, a[l]);
                        be.addRowVector(a[l], bias[l]);
                        if (l + 1 < layers) {
                            be.relu(a[l], a[l]);
                        }
                        in = a[l];
                    }
                    be.softmaxCrossEntropyGradient(a[layers - 1], target, null, delta[layers - 1]);
                    // Backward as the models' training step runs it (Mlp.backwardStep): from the top, each bias's
                    // gradient and step in one call, forked beside the layers below; the delta below from the
                    // weights before their step; the weight gradient and its step.
                    Backend.Fork[] biasSteps = new Backend.Fork[layers];
                    for (int l = layers - 1; l >= 0; l--) {
                        Matrix below = l == 0 ? x : a[l - 1];
                        Matrix d = delta[l];
                        Matrix g = gb[l];
                        Backend.SgdStep bs = new Backend.SgdStep(bias[l], vb[l], 0.05f, 0.9f, 0f, false);
                        biasSteps[l] = be.fork(() -> be.columnSums(d, g, 1f, 0f, bs));
                        if (l + 2 < layers) {
                            be.join(biasSteps[l + 2]);
                            biasSteps[l + 2] = null;
                        }
                        if (l > 0) {
                            be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, delta[l], w[l], 0f, delta[l - 1]);
                            be.reluBackward(a[l - 1], delta[l - 1], delta[l - 1]);
                        }
                        be.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, below, delta[l], null, null,
                                gw[l], w[l], vw[l], 0.05f, 0.9f, 0f, false);
                    }
                    for (Backend.Fork f : biasSteps) {
                        if (f != null) {
                            be.join(f);
                        }
                    }
                };
                double eager = timed(be, step, steps, reps);
                double graph = Double.NaN;
                long[] size = {-1, -1};
                if (be instanceof CudaBackend) {
                    try (CudaBackend.Graph g = ((CudaBackend) be).capture(step)) {
                        size = new long[] {g.nodes(), g.depth()};
                        graph = timed(be, g::launch, steps, reps);
                    } catch (RuntimeException e) {
                        System.out.println("# CUDA graph of the MLP step failed: " + e);
                    }
                }
                return new double[] {eager, graph, size[0], size[1]};
            } finally {
                Matrix.closeAll(owned);
            }
        } finally {
            Matrix.closeAll(all);
        }
    }

    static Dataset synthetic(int rows) {
        SplittableRandom r = new SplittableRandom(4);
        float[] x = binary(r, rows * 784, 0.3);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(10);
        }
        return new Dataset(x, rows, 784, y, 10, "synthetic " + rows + "x784");
    }

    /** samples/s of the second of two epochs of Rbm.fit (CD-1, batch 100), as the training loop measures it. */
    static double rbmFitSamplesPerSecond(Backend be, int rows) {
        try (Rbm rbm = Rbm.create(be, 784, 500, Rbm.Visible.BERNOULLI, 1)) {
            List<EpochMetrics> h = rbm.fit(synthetic(rows), null,
                    new TrainConfig().epochs(2).batchSize(100).learningRate(0.05f),
                    new RbmOptions().k(1).monitorRows(100));
            return h.get(1).get("samples_per_second");
        }
    }

    /** samples/s of the second of two epochs of Mlp.fit (784-500-500-10 ReLU, batch 100). */
    static double mlpFitSamplesPerSecond(Backend be, int rows) {
        try (Mlp m = Mlp.create(be, new int[] {784, 500, 500, 10}, Activation.RELU, Activation.SOFTMAX,
                Loss.CROSS_ENTROPY, 1)) {
            List<EpochMetrics> h = m.fit(synthetic(rows), null,
                    new TrainConfig().epochs(2).batchSize(100).learningRate(0.05f).momentum(0.9f));
            return h.get(1).get("samples_per_second");
        }
    }
}
