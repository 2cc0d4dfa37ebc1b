package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.Dataset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A 6 x 4 Bernoulli RBM is small enough to enumerate all 2^6 x 2^4 joint states: the partition function, the
 * marginals and the conditionals are exact here, and the native sampler, free energy and training are checked
 * against them.
 */
class RbmExactTest {
    static final Backend BE = Backends.cpu();
    static final int V = 6;
    static final int H = 4;

    /** Exact quantities of an RBM with parameters (w, b, c), all in double. */
    static final class Exact {
        final double[] w;
        final double[] b;
        final double[] c;

        Exact(Rbm rbm) {
            w = toDouble(rbm.weights().toArray());
            b = toDouble(rbm.visibleBias().toArray());
            c = toDouble(rbm.hiddenBias().toArray());
        }

        static double[] toDouble(float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }

        static int bit(int state, int i) {
            return (state >> i) & 1;
        }

        double energy(int v, int h) {
            double e = 0;
            for (int i = 0; i < V; i++) {
                e -= bit(v, i) * b[i];
            }
            for (int j = 0; j < H; j++) {
                e -= bit(h, j) * c[j];
                for (int i = 0; i < V; i++) {
                    e -= bit(v, i) * bit(h, j) * w[i * H + j];
                }
            }
            return e;
        }

        /** F(v) = -log sum_h exp(-E(v, h)), by enumeration. */
        double freeEnergy(int v) {
            double s = 0;
            for (int h = 0; h < (1 << H); h++) {
                s += Math.exp(-energy(v, h));
            }
            return -Math.log(s);
        }

        double logZ() {
            double s = 0;
            for (int v = 0; v < (1 << V); v++) {
                s += Math.exp(-freeEnergy(v));
            }
            return Math.log(s);
        }

        double[] distribution() {
            double lz = logZ();
            double[] p = new double[1 << V];
            for (int v = 0; v < p.length; v++) {
                p[v] = Math.exp(-freeEnergy(v) - lz);
            }
            return p;
        }

        /** P(h_j = 1 | v) by summing the joint over all hidden states. */
        double hiddenMarginal(int v, int j) {
            double on = 0;
            double all = 0;
            for (int h = 0; h < (1 << H); h++) {
                double p = Math.exp(-energy(v, h));
                all += p;
                if (bit(h, j) == 1) {
                    on += p;
                }
            }
            return on / all;
        }

        double meanLogLikelihood(int[] data) {
            double lz = logZ();
            double s = 0;
            for (int v : data) {
                s += -freeEnergy(v) - lz;
            }
            return s / data.length;
        }
    }

    static float[] states(int[] vs) {
        float[] x = new float[vs.length * V];
        for (int r = 0; r < vs.length; r++) {
            for (int i = 0; i < V; i++) {
                x[r * V + i] = Exact.bit(vs[r], i);
            }
        }
        return x;
    }

