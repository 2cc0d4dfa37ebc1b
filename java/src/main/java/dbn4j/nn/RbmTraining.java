package dbn4j.nn;

import dbn4j.Backend;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.data.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training run of an {@link Rbm} by CD-k or PCD-k: the mini-batch loop (allocation-free: every buffer and view
 * is made before the first batch), momentum and learning-rate schedules, optional sparsity, per-epoch monitoring,
 * divergence detection and checkpoints.
 */
final class RbmTraining {
    private final Rbm rbm;
    private final String phase;
    private final TrainingData train;
    private final Dataset heldOut;
    private final TrainConfig cfg;
    private final RbmOptions opts;
    private final Backend be;

    RbmTraining(Rbm rbm, String phase, TrainingData train, Dataset heldOut, TrainConfig cfg, RbmOptions opts) {
        this.rbm = rbm;
        this.phase = phase;
        this.train = train;
        this.heldOut = heldOut;
        this.cfg = cfg;
        this.opts = opts;
        this.be = rbm.backend();
    }

    /**
     * Tests: the weight gradient split as on a GPU (its positive half in a fork, then the negative half and the step)
     * where forks do not overlap too; with the CPU's GEMMs by OpenBLAS that is the fused call's arithmetic.
     */
    static volatile boolean forkedGradient;

    /** Everything a mini-batch step writes, for batches of `rows` rows (views of the full-size buffers). */
    private static final class Step {
        Matrix h0p, hp, hs, vp, vs, chain;
        /** The weight gradient's positive half queued by {@link #step} as a fork, until {@link #update} joins it. */
        Backend.Fork positive;
        /** The logged reconstruction error of a one-step chain, queued by {@link #step} as a fork, until joined. */
        Backend.Fork error;
    }

    /** The gradient and velocity blocks, and the sparsity target's buffers (null without one). */
    private static final class Grads {
        Matrix gw, gc, gb, vw, vc, vb, q, target, diff, vmean;
    }

    /** The checkpointed state beyond weights. */
    static final class Progress {
        int epochsDone;
        /** Mini-batches of epoch epochsDone + 1 already done (a checkpoint written on a stop signal). */
        int batchesDone;
        long rngOffset;
        final List<EpochMetrics> history = new ArrayList<>();
    }

