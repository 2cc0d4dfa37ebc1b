package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.data.Dataset;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Trainings that share one backend on several threads, against the same trainings run alone: each must end with
 * the same parameters bit for bit (every kernel is deterministic whatever the thread count, and a training's work
 * keeps its own order). Used by {@code CudaTrainingTest} and {@code SharedBackendTest}.
 */
final class SharedBackend {
    private SharedBackend() {}

    /**
     * An MLP (ReLU hidden layers: forked bias steps on a device) and an RBM CD-1 (its error forked), trained on data
     * with cfg; each returns its parameters and its last epoch's loss.
     */
    static List<Supplier<float[]>> trainings(Backend be, Supplier<Dataset> data, TrainConfig cfg, int v, int k) {
        return trainings(be, data, cfg, v, k, 12, 8);
    }

    /** As {@link #trainings(Backend, Supplier, TrainConfig, int, int)}, with h hidden units in the MLP's first layer
     * (10 in its second) and r in the RBM. */
    static List<Supplier<float[]>> trainings(Backend be, Supplier<Dataset> data, TrainConfig cfg, int v, int k, int h,
            int rh) {
        return List.of(() -> {
            try (Mlp m = Mlp.create(be, new int[] {v, h, 10, k}, Activation.RELU, Activation.SOFTMAX,
                    Loss.CROSS_ENTROPY, 5)) {
                double loss = last(m.fit(data.get(), null, cfg), "train_loss");
                return flat(loss, m.weights(0), m.bias(0), m.weights(1), m.bias(1), m.weights(2), m.bias(2));
            }
        }, () -> {
            try (Rbm r = Rbm.create(be, v, rh, Rbm.Visible.BERNOULLI, 9)) {
                double error = last(r.fit(data.get(), null, cfg, new RbmOptions().k(1).monitorRows(8)),
                        "reconstruction_error");
                return flat(error, r.weights(), r.hiddenBias(), r.visibleBias());
            }
        });
    }

    /**
     * Runs the trainings alone, then all at once (started together) for at least 3 rounds and until they met (at
     * most 30): until meetings (a count of the times one thread waited for another) has moved, or without it until
     * two of them ran at the same time. Asserts each shared run equals its run alone. Returns {rounds, how far
     * meetings moved in them, rounds in which two of the trainings ran at the same time for a while (one started
     * before the other ended, and the other way round)}.
     */
    static long[] assertEachAsAlone(List<Supplier<float[]>> trainings, LongSupplier meetings)
            throws InterruptedException {
        int n = trainings.size();
        float[][] alone = new float[n][];
        for (int i = 0; i < n; i++) {
            alone[i] = trainings.get(i).get();
        }
        long before = meetings == null ? 0 : meetings.getAsLong();
        int overlapped = 0;
        int round = 0;
        for (; round < 3 || (round < 30 && (meetings == null ? overlapped == 0 : meetings.getAsLong() == before));
                round++) {
            float[][] shared = new float[n][];
            Throwable[] failures = new Throwable[n];
            CyclicBarrier start = new CyclicBarrier(n);
            long[] began = new long[n];
            long[] ended = new long[n];
            Thread[] threads = new Thread[n];
            for (int i = 0; i < n; i++) {
                int which = i;
                threads[i] = new Thread(() -> {
                    try {
                        start.await();
                        began[which] = System.nanoTime();
                        shared[which] = trainings.get(which).get();
                        ended[which] = System.nanoTime();
                    } catch (Throwable e) {
                        failures[which] = e;
                    }
                }, "training-" + i);
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join(120_000);
                assertTrue(!t.isAlive(), t.getName() + " ended");
            }
            for (int i = 0; i < n; i++) {
                assertNull(failures[i], "training " + i + " of round " + round + " failed: " + failures[i]);
                assertArrayEquals(alone[i], shared[i], "training " + i + " of round " + round + " as trained alone");
            }
            if (anyOverlap(began, ended)) {
                overlapped++;
            }
        }
        return new long[] {round, meetings == null ? 0 : meetings.getAsLong() - before, overlapped};
    }

    /**
     * rows x v features in [0, 1] (a third are 1, the rest 8-bit values up to 0.2, so that a device backend holds them
     * as byte codes) and k labels from a rule on them, so there is a signal.
     */
    static Dataset data(int rows, int v, int k, long seed, String name) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * v];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < v; j++) {
                x[i * v + j] = r.nextDouble() < 0.33 ? 1f : r.nextInt(52) / 255f;
            }
            y[i] = Math.min(k - 1, (x[i * v] > 0.5f ? 1 : 0) + (x[i * v + 1] > 0.5f ? 1 : 0));
        }
        return new Dataset(x, rows, v, y, k, name);
    }

    /** Whether two of the intervals [began, ended] overlap. */
    private static boolean anyOverlap(long[] began, long[] ended) {
        for (int i = 0; i < began.length; i++) {
            for (int j = i + 1; j < began.length; j++) {
                if (began[i] < ended[j] && began[j] < ended[i]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The last epoch's metric. */
    private static double last(List<EpochMetrics> history, String metric) {
        return history.get(history.size() - 1).get(metric);
    }

    /** The loss (as a float and the float of its remainder) and the matrices' values one after the other. */
    static float[] flat(double loss, Matrix... ms) {
        int n = 2;
        for (Matrix m : ms) {
            n += (int) m.size();
        }
        float[] out = new float[n];
        out[0] = (float) loss;
        out[1] = (float) (loss - out[0]);
        int at = 2;
        for (Matrix m : ms) {
            float[] v = m.toArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }
}
