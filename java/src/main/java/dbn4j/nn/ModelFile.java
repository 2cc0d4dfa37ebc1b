package dbn4j.nn;

import dbn4j.Matrix;
import dbn4j.io.ModelFormatException;
import dbn4j.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * dbn4j's model and checkpoint files: safetensors files (readable by any safetensors tool) whose
 * {@code __metadata__} holds {@code format = "dbn4j"}, {@code format_version}, {@code model} (mlp, logistic, rbm,
 * dbn, or checkpoint kinds) and the architecture and hyper-parameters as text; the tensors are float32. Files are
 * written atomically (a temporary file, then a rename). Reading checks the format, the version and every tensor's
 * shape, and names the file and the problem in a {@link ModelFormatException}.
 */
final class ModelFile {
    static final String FORMAT = "dbn4j";
    /** The version this code writes and the newest it reads. */
    static final int VERSION = 1;

    private ModelFile() {}

    static final class Writer {
        private final Map<String, String> meta = new LinkedHashMap<>();
        private final Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();

        Writer(String model) {
            meta.put("format", FORMAT);
            meta.put("format_version", Integer.toString(VERSION));
            meta.put("model", model);
        }

        Writer meta(String key, String value) {
            meta.put(key, value);
            return this;
        }

        /** Copies the matrix to the host now. */
        Writer tensor(String name, Matrix m) {
            tensors.put(name, SafeTensors.Tensor.f32(m.toArray(), m.rows(), m.cols()));
            return this;
        }

        void write(Path file) throws IOException {
            SafeTensors.write(file, tensors, meta);
        }
    }

    static Reader read(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Reader r = new Reader(file, c);
        String format = c.metadata().get("format");
        if (!FORMAT.equals(format)) {
            throw r.corrupt("not a dbn4j model file (metadata format is " + (format == null ? "missing" : "'" + format + "'")
                    + ")");
        }
        String v = r.get("format_version");
        int version;
        try {
            version = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw r.corrupt("format_version '" + v + "' is not a number");
        }
        if (version > VERSION) {
            throw new ModelFormatException(file, "format version " + version + " is newer than this dbn4j reads ("
                    + VERSION + "); upgrade dbn4j");
        }
        if (version < 1) {
            throw r.corrupt("format version " + version + " is not valid");
        }
        return r;
    }

    static final class Reader {
        private final Path file;
        private final SafeTensors.Contents contents;

        Reader(Path file, SafeTensors.Contents contents) {
            this.file = file;
            this.contents = contents;
        }

        Path file() {
            return file;
        }

        String model() throws ModelFormatException {
            return get("model");
        }

        boolean has(String key) {
            return contents.metadata().containsKey(key);
        }

        boolean hasTensor(String name) {
            return contents.tensors().containsKey(name);
        }

        String get(String key) throws ModelFormatException {
            String v = contents.metadata().get(key);
            if (v == null) {
                throw corrupt("metadata '" + key + "' is missing");
            }
            return v;
        }

        int getInt(String key) throws ModelFormatException {
            String v = get(key);
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw corrupt("metadata '" + key + "' = '" + v + "' is not an integer");
            }
        }

        long getLong(String key) throws ModelFormatException {
            String v = get(key);
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw corrupt("metadata '" + key + "' = '" + v + "' is not an integer");
            }
        }

        double getDouble(String key) throws ModelFormatException {
            String v = get(key);
            try {
                return Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw corrupt("metadata '" + key + "' = '" + v + "' is not a number");
            }
        }

        int[] intList(String key) throws ModelFormatException {
            String v = get(key);
            String[] parts = v.split(",");
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Integer.parseInt(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw corrupt("metadata '" + key + "' = '" + v + "' is not a list of integers");
                }
            }
            return out;
        }

        <E extends Enum<E>> E parseEnum(Class<E> type, String key, String value) throws ModelFormatException {
            try {
                return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw corrupt("metadata '" + key + "' has unknown value '" + value + "'");
            }
        }

        /** The float32 tensor {@code name}, which must have shape (rows, cols). */
        float[] tensor(String name, int rows, int cols) throws ModelFormatException {
            SafeTensors.Tensor t = contents.tensors().get(name);
            if (t == null) {
                throw corrupt("tensor '" + name + "' is missing");
            }
            long[] shape = t.shape();
            if (!"F32".equals(t.dtype()) || shape.length != 2 || shape[0] != rows || shape[1] != cols) {
                throw corrupt("tensor '" + name + "' is " + t.dtype() + " " + java.util.Arrays.toString(shape)
                        + ", expected F32 [" + rows + ", " + cols + "]");
            }
            return t.f32();
        }

        ModelFormatException corrupt(String problem) {
            return new ModelFormatException(file, problem);
        }

        ModelFormatException wrongModel(String expected) {
            String m = contents.metadata().get("model");
            return new ModelFormatException(file, "holds a " + m + " model, expected " + expected);
        }
    }
}