    List<EpochMetrics> run() {
        check(train.rows(), train.cols(), train.description(), "training");
        train.validate();
        if (heldOut != null) {
            check(heldOut.rows(), heldOut.cols(), heldOut.description(), "held-out");
            heldOut.validate();
        }
        if (cfg.batchSize() > train.rows()) {
            throw new IllegalArgumentException("batch size " + cfg.batchSize() + " is larger than the training data ("
                    + train.rows() + " rows)");
        }
        int nv = rbm.visibleUnits();
        int nh = rbm.hiddenUnits();
        int bs = cfg.batchSize();
        int tail = train.rows() % bs;
        Progress progress = new Progress();
        List<Matrix> owned = new ArrayList<>();
        try (Batches data = train.batches(be, null, 0, bs);
                StepRecording recording = new StepRecording(be, "RBM", data, bs, nv);
                LastGood lastGood = new LastGood(be, rbm.params(), rbm.visibleBias());
                Backend.LossLog errors = be.lossLog(data.count());
                Backend.Cleanup forks = be.forkRelease()) {   // a step that failed between a fork and its join
            // Per-batch buffers, their tail views, the gradient and velocity blocks, monitoring buffers.
            Matrix h0p = own(owned, bs, nh), hp = own(owned, bs, nh), hs = own(owned, bs, nh);
            Matrix vp = own(owned, bs, nv), vs = own(owned, bs, nv);
            Matrix chain = opts.persistent() ? own(owned, bs, nv) : null;
            Matrix grad = own(owned, nv + 1, nh), gb = own(owned, 1, nv);
            Matrix vel = own(owned, nv + 1, nh), vb = own(owned, 1, nv);
            Grads g = new Grads();
            g.gw = grad.rows(0, nv);
            g.gc = grad.rows(nv, nv + 1);
            g.gb = gb;
            g.vw = vel.rows(0, nv);
            g.vc = vel.rows(nv, nv + 1);
            g.vb = vb;
            Matrix q = null;
            if (opts.sparse()) {
                q = g.q = own(owned, 1, nh);
                g.target = own(owned, 1, nh);
                g.diff = own(owned, 1, nh);
                g.vmean = own(owned, 1, nv);
                float[] t = new float[nh];
                java.util.Arrays.fill(t, opts.sparsityTarget());
                g.target.set(t);
                q.set(t);
            }
            Step full = views(h0p, hp, hs, vp, vs, chain, bs);
            Step part = tail == 0 ? null : views(h0p, hp, hs, vp, vs, chain, tail);
            Monitor monitor = new Monitor(owned);

            RandomStream rng = new RandomStream(cfg.seed());
            if (cfg.checkpoint() != null && Files.exists(cfg.checkpoint())) {
                Checkpoint.restoreRbm(cfg.checkpoint(), rbm, vel, vb, chain, q, progress);
                for (TrainingListener l : cfg.listeners()) {
                    l.onResume(phase, progress.history);
                }
                rng = new RandomStream(cfg.seed(), progress.rngOffset);
            } else {
                if (rbm.fresh()) {
                    rbm.initVisibleBias(train.columnMeans());
                }
                if (chain != null) {
                    // PCD chains start at a sample of the first mini-batch's data.
                    data.shuffle(cfg.seed(), -1);
                    if (rbm.visibleType() == Rbm.Visible.BERNOULLI) {
                        be.bernoulli(rng, data.x(0), chain);
                    } else {
                        be.copy(data.x(0), chain);
                    }
                }
            }
            long start = System.nanoTime();
            int firstEpoch = progress.epochsDone;
            for (int epoch = firstEpoch; epoch < cfg.epochs(); epoch++) {
                long t0 = System.nanoTime();
                float lr = cfg.learningRate(epoch);
                float momentum = cfg.momentum(epoch);
                int firstBatch = progress.batchesDone;
                progress.batchesDone = 0;
                if (epoch > firstEpoch && !lastGood.paramsFinite()) {
                    lastGood.restore();
                    throw new TrainingDivergedException(phase, epoch, data.count(), Double.NaN);
                }
                lastGood.save();
                data.shuffle(cfg.seed(), epoch);
                // Each step's reconstruction error goes into the log, read once after the epoch's last step (or at a
                // stop): on a GPU nothing in the mini-batch loop waits for the device. A non-finite one names its
                // batch and restores the weights of the epoch's start, as a check after every step would.
                try (Backend.Replay replay = recording.record(train.rows() / bs - firstBatch, rng, errors,
                        r -> update(r, recording.fixed(0), full, g, lr, momentum, recording.loss(), 0))) {
                    for (int i = firstBatch; i < data.count(); i++) {
                        int rows = data.batchRows(i);
                        if (replay != null && rows == bs) {
                            recording.run(replay, i);
                        } else {
                            update(rng, data.x(i), rows == bs ? full : part, g, lr, momentum, errors, i);
                        }
                        if (cfg.progress() != null) {
                            cfg.progress().onBatch(phase, epoch + 1, i + 1, data.count(), rows);
                        }
                        if (cfg.stopRequested() && i + 1 < data.count()) {
                            checkErrors(errors, firstBatch, i + 1, lastGood, epoch);
                            progress.batchesDone = i + 1;
                            progress.rngOffset = rng.offset();
                            if (cfg.checkpoint() != null) {
                                Checkpoint.saveRbm(cfg.checkpoint(), rbm, vel, vb, chain, q, progress, cfg, opts);
                            }
                            throw new TrainingInterruptedException(phase, epoch + 1, i + 1, cfg.checkpoint());
                        }
                    }
                }
                checkErrors(errors, firstBatch, data.count(), lastGood, epoch);
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Double> m = monitor.measure(epoch);
                if (!Double.isFinite(m.get("reconstruction_error"))) {
                    lastGood.restore();
                    throw new TrainingDivergedException(phase, epoch + 1, data.count(), m.get("reconstruction_error"));
                }
                m.put("learning_rate", (double) lr);
                m.put("momentum", (double) momentum);
                // A resumed epoch timed only the batches it ran.
                m.put("samples_per_second", (train.rows() - Math.min(train.rows(), firstBatch * bs)) / seconds);
                m.put("elapsed_seconds", (System.nanoTime() - start) / 1e9);
                EpochMetrics metrics = new EpochMetrics(phase, epoch + 1, m);
                progress.history.add(metrics);
                progress.epochsDone = epoch + 1;
                progress.rngOffset = rng.offset();
                if (cfg.checkpoint() != null
                        && (progress.epochsDone % cfg.checkpointEvery() == 0 || progress.epochsDone == cfg.epochs())) {
                    Checkpoint.saveRbm(cfg.checkpoint(), rbm, vel, vb, chain, q, progress, cfg, opts);
                }
                for (TrainingListener l : cfg.listeners()) {
                    l.onEpoch(metrics);
                }
                if (cfg.stopRequested() && progress.epochsDone < cfg.epochs()) {
                    if (cfg.checkpoint() != null) {
                        Checkpoint.saveRbm(cfg.checkpoint(), rbm, vel, vb, chain, q, progress, cfg, opts);
                    }
                    throw new TrainingInterruptedException(phase, progress.epochsDone, data.count(), cfg.checkpoint());
                }
            }
            return progress.history;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + cfg.checkpoint() + ": " + e.getMessage(), e);
        } finally {
            for (Matrix m : owned) {
                m.close();
            }
        }
    }

    /**
     * One mini-batch: the Gibbs chain and the gradients ({@link #step}, which also steps b and, without a sparsity
     * target, c: each by the call that forms its gradient), then the steps of W (and c); the reconstruction error into
     * slot {@code slot} of {@code log}.
     */
    private void update(RandomStream rng, Matrix v0, Step s, Grads g, float lr, float momentum, Backend.LossLog log,
            int slot) {
        Backend.SgdStep stepB = new Backend.SgdStep(rbm.visibleBias(), g.vb, lr, momentum, 0f, cfg.nesterov());
        Backend.SgdStep stepC = g.q != null ? null
                : new Backend.SgdStep(rbm.hiddenBias(), g.vc, lr, momentum, 0f, cfg.nesterov());
        Matrix vk = step(rng, v0, s, g, stepB, stepC, log, slot);
        if (s.positive != null) {
            // gw = -v0^T h0p / B is formed by the fork; the negative half, then the step, as gemmSgdMomentum would.
            be.join(s.positive);
            s.positive = null;
            be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, 1f / v0.rows(), vk, s.hp, 1f, g.gw);
            be.sgdMomentum(rbm.weights(), g.gw, g.vw, lr, momentum, cfg.weightDecay(), cfg.nesterov());
        } else if (g.q == null) {
            // The weight gradient (v0^T h0p - vk^T hp) / B and its step in one call: fused on the CPU.
            be.gemmSgdMomentum(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -1f / v0.rows(), v0, s.h0p, vk, s.hp, g.gw,
                    rbm.weights(), g.vw, lr, momentum, cfg.weightDecay(), cfg.nesterov());
        } else {
            be.sgdMomentum(rbm.weights(), g.gw, g.vw, lr, momentum, cfg.weightDecay(), cfg.nesterov());
            be.sgdMomentum(rbm.hiddenBias(), g.gc, g.vc, lr, momentum, 0f, cfg.nesterov());
        }
        if (s.error != null) {
            be.join(s.error);
            s.error = null;
        }
    }

    private Matrix own(List<Matrix> owned, int rows, int cols) {
        Matrix m = be.allocate(rows, cols);
        owned.add(m);
        return m;
    }

    private static Step views(Matrix h0p, Matrix hp, Matrix hs, Matrix vp, Matrix vs, Matrix chain, int rows) {
        Step s = new Step();
        s.h0p = h0p.rows(0, rows);
        s.hp = hp.rows(0, rows);
        s.hs = hs.rows(0, rows);
        s.vp = vp.rows(0, rows);
        s.vs = vs.rows(0, rows);
        s.chain = chain == null ? null : chain.rows(0, rows);
        return s;
    }

    private void check(int rows, int cols, String description, String name) {
        if (rows == 0) {
            throw new IllegalArgumentException(name + " data set '" + description + "' is empty");
        }
        if (cols != rbm.visibleUnits()) {
            throw new IllegalArgumentException(name + " data set '" + description + "' has " + cols
                    + " features, the RBM has " + rbm.visibleUnits() + " visible units");
        }
    }

    /**
     * Positive phase on v0, k Gibbs steps, and the negated log-likelihood gradient estimate into gw, gc, gb.
     * Following the guide: hidden states driven by data are sampled; the last reconstruction uses probabilities
     * (CD); PCD chains always carry sampled states. Writes |v0 - vp|^2 / 2B of the first visible step (a
     * reconstruction error for CD; for PCD only a finiteness check) into slot {@code slot} of {@code errors}.
     */
    /** At the first non-finite logged error of batches [from, to): restores the last good weights and throws. */
    private void checkErrors(Backend.LossLog errors, int from, int to, LastGood lastGood, int epoch) {
        double[] v = errors.read(from, to);
        for (int k = 0; k < v.length; k++) {
            if (!Double.isFinite(v[k])) {
                lastGood.restore();
                throw new TrainingDivergedException(phase, epoch + 1, from + k + 1, v[k]);
            }
        }
    }

    /**
     * The Gibbs chain of one mini-batch and the bias gradients (g.gc, g.gb), each bias stepped by the call that
     * completes its gradient when its step is given (stepB always; stepC without a sparsity target, which adds to gc
     * after the chain): b and c are read by the chain only before that. The weight gradient goes into g.gw only with a
     * sparsity target (g.q != null), else the caller forms it with the step. Returns the negative phase's visible
     * matrix v_k (paired with s.hp).
     */
    private Matrix step(RandomStream rng, Matrix v0, Step s, Grads g, Backend.SgdStep stepB, Backend.SgdStep stepC,
            Backend.LossLog errors, int slot) {
        Matrix gw = g.gw;
        Matrix gc = g.gc;
        Matrix gb = g.gb;
        Matrix q = g.q;
        Matrix diff = g.diff;
        Matrix vmean = g.vmean;
        int k = opts.k();
        boolean pcd = opts.persistent();
        // The bias gradients gc = (sum hp - sum h0p) / B and gb = (sum vk - sum v0) / B, each sum taken by the call
        // that writes its rows (while they are in cache), in the order and with the rounding of separate columnSums
        // calls: -sum h0p and -sum v0 first (beta 0), then the negative phase's sums added (beta 1).
        // Where forks overlap (a GPU's second stream), the data's sums and, with the weight gradient formed by the
        // caller, its positive half -v0^T h0p / B run beside the chain: neither reads what the chain writes, and the
        // chain reads gb only after the join. Elsewhere the fork runs at once (the CPU: the same calls in order, and
        // the weight gradient stays one fused call).
        float inv = 1f / v0.rows();
        s.positive = null;   // forks left by a failed recording were dropped with it
        s.error = null;
        Backend.Fork dataSums = be.fork(() -> be.columnSums(v0, gb, -inv, 0f));
        rbm.sampleHidden(rng, v0, s.h0p, s.hs, gc, -inv, 0f);
        if (q == null && (be.forksOverlap() || forkedGradient)) {
            s.positive = be.fork(() -> be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -inv, v0, s.h0p, 0f, gw));
        }
        if (pcd) {
            rbm.sampleHidden(rng, s.chain, s.hp, s.hs);
        }
        Matrix vk = null;
        for (int step = 1; step <= k; step++) {
            boolean last = step == k;
            if (last) {
                be.join(dataSums);
            }
            if (!last || pcd) {
                rbm.sampleVisible(rng, s.hs, s.vp, s.vs);
                vk = s.vs;
                if (last) {
                    be.columnSums(vk, gb, inv, 1f, stepB);
                }
            } else {
                rbm.visibleMean(s.hs, s.vp, gb, inv, 1f, stepB);
                vk = s.vp;
            }
            if (step == 1 && k == 1) {
                // Nothing after this writes vp or v0: on a GPU the error's two kernels run beside the rest of the
                // step (off its critical path), joined at its end.
                s.error = be.fork(() -> be.squaredError(s.vp, v0, null, errors, slot));
            } else if (step == 1) {
                be.squaredError(s.vp, v0, null, errors, slot);
            }
            if (last) {
                rbm.hiddenProbabilities(vk, s.hp, gc, inv, 1f, stepC);
            } else {
                rbm.sampleHidden(rng, vk, s.hp, s.hs);
            }
        }
        if (pcd) {
            be.copy(s.vs, s.chain);
        }
        if (q != null) {
            // q <- decay q + (1 - decay) mean(h0p); the penalty's gradient (q - target) reaches c and, through v, W.
            float decay = opts.sparsityDecay();
            be.columnSums(s.h0p, q, (1 - decay) * inv, decay);
            be.copy(q, diff);
            be.axpy(-1f, g.target, diff);
            be.axpy(opts.sparsityCost(), diff, gc);
            be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, -inv, v0, s.h0p, 0f, gw);
            be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, inv, vk, s.hp, 1f, gw);
            be.columnSums(v0, vmean, inv, 0f);
            be.gemm(Transpose.TRANSPOSE, Transpose.NO_TRANSPOSE, opts.sparsityCost(), vmean, diff, 1f, gw);
        }
        return vk;
    }

    /** Per-epoch monitoring on fixed subsets of the training and held-out data. */
    private final class Monitor {
        final int mt;
        final int mh;
        final float[] trainRows;
        final float[] heldRows;
        final float[] flipped;
        final Matrix vt;
        final Matrix vh;
        final Matrix vf;
        final Matrix h;
        final Matrix r;
        final Matrix sp;

        Monitor(List<Matrix> owned) {
            int nv = rbm.visibleUnits();
            mt = Math.min(opts.monitorRows(), train.rows());
            mh = heldOut == null ? 0 : Math.min(opts.monitorRows(), heldOut.rows());
            trainRows = train.firstRows(mt);
            heldRows = heldOut == null ? null : java.util.Arrays.copyOf(heldOut.features(), mh * nv);
            flipped = new float[mt * nv];
            int m = Math.max(mt, mh);
            vt = own(owned, mt, nv);
            vt.set(trainRows);
            vh = mh == 0 ? null : own(owned, mh, nv);
            if (vh != null) {
                vh.set(heldRows);
            }
            vf = own(owned, mt, nv);
            h = own(owned, m, rbm.hiddenUnits());
            r = own(owned, m, nv);
            sp = own(owned, m, 1);
        }

        Map<String, Double> measure(int epoch) {
            Map<String, Double> out = new LinkedHashMap<>();
            Matrix ht = h.rows(0, mt);
            Matrix rt = r.rows(0, mt);
            Matrix st = sp.rows(0, mt);
            rbm.hiddenProbabilities(vt, ht);
            rbm.visibleMean(ht, rt);
            out.put("reconstruction_error", 2 * be.squaredError(rt, vt, null));
            double[] ft = rbm.freeEnergy(vt, trainRows, 0, ht, st);
            double meanT = mean(ft);
            out.put("free_energy_train", meanT);
            if (vh != null) {
                double meanH = mean(rbm.freeEnergy(vh, heldRows, 0, h.rows(0, mh), sp.rows(0, mh)));
                out.put("free_energy_heldout", meanH);
                out.put("free_energy_gap", meanH - meanT);
            }
            if (rbm.visibleType() == Rbm.Visible.BERNOULLI) {
                // Stochastic pseudo-log-likelihood: flip one random bit i per example (binarised at 0.5);
                // log P(v_i | v_-i) = log sigmoid(F(v~) - F(v)), times V.
                int nv = rbm.visibleUnits();
                SplittableRandom pick = new SplittableRandom(cfg.seed() ^ (0x5DEECE66DL * (epoch + 1)));
                float[] bin = new float[mt * nv];
                for (int i = 0; i < mt * nv; i++) {
                    bin[i] = trainRows[i] > 0.5f ? 1f : 0f;
                }
                System.arraycopy(bin, 0, flipped, 0, bin.length);
                for (int row = 0; row < mt; row++) {
                    int i = row * nv + pick.nextInt(nv);
                    flipped[i] = 1f - flipped[i];
                }
                vf.set(bin);
                double[] fv = rbm.freeEnergy(vf, bin, 0, ht, st);
                vf.set(flipped);
                double[] ff = rbm.freeEnergy(vf, flipped, 0, ht, st);
                double pll = 0;
                for (int row = 0; row < mt; row++) {
                    double x = ff[row] - fv[row];
                    // log sigmoid(x) = -softplus(-x), computed without overflow.
                    pll += -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
                }
                out.put("pseudo_log_likelihood", nv * pll / mt);
            }
            return out;
        }
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
