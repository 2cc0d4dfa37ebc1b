package dbn4j;

import dbn4j.cpu.CpuBackend;
import dbn4j.cuda.CudaProbe;
import java.lang.System.Logger.Level;

/**
 * Chooses the backend once per process from the system property {@code dbn4j.backend}: {@code auto} (the default:
 * the GPU where one can be used, else the CPU, saying why in one log line), {@code cpu}, or {@code cuda} (an error
 * if the GPU cannot be used, never a silent fallback).
 *
 * <p>A CPU-only run never loads a CUDA library: the CUDA backend is probed only for {@code auto} and {@code cuda}, and
 * the probe looks for dbn4j's CUDA kernel library on the class path before it loads anything
 * ({@code dbn4j.cuda.CudaProbe}).
 */
public final class Backends {
    public static final String PROPERTY = "dbn4j.backend";

    private static final System.Logger LOG = System.getLogger("dbn4j");
    private static volatile Backend chosen;

    private Backends() {}

    /** The process-wide backend, chosen on first use; the choice is logged once. */
    public static Backend get() {
        Backend b = chosen;
        if (b == null) {
            synchronized (Backends.class) {
                b = chosen;
                if (b == null) {
                    b = choose(System.getProperty(PROPERTY, "auto"));
                    chosen = b;
                }
            }
        }
        return b;
    }

    /** The CPU backend (always available). */
    public static CpuBackend cpu() {
        return CpuBackend.instance();
    }

    static Backend choose(String request) {
        String r = request.trim().toLowerCase(java.util.Locale.ROOT);
        switch (r) {
            case "cpu": {
                Backend b = cpu();
                LOG.log(Level.INFO, "dbn4j backend: cpu (requested) - " + b.describe());
                return b;
            }
            case "cuda": {
                Backend b;
                try {
                    b = CudaProbe.open();
                } catch (Dbn4jException e) {
                    throw new Dbn4jException("dbn4j.backend=cuda was requested, but " + e.getMessage(), e.code(), e);
                }
                LOG.log(Level.INFO, "dbn4j backend: cuda (requested) - " + b.describe());
                return b;
            }
            case "auto": {
                try {
                    Backend b = CudaProbe.open();
                    LOG.log(Level.INFO, "dbn4j backend: cuda (auto) - " + b.describe());
                    return b;
                } catch (Dbn4jException e) {
                    Backend b = cpu();
                    LOG.log(Level.INFO, "dbn4j backend: cpu (CUDA unavailable: " + e.getMessage() + ") - "
                            + b.describe());
                    return b;
                }
            }
            default:
                throw new IllegalArgumentException(PROPERTY + " must be auto, cpu or cuda, got '" + request + "'");
        }
    }
}
