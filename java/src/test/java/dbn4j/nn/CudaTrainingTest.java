package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.cuda.CudaTestSupport;
import dbn4j.data.Dataset;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The first training steps of every model on the CUDA backend against the same steps on the CPU: one epoch of two
 * mini-batches (the per-epoch shuffle, a plain step, a step with momentum), through the public training API, so
 * that the models run unchanged on a device backend.
 *
 * <p>Tolerance: the random stream, the samples drawn from identical probabilities and every non-GEMM kernel are
 * bit-identical across backends; the GEMMs are not (cuBLAS sums in another order: at K <= 24 a relative error of
 * at most 2 K 2^-24 ~ 3e-6 of sum|a b| per product). Sigmoid, softmax and their derivatives are at most 1-Lipschitz,
 * so after two steps of learning rate 0.1 the parameters differ by a few 1e-7: atol 1e-5 + rtol 1e-4 leaves a
 * margin of 10 and more, while a real fault (a transposed GEMM, a missing bias, a wrong sample) moves parameters
 * by 1e-3 or more. A Bernoulli sample flips only where a uniform falls within ~1e-7 of its probability: about 1e-5
 * for the few hundred samples here, and with fixed seeds the outcome is fixed, not flaky.
 *
 * <p>On CUDA the loops run each full mini-batch as a recorded step (a CUDA graph launch, {@link StepRecording}); each
 * test also checks that no step was refused, i.e. that the graphs, not the kernel-by-kernel fallback, trained.
 */
@Tag("cuda")
class CudaTrainingTest {
    static final Backend CPU = Backends.cpu();
    static final double ATOL = 1e-5;
    static final double RTOL = 1e-4;
    static final int ROWS = 24;
    static final int V = 16;
    static final int K = 3;
    static Backend gpu;

    /** Per test (the probe's outcome is kept), so that every test reports the skip and its reason. */
    @BeforeEach
    void open() {
        gpu = CudaTestSupport.cudaOrSkip();
        StepRecording.lastRefusal = null;
        StepRecording.SIZES.clear();
        replaysSeen = StepRecording.REPLAYS.get();
        copiesSeen = StepRecording.COPIES.get();
    }

    /** StepRecording's replay and batch copy counts at the last check. */
    static long replaysSeen;
    static long copiesSeen;

    /**
     * Every training step since the last check ran as a CUDA graph; with in-memory data each batch was gathered on
     * the device where the graph reads it (no copy), with streamed data copied there.
     */
    static void assertRecorded(boolean streamed) {
        assertNull(StepRecording.lastRefusal, "every training step ran as a CUDA graph");
        long replays = StepRecording.REPLAYS.get();
        assertTrue(replays > replaysSeen, "the training since the last check replayed recorded steps");
        long copies = StepRecording.COPIES.get() - copiesSeen;
        if (streamed) {
            assertTrue(copies > 0, "streamed batches are copied to the recorded step's buffers");
        } else {
            assertEquals(0, copies, "in-memory batches are gathered into the recorded step's buffers");
        }
        replaysSeen = replays;
        copiesSeen += copies;
    }

    static void assertRecorded() {
        assertRecorded(false);
    }

    /**
     * Binary-ish features in [0, 1] (a third are 1, the rest 8-bit values up to 0.2, so that both backends hold them
     * as byte codes) and labels from a rule on them, so there is a signal.
     */
    static Dataset data() {
        return SharedBackend.data(ROWS, V, K, 3, "cuda-vs-cpu");
    }

    static TrainConfig config() {
        return new TrainConfig().epochs(1).batchSize(ROWS / 2).learningRate(0.1f).momentum(0.9f).seed(17);
    }

    static void assertSame(Matrix cpu, Matrix cuda, String what) {
        assertNull(CudaTestSupport.compare(cpu.toArray(), cuda.toArray(), ATOL, RTOL), what);
    }

