package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.data.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One supervised training run of an {@link Mlp}: the epoch loop with per-epoch shuffling, momentum and
 * learning-rate schedules, validation scoring, early stopping (best weights kept), divergence detection and
 * checkpoints that resume to bit-identical weights.
 */
final class SupervisedTraining {
    private final Mlp model;
    private final String phase;
    private final TrainingData train;
    private final Dataset validation;
    private final TrainConfig cfg;

    SupervisedTraining(Mlp model, String phase, TrainingData train, Dataset validation, TrainConfig cfg) {
        this.model = model;
        this.phase = phase;
        this.train = train;
        this.validation = validation;
        this.cfg = cfg;
    }

    /** State that a checkpoint carries besides the weights. */
    static final class Progress {
        int epochsDone;
        /** Mini-batches of epoch epochsDone + 1 already done (a checkpoint written on a stop signal). */
        int batchesDone;
        /** Their summed loss (times rows), so the epoch's mean loss comes out the same after a resume. */
        double partialLoss;
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        double bestLoss = Double.POSITIVE_INFINITY;
        int sinceBest;
        final List<EpochMetrics> history = new ArrayList<>();
    }

    private static Matrix[] paramBlocks(Mlp model) {
        Matrix[] p = new Matrix[model.layers()];
        for (int l = 0; l < p.length; l++) {
            p[l] = model.params(l);
        }
        return p;
    }

    /**
     * Adds the logged losses of batches [from, to) of epoch (0-based), each times its row count, to sum in batch
     * order; at the first non-finite one restores the last good weights and throws, naming that batch.
     */
    private double addLosses(Backend.LossLog losses, int[] batchRows, int from, int to, double sum, LastGood lastGood,
            int epoch) {
        double[] v = losses.read(from, to);
        for (int k = 0; k < v.length; k++) {
            if (!Double.isFinite(v[k])) {
                lastGood.restore();
                throw new TrainingDivergedException(phase, epoch + 1, from + k + 1, v[k]);
            }
            sum += v[k] * batchRows[from + k];
        }
        return sum;
    }

