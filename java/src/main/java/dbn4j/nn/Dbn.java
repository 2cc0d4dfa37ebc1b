package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Deep Belief Network: a stack of RBMs trained greedily, layer by layer, each on the hidden probabilities of the
 * one below ({@link #pretrain}); then unrolled into an MLP of sigmoid layers with a softmax output and fine-tuned by
 * backpropagation from the pretrained weights ({@link #finetune}). Generation ({@link #generate}) runs Gibbs chains
 * in the top RBM and passes the result down through the generative weights of the lower RBMs to pixels.
 *
 * <p>Owns its RBMs and its classifier: close it.
 */
public final class Dbn implements AutoCloseable {
    static final String MODEL = "dbn";

    private final Backend be;
    private final int[] sizes;
    private final List<Rbm> rbms = new ArrayList<>();
    private Mlp classifier;

    private Dbn(Backend be, int[] sizes) {
        this.be = be;
        this.sizes = sizes.clone();
    }

    /**
     * A DBN of RBMs sizes[0]-sizes[1], sizes[1]-sizes[2], ... The first RBM has {@code firstVisible} units; the rest
     * have Bernoulli visible units (they see probabilities).
     */
    public static Dbn create(Backend be, int[] sizes, Rbm.Visible firstVisible, long seed) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("a DBN needs at least one RBM: sizes " + java.util.Arrays.toString(sizes));
        }
        Dbn d = new Dbn(be, sizes);
        try {
            for (int l = 0; l + 1 < sizes.length; l++) {
                d.rbms.add(Rbm.create(be, sizes[l], sizes[l + 1], l == 0 ? firstVisible : Rbm.Visible.BERNOULLI,
                        seed + 1000L * l));
            }
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    public int[] sizes() {
        return sizes.clone();
    }

    public List<Rbm> rbms() {
        return Collections.unmodifiableList(rbms);
    }

    /** The fine-tuned classifier, or null before {@link #finetune}. */
    public Mlp classifier() {
        return classifier;
    }

    /**
     * Greedy layer-wise pre-training: RBM l is trained on the hidden probabilities of RBM l-1 (the data for l = 0)
     * with the same settings. With a checkpoint in {@code cfg}, layer l checkpoints to that path with ".rbmL"
     * appended, and a resumed run skips the layers already finished.
     *
     * @param heldOut held-out data for the free-energy gap, or null
     * @return the metrics of every epoch of every layer (phase "rbm[L]")
     */
    public List<EpochMetrics> pretrain(Dataset train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        List<EpochMetrics> all = new ArrayList<>();
        Dataset x = train;
        Dataset h = heldOut;
        for (int l = 0; l < rbms.size(); l++) {
            Rbm rbm = rbms.get(l);
            TrainConfig layerCfg = cfg.copy().seed(cfg.seed() + l);
            if (cfg.checkpoint() != null) {
                layerCfg.checkpoint(sibling(cfg.checkpoint(), ".rbm" + l), cfg.checkpointEvery());
            }
            all.addAll(rbm.fit("rbm[" + l + "]", TrainingData.of(x), h, layerCfg, opts));
            if (l + 1 < rbms.size()) {
                x = features(rbm, x);
                h = h == null ? null : features(rbm, h);
            }
        }
        return all;
    }

    /**
     * Greedy pre-training on data streamed from disk: layer l reads the source through the RBMs below it, a chunk
     * at a time, so that no layer's features need to fit in memory. Otherwise as
     * {@link #pretrain(Dataset, Dataset, TrainConfig, RbmOptions)}.
     */
    public List<EpochMetrics> pretrain(dbn4j.data.RowSource train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        List<EpochMetrics> all = new ArrayList<>();
        Dataset h = heldOut;
        for (int l = 0; l < rbms.size(); l++) {
            TrainConfig layerCfg = cfg.copy().seed(cfg.seed() + l);
            if (cfg.checkpoint() != null) {
                layerCfg.checkpoint(sibling(cfg.checkpoint(), ".rbm" + l), cfg.checkpointEvery());
            }
            dbn4j.data.RowSource x = l == 0 ? train : new FeatureSource(train, rbms.subList(0, l));
            all.addAll(rbms.get(l).fit("rbm[" + l + "]", TrainingData.of(x), h, layerCfg, opts));
            if (l + 1 < rbms.size() && h != null) {
                h = features(rbms.get(l), h);
            }
        }
        return all;
    }

    /** Fine-tuning on data streamed from disk; otherwise as {@link #finetune(Dataset, Dataset, TrainConfig, int)}. */
    public List<EpochMetrics> finetune(dbn4j.data.RowSource train, Dataset validation, TrainConfig cfg, int classes) {
        return finetune(TrainingData.of(train), validation, cfg, classes);
    }

    private static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    private static Dataset features(Rbm rbm, Dataset d) {
        return new Dataset(rbm.transform(d.features(), d.rows()), d.rows(), rbm.hiddenUnits(), d.labels(),
                d.numClasses(), d.description() + " -> features of " + rbm);
    }

    /**
     * Unrolls the pretrained RBMs into an MLP (sigmoid hidden layers with the RBMs' weights and hidden biases) with a
     * new softmax output layer of {@code classes} units, and fine-tunes it by backpropagation.
     *
     * @return the metrics of every fine-tuning epoch (phase "dbn-finetune")
     */
    public List<EpochMetrics> finetune(Dataset train, Dataset validation, TrainConfig cfg, int classes) {
        return finetune(TrainingData.of(train), validation, cfg, classes);
    }

    private List<EpochMetrics> finetune(TrainingData train, Dataset validation, TrainConfig cfg, int classes) {
        if (classifier == null) {
            int[] mlpSizes = java.util.Arrays.copyOf(sizes, sizes.length + 1);
            mlpSizes[sizes.length] = classes;
            classifier = Mlp.create(be, mlpSizes, Activation.SIGMOID, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                    cfg.seed());
            for (int l = 0; l < rbms.size(); l++) {
                be.copy(rbms.get(l).weights(), classifier.weights(l));
                be.copy(rbms.get(l).hiddenBias(), classifier.bias(l));
            }
        } else if (classifier.outputs() != classes) {
            throw new IllegalArgumentException("the classifier has " + classifier.outputs() + " outputs, not " + classes);
        }
        TrainConfig ftCfg = cfg.checkpoint() == null ? cfg
                : cfg.copy().checkpoint(sibling(cfg.checkpoint(), ".finetune"), cfg.checkpointEvery());
        classifier.trainedWith().clear();
        classifier.trainedWith().putAll(ftCfg.describe());
        return new SupervisedTraining(classifier, "dbn-finetune", train, validation, ftCfg).run();
    }

    /** Class probabilities from the fine-tuned classifier, (n, classes). */
    public float[] predictProbabilities(Dataset d) {
        return requireClassifier().predictProbabilities(d);
    }

    public int[] predict(Dataset d) {
        return requireClassifier().predict(d);
    }

    public Evaluation evaluate(Dataset d) {
        return requireClassifier().evaluate(d);
    }

    private Mlp requireClassifier() {
        if (classifier == null) {
            throw new IllegalStateException("the DBN has not been fine-tuned: call finetune first");
        }
        return classifier;
    }

    /**
     * Draws samples: {@code chains} Gibbs chains of {@code steps} steps in the top RBM, then a downward pass
     * v = sigmoid(h W^T + b) through each lower RBM. Returns visible probabilities (chains, sizes[0]).
     */
    public float[] generate(int chains, int steps, long seed) {
        Rbm top = rbms.get(rbms.size() - 1);
        if (rbms.size() == 1) {
            return top.sample(chains, steps, seed, null);
        }
        // The top chain's sampled visible states are the penultimate layer's hidden states.
        float[] x = new float[chains * top.visibleUnits()];
        top.sample(chains, steps, seed, x);
        for (int l = rbms.size() - 2; l >= 0; l--) {
            x = down(rbms.get(l), x, chains);
        }
        return x;
    }

    /**
     * Passes each row up through every RBM (hidden probabilities) and back down (visible means): what the whole
     * stack keeps of the input. (n, sizes[0]).
     */
    public float[] reconstruct(float[] v, int n) {
        float[] x = v;
        for (Rbm r : rbms) {
            x = r.transform(x, n);
        }
        for (int l = rbms.size() - 1; l >= 0; l--) {
            x = down(rbms.get(l), x, n);
        }
        return x;
    }

    private float[] down(Rbm rbm, float[] h, int n) {
        try (Matrix hm = be.matrix(n, rbm.hiddenUnits(), h); Matrix v = be.allocate(n, rbm.visibleUnits())) {
            rbm.visibleMean(hm, v);
            return v.toArray();
        }
    }

    // ---- files ----

    /** Saves the RBMs and (if fine-tuned) the classifier to one safetensors model file, atomically. */
    public void save(Path file) throws IOException {
        ModelFile.Writer out = new ModelFile.Writer(MODEL);
        out.meta("sizes", Mlp.join(sizes));
        for (int l = 0; l < rbms.size(); l++) {
            rbms.get(l).addTo(out, "rbm." + l + ".");
        }
        out.meta("finetuned", Boolean.toString(classifier != null));
        if (classifier != null) {
            classifier.architecture().forEach((k, v) -> out.meta("classifier." + k, v));
            classifier.trainedWith().forEach((k, v) -> out.meta("classifier.train." + k, v));
            classifier.addTensors(out, "classifier.");
        }
        out.write(file);
    }

    /**
     * Loads a DBN saved by {@link #save}.
     *
     * @throws IOException naming the file and the problem
     */
    public static Dbn load(Backend be, Path file) throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        if (!MODEL.equals(in.model())) {
            throw in.wrongModel("dbn");
        }
        int[] sizes = in.intList("sizes");
        if (sizes.length < 2) {
            throw in.corrupt("a DBN needs at least two sizes");
        }
        Dbn d = new Dbn(be, sizes);
        try {
            for (int l = 0; l + 1 < sizes.length; l++) {
                Rbm r = Rbm.read(be, in, "rbm." + l + ".");
                d.rbms.add(r);
                if (r.visibleUnits() != sizes[l] || r.hiddenUnits() != sizes[l + 1]) {
                    throw in.corrupt("RBM " + l + " is " + r.visibleUnits() + "x" + r.hiddenUnits() + ", sizes say "
                            + sizes[l] + "x" + sizes[l + 1]);
                }
            }
            if (Boolean.parseBoolean(in.get("finetuned"))) {
                d.classifier = Mlp.read(be, in, "classifier.", Mlp.MODEL);
            }
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    @Override
    public void close() {
        for (Rbm r : rbms) {
            r.close();
        }
        if (classifier != null) {
            classifier.close();
        }
    }

    @Override
    public String toString() {
        return "dbn " + Mlp.join(sizes) + (classifier == null ? "" : " + classifier " + classifier);
    }
}
