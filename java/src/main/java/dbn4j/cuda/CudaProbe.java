package dbn4j.cuda;

import dbn4j.Backend;
import dbn4j.Dbn4jException;
import org.bytedeco.javacpp.Loader;

/**
 * Opens the CUDA backend for {@link dbn4j.Backends}, or says why it cannot be used, touching no CUDA library before
 * it knows that this build has the CUDA kernels: first the JNI library is looked up as a class-path resource, then
 * it is loaded (it needs only the driver, opened lazily), then the device count is asked, and only then are the
 * cuBLAS presets loaded. The outcome is kept: a second call gives the same backend or the same reason.
 *
 * <p>Internal: use {@link dbn4j.Backends}.
 */
public final class CudaProbe {
    private static Backend backend; // guarded by CudaProbe.class
    private static Dbn4jException failure;

    private CudaProbe() {}

    /**
     * The CUDA backend.
     *
     * @throws Dbn4jException whose message says why CUDA cannot be used: no CUDA build, no driver, no device, no
     *                        cuBLAS, or the failing CUDA call
     */
    public static synchronized Backend open() {
        if (backend == null && failure == null) {
            try {
                backend = create();
            } catch (Dbn4jException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new Dbn4jException(failure.getMessage(), failure.code(), failure);
        }
        return backend;
    }

    /** The class-path resource of the JNI library of {@link CudaKernels} on this platform. */
    static String libraryResource() {
        return "dbn4j/cuda/" + Loader.getPlatform() + "/" + System.mapLibraryName(CudaKernels.LIBRARY);
    }

    private static Backend create() {
        if (CudaProbe.class.getClassLoader().getResource(libraryResource()) == null) {
            throw new Dbn4jException("this build of dbn4j has no CUDA backend (built without -Ddbn4j.cuda=true: no "
                    + libraryResource() + " on the class path)");
        }
        if (CudaProbe.class.getClassLoader().getResource("org/bytedeco/cuda/global/cublas.class") == null) {
            throw new Dbn4jException("the CUDA backend needs the org.bytedeco:cuda jars (" + "and their "
                    + Loader.getPlatform() + " jar) on the class path");
        }
        int[] count = new int[1];
        int status;
        try {
            status = CudaKernels.dbn4j_cuda_device_count(count);
        } catch (LinkageError e) {
            throw new Dbn4jException("the CUDA kernel library could not be loaded: " + e, e);
        }
        if (status == CudaKernels.ENODEV) {
            throw new Dbn4jException("no usable CUDA driver or device (" + CudaKernels.dbn4j_cuda_last_error() + ")",
                    status, null);
        }
        CudaBackend.check(status, "dbn4j_cuda_device_count");
        try {
            return CudaBackend.instance();
        } catch (LinkageError e) {
            // A preset class or library that cannot be linked: a reason to fall back, not a crash of the caller.
            throw new Dbn4jException("the CUDA backend could not be set up: " + e, e);
        }
    }
}
