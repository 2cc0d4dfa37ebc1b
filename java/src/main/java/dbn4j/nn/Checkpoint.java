package dbn4j.nn;

import dbn4j.Matrix;
import dbn4j.io.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints of training runs: the model's weights plus everything the loop needs to continue exactly where it
 * stopped (optimizer velocities, the best weights so far, early-stopping counters, the random stream's position,
 * persistent chains, the metrics history). Written atomically through {@link ModelFile}; the model file kind is
 * "checkpoint". Resuming from one gives bit-identical weights to an uninterrupted run, because every other input
 * of an epoch (its shuffle, learning rate, momentum) is a function of the seed and the epoch number.
 */
final class Checkpoint {
    static final String MODEL = "checkpoint";

    private Checkpoint() {}

    static void saveSupervised(Path file, Mlp model, Mlp.Optimizer opt, Matrix[] best, SupervisedTraining.Progress p,
            TrainConfig cfg) throws IOException {
        ModelFile.Writer out = new ModelFile.Writer(MODEL);
        out.meta("trains", model.kind());
        model.architecture().forEach((k, v) -> out.meta("model." + k, v));
        cfg.describe().forEach((k, v) -> out.meta("train." + k, v));
        out.meta("epochs_done", Integer.toString(p.epochsDone));
        out.meta("batches_done", Integer.toString(p.batchesDone));
        out.meta("partial_loss", Double.toString(p.partialLoss));
        out.meta("best_accuracy", Double.toString(p.bestAccuracy));
        out.meta("best_loss", Double.toString(p.bestLoss));
        out.meta("since_best", Integer.toString(p.sinceBest));
        out.meta("history", encode(p.history));
        model.addTensors(out, "model.");
        for (int l = 0; l < model.layers(); l++) {
            out.tensor("velocity." + l, opt.velocity[l]);
            out.tensor("best." + l, best[l]);
        }
        out.write(file);
    }

    static void restoreSupervised(Path file, Mlp model, Mlp.Optimizer opt, Matrix[] best, SupervisedTraining.Progress p)
            throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        if (!MODEL.equals(in.model()) || !in.has("trains")) {
            throw in.wrongModel("checkpoint of a supervised training run");
        }
        requireSameArchitecture(in, model.architecture(), "model.");
        for (int l = 0; l < model.layers(); l++) {
            Matrix params = model.params(l);
            int in0 = model.sizes()[l];
            int out0 = model.sizes()[l + 1];
            model.weights(l).set(in.tensor("model.layer." + l + ".weight", in0, out0));
            model.bias(l).set(in.tensor("model.layer." + l + ".bias", 1, out0));
            opt.velocity[l].set(in.tensor("velocity." + l, params.rows(), params.cols()));
            best[l].set(in.tensor("best." + l, params.rows(), params.cols()));
        }
        p.epochsDone = in.getInt("epochs_done");
        p.batchesDone = in.getInt("batches_done");
        p.partialLoss = in.getDouble("partial_loss");
        p.bestAccuracy = in.getDouble("best_accuracy");
        p.bestLoss = in.getDouble("best_loss");
        p.sinceBest = in.getInt("since_best");
        p.history.clear();
        p.history.addAll(decode(in, in.get("history")));
    }

    static void saveRbm(Path file, Rbm rbm, Matrix velocity, Matrix velocityB, Matrix chain, Matrix q,
            RbmTraining.Progress p, TrainConfig cfg, RbmOptions opts) throws IOException {
        ModelFile.Writer out = new ModelFile.Writer(MODEL);
        out.meta("trains", Rbm.MODEL);
        rbm.addTo(out, "model.");
        cfg.describe().forEach((k, v) -> out.meta("train." + k, v));
        opts.describe().forEach((k, v) -> out.meta("rbm." + k, v));
        out.meta("epochs_done", Integer.toString(p.epochsDone));
        out.meta("batches_done", Integer.toString(p.batchesDone));
        out.meta("rng_offset", Long.toString(p.rngOffset));
        out.meta("history", encode(p.history));
        out.tensor("velocity", velocity);
        out.tensor("velocity_visible_bias", velocityB);
        if (chain != null) {
            out.tensor("chain", chain);
        }
        if (q != null) {
            out.tensor("sparsity_q", q);
        }
        out.write(file);
    }

    static void restoreRbm(Path file, Rbm rbm, Matrix velocity, Matrix velocityB, Matrix chain, Matrix q,
            RbmTraining.Progress p) throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        if (!MODEL.equals(in.model()) || !in.has("trains") || !Rbm.MODEL.equals(in.get("trains"))) {
            throw in.wrongModel("checkpoint of an RBM training run");
        }
        int nv = rbm.visibleUnits();
        int nh = rbm.hiddenUnits();
        if (in.getInt("model.visible_units") != nv || in.getInt("model.hidden_units") != nh
                || !in.get("model.visible_type").equalsIgnoreCase(rbm.visibleType().name())) {
            throw in.corrupt("checkpoint is of a different RBM (" + in.get("model.visible_units") + "x"
                    + in.get("model.hidden_units") + " " + in.get("model.visible_type") + "), this run trains " + rbm);
        }
        if ((chain != null) != in.hasTensor("chain") || (q != null) != in.hasTensor("sparsity_q")) {
            throw in.corrupt("checkpoint was written with other PCD or sparsity settings than this run");
        }
        rbm.weights().set(in.tensor("model.weight", nv, nh));
        rbm.hiddenBias().set(in.tensor("model.hidden_bias", 1, nh));
        rbm.visibleBias().set(in.tensor("model.visible_bias", 1, nv));
        rbm.restored();
        velocity.set(in.tensor("velocity", nv + 1, nh));
        velocityB.set(in.tensor("velocity_visible_bias", 1, nv));
        if (chain != null) {
            chain.set(in.tensor("chain", chain.rows(), nv));
        }
        if (q != null) {
            q.set(in.tensor("sparsity_q", 1, nh));
        }
        p.epochsDone = in.getInt("epochs_done");
        p.batchesDone = in.getInt("batches_done");
        p.rngOffset = in.getLong("rng_offset");
        p.history.clear();
        p.history.addAll(decode(in, in.get("history")));
    }

    static void requireSameArchitecture(ModelFile.Reader in, Map<String, String> expected, String prefix)
            throws ModelFormatException {
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String got = in.get(prefix + e.getKey());
            if (!got.equals(e.getValue())) {
                throw in.corrupt("checkpoint is of a different model: " + e.getKey() + " is " + got + ", this run has "
                        + e.getValue());
            }
        }
    }

    /** One line per epoch: phase;epoch;name=value;... (doubles as Double.toString, which round-trips). */
    static String encode(List<EpochMetrics> history) {
        StringBuilder sb = new StringBuilder();
        for (EpochMetrics m : history) {
            sb.append(m.phase()).append(';').append(m.epoch());
            m.values().forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
            sb.append('\n');
        }
        return sb.toString();
    }

    static List<EpochMetrics> decode(ModelFile.Reader in, String text) throws ModelFormatException {
        List<EpochMetrics> out = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(";");
            try {
                Map<String, Double> values = new LinkedHashMap<>();
                for (int i = 2; i < parts.length; i++) {
                    int eq = parts[i].indexOf('=');
                    values.put(parts[i].substring(0, eq), Double.parseDouble(parts[i].substring(eq + 1)));
                }
                out.add(new EpochMetrics(parts[0], Integer.parseInt(parts[1]), values));
            } catch (RuntimeException e) {
                throw in.corrupt("metrics history line '" + line + "' is malformed");
            }
        }
        return out;
    }
}
