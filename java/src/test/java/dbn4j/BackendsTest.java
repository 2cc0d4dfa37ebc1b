package dbn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.cuda.CudaProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

class BackendsTest {
    /** Why CUDA cannot be used here, or null where it can (a CUDA build on a machine with a GPU). */
    static String cudaUnavailable() {
        try {
            CudaProbe.open();
            return null;
        } catch (Dbn4jException e) {
            return e.getMessage();
        }
    }

    /** The messages that the "dbn4j" logger receives while r runs. */
    static List<String> logged(Runnable r) {
        Logger log = Logger.getLogger("dbn4j");
        List<String> lines = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        log.addHandler(h);
        try {
            r.run();
        } finally {
            log.removeHandler(h);
        }
        return lines;
    }

    @Test
    void cpuIsChosenWhenRequested() {
        assertEquals("cpu", Backends.choose(" CPU ").name());
        assertTrue(Backends.cpu().describe().contains("OpenBLAS core"), Backends.cpu().describe());
    }

    @Test
    void autoTakesCudaWhereUsableElseTheCpuSayingWhyInOneLine() {
        String why = cudaUnavailable();
        List<String> lines = logged(() -> assertEquals(why == null ? "cuda" : "cpu", Backends.choose("auto").name()));
        assertEquals(1, lines.size(), lines.toString());
        if (why != null) {
            assertTrue(lines.get(0).startsWith("dbn4j backend: cpu (CUDA unavailable: " + why + ")"), lines.get(0));
        } else {
            assertTrue(lines.get(0).startsWith("dbn4j backend: cuda (auto) - CUDA device 0"), lines.get(0));
        }
    }

    @Test
    void explicitCudaWithoutCudaFailsClearly() {
        String why = cudaUnavailable();
        if (why == null) {
            assertEquals("cuda", Backends.choose("cuda").name());
            return;
        }
        Dbn4jException e = assertThrows(Dbn4jException.class, () -> Backends.choose("cuda"));
        assertEquals("dbn4j.backend=cuda was requested, but " + why, e.getMessage());
        assertEquals(e.getMessage(), assertThrows(Dbn4jException.class, () -> Backends.choose("cuda")).getMessage(),
                "the outcome of the probe is kept");
    }

    /**
     * Where CUDA is unusable the probe stops before the CUDA runtime and cuBLAS presets are loaded; in a build
     * without the CUDA kernels it loads nothing at all (it finds no library on the class path).
     */
    @Test
    void aFailedProbeLoadsNoCudaLibrary() {
        String why = cudaUnavailable();
        if (why == null) {
            return; // CUDA is in use in this process
        }
        for (String lib : Loader.getLoadedLibraries().keySet()) {
            assertTrue(!lib.contains("cublas") && !lib.contains("cudart"), "loaded " + lib + "; probe said: " + why);
            if (why.contains("no CUDA backend")) {
                assertTrue(!lib.contains("Cuda"), "loaded " + lib + " in a build without CUDA kernels");
            }
        }
    }

    @Test
    void lossGradientVariantWritesWhatTheFullLossWrites() {
        Backend b = Backends.cpu();
        float[] z = {2f, -1f, 0.5f, 0f, 3f, -2f};
        float[] t = {0f, 1f, 0f, 1f, 0f, 0f};
        try (Matrix mz = b.matrix(2, 3, z); Matrix mt = b.matrix(2, 3, t); Matrix p1 = b.allocate(2, 3);
                Matrix d1 = b.allocate(2, 3); Matrix p2 = b.allocate(2, 3); Matrix d2 = b.allocate(2, 3)) {
            assertTrue(b.softmaxCrossEntropy(mz, mt, p1, d1) > 0);
            b.softmaxCrossEntropyGradient(mz, mt, p2, d2);
            org.junit.jupiter.api.Assertions.assertArrayEquals(p1.toArray(), p2.toArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(d1.toArray(), d2.toArray());
            assertTrue(d2.get(0, 0) > 0 && d2.get(0, 1) < 0, "dz = (p - t) / B");
            assertThrows(IllegalArgumentException.class,
                    () -> b.softmaxCrossEntropyGradient(mz, p1, null, mz.rows(0, 1)));
        }
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
