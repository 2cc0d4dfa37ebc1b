package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multilayer perceptron: dense layers {@code sizes[0] -> sizes[1] -> ... -> sizes[L]}, each with an activation,
 * trained by backpropagation with mini-batch SGD ({@link #fit}). Logistic regression is the case of no hidden layer
 * ({@link LogisticRegression}). The parameters of layer l live on the backend as one block of (in + 1, out) floats:
 * rows [0, in) are the weights W (in, out), row in is the bias b (1, out).
 *
 * <p>Owns native memory: close it.
 */
public final class Mlp implements AutoCloseable {
    static final String MODEL = "mlp";

    private final Backend be;
    private final String kind;
    private final int[] sizes;
    private final Activation[] acts;
    private final Loss loss;
    private final Matrix[] params;
    private final Matrix[] w;
    private final Matrix[] b;
    /** The hyper-parameters of the last training run (for the model file); empty before training. */
    private final java.util.Map<String, String> trainedWith = new LinkedHashMap<>();

    Mlp(Backend be, String kind, int[] sizes, Activation[] acts, Loss loss) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output size, got "
                    + Arrays.toString(sizes));
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1) {
                throw new IllegalArgumentException("layer size " + i + " must be >= 1, got " + sizes[i]);
            }
        }
        if (acts.length != sizes.length - 1) {
            throw new IllegalArgumentException(acts.length + " activations for " + (sizes.length - 1) + " layers");
        }
        for (int l = 0; l < acts.length - 1; l++) {
            if (acts[l] == Activation.SOFTMAX) {
                throw new IllegalArgumentException("softmax is an output activation, not a hidden one (layer " + l + ")");
            }
        }
        loss.checkOutput(acts[acts.length - 1]);
        this.be = be;
        this.kind = kind;
        this.sizes = sizes.clone();
        this.acts = acts.clone();
        this.loss = loss;
        int layers = sizes.length - 1;
        params = new Matrix[layers];
        w = new Matrix[layers];
        b = new Matrix[layers];
        try {
            for (int l = 0; l < layers; l++) {
                params[l] = be.allocate(sizes[l] + 1, sizes[l + 1]);
                w[l] = params[l].rows(0, sizes[l]);
                b[l] = params[l].rows(sizes[l], sizes[l] + 1);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A new MLP with weights drawn from N(0, s^2) — s = sqrt(2/in) for ReLU layers (He), 4 sqrt(2/(in+out)) for
     * sigmoid (Glorot), sqrt(1/in) otherwise — and zero biases, all from the Philox stream of {@code seed}.
     *
     * @param sizes  input size, hidden sizes..., output size
     * @param hidden activation of every hidden layer
     * @param output activation of the output layer (SOFTMAX, SIGMOID, LINEAR, ...)
     */
    public static Mlp create(Backend be, int[] sizes, Activation hidden, Activation output, Loss loss, long seed) {
        Activation[] acts = new Activation[sizes.length - 1];
        Arrays.fill(acts, hidden);
        acts[acts.length - 1] = output;
        Mlp m = new Mlp(be, MODEL, sizes, acts, loss);
        m.initialize(seed);
        return m;
    }

    void initialize(long seed) {
        RandomStream rng = new RandomStream(seed);
        for (int l = 0; l < layers(); l++) {
            int in = sizes[l];
            int out = sizes[l + 1];
            double s;
            switch (acts[l]) {
                case RELU: s = Math.sqrt(2.0 / in); break;
                case SIGMOID: s = 4 * Math.sqrt(2.0 / (in + out)); break;
                default: s = Math.sqrt(1.0 / in); break;
            }
            be.gaussian(rng, null, (float) s, w[l]);
            be.scale(0f, b[l]);
        }
    }

    public Backend backend() {
        return be;
    }

    /** "mlp" or "logistic". */
    public String kind() {
        return kind;
    }

    public int layers() {
        return sizes.length - 1;
    }

    public int[] sizes() {
        return sizes.clone();
    }

    public int inputs() {
        return sizes[0];
    }

    public int outputs() {
        return sizes[sizes.length - 1];
    }

    public Activation activation(int layer) {
        return acts[layer];
    }

    public Loss loss() {
        return loss;
    }

    /** Classes predicted: the output count, or 2 for a single sigmoid output. */
    public int numClasses() {
        return outputs() == 1 ? 2 : outputs();
    }

    /** The weights (in, out) of a layer: a view owned by this model. */
    public Matrix weights(int layer) {
        return w[layer];
    }

    /** The bias (1, out) of a layer: a view owned by this model. */
    public Matrix bias(int layer) {
        return b[layer];
    }

    Matrix params(int layer) {
        return params[layer];
    }

    // ---- forward and backward over a workspace ----

    /** Activations and deltas of every layer for up to {@code capacity} rows. */
    final class Workspace implements AutoCloseable {
        final int capacity;
        final Matrix[] act;
        final Matrix[] delta;
        private Matrix[] tailAct;
        private Matrix[] tailDelta;
        private int tailRows = -1;

        Workspace(int capacity) {
            this.capacity = capacity;
            act = new Matrix[layers()];
            delta = new Matrix[layers()];
            try {
                for (int l = 0; l < layers(); l++) {
                    act[l] = be.allocate(capacity, sizes[l + 1]);
                    delta[l] = be.allocate(capacity, sizes[l + 1]);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** Views for a batch of {@code rows}: the full buffers, or views cached for the one tail size. */
        Matrix[] act(int rows) {
            if (rows == capacity) {
                return act;
            }
            tail(rows);
            return tailAct;
        }

        Matrix[] delta(int rows) {
            if (rows == capacity) {
                return delta;
            }
            tail(rows);
            return tailDelta;
        }

        private void tail(int rows) {
            if (rows != tailRows) {
                tailAct = new Matrix[layers()];
                tailDelta = new Matrix[layers()];
                for (int l = 0; l < layers(); l++) {
                    tailAct[l] = act[l].rows(0, rows);
                    tailDelta[l] = delta[l].rows(0, rows);
                }
                tailRows = rows;
            }
        }

        @Override
        public void close() {
            Matrix.closeAll(act);
            Matrix.closeAll(delta);
        }
    }

    /** Computes every layer's output into a; the last holds the output pre-activation (logits). */
    private void forwardToLogits(Matrix x, Matrix[] a) {
        Matrix in = x;
        for (int l = 0; l < layers(); l++) {
            be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, in, w[l], 0f, a[l]);
            if (l < layers() - 1 && acts[l] == Activation.SIGMOID) {
                be.biasSigmoid(a[l], b[l]); // bias and sigmoid in one pass, the same bits
            } else {
                be.addRowVector(a[l], b[l]);
                if (l < layers() - 1) {
                    acts[l].forwardInPlace(be, a[l]);
                }
            }
            in = a[l];
        }
    }

    /**
     * Forward pass with loss: the output layer's activations end in a[L-1]; writes the output delta (gradient of
     * the mean loss with respect to the output pre-activation) into d if d is not null. Returns the mean loss.
     */
    private double forwardLoss(Matrix x, Matrix t, Matrix[] a, Matrix d) {
        return forwardLoss(x, t, a, d, null, 0);
    }

    /** The loss into slot {@code slot} of {@code log} (then returns NaN), or returned where log is null. */
    private double forwardLoss(Matrix x, Matrix t, Matrix[] a, Matrix d, Backend.LossLog log, int slot) {
        forwardToLogits(x, a);
        Matrix z = a[layers() - 1];
        Activation out = acts[layers() - 1];
        double value = Double.NaN;
        if (loss == Loss.CROSS_ENTROPY && out == Activation.SOFTMAX) {
            if (log == null) {
                value = be.softmaxCrossEntropy(z, t, z, d);
            } else {
                be.softmaxCrossEntropy(z, t, z, d, log, slot);
            }
        } else if (loss == Loss.CROSS_ENTROPY) {
            if (log == null) {
                value = be.sigmoidCrossEntropy(z, t, z, d);
            } else {
                be.sigmoidCrossEntropy(z, t, z, d, log, slot);
            }
        } else {
            out.forwardInPlace(be, z);
            if (log == null) {
                value = be.squaredError(z, t, d);
            } else {
                be.squaredError(z, t, d, log, slot);
            }
            if (d != null) {
                out.backwardInPlace(be, z, d);
            }
        }
        return value;
    }

    /** Backpropagates deltas d (d[L-1] set by the loss) and writes parameter gradients into grads. */
    private void backward(Matrix x, Matrix[] a, Matrix[] d, Matrix[] gw, Matrix[] gb) {
        for (int l = layers() - 1; l >= 0; l--) {
            Matrix in = l == 0 ? x : a[l - 1];
            be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, in, d[l], 0f, gw[l]);
            be.columnSums(d[l], gb[l], 1f, 0f);
            if (l > 0) {
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, d[l], w[l], 0f, d[l - 1]);
                acts[l - 1].backwardInPlace(be, a[l - 1], d[l - 1]);
            }
        }
    }

    /** The gradient blocks and velocities of one training run, shaped like the parameters. */
    final class Optimizer implements AutoCloseable {
        final Matrix[] grad = new Matrix[layers()];
        final Matrix[] gw = new Matrix[layers()];
        final Matrix[] gb = new Matrix[layers()];
        final Matrix[] velocity = new Matrix[layers()];
        final Matrix[] vw = new Matrix[layers()];
        final Matrix[] vb = new Matrix[layers()];

        Optimizer() {
            try {
                for (int l = 0; l < layers(); l++) {
                    grad[l] = be.allocate(sizes[l] + 1, sizes[l + 1]);
                    gw[l] = grad[l].rows(0, sizes[l]);
                    gb[l] = grad[l].rows(sizes[l], sizes[l] + 1);
                    velocity[l] = be.allocate(sizes[l] + 1, sizes[l + 1]);
                    vw[l] = velocity[l].rows(0, sizes[l]);
                    vb[l] = velocity[l].rows(sizes[l], sizes[l] + 1);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            Matrix.closeAll(grad);
            Matrix.closeAll(velocity);
        }
    }

    /** One SGD step on a mini-batch; returns the batch's mean loss (before the step). */
    double trainStep(Matrix x, Matrix t, Workspace ws, Optimizer opt, float lr, float momentum, float weightDecay,
            boolean nesterov) {
        return trainStep(x, t, ws, opt, lr, momentum, weightDecay, nesterov, null, 0);
    }

    /** One step; its loss into slot {@code slot} of {@code log} (nothing waits for the device), or returned. */
    double trainStep(Matrix x, Matrix t, Workspace ws, Optimizer opt, float lr, float momentum, float weightDecay,
            boolean nesterov, Backend.LossLog log, int slot) {
        int rows = x.rows();
        Matrix[] a = ws.act(rows);
        Matrix[] d = ws.delta(rows);
        double value = forwardLoss(x, t, a, d[layers() - 1], log, slot);
        backwardStep(x, a, d, opt, lr, momentum, weightDecay, nesterov);
        return value;
    }

    /**
     * {@link #backward} and an SGD-momentum step of every parameter in one pass from the top: each layer's delta below
     * is formed from its weights before they take their step, and the weight gradient and step are one call (fused on
     * the CPU, see {@link Backend#gemmSgdMomentum}).
     */
    private void backwardStep(Matrix x, Matrix[] a, Matrix[] d, Optimizer opt, float lr, float momentum,
            float weightDecay, boolean nesterov) {
        Backend.Fork[] biasSteps = new Backend.Fork[layers()];
        for (int l = layers() - 1; l >= 0; l--) {
            Matrix in = l == 0 ? x : a[l - 1];
            // The bias's gradient and its step in one call, in a fork (beside the layers below on a GPU): nothing
            // below writes d[l] or reads b, gb and vb of this layer.
            Matrix delta = d[l];
            Backend.SgdStep step = new Backend.SgdStep(b[l], opt.vb[l], lr, momentum, 0f, nesterov);
            Matrix gb = opt.gb[l];
            biasSteps[l] = be.fork(() -> be.columnSums(delta, gb, 1f, 0f, step));
            if (l + 2 < layers()) {
                be.join(biasSteps[l + 2]);   // queued two layers ago, so done or nearly: at most three stay open
                biasSteps[l + 2] = null;
            }
            if (l > 0) {
                be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, d[l], w[l], 0f, d[l - 1]);
                acts[l - 1].backwardInPlace(be, a[l - 1], d[l - 1]);
            }
            be.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, in, d[l], null, null, opt.gw[l], w[l],
                    opt.vw[l], lr, momentum, weightDecay, nesterov);
        }
        for (Backend.Fork f : biasSteps) {
            if (f != null) {
                be.join(f);
            }
        }
    }

    /** Gradients of the mean loss of (x, t) into opt's gradient blocks, without a step; returns the loss. */
    double gradient(Matrix x, Matrix t, Workspace ws, Optimizer opt) {
        Matrix[] a = ws.act(x.rows());
        Matrix[] d = ws.delta(x.rows());
        double value = forwardLoss(x, t, a, d[layers() - 1]);
        backward(x, a, d, opt.gw, opt.gb);
        return value;
    }

    // ---- data ----

    /** Targets for a labelled data set: one-hot rows, or the label itself for a single sigmoid output. */
    float[] targets(Dataset d) {
        if (d.labels() == null) {
            throw new IllegalArgumentException("data set '" + d.description() + "' has no labels");
        }
        float[] t = new float[d.rows() * outputs()];
        targetFiller(d.numClasses()).fill(d.labels(), d.rows(), t);
        return t;
    }

    /** Fills target rows from labels: one-hot, or the label itself for a single sigmoid output. */
    StreamedBatches.Targets targetFiller(int numClasses) {
        if (outputs() == 1) {
            if (numClasses != 2) {
                throw new IllegalArgumentException("a single-output model needs 2 classes, the data has " + numClasses);
            }
            return (labels, n, out) -> {
                for (int i = 0; i < n; i++) {
                    out[i] = labels[i];
                }
            };
        }
        if (numClasses != outputs()) {
            throw new IllegalArgumentException("the model has " + outputs() + " outputs, the data has " + numClasses
                    + " classes");
        }
        int k = outputs();
        return (labels, n, out) -> {
            java.util.Arrays.fill(out, 0, n * k, 0f);
            for (int i = 0; i < n; i++) {
                out[i * k + labels[i]] = 1f;
            }
        };
    }

    void checkTraining(TrainingData d) {
        if (d.rows() == 0) {
            throw new IllegalArgumentException("training data set '" + d.description() + "' is empty");
        }
        if (d.cols() != inputs()) {
            throw new IllegalArgumentException("training data set '" + d.description() + "' has " + d.cols()
                    + " features, the model expects " + inputs());
        }
        d.validate();
        if (!d.labelled()) {
            throw new IllegalArgumentException("training data set '" + d.description() + "' has no labels");
        }
        if (outputs() != 1 && d.numClasses() != outputs()) {
            throw new IllegalArgumentException("the model has " + outputs() + " outputs, the data set '" + d.description()
                    + "' has " + d.numClasses() + " classes");
        }
    }

    void checkData(Dataset d, String name) {
        if (d.rows() == 0) {
            throw new IllegalArgumentException(name + " data set '" + d.description() + "' is empty");
        }
        if (d.cols() != inputs()) {
            throw new IllegalArgumentException(name + " data set '" + d.description() + "' has " + d.cols()
                    + " features, the model expects " + inputs());
        }
        d.validate();
    }

    // ---- training ----

    /**
     * Trains on {@code train} by mini-batch SGD with backpropagation. With a validation set, each epoch is scored on
     * it (accuracy, then loss), the best weights are kept, and training stops early after
     * {@link TrainConfig#patience()} epochs without improvement (when that is above 0).
     *
     * @return the metrics of every epoch
     * @throws IllegalArgumentException for bad data (empty, NaN, labels out of range, feature count) or a batch
     *                                  larger than the data, before any native call
     * @throws TrainingDivergedException if the loss becomes NaN or infinite
     */
    public List<EpochMetrics> fit(Dataset train, Dataset validation, TrainConfig cfg) {
        return fit(TrainingData.of(train), validation, cfg);
    }

    List<EpochMetrics> fit(TrainingData train, Dataset validation, TrainConfig cfg) {
        trainedWith.clear();
        trainedWith.putAll(cfg.describe());
        return new SupervisedTraining(this, kind, train, validation, cfg).run();
    }

    /**
     * Trains on data streamed from disk a chunk at a time (for training sets larger than memory); otherwise as
     * {@link #fit(Dataset, Dataset, TrainConfig)}. The validation set is in memory.
     */
    public List<EpochMetrics> fit(dbn4j.data.RowSource train, Dataset validation, TrainConfig cfg) {
        return fit(TrainingData.of(train), validation, cfg);
    }

    // ---- inference ----

    /** Class probabilities, (n, numClasses) row-major. */
    public float[] predictProbabilities(Dataset d) {
        checkFeatures(d);
        return predictProbabilities(d.features(), d.rows());
    }

    float[] predictProbabilities(float[] features, int n) {
        int k = numClasses();
        float[] out = new float[n * k];
        int chunk = Math.min(n, 1000);
        try (Workspace ws = new Workspace(chunk); Matrix x = be.allocate(chunk, inputs())) {
            float[] buf = new float[chunk * outputs()];
            for (int from = 0; from < n; from += chunk) {
                int rows = Math.min(chunk, n - from);
                Matrix xv = rows == chunk ? x : x.rows(0, rows);
                be.copyFromHost(features, from * inputs(), xv, 0, rows * inputs());
                Matrix[] a = ws.act(rows);
                forwardToLogits(xv, a);
                acts[layers() - 1].forwardInPlace(be, a[layers() - 1]);
                be.copyToHost(a[layers() - 1], 0, buf, 0, rows * outputs());
                if (outputs() == 1) {
                    for (int i = 0; i < rows; i++) {
                        out[(from + i) * 2] = 1 - buf[i];
                        out[(from + i) * 2 + 1] = buf[i];
                    }
                } else {
                    System.arraycopy(buf, 0, out, from * k, rows * k);
                }
            }
        }
        return out;
    }

    /** The most probable class of every row. */
    public int[] predict(Dataset d) {
        return argmax(predictProbabilities(d), d.rows(), numClasses());
    }

    static int[] argmax(float[] p, int n, int k) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (p[i * k + j] > p[i * k + best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /** Accuracy, mean loss and confusion matrix on a labelled data set. */
    public Evaluation evaluate(Dataset d) {
        checkData(d, "evaluation");
        float[] t = targets(d);
        int n = d.rows();
        int chunk = Math.min(n, 1000);
        int[] predicted = new int[n];
        double total = 0;
        try (Workspace ws = new Workspace(chunk); Matrix x = be.allocate(chunk, inputs());
                Matrix tm = be.allocate(chunk, outputs())) {
            float[] buf = new float[chunk * outputs()];
            for (int from = 0; from < n; from += chunk) {
                int rows = Math.min(chunk, n - from);
                Matrix xv = rows == chunk ? x : x.rows(0, rows);
                Matrix tv = rows == chunk ? tm : tm.rows(0, rows);
                be.copyFromHost(d.features(), from * inputs(), xv, 0, rows * inputs());
                be.copyFromHost(t, from * outputs(), tv, 0, rows * outputs());
                Matrix[] a = ws.act(rows);
                total += forwardLoss(xv, tv, a, null) * rows;
                be.copyToHost(a[layers() - 1], 0, buf, 0, rows * outputs());
                for (int i = 0; i < rows; i++) {
                    if (outputs() == 1) {
                        predicted[from + i] = buf[i] > 0.5f ? 1 : 0;
                    } else {
                        int best = 0;
                        for (int j = 1; j < outputs(); j++) {
                            if (buf[i * outputs() + j] > buf[i * outputs() + best]) {
                                best = j;
                            }
                        }
                        predicted[from + i] = best;
                    }
                }
            }
        }
        return Evaluation.of(total / n, d.labels(), predicted, numClasses());
    }

    private void checkFeatures(Dataset d) {
        if (d.cols() != inputs()) {
            throw new IllegalArgumentException("data set '" + d.description() + "' has " + d.cols()
                    + " features, the model expects " + inputs());
        }
        d.validate();
    }

    // ---- files ----

    Map<String, String> architecture() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("sizes", join(sizes));
        List<String> a = new ArrayList<>();
        for (Activation x : acts) {
            a.add(x.name().toLowerCase(java.util.Locale.ROOT));
        }
        m.put("activations", String.join(",", a));
        m.put("loss", loss.name().toLowerCase(java.util.Locale.ROOT));
        return m;
    }

    static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }

    /** The hyper-parameters of the last training run, as written to model files under "train.". */
    Map<String, String> trainedWith() {
        return trainedWith;
    }

    /** Adds this model's tensors ("layer.L.weight", "layer.L.bias") to a file being written. */
    void addTensors(ModelFile.Writer out, String prefix) {
        for (int l = 0; l < layers(); l++) {
            out.tensor(prefix + "layer." + l + ".weight", w[l]);
            out.tensor(prefix + "layer." + l + ".bias", b[l]);
        }
    }

    /** Reads an MLP's architecture and tensors from a model file. */
    static Mlp read(Backend be, ModelFile.Reader in, String prefix, String kind) throws IOException {
        int[] sizes = in.intList(prefix + "sizes");
        String[] names = in.get(prefix + "activations").split(",");
        Activation[] acts = new Activation[names.length];
        for (int i = 0; i < names.length; i++) {
            acts[i] = in.parseEnum(Activation.class, prefix + "activations", names[i]);
        }
        Loss loss = in.parseEnum(Loss.class, prefix + "loss", in.get(prefix + "loss"));
        Mlp m;
        try {
            m = new Mlp(be, kind, sizes, acts, loss);
        } catch (IllegalArgumentException e) {
            throw in.corrupt("inconsistent architecture: " + e.getMessage());
        }
        try {
            for (int l = 0; l < m.layers(); l++) {
                m.w[l].set(in.tensor(prefix + "layer." + l + ".weight", sizes[l], sizes[l + 1]));
                m.b[l].set(in.tensor(prefix + "layer." + l + ".bias", 1, sizes[l + 1]));
            }
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** Saves architecture and weights to a safetensors model file, atomically (see {@link ModelFile}). */
    public void save(Path file) throws IOException {
        ModelFile.Writer out = new ModelFile.Writer(kind);
        architecture().forEach(out::meta);
        trainedWith.forEach((k, v) -> out.meta("train." + k, v));
        addTensors(out, "");
        out.write(file);
    }

    /**
     * Loads an MLP or logistic regression saved by {@link #save}.
     *
     * @throws IOException naming the file and the problem if it is missing, truncated, corrupt, of another model
     *                     type or of a newer format version
     */
    public static Mlp load(Backend be, Path file) throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        String kind = in.model();
        if (!kind.equals(MODEL) && !kind.equals(LogisticRegression.MODEL)) {
            throw in.wrongModel("mlp or logistic");
        }
        return read(be, in, "", kind);
    }

    @Override
    public void close() {
        Matrix.closeAll(params);
    }

    @Override
    public String toString() {
        return kind + " " + join(sizes) + " " + Arrays.toString(acts) + " " + loss;
    }
}
