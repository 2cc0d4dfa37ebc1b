package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backpropagation (float32, native kernels) against central finite differences of a plain double-precision Java
 * forward pass with the same weights, for every hidden activation and every output/loss pairing, including logistic
 * regression (no hidden layer).
 */
class GradientCheckTest {
    static final Backend BE = Backends.cpu();

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        Object[][] heads = {
            {Activation.SOFTMAX, Loss.CROSS_ENTROPY, 3},
            {Activation.SIGMOID, Loss.CROSS_ENTROPY, 3},
            {Activation.SIGMOID, Loss.CROSS_ENTROPY, 1},
            {Activation.LINEAR, Loss.SQUARED_ERROR, 3},
            {Activation.SIGMOID, Loss.SQUARED_ERROR, 2},
            {Activation.TANH, Loss.SQUARED_ERROR, 2},
        };
        for (Activation hidden : new Activation[] {Activation.SIGMOID, Activation.TANH, Activation.RELU}) {
            for (Object[] h : heads) {
                out.add(Arguments.of(new int[] {5, 4, 3, (int) h[2]}, hidden, h[0], h[1]));
            }
        }
        for (Object[] h : heads) {
            out.add(Arguments.of(new int[] {5, (int) h[2]}, Activation.SIGMOID, h[0], h[1])); // logistic / linear
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} hidden {1} output {2} {3}")
    @MethodSource("cases")
    void backpropMatchesFiniteDifferences(int[] sizes, Activation hidden, Activation output, Loss loss) {
        int batch = 6;
        SplittableRandom r = new SplittableRandom(sizes.length * 31 + hidden.ordinal() * 7 + output.ordinal());
        int in = sizes[0];
        int out = sizes[sizes.length - 1];
        float[] x = new float[batch * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] t = new float[batch * out];
        for (int i = 0; i < batch; i++) {
            if (output == Activation.SOFTMAX) {
                t[i * out + r.nextInt(out)] = 1f;
            } else {
                for (int j = 0; j < out; j++) {
                    t[i * out + j] = output == Activation.LINEAR ? (float) r.nextGaussian() : (float) r.nextDouble();
                }
            }
        }
        try (Mlp m = Mlp.create(BE, sizes, hidden, output, loss, 7); Mlp.Workspace ws = m.new Workspace(batch);
                Mlp.Optimizer opt = m.new Optimizer(); Matrix mx = BE.matrix(batch, in, x);
                Matrix mt = BE.matrix(batch, out, t)) {
            // Biases away from zero so that their gradients are tested in a generic position.
            for (int l = 0; l < m.layers(); l++) {
                float[] b = new float[sizes[l + 1]];
                for (int j = 0; j < b.length; j++) {
                    b[j] = (float) (0.3 * r.nextGaussian());
                }
                m.bias(l).set(b);
            }
            m.gradient(mx, mt, ws, opt);
            double[][] params = new double[m.layers()][];
            for (int l = 0; l < m.layers(); l++) {
                float[] p = m.params(l).toArray();
                params[l] = new double[p.length];
                for (int i = 0; i < p.length; i++) {
                    params[l][i] = p[i];
                }
            }
            RefMlp ref = new RefMlp(sizes, m, x, t, batch);
            int checked = 0;
            int skipped = 0;
            for (int l = 0; l < m.layers(); l++) {
                float[] g = opt.grad[l].toArray();
                for (int i = 0; i < params[l].length; i++) {
                    double h = 1e-4;
                    double saved = params[l][i];
                    params[l][i] = saved + h;
                    double up = ref.loss(params);
                    boolean kinkUp = ref.nearKink;
                    params[l][i] = saved - h;
                    double down = ref.loss(params);
                    boolean kinkDown = ref.nearKink;
                    params[l][i] = saved;
                    if (kinkUp || kinkDown) {
                        skipped++; // a ReLU unit within h of its kink: the loss is not differentiable there
                        continue;
                    }
                    double numeric = (up - down) / (2 * h);
                    double analytic = g[i];
                    // The analytic gradient is computed in float32 through a few layers: relative error about
                    // 1e-6..1e-5; the central difference in double has truncation error O(h^2) ~ 1e-8. 2e-3 relative
                    // with a 2e-5 absolute floor separates a correct gradient from any wrong one.
                    double err = Math.abs(analytic - numeric);
                    if (err > 2e-5 + 2e-3 * Math.max(Math.abs(analytic), Math.abs(numeric))) {
                        fail("layer " + l + " param " + i + ": backprop " + analytic + ", finite difference " + numeric);
                    }
                    checked++;
                }
            }
            assertTrue(checked > 0.9 * (checked + skipped), checked + " checked, " + skipped + " skipped at kinks");
        }
    }

