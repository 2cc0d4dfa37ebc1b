package dbn4j.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one epoch of training measured, by name: e.g. "train_loss", "val_loss", "val_accuracy",
 * "reconstruction_error", "free_energy_gap", "pseudo_log_likelihood", "learning_rate", "momentum",
 * "samples_per_second", "elapsed_seconds". Epochs count from 1. Metrics not measured are absent.
 */
public final class EpochMetrics {
    private final String phase;
    private final int epoch;
    private final Map<String, Double> values;

    public EpochMetrics(String phase, int epoch, Map<String, Double> values) {
        this.phase = phase;
        this.epoch = epoch;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** What was trained: "mlp", "rbm[0]", "dbn-finetune", ... */
    public String phase() {
        return phase;
    }

    public int epoch() {
        return epoch;
    }

    public Map<String, Double> values() {
        return values;
    }

    /** The value, or NaN when this epoch did not measure it. */
    public double get(String name) {
        Double v = values.get(name);
        return v == null ? Double.NaN : v;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(phase).append(" epoch ").append(epoch);
        values.forEach((k, v) -> sb.append(' ').append(k).append('=').append(String.format(java.util.Locale.ROOT, "%.5g", v)));
        return sb.toString();
    }
}
