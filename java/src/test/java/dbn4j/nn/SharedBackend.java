package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.data.Dataset;
import java.util.List;
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
     * with cfg; each returns its parameters.
     */
    static List<Supplier<float[]>> trainings(Backend be, Supplier<Dataset> data, TrainConfig cfg, int v, int k) {
        return List.of(() -> {
            try (Mlp m = Mlp.create(be, new int[] {v, 12, 10, k}, Activation.RELU, Activation.SOFTMAX,
                    Loss.CROSS_ENTROPY, 5)) {
                m.fit(data.get(), null, cfg);
                return flat(m.weights(0), m.bias(0), m.weights(1), m.bias(1), m.weights(2), m.bias(2));
            }
        }, () -> {
            try (Rbm r = Rbm.create(be, v, 8, Rbm.Visible.BERNOULLI, 9)) {
                r.fit(data.get(), null, cfg, new RbmOptions().k(1).monitorRows(8));
                return flat(r.weights(), r.hiddenBias(), r.visibleBias());
            }
        });
    }

    /**
     * Runs the trainings alone, then all at once (started together) for 3 rounds, or with meetings (a count of the
     * times one thread waited for another) at least 3 and until it has moved (at most 30); asserts each shared run
     * equals its run alone. Returns {rounds, how far meetings moved in them}.
     */
    static long[] assertEachAsAlone(List<Supplier<float[]>> trainings, LongSupplier meetings)
            throws InterruptedException {
        int n = trainings.size();
        float[][] alone = new float[n][];
        for (int i = 0; i < n; i++) {
            alone[i] = trainings.get(i).get();
        }
        long before = meetings == null ? 0 : meetings.getAsLong();
        int round = 0;
        for (; round < 3 || (meetings != null && round < 30 && meetings.getAsLong() == before); round++) {
            float[][] shared = new float[n][];
            Throwable[] failures = new Throwable[n];
            CyclicBarrier start = new CyclicBarrier(n);
            Thread[] threads = new Thread[n];
            for (int i = 0; i < n; i++) {
                int which = i;
                threads[i] = new Thread(() -> {
                    try {
                        start.await();
                        shared[which] = trainings.get(which).get();
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
        }
        return new long[] {round, meetings == null ? 0 : meetings.getAsLong() - before};
    }

    /** The matrices' values one after the other. */
    static float[] flat(Matrix... ms) {
        int n = 0;
        for (Matrix m : ms) {
            n += (int) m.size();
        }
        float[] out = new float[n];
        int at = 0;
        for (Matrix m : ms) {
            float[] v = m.toArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }
}
