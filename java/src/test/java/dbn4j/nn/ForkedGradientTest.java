package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dbn4j.cpu.CpuBackend;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The RBM step as it runs where forks overlap (a GPU): the data's column sums and the weight gradient's positive half
 * v0^T h0 / B queued as forks, the negative half and the step after the join. Forced on the CPU with OpenBLAS GEMMs
 * (whose fused gradient-and-step call is exactly two GEMMs and the step), it must train the very model of the fused
 * call, bit for bit: CD-1, PCD and CD-2, with Nesterov momentum and weight decay, Bernoulli and Gaussian visible units,
 * directly and through the recorded-step path.
 */
class ForkedGradientTest {
    @Test
    void theSplitGradientTrainsTheModelOfTheFusedCall() {
        CpuBackend cpu = CpuBackend.instance();
        RbmOptions[] options = {new RbmOptions().k(1), new RbmOptions().k(1).persistent(true), new RbmOptions().k(2)};
        TrainConfig config = RecordedStepsTest.config().nesterov(true).weightDecay(1e-3f);
        int gemmMode = cpu.gemmMode();
        cpu.setGemmMode(CpuBackend.GEMM_OPENBLAS);
        try {
            for (boolean recorded : new boolean[] {false, true}) {
                for (Rbm.Visible visible : Rbm.Visible.values()) {
                    for (RbmOptions opts : options) {
                        String what = visible + " k=" + opts.k() + (opts.persistent() ? " PCD" : "")
                                + (recorded ? ", recorded" : "");
                        float[][] runs = new float[2][];
                        for (int mode = 0; mode < 2; mode++) {
                            RbmTraining.forkedGradient = mode == 1;
                            runs[mode] = RecordedStepsTest.recorded(recorded, recorded ? 3 * 4 : 0, () -> {
                                try (Rbm rbm = Rbm.create(cpu, 16, 8, visible, 9)) {
                                    rbm.fit(RecordedStepsTest.data(), null, config, opts);
                                    return RecordedStepsTest.values(rbm.weights(), rbm.hiddenBias(),
                                            rbm.visibleBias());
                                }
                            });
                        }
                        assertArrayEquals(runs[0], runs[1], what + ": parameters");
                        try (Rbm untrained = Rbm.create(cpu, 16, 8, visible, 9)) {
                            assertFalse(Arrays.equals(runs[0], RecordedStepsTest.values(untrained.weights(),
                                    untrained.hiddenBias(), untrained.visibleBias())), what + ": trained");
                        }
                    }
                }
            }
        } finally {
            RbmTraining.forkedGradient = false;
            cpu.setGemmMode(gemmMode);
        }
    }
}
