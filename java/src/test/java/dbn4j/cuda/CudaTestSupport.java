package dbn4j.cuda;

import dbn4j.Backend;
import dbn4j.Dbn4jException;
import org.junit.jupiter.api.Assumptions;

/**
 * The CUDA backend for tests tagged "cuda", or a skip that says why (no CUDA build, no driver, no device). With
 * {@code -Ddbn4j.cuda.required=true} (the GPU check sets it) an unusable backend fails the test instead: on a GPU
 * machine a skip would hide the failure.
 */
public final class CudaTestSupport {
    public static final String REQUIRED_PROPERTY = "dbn4j.cuda.required";

    private static boolean announced;

    private CudaTestSupport() {}

    public static Backend cudaOrSkip() {
        try {
            return CudaProbe.open();
        } catch (Dbn4jException e) {
            String why = "CUDA backend unavailable: " + e.getMessage();
            if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
                throw new AssertionError(why + " (and " + REQUIRED_PROPERTY + "=true)", e);
            }
            if (!announced) {
                announced = true;
                System.out.println("SKIP tests tagged cuda: " + why);
            }
            Assumptions.abort(why);
            throw e; // not reached
        }
    }

    /** Calls on the CUDA backend so far that waited for another thread (a recording, a fork being queued). */
    public static long waits(Backend cuda) {
        return ((CudaBackend) cuda).waits();
    }

    /**
     * True when |a - b| <= atol + rtol |ref| for every element, else a message naming the first element outside.
     */
    public static String compare(float[] ref, float[] got, double atol, double rtol) {
        if (ref.length != got.length) {
            return "lengths differ: " + ref.length + " and " + got.length;
        }
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) ref[i] - got[i]);
            if (!(d <= atol + rtol * Math.abs(ref[i])) && !(Float.isNaN(ref[i]) && Float.isNaN(got[i]))) {
                return "element " + i + ": cpu " + ref[i] + ", cuda " + got[i] + " (|d| = " + d + " > " + atol + " + "
                        + rtol + " |ref|)";
            }
        }
        return null;
    }
}
