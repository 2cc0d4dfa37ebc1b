package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;

/**
 * A copy of a model's parameters taken at the start of every epoch, so that a run whose loss turns NaN or infinite
 * can stop with the last weights known to be good ({@link TrainingDivergedException}).
 */
final class LastGood implements AutoCloseable {
    private final Backend be;
    private final Matrix[] params;
    private final Matrix[] copies;

    LastGood(Backend be, Matrix... params) {
        this.be = be;
        this.params = params;
        this.copies = new Matrix[params.length];
        try {
            for (int i = 0; i < params.length; i++) {
                copies[i] = be.allocate(params[i].rows(), params[i].cols());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    void save() {
        for (int i = 0; i < params.length; i++) {
            be.copy(params[i], copies[i]);
        }
    }

    void restore() {
        for (int i = 0; i < params.length; i++) {
            be.copy(copies[i], params[i]);
        }
    }

    /** Whether every current parameter is finite (one host copy: cheap next to an epoch). */
    boolean paramsFinite() {
        for (Matrix m : params) {
            for (float v : m.toArray()) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        Matrix.closeAll(copies);
    }
}
