package dbn4j.data;

import java.io.IOException;

/**
 * A data file (or bundled resource) that exists and can be read but whose content is wrong: bad magic number,
 * impossible dimensions, truncated or trailing data, corrupt compression, labels that do not match. The message
 * always starts with the file's name, then says what is wrong with it.
 */
public class DataFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** {@code file + ": " + problem}. */
    public DataFormatException(Object file, String problem) {
        super(file + ": " + problem);
    }

    /** {@code file + ": " + problem}, caused by {@code cause} (for example a {@code ZipException} from gzip). */
    public DataFormatException(Object file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