    /** A plain double-precision forward pass of the same architecture. */
    static final class RefMlp {
        final int[] sizes;
        final Activation[] acts;
        final Loss loss;
        final double[] x;
        final double[] t;
        final int batch;
        boolean nearKink;

        RefMlp(int[] sizes, Mlp m, float[] x, float[] t, int batch) {
            this.sizes = sizes;
            this.acts = new Activation[m.layers()];
            for (int l = 0; l < m.layers(); l++) {
                acts[l] = m.activation(l);
            }
            this.loss = m.loss();
            this.x = toDouble(x);
            this.t = toDouble(t);
            this.batch = batch;
        }

        static double[] toDouble(float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }

        /** Mean loss; params[l] is the (in + 1, out) block: weights then bias. */
        double loss(double[][] params) {
            nearKink = false;
            double[] a = x;
            for (int l = 0; l < params.length; l++) {
                int in = sizes[l];
                int out = sizes[l + 1];
                double[] z = new double[batch * out];
                for (int b = 0; b < batch; b++) {
                    for (int j = 0; j < out; j++) {
                        double s = params[l][in * out + j];
                        for (int i = 0; i < in; i++) {
                            s += a[b * in + i] * params[l][i * out + j];
                        }
                        z[b * out + j] = s;
                    }
                }
                if (l == params.length - 1) {
                    return outputLoss(z, out);
                }
                for (int i = 0; i < z.length; i++) {
                    switch (acts[l]) {
                        case SIGMOID: z[i] = 1 / (1 + Math.exp(-z[i])); break;
                        case TANH: z[i] = Math.tanh(z[i]); break;
                        case RELU:
                            nearKink |= Math.abs(z[i]) < 1e-3;
                            z[i] = Math.max(z[i], 0);
                            break;
                        default: break;
                    }
                }
                a = z;
            }
            throw new AssertionError();
        }

        double outputLoss(double[] z, int k) {
            double total = 0;
            Activation out = acts[acts.length - 1];
            for (int b = 0; b < batch; b++) {
                if (loss == Loss.CROSS_ENTROPY && out == Activation.SOFTMAX) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, z[b * k + j]);
                    }
                    double s = 0;
                    for (int j = 0; j < k; j++) {
                        s += Math.exp(z[b * k + j] - max);
                    }
                    double lse = max + Math.log(s);
                    for (int j = 0; j < k; j++) {
                        total -= t[b * k + j] * (z[b * k + j] - lse);
                    }
                } else if (loss == Loss.CROSS_ENTROPY) {
                    for (int j = 0; j < k; j++) {
                        double v = z[b * k + j];
                        total += Math.max(v, 0) - v * t[b * k + j] + Math.log1p(Math.exp(-Math.abs(v)));
                    }
                } else {
                    for (int j = 0; j < k; j++) {
                        double v = z[b * k + j];
                        double y = out == Activation.SIGMOID ? 1 / (1 + Math.exp(-v))
                                : out == Activation.TANH ? Math.tanh(v) : out == Activation.RELU ? Math.max(v, 0) : v;
                        total += 0.5 * (y - t[b * k + j]) * (y - t[b * k + j]);
                    }
                }
            }
            return total / batch;
        }
    }
}
