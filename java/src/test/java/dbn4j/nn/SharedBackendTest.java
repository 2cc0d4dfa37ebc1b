package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backends;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Trainings on several threads share the (process-wide) CPU backend: three at once (an MLP twice and an RBM), with
 * dbn4j's kernels set to 1 and to 2 threads, each ending bit for bit (parameters and last loss) as trained alone;
 * the test checks that two of them did run at the same time. The layers are large enough for dbn4j's own GEMM
 * kernel with its per-thread packing buffers. The CUDA backend's version:
 * {@code CudaTrainingTest.twoTrainingsAtOnceGiveTheModelsOfEachAlone}.
 */
class SharedBackendTest {
    static final int ROWS = 800;
    static final int V = 128;
    static final int K = 3;

    static Dataset data() {
        return SharedBackend.data(ROWS, V, K, 5, "shared-backend");
    }

    @Test
    void trainingsAtOnceOnTheCpuGiveTheModelsOfEachAlone() throws Exception {
        CpuBackend cpu = (CpuBackend) Backends.cpu();
        int threads = cpu.threads();
        TrainConfig cfg = new TrainConfig().epochs(2).batchSize(200).learningRate(0.1f).momentum(0.9f).seed(17);
        try {
            for (int t : new int[] {1, 2}) {
                cpu.setThreads(t);
                List<Supplier<float[]>> trainings = new ArrayList<>(SharedBackend.trainings(cpu,
                        SharedBackendTest::data, cfg, V, K, 256, 256));
                trainings.add(trainings.get(0));
                long[] met = SharedBackend.assertEachAsAlone(trainings, null);
                assertTrue(met[2] > 0, "in " + met[0] + " rounds no two trainings ran at the same time");
            }
        } finally {
            cpu.setThreads(threads);
        }
    }
}