    List<EpochMetrics> run() {
        model.checkTraining(train);
        if (validation != null) {
            model.checkData(validation, "validation");
        }
        if (cfg.batchSize() > train.rows()) {
            throw new IllegalArgumentException("batch size " + cfg.batchSize() + " is larger than the training data ("
                    + train.rows() + " rows)");
        }
        var be = model.backend();
        int layers = model.layers();
        int bs = cfg.batchSize();
        Progress progress = new Progress();
        Matrix[] best = new Matrix[layers];
        try (Batches data = train.batches(be, model.targetFiller(train.numClasses()), model.outputs(), bs);
                StepRecording recording = new StepRecording(be, "supervised", data, bs, model.inputs(),
                        model.outputs());
                Mlp.Workspace ws = model.new Workspace(bs);
                Mlp.Optimizer opt = model.new Optimizer();
                LastGood lastGood = new LastGood(be, paramBlocks(model));
                Backend.LossLog losses = be.lossLog(data.count());
                Backend.Cleanup forks = be.forkRelease()) {   // a step that failed between a fork and its join
            int[] batchRows = new int[data.count()];
            for (int l = 0; l < layers; l++) {
                best[l] = be.allocate(model.params(l).rows(), model.params(l).cols());
            }
            if (cfg.checkpoint() != null && Files.exists(cfg.checkpoint())) {
                Checkpoint.restoreSupervised(cfg.checkpoint(), model, opt, best, progress);
                for (TrainingListener l : cfg.listeners()) {
                    l.onResume(phase, progress.history);
                }
            }
            long start = System.nanoTime();
            int firstEpoch = progress.epochsDone;
            for (int epoch = firstEpoch; epoch < cfg.epochs(); epoch++) {
                if (validation != null && cfg.patience() > 0 && progress.sinceBest >= cfg.patience()) {
                    break; // resumed from the checkpoint of a run that had already stopped early
                }
                long t0 = System.nanoTime();
                float lr = cfg.learningRate(epoch);
                float momentum = cfg.momentum(epoch);
                int firstBatch = progress.batchesDone;
                double sum = progress.partialLoss;
                progress.batchesDone = 0;
                progress.partialLoss = 0;
                if (epoch > firstEpoch && !lastGood.paramsFinite()) {
                    // The last step of the previous epoch overflowed: its start is the last good state.
                    lastGood.restore();
                    throw new TrainingDivergedException(phase, epoch, data.count(), Double.NaN);
                }
                lastGood.save();
                data.shuffle(cfg.seed(), epoch);
                // The losses go into the log and are read once, after the epoch's last step (or at a stop): on a
                // GPU nothing in the mini-batch loop waits for the device. A non-finite loss then names its batch
                // and restores the weights of the epoch's start, as a check after every step would.
                try (Backend.Replay replay = recording.record(train.rows() / bs - firstBatch, null, losses,
                        r -> model.trainStep(recording.fixed(0), recording.fixed(1), ws, opt, lr, momentum,
                                cfg.weightDecay(), cfg.nesterov(), recording.loss(), 0))) {
                    for (int i = firstBatch; i < data.count(); i++) {
                        int rows = data.batchRows(i);
                        batchRows[i] = rows;
                        if (replay != null && rows == bs) {
                            recording.run(replay, i);
                        } else {
                            Matrix x = data.x(i);
                            model.trainStep(x, data.t(i), ws, opt, lr, momentum, cfg.weightDecay(), cfg.nesterov(),
                                    losses, i);
                        }
                        if (cfg.progress() != null) {
                            cfg.progress().onBatch(phase, epoch + 1, i + 1, data.count(), rows);
                        }
                        if (cfg.stopRequested() && i + 1 < data.count()) {
                            sum = addLosses(losses, batchRows, firstBatch, i + 1, sum, lastGood, epoch);
                            progress.batchesDone = i + 1;
                            progress.partialLoss = sum;
                            if (cfg.checkpoint() != null) {
                                Checkpoint.saveSupervised(cfg.checkpoint(), model, opt, best, progress, cfg);
                            }
                            throw new TrainingInterruptedException(phase, epoch + 1, i + 1, cfg.checkpoint());
                        }
                    }
                }
                sum = addLosses(losses, batchRows, firstBatch, data.count(), sum, lastGood, epoch);
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("train_loss", sum / train.rows());
                if (validation != null) {
                    Evaluation ev = model.evaluate(validation);
                    m.put("val_loss", ev.loss());
                    m.put("val_accuracy", ev.accuracy());
                    boolean better = ev.accuracy() > progress.bestAccuracy
                            || (ev.accuracy() == progress.bestAccuracy && ev.loss() < progress.bestLoss);
                    if (better) {
                        progress.bestAccuracy = ev.accuracy();
                        progress.bestLoss = ev.loss();
                        progress.sinceBest = 0;
                        for (int l = 0; l < layers; l++) {
                            be.copy(model.params(l), best[l]);
                        }
                    } else {
                        progress.sinceBest++;
                    }
                }
                m.put("learning_rate", (double) lr);
                m.put("momentum", (double) momentum);
                // A resumed epoch timed only the batches it ran.
                m.put("samples_per_second", (train.rows() - Math.min(train.rows(), firstBatch * cfg.batchSize())) / seconds);
                m.put("elapsed_seconds", (System.nanoTime() - start) / 1e9);
                EpochMetrics metrics = new EpochMetrics(phase, epoch + 1, m);
                progress.history.add(metrics);
                progress.epochsDone = epoch + 1;
                boolean stop = validation != null && cfg.patience() > 0 && progress.sinceBest >= cfg.patience();
                if (cfg.checkpoint() != null && (progress.epochsDone % cfg.checkpointEvery() == 0 || stop
                        || progress.epochsDone == cfg.epochs())) {
                    Checkpoint.saveSupervised(cfg.checkpoint(), model, opt, best, progress, cfg);
                }
                for (TrainingListener listener : cfg.listeners()) {
                    listener.onEpoch(metrics);
                }
                if (stop) {
                    break;
                }
                if (cfg.stopRequested() && progress.epochsDone < cfg.epochs()) {
                    if (cfg.checkpoint() != null) {
                        Checkpoint.saveSupervised(cfg.checkpoint(), model, opt, best, progress, cfg);
                    }
                    throw new TrainingInterruptedException(phase, progress.epochsDone, data.count(), cfg.checkpoint());
                }
            }
            if (validation != null && progress.bestAccuracy > Double.NEGATIVE_INFINITY) {
                for (int l = 0; l < layers; l++) {
                    be.copy(best[l], model.params(l));
                }
            }
            return progress.history;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + cfg.checkpoint() + ": " + e.getMessage(), e);
        } finally {
            for (int l = 0; l < layers; l++) {
                if (best[l] != null) {
                    best[l].close();
                }
            }
        }
    }
}
