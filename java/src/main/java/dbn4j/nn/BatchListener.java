package dbn4j.nn;

/** Called after every mini-batch (on the training thread): for progress bars. Must be cheap. */
@FunctionalInterface
public interface BatchListener {
    /**
     * @param phase   what is being trained ("mlp", "rbm[0]", ...)
     * @param epoch   1-based epoch
     * @param batch   1-based mini-batch just finished
     * @param batches mini-batches in this epoch
     * @param rows    examples in this mini-batch
     */
    void onBatch(String phase, int epoch, int batch, int batches, int rows);
}