    static void assertSameLoss(List<EpochMetrics> cpu, List<EpochMetrics> cuda, String metric) {
        double a = cpu.get(cpu.size() - 1).get(metric);
        double b = cuda.get(cuda.size() - 1).get(metric);
        assertEquals(a, b, ATOL + RTOL * Math.abs(a), metric);
    }

    /** Trains the same model on both backends and compares every parameter block and the epoch loss. */
    static void compareMlp(Function<Backend, Mlp> make, String what) {
        try (Mlp a = make.apply(CPU); Mlp b = make.apply(gpu)) {
            List<EpochMetrics> ha = a.fit(data(), null, config());
            List<EpochMetrics> hb = b.fit(data(), null, config());
            assertSameLoss(ha, hb, "train_loss");
            for (int l = 0; l < a.layers(); l++) {
                assertSame(a.weights(l), b.weights(l), what + " weights " + l);
                assertSame(a.bias(l), b.bias(l), what + " bias " + l);
            }
            assertRecorded();
        }
    }

    @Test
    void logisticRegressionStep() {
        compareMlp(be -> LogisticRegression.multinomial(be, V, K), "logistic regression");
    }

    @Test
    void mlpStep() {
        compareMlp(be -> Mlp.create(be, new int[] {V, 12, 10, K}, Activation.RELU, Activation.SOFTMAX,
                Loss.CROSS_ENTROPY, 5), "mlp");
        compareMlp(be -> Mlp.create(be, new int[] {V, 12, K}, Activation.TANH, Activation.SOFTMAX,
                Loss.CROSS_ENTROPY, 6), "tanh mlp");
        // 20 layers: more bias-step forks per step than the backend holds open at once (each is joined two layers on).
        int[] deep = new int[21];
        java.util.Arrays.fill(deep, 10);
        deep[0] = V;
        deep[20] = K;
        compareMlp(be -> Mlp.create(be, deep, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 7),
                "20-layer mlp");
    }

    @Test
    void rbmCd1AndPcd1Steps() {
        // Gaussian visible units with PCD or k = 2 sample with the Gaussian sampler (its device-offset variant in the
        // recorded step); every case records (assertRecorded).
        RbmOptions[] options = {new RbmOptions().k(1).monitorRows(8),
            new RbmOptions().k(1).persistent(true).monitorRows(8), new RbmOptions().k(2).monitorRows(8)};
        for (Rbm.Visible visible : Rbm.Visible.values()) {
            for (RbmOptions opts : options) {
                compareRbm(visible, opts);
            }
        }
    }

    private static void compareRbm(Rbm.Visible visible, RbmOptions opts) {
        try (Rbm a = Rbm.create(CPU, V, 8, visible, 9); Rbm b = Rbm.create(gpu, V, 8, visible, 9)) {
            assertSame(a.weights(), b.weights(), "initial weights (Philox gaussian)");
            List<EpochMetrics> ha = a.fit(data(), null, config(), opts);
            List<EpochMetrics> hb = b.fit(data(), null, config(), opts);
            String what = visible + (opts.persistent() ? " PCD-" : " CD-") + opts.k() + " ";
            assertSameLoss(ha, hb, "reconstruction_error");
            assertSame(a.weights(), b.weights(), what + "weights");
            assertSame(a.hiddenBias(), b.hiddenBias(), what + "hidden bias");
            assertSame(a.visibleBias(), b.visibleBias(), what + "visible bias");
            assertRecorded();
        }
    }

