package dbn4j.nn;

import dbn4j.Backend;
import java.io.IOException;
import java.nio.file.Path;

/** Opens any dbn4j model file by the kind its metadata records. */
public final class Models {
    private Models() {}

    /**
     * The model kind of a dbn4j file: "mlp", "logistic", "rbm", "dbn" or "checkpoint".
     *
     * @throws IOException naming the file and the problem if it is not a readable dbn4j file
     */
    public static String kind(Path file) throws IOException {
        return ModelFile.read(file).model();
    }

    /**
     * Loads a model: an {@link Mlp} (also for logistic regression), an {@link Rbm} or a {@link Dbn}. The caller
     * closes it.
     *
     * @throws IOException naming the file and the problem (missing, damaged, a checkpoint, a newer version)
     */
    public static AutoCloseable load(Backend be, Path file) throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        switch (in.model()) {
            case Mlp.MODEL:
            case LogisticRegression.MODEL:
                return Mlp.read(be, in, "", in.model());
            case Rbm.MODEL:
                return Rbm.read(be, in, "");
            case Dbn.MODEL:
                return Dbn.load(be, file);
            default:
                throw in.wrongModel("a model (mlp, logistic, rbm or dbn)");
        }
    }
}
