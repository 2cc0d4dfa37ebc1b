package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A Restricted Boltzmann Machine with V visible and H binary hidden units: Bernoulli visible units (binary or
 * [0,1] data) or Gaussian visible units of unit variance (standardised real data). Energy, with weights W (V, H),
 * visible bias b (1, V) and hidden bias c (1, H):
 * Bernoulli E(v,h) = -v.b - h.c - v W h; Gaussian E(v,h) = |v - b|^2 / 2 - h.c - v W h. Trained by CD-k or
 * persistent CD ({@link #fit}); the free energy is F(v) = -v.b - sum_j softplus(c_j + (vW)_j) (Bernoulli) or
 * |v - b|^2 / 2 - sum_j softplus(...) (Gaussian).
 *
 * <p>The parameters live on the backend: W and c as one block (V + 1, H), b separately. Owns native memory: close it.
 */
public final class Rbm implements AutoCloseable {
    static final String MODEL = "rbm";

    /** The visible units' type. */
    public enum Visible { BERNOULLI, GAUSSIAN }

    private final Backend be;
    private final int nv;
    private final int nh;
    private final Visible visible;
    private final Matrix params;
    private final Matrix w;
    private final Matrix c;
    private final Matrix b;
    /** True until the visible biases were set from data (first fit) or loaded from a file. */
    private boolean fresh;
    /** The hyper-parameters of the last training run (for the model file). */
    private final java.util.Map<String, String> trainedWith = new java.util.LinkedHashMap<>();

    Rbm(Backend be, int visibleUnits, int hiddenUnits, Visible visible) {
        if (visibleUnits < 1 || hiddenUnits < 1) {
            throw new IllegalArgumentException("an RBM needs >= 1 visible and hidden units, got " + visibleUnits + "x"
                    + hiddenUnits);
        }
        if (visible == null) {
            throw new IllegalArgumentException("visible type is null");
        }
        this.be = be;
        this.nv = visibleUnits;
        this.nh = hiddenUnits;
        this.visible = visible;
        params = be.allocate(nv + 1, nh);
        Matrix vb = null;
        try {
            vb = be.allocate(1, nv);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        b = vb;
        w = params.rows(0, nv);
        c = params.rows(nv, nv + 1);
    }

    /**
     * A new RBM as the guide recommends: weights from N(0, 0.01^2) (Philox stream of {@code seed}), biases zero.
     * The first {@link #fit} sets the visible biases from its training data ({@link #initVisibleBias}); later fits
     * continue from the current parameters.
     */
    public static Rbm create(Backend be, int visibleUnits, int hiddenUnits, Visible visible, long seed) {
        Rbm r = new Rbm(be, visibleUnits, hiddenUnits, visible);
        be.gaussian(new RandomStream(seed), null, 0.01f, r.w);
        r.fresh = true;
        return r;
    }

    /**
     * Sets the visible biases from the data: log(p / (1 - p)) of each unit's mean p (clamped to [0.001, 0.999]) for
     * Bernoulli units, the mean for Gaussian units.
     */
    public void initVisibleBias(Dataset data) {
        initVisibleBias(TrainingData.of(data).columnMeans());
    }

    void initVisibleBias(double[] mean) {
        float[] bias = new float[nv];
        for (int i = 0; i < nv; i++) {
            double p = mean[i];
            if (visible == Visible.BERNOULLI) {
                p = Math.min(0.999, Math.max(0.001, p));
                bias[i] = (float) Math.log(p / (1 - p));
            } else {
                bias[i] = (float) p;
            }
        }
        b.set(bias);
        fresh = false;
    }

    /** Whether the visible biases still await {@link #initVisibleBias} (a new RBM that has not been trained). */
    boolean fresh() {
        return fresh;
    }

    /** The parameters came from a checkpoint: no data-based initialisation any more. */
    void restored() {
        fresh = false;
    }

    public Backend backend() {
        return be;
    }

    public int visibleUnits() {
        return nv;
    }

    public int hiddenUnits() {
        return nh;
    }

    public Visible visibleType() {
        return visible;
    }

    /** W (V, H), a view owned by this RBM. */
    public Matrix weights() {
        return w;
    }

    /** c (1, H), a view owned by this RBM. */
    public Matrix hiddenBias() {
        return c;
    }

    /** b (1, V), owned by this RBM. */
    public Matrix visibleBias() {
        return b;
    }

    Matrix params() {
        return params;
    }

    // ---- conditionals (all matrices on the backend; B rows) ----

    /** h = P(h = 1 | v) = sigmoid(v W + c); v (B, V), h (B, H). */
    void hiddenProbabilities(Matrix v, Matrix h) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v, w, 0f, h);
        be.biasSigmoid(h, c);
    }

    /**
     * As {@link #hiddenProbabilities(Matrix, Matrix)}, and sums = alpha * (column sums of h) + beta * sums, then
     * {@code step} (if not null) on those sums, in the same call (see {@link Backend#biasSigmoid}).
     */
    void hiddenProbabilities(Matrix v, Matrix h, Matrix sums, float alpha, float beta, Backend.SgdStep step) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v, w, 0f, h);
        be.biasSigmoid(h, c, sums, alpha, beta, step);
    }

    /** hp = P(h = 1 | v) and hs a sample of it, in one fused pass after the GEMM. */
    void sampleHidden(RandomStream rng, Matrix v, Matrix hp, Matrix hs) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v, w, 0f, hp);
        be.sigmoidBernoulli(rng, hp, c, hp, hs);
    }

    /** As {@link #sampleHidden(RandomStream, Matrix, Matrix, Matrix)}, and sums = alpha * (column sums of hp) + beta * sums. */
    void sampleHidden(RandomStream rng, Matrix v, Matrix hp, Matrix hs, Matrix sums, float alpha, float beta) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v, w, 0f, hp);
        be.sigmoidBernoulli(rng, hp, c, hp, hs, sums, alpha, beta);
    }

    /** vp = E[v | h]: sigmoid(h W^T + b) for Bernoulli units, h W^T + b for Gaussian ones. */
    void visibleMean(Matrix h, Matrix vp) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, h, w, 0f, vp);
        if (visible == Visible.BERNOULLI) {
            be.biasSigmoid(vp, b);
        } else {
            be.addRowVector(vp, b);
        }
    }

    /**
     * As {@link #visibleMean(Matrix, Matrix)}, and sums = alpha * (column sums of vp) + beta * sums, then
     * {@code step} (if not null) on those sums, in the same call.
     */
    void visibleMean(Matrix h, Matrix vp, Matrix sums, float alpha, float beta, Backend.SgdStep step) {
        if (visible == Visible.BERNOULLI) {
            be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, h, w, 0f, vp);
            be.biasSigmoid(vp, b, sums, alpha, beta, step);
        } else {
            visibleMean(h, vp);
            be.columnSums(vp, sums, alpha, beta, step);
        }
    }

    /** vp = E[v | h] and vs a sample: Bernoulli(vp), or vp + N(0, 1) for Gaussian units. */
    void sampleVisible(RandomStream rng, Matrix h, Matrix vp, Matrix vs) {
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.TRANSPOSE, 1f, h, w, 0f, vp);
        if (visible == Visible.BERNOULLI) {
            be.sigmoidBernoulli(rng, vp, b, vp, vs);
        } else {
            be.addRowVector(vp, b);
            be.gaussian(rng, vp, 1f, vs);
        }
    }

    /**
     * Free energy of each row of v (B, V): the hidden term on the backend, the visible term from the host copy
     * vHost of the same rows. h (B, H) and sp (B, 1) are scratch.
     */
    double[] freeEnergy(Matrix v, float[] vHost, int offset, Matrix h, Matrix sp) {
        int rows = v.rows();
        be.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, v, w, 0f, h);
        be.addRowVector(h, c);
        be.softplusRowSums(h, sp);
        float[] hidden = sp.toArray();
        float[] bias = b.toArray();
        double[] f = new double[rows];
        for (int r = 0; r < rows; r++) {
            double vis = 0;
            for (int i = 0; i < nv; i++) {
                double x = vHost[offset + r * nv + i];
                vis += visible == Visible.BERNOULLI ? -x * bias[i] : 0.5 * (x - bias[i]) * (x - bias[i]);
            }
            f[r] = vis - hidden[r];
        }
        return f;
    }

    // ---- training ----

    /**
     * Trains by CD-k or PCD-k over mini-batches. Monitors every epoch on up to {@link RbmOptions#monitorRows()} rows:
     * "reconstruction_error" (mean over examples of |v - E[v | P(h | v)]|^2), "free_energy_train" and, with held-out
     * data, "free_energy_heldout" and "free_energy_gap" (held-out minus train; a growing gap means overfitting),
     * and for Bernoulli units "pseudo_log_likelihood" (the stochastic one-bit-flip estimate).
     *
     * @param heldOut held-out data for the free-energy gap, or null
     * @return the metrics of every epoch
     */
    public List<EpochMetrics> fit(Dataset train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        return fit("rbm", TrainingData.of(train), heldOut, cfg, opts);
    }

    List<EpochMetrics> fit(String phase, TrainingData train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        trainedWith.clear();
        trainedWith.putAll(cfg.describe());
        opts.describe().forEach((k, v) -> trainedWith.put("rbm." + k, v));
        return new RbmTraining(this, phase, train, heldOut, cfg, opts).run();
    }

    /** As {@link #fit(Dataset, Dataset, TrainConfig, RbmOptions)}, on data streamed from disk a chunk at a time. */
    public List<EpochMetrics> fit(dbn4j.data.RowSource train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        return fit("rbm", TrainingData.of(train), heldOut, cfg, opts);
    }

    /** P(h = 1 | v) for every row: the features this RBM extracts, (n, H) row-major. */
    public float[] transform(float[] v, int n) {
        checkRows(v, n);
        float[] out = new float[n * nh];
        int chunk = Math.max(1, Math.min(n, 1000));
        try (Matrix x = be.allocate(chunk, nv); Matrix h = be.allocate(chunk, nh)) {
            for (int from = 0; from < n; from += chunk) {
                int rows = Math.min(chunk, n - from);
                Matrix xv = rows == chunk ? x : x.rows(0, rows);
                Matrix hv = rows == chunk ? h : h.rows(0, rows);
                be.copyFromHost(v, from * nv, xv, 0, rows * nv);
                hiddenProbabilities(xv, hv);
                be.copyToHost(hv, 0, out, from * nh, rows * nh);
            }
        }
        return out;
    }

    /** E[v | P(h | v)] for every row, (n, V). */
    public float[] reconstruct(float[] v, int n) {
        checkRows(v, n);
        float[] out = new float[n * nv];
        int chunk = Math.max(1, Math.min(n, 1000));
        try (Matrix x = be.allocate(chunk, nv); Matrix h = be.allocate(chunk, nh); Matrix r = be.allocate(chunk, nv)) {
            for (int from = 0; from < n; from += chunk) {
                int rows = Math.min(chunk, n - from);
                Matrix xv = rows == chunk ? x : x.rows(0, rows);
                Matrix hv = rows == chunk ? h : h.rows(0, rows);
                Matrix rv = rows == chunk ? r : r.rows(0, rows);
                be.copyFromHost(v, from * nv, xv, 0, rows * nv);
                hiddenProbabilities(xv, hv);
                visibleMean(hv, rv);
                be.copyToHost(rv, 0, out, from * nv, rows * nv);
            }
        }
        return out;
    }

    /** Free energy F(v) of every row. */
    public double[] freeEnergy(float[] v, int n) {
        checkRows(v, n);
        double[] out = new double[n];
        int chunk = Math.max(1, Math.min(n, 1000));
        try (Matrix x = be.allocate(chunk, nv); Matrix h = be.allocate(chunk, nh); Matrix sp = be.allocate(chunk, 1)) {
            for (int from = 0; from < n; from += chunk) {
                int rows = Math.min(chunk, n - from);
                Matrix xv = rows == chunk ? x : x.rows(0, rows);
                be.copyFromHost(v, from * nv, xv, 0, rows * nv);
                double[] f = freeEnergy(xv, v, from * nv, rows == chunk ? h : h.rows(0, rows),
                        rows == chunk ? sp : sp.rows(0, rows));
                System.arraycopy(f, 0, out, from, rows);
            }
        }
        return out;
    }

    /**
     * Draws {@code chains} samples by block Gibbs sampling: each chain starts from a random visible state (Bernoulli
     * of sigmoid(b), or b + N(0,1)), runs {@code steps} full steps v -> h -> v, and returns the last E[v | h]
     * (probabilities, or means for Gaussian units), (chains, V). If {@code states} is not null, the last sampled
     * visible states are copied into it.
     */
    public float[] sample(int chains, int steps, long seed, float[] states) {
        if (chains < 1 || steps < 1) {
            throw new IllegalArgumentException("chains and steps must be >= 1, got " + chains + " and " + steps);
        }
        RandomStream rng = new RandomStream(seed);
        try (Matrix vp = be.allocate(chains, nv); Matrix vs = be.allocate(chains, nv); Matrix hp = be.allocate(chains, nh);
                Matrix hs = be.allocate(chains, nh)) {
            // Start: b broadcast to every chain, then a sample around it.
            be.addRowVector(vp, b);
            if (visible == Visible.BERNOULLI) {
                be.sigmoidBernoulli(rng, vp, null, vp, vs);
            } else {
                be.gaussian(rng, vp, 1f, vs);
            }
            for (int s = 0; s < steps; s++) {
                sampleHidden(rng, vs, hp, hs);
                sampleVisible(rng, hs, vp, vs);
            }
            if (states != null) {
                be.copyToHost(vs, 0, states, 0, Math.min(states.length, chains * nv));
            }
            return vp.toArray();
        }
    }

    private void checkRows(float[] v, int n) {
        if (n < 0 || v.length < (long) n * nv) {
            throw new IllegalArgumentException("need " + n + " rows of " + nv + " values, got " + v.length + " values");
        }
        for (int i = 0; i < n * nv; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException("value at row " + i / nv + ", column " + i % nv + " is " + v[i]);
            }
        }
    }

    // ---- files ----

    void addTo(ModelFile.Writer out, String prefix) {
        out.meta(prefix + "visible_units", Integer.toString(nv));
        out.meta(prefix + "hidden_units", Integer.toString(nh));
        out.meta(prefix + "visible_type", visible.name().toLowerCase(Locale.ROOT));
        trainedWith.forEach((k, v) -> out.meta(prefix + "train." + k, v));
        out.tensor(prefix + "weight", w);
        out.tensor(prefix + "hidden_bias", c);
        out.tensor(prefix + "visible_bias", b);
    }

    static Rbm read(Backend be, ModelFile.Reader in, String prefix) throws IOException {
        int v = in.getInt(prefix + "visible_units");
        int h = in.getInt(prefix + "hidden_units");
        Visible type = in.parseEnum(Visible.class, prefix + "visible_type", in.get(prefix + "visible_type"));
        if (v < 1 || h < 1) {
            throw in.corrupt("RBM size " + v + "x" + h + " is not valid");
        }
        Rbm r = new Rbm(be, v, h, type);
        try {
            r.w.set(in.tensor(prefix + "weight", v, h));
            r.c.set(in.tensor(prefix + "hidden_bias", 1, h));
            r.b.set(in.tensor(prefix + "visible_bias", 1, v));
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Saves the RBM to a safetensors model file, atomically. */
    public void save(Path file) throws IOException {
        ModelFile.Writer out = new ModelFile.Writer(MODEL);
        addTo(out, "");
        out.write(file);
    }

    /**
     * Loads an RBM saved by {@link #save}.
     *
     * @throws IOException naming the file and the problem (missing, truncated, corrupt, another model, newer version)
     */
    public static Rbm load(Backend be, Path file) throws IOException {
        ModelFile.Reader in = ModelFile.read(file);
        if (!MODEL.equals(in.model())) {
            throw in.wrongModel("rbm");
        }
        return read(be, in, "");
    }

    @Override
    public void close() {
        params.close();
        b.close();
    }

    @Override
    public String toString() {
        return "rbm " + nv + "x" + nh + " " + visible.name().toLowerCase(Locale.ROOT);
    }
}