    /**
     * Two epochs with a changing learning rate and momentum, batches of 10 of the 24 rows: per epoch a new recording,
     * two replays, then the last batch of 4 kernel by kernel, drawing from the stream after the replays. Six steps:
     * the GEMMs' differences add up to a few 1e-7, still far inside the tolerance.
     */
    @Test
    void epochsWithScheduleAndLastBatch() {
        TrainConfig cfg = config().epochs(2).batchSize(10).schedule(Schedule.step(1, 0.5)).momentum(0.5f, 1, 0.9f);
        RbmOptions opts = new RbmOptions().k(1).monitorRows(8);
        try (Rbm a = Rbm.create(CPU, V, 8, Rbm.Visible.BERNOULLI, 4);
                Rbm b = Rbm.create(gpu, V, 8, Rbm.Visible.BERNOULLI, 4)) {
            assertSameLoss(a.fit(data(), null, cfg, opts), b.fit(data(), null, cfg, opts), "reconstruction_error");
            assertSame(a.weights(), b.weights(), "RBM weights");
            assertSame(a.hiddenBias(), b.hiddenBias(), "RBM hidden bias");
            assertSame(a.visibleBias(), b.visibleBias(), "RBM visible bias");
            assertGraph("RBM", 15, 11);
        }
        try (Mlp a = Mlp.create(CPU, new int[] {V, 12, K}, Activation.SIGMOID, Activation.SOFTMAX,
                        Loss.CROSS_ENTROPY, 7);
                Mlp b = Mlp.create(gpu, new int[] {V, 12, K}, Activation.SIGMOID, Activation.SOFTMAX,
                        Loss.CROSS_ENTROPY, 7)) {
            assertSameLoss(a.fit(data(), null, cfg), b.fit(data(), null, cfg), "train_loss");
            for (int l = 0; l < 2; l++) {
                assertSame(a.weights(l), b.weights(l), "MLP weights " + l);
                assertSame(a.bias(l), b.bias(l), "MLP bias " + l);
            }
            assertGraph("supervised", 17, 15);
        }
        assertRecorded();
    }

    /**
     * The graph of the step last recorded for what: its forks are branches beside its longest path, and on the
     * emulated device, where a GEMM is one node (cuBLAS may launch more), that path is {@code depth} of {@code nodes}
     * work nodes. The CD-1 step's 15: the gather, 5 GEMMs, the sampler and two activations with their sums and bias
     * steps, the data's column sums, the weight step, the reconstruction error's two kernels, the append of its loss
     * and the stream offset's move; 11 in a row, since the data's sums, the positive GEMM and the error run beside. The
     * 2-layer MLP's 17: two gathers; forward 2 GEMMs, the hidden bias and sigmoid, the output bias; the loss's 2
     * kernels; backward per layer the forked bias step and the weight GEMM and step, between them the hidden delta's
     * GEMM and sigmoid derivative; the append. On a device only the counts' presence and the forks are checked.
     */
    static void assertGraph(String what, int nodes, int depth) {
        long[] size = StepRecording.SIZES.get(what);
        assertTrue(size != null && size[0] > 0, what + ": the recorded graph's nodes are counted");
        assertTrue(size[1] < size[0], what + ": forks run beside the longest path: " + size[1] + " of " + size[0]);
        System.out.println("# " + what + " step graph on " + gpu.describe() + ": " + size[0] + " work nodes, " + size[1]
                + " on its longest path");
        if (gpu.describe().contains("emulation")) {
            assertEquals(nodes, size[0], what + ": work nodes");
            assertEquals(depth, size[1], what + ": work nodes on the longest path");
        }
    }

