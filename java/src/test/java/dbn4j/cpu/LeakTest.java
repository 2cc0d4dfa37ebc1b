package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** Native memory returns to its baseline after many allocate / compute / close cycles. */
class LeakTest {
    @Test
    void tenThousandCyclesLeaveNoNativeBytes() {
        CpuBackend cpu = CpuBackend.instance();
        RandomStream rng = new RandomStream(1);
        // Warm up once so that lazily created pools and caches exist before the baseline.
        cycle(cpu, rng);
        long baseline = cpu.allocatedBytes();
        long rssBefore = Pointer.physicalBytes();
        for (int i = 0; i < 10_000; i++) {
            cycle(cpu, rng);
        }
        assertEquals(baseline, cpu.allocatedBytes(), "bytes allocated by the backend return to baseline");
        // Each cycle allocates about 100 KB: a leak of even one matrix per cycle would grow the resident set by
        // hundreds of MB. Allow 64 MB for the JVM's own growth (JIT, heap) over the loop.
        long growth = Pointer.physicalBytes() - rssBefore;
        assertTrue(growth < 64L << 20, "resident memory grew by " + (growth >> 20) + " MB");
    }

    private static void cycle(CpuBackend cpu, RandomStream rng) {
        try (Matrix a = cpu.allocate(32, 64); Matrix w = cpu.allocate(64, 128); Matrix h = cpu.allocate(32, 128);
                Matrix s = cpu.allocate(32, 128); Matrix b = cpu.allocate(1, 128)) {
            cpu.uniform(rng, a);
            cpu.gaussian(rng, null, 0.01f, w);
            cpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, w, 0f, h);
            cpu.sigmoidBernoulli(rng, h, b, h, s);
            cpu.columnSums(s, b, 1f, 0f);
        }
    }
}
