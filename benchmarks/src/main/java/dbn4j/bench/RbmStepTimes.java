package dbn4j.bench;

import dbn4j.CodedRows;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where the time of an RBM CD-1 step (784-500, batch 100, 60,000 images) goes: the backend calls of one step as
 * RbmTraining makes them, each timed on its own (System.nanoTime around each call; ~25 ns each), medians over
 * epochs. Epochs alternate between gathering the mini-batch from the data held as floats and from its byte codes
 * ({@link dbn4j.Backend#encodeRows}), so that the two gathers and what they do to the calls after them are compared
 * in one run.
 *
 * <pre>java -Ddbn4j.threads=1 -cp benchmarks/target/benchmarks.jar dbn4j.bench.RbmStepTimes [epochs]</pre>
 *
 * Prints one line per epoch and the medians per setting, with the OpenBLAS core and threads.
 */
public final class RbmStepTimes {
    static final String[] CALLS = {"gather", "column sums v0", "x W", "sigmoid+sample+sums", "h W^T",
        "bias sigmoid+sums v", "squared error", "v' W", "bias sigmoid+sums h", "weight step", "bias steps"};

    private RbmStepTimes() {}

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        CpuBackend be = CpuBackend.instance();
        be.setBlasThreads(1);
        Dataset train = TrainingBench.sixtyThousand();
        System.out.println("machine: " + be.describe());
        System.out.println("env: OPENBLAS_CORETYPE=" + TrainingBench.envOrUnset("OPENBLAS_CORETYPE")
                + " OPENBLAS_L2_SIZE=" + TrainingBench.envOrUnset("OPENBLAS_L2_SIZE"));
        int n = train.rows(), v = 784, h = 500, batch = 100, steps = n / batch;
        float inv = 1f / batch;
        SplittableRandom r = new SplittableRandom(1);
        float[] w0 = new float[v * h];
        for (int i = 0; i < w0.length; i++) {
            w0[i] = (float) (r.nextGaussian() * 0.01);
        }
        try (Matrix all = be.matrix(n, v, train.features()); Matrix w = be.matrix(v, h, w0);
                Matrix vw = be.allocate(v, h); Matrix gw = be.allocate(v, h); Matrix b = be.allocate(1, v);
                Matrix c = be.allocate(1, h); Matrix gb = be.allocate(1, v); Matrix gc = be.allocate(1, h);
                Matrix vb = be.allocate(1, v); Matrix vc = be.allocate(1, h); Matrix v0 = be.allocate(batch, v);
                Matrix h0p = be.allocate(batch, h); Matrix hs = be.allocate(batch, h);
                Matrix vp = be.allocate(batch, v); Matrix hp = be.allocate(batch, h)) {
            CodedRows coded = be.encodeRows(all);
            if (coded == null) {
                throw new IllegalStateException("the data has more than 256 values: no codes to compare with");
            }
            try (coded; dbn4j.Backend.LossLog log = be.lossLog(steps)) {
                RandomStream rng = new RandomStream(1);
                double[][][] times = new double[2][epochs][CALLS.length + 1];
                int[] perm = new int[n];
                int[] rows = new int[batch];
                for (int e = 0; e < epochs; e++) {
                    boolean codes = e % 2 == 1;
                    for (int i = 0; i < n; i++) {
                        perm[i] = i;
                    }
                    for (int i = n - 1; i > 0; i--) {
                        int j = r.nextInt(i + 1), t = perm[i];
                        perm[i] = perm[j];
                        perm[j] = t;
                    }
                    long[] t = new long[CALLS.length];
                    long e0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        System.arraycopy(perm, s * batch, rows, 0, batch);
                        long a = System.nanoTime();
                        if (codes) {
                            be.gatherRows(coded, rows, v0);
                        } else {
                            be.gatherRows(all, rows, v0);
                        }
                        a = lap(t, 0, a);
                        // The bias gradients' terms in RbmTraining's order: -sum v0 and -sum h0p first (beta 0).
                        be.columnSums(v0, gb, -inv, 0f);
                        a = lap(t, 1, a);
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v0, w, 0f, h0p);
                        a = lap(t, 2, a);
                        be.sigmoidBernoulli(rng, h0p, c, h0p, hs, gc, -inv, 0f);
                        a = lap(t, 3, a);
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, hs, w, 0f, vp);
                        a = lap(t, 4, a);
                        be.biasSigmoid(vp, b, gb, inv, 1f);
                        a = lap(t, 5, a);
                        be.squaredError(vp, v0, null, log, s);
                        a = lap(t, 6, a);
                        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, vp, w, 0f, hp);
                        a = lap(t, 7, a);
                        be.biasSigmoid(hp, c, gc, inv, 1f);
                        a = lap(t, 8, a);
                        be.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -inv, v0, h0p, vp, hp, gw, w,
                                vw, 0.05f, 0.5f, 2e-4f, false);
                        a = lap(t, 9, a);
                        be.sgdMomentum(c, gc, vc, 0.05f, 0.5f, 0f, false);
                        be.sgdMomentum(b, gb, vb, 0.05f, 0.5f, 0f, false);
                        lap(t, 10, a);
                    }
                    double total = (System.nanoTime() - e0) / 1e3 / steps;
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "epoch %d (%s): %.1f us/step:",
                            e + 1, codes ? "codes" : "floats", total));
                    for (int i = 0; i < CALLS.length; i++) {
                        times[codes ? 1 : 0][e][i] = t[i] / 1e3 / steps;
                        line.append(String.format(Locale.ROOT, " %s %.1f;", CALLS[i], t[i] / 1e3 / steps));
                    }
                    times[codes ? 1 : 0][e][CALLS.length] = total;
                    System.out.println(line);
                }
                System.out.println("medians, us per step (epochs alternate; first of each setting included)");
                System.out.printf(Locale.ROOT, "%-22s %9s %9s%n", "call", "floats", "codes");
                for (int i = 0; i <= CALLS.length; i++) {
                    System.out.printf(Locale.ROOT, "%-22s %9.1f %9.1f%n", i < CALLS.length ? CALLS[i] : "step",
                            median(times[0], i, 0, epochs), median(times[1], i, 1, epochs));
                }
            }
        }
    }

    private static long lap(long[] t, int i, long since) {
        long now = System.nanoTime();
        t[i] += now - since;
        return now;
    }

    /** Median of column i over the epochs e = first, first + 2, ... */
    private static double median(double[][] byEpoch, int i, int first, int epochs) {
        double[] v = new double[(epochs - first + 1) / 2];
        for (int k = 0, e = first; e < epochs; e += 2, k++) {
            v[k] = byEpoch[e][i];
        }
        Arrays.sort(v);
        return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