    /**
     * Data "too large for the card" (no room at all for it): streamed in chunks (StreamedBatches: each chunk copied
     * to a device buffer and gathered into a shuffled one, both refilled at the next chunk), a full chunk and a partial
     * one in one epoch, on both backends, the full batches as recorded steps. The same batches in the same order: the
     * MLP (no sampling) ends with the same parameters within the tolerance after its 85 small steps (drift of the
     * GEMMs' rounding: about 1e-7 per step); a chunk buffer refilled before its last batch was used, or a batch read
     * before its copy arrived, would move them far outside it. The RBM draws 34,000 hidden samples an epoch, and after
     * 85 steps a few may fall on the other side of their uniform on the GPU (each moves weights by about 1e-3): it is
     * compared by its reconstruction error (relative 1e-3; one flip moves it by about 1e-5, wrong batches by far more).
     */
    @Test
    void streamedDataMatchesCpu() {
        Dataset data = StreamingTest.chunkAndAPart(12, "streamed");
        TrainConfig cfg = new TrainConfig().epochs(1).batchSize(100).learningRate(0.1f).momentum(0.5f).seed(4);
        RbmOptions opts = new RbmOptions().k(1).monitorRows(50);
        TrainingData.dataMemoryForTests = 0;
        try (Mlp a = Mlp.create(CPU, new int[] {6, 5, 2}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY, 2);
                Mlp b = Mlp.create(gpu, new int[] {6, 5, 2}, Activation.TANH, Activation.SOFTMAX,
                        Loss.CROSS_ENTROPY, 2);
                Rbm c = Rbm.create(CPU, 6, 4, Rbm.Visible.BERNOULLI, 2);
                Rbm d = Rbm.create(gpu, 6, 4, Rbm.Visible.BERNOULLI, 2)) {
            assertSameLoss(a.fit(data, null, cfg), b.fit(data, null, cfg), "train_loss");
            for (int l = 0; l < 2; l++) {
                assertSame(a.weights(l), b.weights(l), "streamed MLP weights " + l);
                assertSame(a.bias(l), b.bias(l), "streamed MLP bias " + l);
            }
            assertRecorded(true);
            List<EpochMetrics> hc = c.fit(data, null, cfg, opts);
            List<EpochMetrics> hd = d.fit(data, null, cfg, opts);
            double rc = hc.get(0).get("reconstruction_error");
            double rd = hd.get(0).get("reconstruction_error");
            assertEquals(rc, rd, 1e-3 * Math.abs(rc), "streamed RBM reconstruction error");
            assertRecorded(true);
        } finally {
            TrainingData.dataMemoryForTests = -1;
        }
    }

    /**
     * Two trainings at once, on two threads, share the backend (its stream, scratch buffers and the graphs' offset
     * word): each records its step every epoch while the other replays its own, samples, forks, gathers and reads its
     * losses. Each model must come out bit for bit as trained alone: every kernel is deterministic, and each
     * training's work keeps its own order on the shared stream. Three rounds or more, the two trainings started
     * together each time, until a call of one has waited for the other (a recording, a fork being queued): before,
     * that call failed.
     */
    @Test
    void twoTrainingsAtOnceGiveTheModelsOfEachAlone() throws Exception {
        TrainConfig cfg = config().epochs(3).batchSize(5);   // per epoch: a recording, 4 replays, a last batch of 4
        long[] met = SharedBackend.assertEachAsAlone(SharedBackend.trainings(gpu, CudaTrainingTest::data, cfg, V, K),
                () -> CudaTestSupport.waits(gpu));
        assertTrue(met[1] > 0, "in " + met[0] + " rounds a call of one training waited for the other");
        System.out.println("# two trainings at once: " + met[0] + " rounds, " + met[1] + " calls waited for the other");
        assertRecorded();
    }

    @Test
    void dbnPretrainAndFinetuneSteps() {
        try (Dbn a = Dbn.create(CPU, new int[] {V, 10, 6}, Rbm.Visible.BERNOULLI, 21);
                Dbn b = Dbn.create(gpu, new int[] {V, 10, 6}, Rbm.Visible.BERNOULLI, 21)) {
            RbmOptions opts = new RbmOptions().k(1).monitorRows(8);
            a.pretrain(data(), null, config(), opts);
            b.pretrain(data(), null, config(), opts);
            for (int l = 0; l < 2; l++) {
                assertSame(a.rbms().get(l).weights(), b.rbms().get(l).weights(), "rbm " + l + " weights");
            }
            List<EpochMetrics> ha = a.finetune(data(), null, config(), K);
            List<EpochMetrics> hb = b.finetune(data(), null, config(), K);
            assertSameLoss(ha, hb, "train_loss");
            for (int l = 0; l < 3; l++) {
                assertSame(a.classifier().weights(l), b.classifier().weights(l), "classifier weights " + l);
            }
            assertRecorded();
        }
    }
}
