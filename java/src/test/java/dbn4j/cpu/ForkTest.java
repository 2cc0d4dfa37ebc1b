package dbn4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#fork} and {@link Backend#join} on the CPU: the work runs at once, in order, with the results of the
 * same calls made without a fork; what needs the main order is refused inside a fork, and misuse of joins is named.
 */
class ForkTest {
    static final CpuBackend CPU = CpuBackend.instance();

    @Test
    void theWorkRunsAtOnceWithTheResultsOfPlainCalls() {
        float[] x0 = {1, 2, 3, 4, 5, 6};
        try (Matrix x = CPU.matrix(2, 3, x0); Matrix sums = CPU.allocate(1, 3); Matrix ref = CPU.allocate(1, 3)) {
            List<String> order = new ArrayList<>();
            Backend.Fork f = CPU.fork(() -> {
                order.add("work");
                CPU.columnSums(x, sums, 0.5f, 0f);
            });
            order.add("after");
            assertEquals(List.of("work", "after"), order, "the CPU runs a fork's work before fork returns");
            CPU.join(f);
            CPU.columnSums(x, ref, 0.5f, 0f);
            assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f}, sums.toArray());
            assertArrayEquals(ref.toArray(), sums.toArray());
            assertFalse(CPU.forksOverlap(), "forks do not overlap on the CPU, so callers keep their fused calls");
        }
    }

    @Test
    void whatNeedsTheMainOrderIsRefusedInsideAFork() {
        try (Matrix a = CPU.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix b = CPU.allocate(2, 3);
                Matrix bias = CPU.allocate(1, 3)) {
            RandomStream rng = new RandomStream(3);
            Runnable[] refused = {() -> CPU.squaredError(a, b, null), () -> CPU.uniform(rng, b),
                () -> CPU.sigmoidBernoulli(rng, a, bias, b, b.rows(0, 2)), () -> a.toArray(),
                () -> CPU.gatherRows(a, new int[] {1, 0}, b), () -> CPU.fork(() -> {})};
            String[] names = {"squaredError", "uniform", "sigmoidBernoulli", "copyToHost", "gatherRows", "fork"};
            for (int i = 0; i < refused.length; i++) {
                Runnable call = refused[i];
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> CPU.fork(call), names[i]);
                assertTrue(e.getMessage().startsWith(names[i] + " cannot run inside Backend.fork"), e.getMessage());
            }
            assertEquals(0, rng.offset(), "no random words taken by refused calls");
            IllegalStateException alloc = assertThrows(IllegalStateException.class,
                    () -> CPU.fork(() -> CPU.allocate(1, 1)));
            assertTrue(alloc.getMessage().startsWith("allocate cannot run inside Backend.fork"), alloc.getMessage());
            // After a refused (thrown) fork the backend works as before: a fork's work runs, and so do losses.
            Backend.Fork f = CPU.fork(() -> CPU.scale(2f, a));
            CPU.join(f);
            assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, a.toArray());
            assertEquals(91.0, CPU.squaredError(a, b, null), 1e-9, "(4+16+36+64+100+144) / (2 * 2 rows)");
            // A logged loss waits for nothing: a fork's work may compute it.
            try (Backend.LossLog log = CPU.lossLog(2)) {
                Backend.Fork g = CPU.fork(() -> CPU.squaredError(a, b, null, log, 1));
                CPU.join(g);
                assertEquals(91.0, log.read(1, 2)[0], 1e-9, "a logged loss in a fork");
            }
        }
    }

    @Test
    void joinsAreCheckedAndNamed() {
        Backend.Fork f = CPU.fork(() -> {});
        CPU.join(f);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> CPU.join(f));
        assertTrue(twice.getMessage().contains("joined already"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CPU.join(null));
        assertThrows(IllegalArgumentException.class, () -> CPU.fork(null));
        Backend.Fork inner = CPU.fork(() -> {});
        IllegalStateException inside = assertThrows(IllegalStateException.class,
                () -> CPU.fork(() -> CPU.join(inner)));
        assertTrue(inside.getMessage().startsWith("join cannot run inside Backend.fork"), inside.getMessage());
        CPU.join(inner);
        // releaseForks joins what a failed step left open (a join afterwards is misuse, said as such).
        Backend.Fork left = CPU.fork(() -> {});
        CPU.releaseForks();
        IllegalStateException released = assertThrows(IllegalStateException.class, () -> CPU.join(left));
        assertTrue(released.getMessage().contains("joined already"), released.getMessage());
        RuntimeException boom = new RuntimeException("boom");
        assertSame(boom, assertThrows(RuntimeException.class, () -> CPU.fork(() -> {
            throw boom;
        })), "the work's own exception comes through");
    }
}
