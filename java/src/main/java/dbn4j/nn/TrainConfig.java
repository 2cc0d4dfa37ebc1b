package dbn4j.nn;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mini-batch SGD settings shared by every model: epochs, batch size, learning rate and its schedule, momentum
 * (with an initial value for the first epochs, as Hinton's guide recommends for RBMs), Nesterov momentum, L2 weight
 * decay, the seed, early stopping on a validation set, checkpoints and listeners. Setters check their argument and
 * throw {@link IllegalArgumentException} naming it.
 */
public final class TrainConfig {
    private int epochs = 10;
    private int batchSize = 100;
    private float learningRate = 0.1f;
    private Schedule schedule = Schedule.constant();
    private float initialMomentum = 0.9f;
    private int initialMomentumEpochs = 0;
    private float momentum = 0.9f;
    private boolean nesterov = false;
    private float weightDecay = 0f;
    private long seed = 42;
    private int patience = 0;
    private Path checkpoint;
    private int checkpointEvery = 1;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private BatchListener progress;
    private java.util.function.BooleanSupplier stop = () -> false;

    public TrainConfig epochs(int v) {
        epochs = positive("epochs", v);
        return this;
    }

    public TrainConfig batchSize(int v) {
        batchSize = positive("batchSize", v);
        return this;
    }

    public TrainConfig learningRate(float v) {
        if (!(v > 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException("learningRate must be a positive finite number, got " + v);
        }
        learningRate = v;
        return this;
    }

    public TrainConfig schedule(Schedule v) {
        if (v == null) {
            throw new IllegalArgumentException("schedule is null");
        }
        schedule = v;
        return this;
    }

    /** Momentum in [0, 1) for all epochs. */
    public TrainConfig momentum(float v) {
        momentum = unit("momentum", v);
        initialMomentum = momentum;
        initialMomentumEpochs = 0;
        return this;
    }

    /** Momentum {@code initial} for the first {@code epochs} epochs, then {@code later} (e.g. 0.5 then 0.9). */
    public TrainConfig momentum(float initial, int epochs, float later) {
        initialMomentum = unit("initial momentum", initial);
        if (epochs < 0) {
            throw new IllegalArgumentException("momentum switch epoch must be >= 0, got " + epochs);
        }
        initialMomentumEpochs = epochs;
        momentum = unit("momentum", later);
        return this;
    }

    public TrainConfig nesterov(boolean v) {
        nesterov = v;
        return this;
    }

    /** L2 weight decay (weight cost) applied to weights, not biases; >= 0. */
    public TrainConfig weightDecay(float v) {
        if (!(v >= 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException("weightDecay must be >= 0 and finite, got " + v);
        }
        weightDecay = v;
        return this;
    }

    public TrainConfig seed(long v) {
        seed = v;
        return this;
    }

    /**
     * Early stopping: stop after {@code v} epochs without a better validation score and keep the best weights;
     * 0 (the default) trains all epochs but still keeps the best weights when a validation set is given.
     */
    public TrainConfig patience(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("patience must be >= 0, got " + v);
        }
        patience = v;
        return this;
    }

    /** Writes a checkpoint to {@code file} (atomically) every {@code every} epochs; null disables. */
    public TrainConfig checkpoint(Path file, int every) {
        checkpoint = file;
        checkpointEvery = positive("checkpoint interval", every);
        return this;
    }

    public TrainConfig listener(TrainingListener l) {
        if (l == null) {
            throw new IllegalArgumentException("listener is null");
        }
        listeners.add(l);
        return this;
    }

    /** An independent copy (listeners are shared). */
    public TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.epochs = epochs;
        c.batchSize = batchSize;
        c.learningRate = learningRate;
        c.schedule = schedule;
        c.initialMomentum = initialMomentum;
        c.initialMomentumEpochs = initialMomentumEpochs;
        c.momentum = momentum;
        c.nesterov = nesterov;
        c.weightDecay = weightDecay;
        c.seed = seed;
        c.patience = patience;
        c.checkpoint = checkpoint;
        c.checkpointEvery = checkpointEvery;
        c.listeners.addAll(listeners);
        c.progress = progress;
        c.stop = stop;
        return c;
    }

    /** Receives every mini-batch (progress bars); null for none. */
    public TrainConfig progress(BatchListener l) {
        progress = l;
        return this;
    }

    /**
     * Checked after every mini-batch: when it returns true, training writes its checkpoint (if one is configured)
     * and throws {@link TrainingInterruptedException}.
     */
    public TrainConfig stopWhen(java.util.function.BooleanSupplier s) {
        if (s == null) {
            throw new IllegalArgumentException("stop signal is null");
        }
        stop = s;
        return this;
    }

    BatchListener progress() {
        return progress;
    }

    boolean stopRequested() {
        return stop.getAsBoolean();
    }

    private static int positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + v);
        }
        return v;
    }

    private static float unit(String name, float v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
        }
        return v;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public float learningRate() {
        return learningRate;
    }

    public Schedule schedule() {
        return schedule;
    }

    /** The learning rate of a 0-based epoch. */
    public float learningRate(int epoch) {
        return schedule.rate(learningRate, epoch);
    }

    /** The momentum of a 0-based epoch. */
    public float momentum(int epoch) {
        return epoch < initialMomentumEpochs ? initialMomentum : momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    public float weightDecay() {
        return weightDecay;
    }

    public long seed() {
        return seed;
    }

    public int patience() {
        return patience;
    }

    public Path checkpoint() {
        return checkpoint;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    public List<TrainingListener> listeners() {
        return Collections.unmodifiableList(listeners);
    }

    /** The hyper-parameters as text, for model files and logs. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", Integer.toString(epochs));
        m.put("batch_size", Integer.toString(batchSize));
        m.put("learning_rate", Float.toString(learningRate));
        m.put("schedule", schedule.toString());
        m.put("initial_momentum", Float.toString(initialMomentum));
        m.put("initial_momentum_epochs", Integer.toString(initialMomentumEpochs));
        m.put("momentum", Float.toString(momentum));
        m.put("nesterov", Boolean.toString(nesterov));
        m.put("weight_decay", Float.toString(weightDecay));
        m.put("seed", Long.toString(seed));
        m.put("patience", Integer.toString(patience));
        return m;
    }
}
