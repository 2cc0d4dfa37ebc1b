package dbn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendsTest {
    @Test
    void autoAndCpuChooseTheCpu() {
        assertEquals("cpu", Backends.choose("auto").name());
        assertEquals("cpu", Backends.choose(" CPU ").name());
        assertTrue(Backends.get().describe().contains("OpenBLAS core"), Backends.get().describe());
    }

    @Test
    void explicitCudaWithoutCudaFailsClearly() {
        Dbn4jException e = assertThrows(Dbn4jException.class, () -> Backends.choose("cuda"));
        assertTrue(e.getMessage().contains("dbn4j.backend=cuda"), e.getMessage());
    }

    @Test
    void unknownBackendIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.choose("tpu"));
        assertTrue(e.getMessage().contains("tpu"), e.getMessage());
    }

    @Test
    void matrixRoundTripsAndViewsShareMemory() {
        Backend b = Backends.cpu();
        try (Matrix m = b.matrix(3, 2, 1, 2, 3, 4, 5, 6)) {
            assertEquals(4f, m.get(1, 1));
            Matrix mid = m.rows(1, 3);
            assertEquals(3f, mid.get(0, 0));
            mid.put(1, 0, 50f);
            assertEquals(50f, m.get(2, 0));
            mid.close();
            assertTrue(mid.isClosed());
            assertEquals(6f, m.get(2, 1), "closing a view leaves its parent open");
        }
    }
}
