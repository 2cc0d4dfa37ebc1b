package dbn4j.nn;

import dbn4j.Backends;
import dbn4j.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Trainings on several threads share the (process-wide) CPU backend: three at once (an MLP twice and an RBM), with
 * dbn4j's kernels on 1 and on 2 threads (then the trainings share its thread pool), each ending bit for bit as
 * trained alone. The CUDA backend's version: {@code CudaTrainingTest.twoTrainingsAtOnceGiveTheModelsOfEachAlone}.
 */
class SharedBackendTest {
    @Test
    void trainingsAtOnceOnTheCpuGiveTheModelsOfEachAlone() throws Exception {
        CpuBackend cpu = (CpuBackend) Backends.cpu();
        int threads = cpu.threads();
        TrainConfig cfg = CudaTrainingTest.config().epochs(3).batchSize(5);
        try {
            for (int t : new int[] {1, 2}) {
                cpu.setThreads(t);
                List<Supplier<float[]>> trainings = new ArrayList<>(SharedBackend.trainings(cpu,
                        CudaTrainingTest::data, cfg, CudaTrainingTest.V, CudaTrainingTest.K));
                trainings.add(trainings.get(0));
                SharedBackend.assertEachAsAlone(trainings, null);
            }
        } finally {
            cpu.setThreads(threads);
        }
    }
}
