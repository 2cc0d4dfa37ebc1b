package dbn4j.io;

import java.io.IOException;

/**
 * A model or tensor file that exists but whose content is wrong: truncated, trailing bytes, a header that is not
 * valid JSON or breaks the format's rules, an unknown data type, sizes that do not add up. The message always
 * starts with the file's name, then says what is wrong with it.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** {@code file + ": " + problem}. */
    public ModelFormatException(Object file, String problem) {
        super(file + ": " + problem);
    }

    /** {@code file + ": " + problem}, caused by {@code cause} (for example a JSON syntax error). */
    public ModelFormatException(Object file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
