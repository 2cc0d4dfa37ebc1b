package dbn4j;

/**
 * A failure inside a native kernel or a backend: the one exception type that native errors become. The message
 * names the native function and carries the native message. Misuse detected in Java (shapes, closed buffers) is an
 * {@link IllegalArgumentException} or {@link IllegalStateException} instead, thrown before any native call.
 */
public class Dbn4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public Dbn4jException(String message) {
        this(message, 0, null);
    }

    public Dbn4jException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    public Dbn4jException(String message, int code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The native error code (see {@code kernels.h}), or 0 when the failure did not come from a native call. */
    public int code() {
        return code;
    }
}