    static Rbm randomRbm(long seed, double scale) {
        Rbm rbm = Rbm.create(BE, V, H, Rbm.Visible.BERNOULLI, seed);
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[V * H];
        float[] b = new float[V];
        float[] c = new float[H];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (scale * r.nextGaussian());
        }
        for (int i = 0; i < V; i++) {
            b[i] = (float) (0.5 * r.nextGaussian());
        }
        for (int j = 0; j < H; j++) {
            c[j] = (float) (0.5 * r.nextGaussian());
        }
        rbm.weights().set(w);
        rbm.visibleBias().set(b);
        rbm.hiddenBias().set(c);
        return rbm;
    }

    @Test
    void conditionalsAndFreeEnergyMatchEnumeration() {
        try (Rbm rbm = randomRbm(1, 1.0)) {
            Exact ex = new Exact(rbm);
            int[] all = new int[1 << V];
            for (int v = 0; v < all.length; v++) {
                all[v] = v;
            }
            float[] x = states(all);
            float[] h = rbm.transform(x, all.length);
            double[] f = rbm.freeEnergy(x, all.length);
            for (int v = 0; v < all.length; v++) {
                // float32 sigmoid and GEMM on O(1) values: 1e-6 absolute.
                for (int j = 0; j < H; j++) {
                    assertEquals(ex.hiddenMarginal(v, j), h[v * H + j], 1e-6, "P(h" + j + " | v=" + v + ")");
                }
                // F sums ~10 float32 terms of size ~5: 1e-5 absolute.
                assertEquals(ex.freeEnergy(v), f[v], 1e-5, "F(v=" + v + ")");
            }
        }
    }

    @Test
    void gibbsSamplerMatchesTheExactDistribution() {
        try (Rbm rbm = randomRbm(2, 1.2)) {
            double[] p = new Exact(rbm).distribution();
            int chains = 40_000;
            float[] s = new float[chains * V];
            // 40 000 independent chains of 50 steps; a 6x4 RBM with weights ~1 mixes within a few steps.
            rbm.sample(chains, 50, 77, s);
            long[] counts = new long[1 << V];
            for (int c = 0; c < chains; c++) {
                int v = 0;
                for (int i = 0; i < V; i++) {
                    v |= (s[c * V + i] > 0.5f ? 1 : 0) << i;
                }
                counts[v]++;
            }
            // Chi-square over states with expected count >= 5 (the rest pooled into one bin).
            double chi2 = 0;
            int bins = 0;
            double pooledE = 0;
            long pooledO = 0;
            for (int v = 0; v < counts.length; v++) {
                double e = p[v] * chains;
                if (e >= 5) {
                    chi2 += (counts[v] - e) * (counts[v] - e) / e;
                    bins++;
                } else {
                    pooledE += e;
                    pooledO += counts[v];
                }
            }
            if (pooledE > 0) {
                chi2 += (pooledO - pooledE) * (pooledO - pooledE) / pooledE;
                bins++;
            }
            int dof = bins - 1;
            // Reject at about p = 1e-4: mean dof, sd sqrt(2 dof); dof + 4.5 sd.
            double limit = dof + 4.5 * Math.sqrt(2.0 * dof);
            assertTrue(chi2 < limit, "chi-square " + chi2 + " with " + dof + " degrees of freedom (limit " + limit + ")");
        }
    }

    static Dataset patterns() {
        // Three 6-bit patterns with different frequencies.
        int[] base = {0b000111, 0b111000, 0b101010};
        int[] data = new int[300];
        for (int i = 0; i < data.length; i++) {
            data[i] = base[i % 7 < 4 ? 0 : i % 7 < 6 ? 1 : 2];
        }
        int[] labels = new int[data.length];
        return new Dataset(states(data), data.length, V, labels, 1, "three patterns");
    }

    static int[] asStates(Dataset d) {
        int[] out = new int[d.rows()];
        for (int r = 0; r < d.rows(); r++) {
            for (int i = 0; i < V; i++) {
                out[r] |= (d.features()[r * V + i] > 0.5f ? 1 : 0) << i;
            }
        }
        return out;
    }

    @Test
    void cd1AndPcdIncreaseTheExactLogLikelihood() {
        Dataset data = patterns();
        int[] vs = asStates(data);
        for (boolean persistent : new boolean[] {false, true}) {
            try (Rbm rbm = Rbm.create(BE, V, H, Rbm.Visible.BERNOULLI, 5)) {
                rbm.initVisibleBias(data);
                double before = new Exact(rbm).meanLogLikelihood(vs);
                // Momentum 0.5: with 0.9 the 10 persistent chains of this tiny model cannot follow the weights and
                // the likelihood oscillates (PCD needs small effective steps).
                rbm.fit(data, null, new TrainConfig().epochs(60).batchSize(10).learningRate(0.05f).momentum(0.5f)
                        .seed(9), new RbmOptions().persistent(persistent).k(persistent ? 5 : 1));
                double after = new Exact(rbm).meanLogLikelihood(vs);
                // The data has entropy ~1 nat; from an untrained RBM (~ -4 nats) training must gain clearly.
                assertTrue(after > before + 1.0, (persistent ? "PCD" : "CD-1") + ": log-likelihood " + before + " -> " + after);
            }
        }
    }
}
