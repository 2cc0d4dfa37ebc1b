package dbn4j.nn;

/** Receives the metrics of every finished epoch (on the training thread). */
@FunctionalInterface
public interface TrainingListener {
    void onEpoch(EpochMetrics metrics);

    /**
     * A run of {@code phase} was restored from a checkpoint holding these finished epochs (the metrics of epochs
     * after it, if a log has them, belong to work that is being redone).
     */
    default void onResume(String phase, java.util.List<EpochMetrics> restored) {}
}
