package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Matrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A bias's step taken by the call that forms its gradient ({@code columnSums} and {@code biasSigmoid} with a
 * {@link Backend.SgdStep}): the sums as the plain calls give them, and the parameter and velocity as a plain Java
 * SGD-momentum step (the header's float operations in order) on those sums gives them, bit for bit; bad steps are
 * refused before anything changes.
 */
class SumsStepTest {
    static final CpuBackend CPU = CpuBackend.instance();

    static float[] values(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    /** kernels.h's dbn4j_sgd_momentum in Java floats: w and v stepped in place with gradient g (subnormal v to 0). */
    static void referenceStep(float[] w, float[] g, float[] v, float lr, float momentum, float decay,
            boolean nesterov) {
        for (int i = 0; i < w.length; i++) {
            float gi = g[i] + decay * w[i];
            float vi = momentum * v[i] - lr * gi;
            vi = Math.abs(vi) < Float.MIN_NORMAL ? 0f : vi;
            v[i] = vi;
            w[i] = nesterov ? w[i] + momentum * vi - lr * gi : w[i] + vi;
        }
    }

    @Test
    void theStepFollowsTheSumsBitForBit() {
        for (int rows : new int[] {0, 1, 63, 65, 300}) {
            for (int cols : new int[] {1, 17, 500}) {
                for (boolean nesterov : new boolean[] {false, true}) {
                    check(rows, cols, nesterov);
                }
            }
        }
    }

    private void check(int rows, int cols, boolean nesterov) {
        String at = rows + "x" + cols + (nesterov ? ", Nesterov" : "");
        float[] x0 = values(rows * cols, rows * 31L + cols, 4), bias0 = values(cols, 7, 1);
        float[] sums0 = values(cols, 8, 1), w0 = values(cols, 9, 1), v0 = values(cols, 10, 0.1);
        float lr = 0.1f, momentum = 0.9f, decay = 1e-3f;
        try (Matrix x = CPU.matrix(rows, cols, x0); Matrix plain = CPU.matrix(rows, cols, x0);
                Matrix bias = CPU.matrix(1, cols, bias0); Matrix sums = CPU.matrix(1, cols, sums0);
                Matrix ref = CPU.matrix(1, cols, sums0); Matrix w = CPU.matrix(1, cols, w0);
                Matrix v = CPU.matrix(1, cols, v0)) {
            // columnSums, beta 1: the step on a separate vector, with weight decay.
            CPU.columnSums(x, sums, 0.5f, 1f, new Backend.SgdStep(w, v, lr, momentum, decay, nesterov));
            CPU.columnSums(x, ref, 0.5f, 1f);
            float[] wr = w0.clone(), vr = v0.clone();
            referenceStep(wr, ref.toArray(), vr, lr, momentum, decay, nesterov);
            assertArrayEquals(ref.toArray(), sums.toArray(), "columnSums with a step: sums, " + at);
            assertArrayEquals(wr, w.toArray(), "columnSums with a step: w, " + at);
            assertArrayEquals(vr, v.toArray(), "columnSums with a step: v, " + at);
            if (rows > 0 && cols > 1) {
                assertTrue(!java.util.Arrays.equals(w0, w.toArray()), "the step moved w, " + at);
            }

            // biasSigmoid, beta 0: the bias itself stepped by the sums of the activations it produced (the RBM).
            v.set(v0);
            CPU.biasSigmoid(x, bias, sums, -1f / Math.max(rows, 1), 0f,
                    new Backend.SgdStep(bias, v, lr, momentum, 0f, nesterov));
            try (Matrix plainBias = CPU.matrix(1, cols, bias0)) {
                CPU.biasSigmoid(plain, plainBias, ref, -1f / Math.max(rows, 1), 0f);
            }
            float[] br = bias0.clone();
            vr = v0.clone();
            referenceStep(br, ref.toArray(), vr, lr, momentum, 0f, nesterov);
            assertArrayEquals(plain.toArray(), x.toArray(), "biasSigmoid with a step: x uses the old bias, " + at);
            assertArrayEquals(ref.toArray(), sums.toArray(), "biasSigmoid with a step: sums, " + at);
            assertArrayEquals(br, bias.toArray(), "biasSigmoid with a step: the bias, " + at);
            assertArrayEquals(vr, v.toArray(), "biasSigmoid with a step: v, " + at);
        }
    }

    @Test
    void badStepsAreRefusedBeforeAnythingChanges() {
        try (Matrix x = CPU.matrix(4, 6, values(24, 1, 1)); Matrix b = CPU.matrix(1, 6, values(6, 2, 1));
                Matrix sums = CPU.matrix(1, 6, values(6, 3, 1)); Matrix w = CPU.matrix(1, 6, values(6, 4, 1));
                Matrix v = CPU.allocate(1, 6); Matrix wrong = CPU.allocate(1, 5)) {
            float[] x0 = x.toArray(), b0 = b.toArray(), s0 = sums.toArray(), w0 = w.toArray();
            Matrix closed = CPU.allocate(1, 6);
            closed.close();
            String[][] cases = {{"v is the bias", "overlap"}, {"w is the sums", "overlap"}, {"v inside x", "overlap"},
                {"w has 5 columns", "same shape"}, {"w is v", "overlap"}, {"lr is NaN", "step.lr must be finite"}};
            Backend.SgdStep[] steps = {new Backend.SgdStep(w, b, 0.1f, 0.5f, 0f, false),
                new Backend.SgdStep(sums, v, 0.1f, 0.5f, 0f, false),
                new Backend.SgdStep(w, x.rows(1, 2), 0.1f, 0.5f, 0f, false),
                new Backend.SgdStep(wrong, v, 0.1f, 0.5f, 0f, false), new Backend.SgdStep(w, w, 0.1f, 0.5f, 0f, false),
                new Backend.SgdStep(w, v, Float.NaN, 0.5f, 0f, false)};
            for (int i = 0; i < steps.length; i++) {
                Backend.SgdStep step = steps[i];
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> CPU.biasSigmoid(x, b, sums, 1f, 0f, step), cases[i][0]);
                assertTrue(e.getMessage().contains(cases[i][1]), cases[i][0] + ": " + e.getMessage());
                if (i != 0) {   // the bias is no operand of columnSums
                    assertThrows(IllegalArgumentException.class, () -> CPU.columnSums(x, sums, 1f, 0f, step),
                            cases[i][0]);
                }
            }
            assertThrows(IllegalStateException.class,
                    () -> CPU.columnSums(x, sums, 1f, 0f, new Backend.SgdStep(w, closed, 0.1f, 0.5f, 0f, false)));
            assertArrayEquals(x0, x.toArray(), "x untouched");
            assertArrayEquals(b0, b.toArray(), "bias untouched");
            assertArrayEquals(s0, sums.toArray(), "sums untouched");
            assertArrayEquals(w0, w.toArray(), "w untouched");
        }
    }
}
