package dbn4j.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of RBM training beyond plain SGD: CD-k or persistent CD, the sparsity target, and how many examples
 * the per-epoch monitoring (reconstruction error, free energies, pseudo-log-likelihood) looks at. Defaults follow
 * Hinton's "A Practical Guide to Training Restricted Boltzmann Machines" (2010): CD-1, no sparsity.
 */
public final class RbmOptions {
    private int k = 1;
    private boolean persistent = false;
    private float sparsityTarget = 0f;
    private float sparsityCost = 0f;
    private float sparsityDecay = 0.95f;
    private int monitorRows = 1000;

    /** Gibbs steps per update (CD-k, or PCD-k when persistent); >= 1. */
    public RbmOptions k(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("k (Gibbs steps) must be >= 1, got " + v);
        }
        k = v;
        return this;
    }

    /** Persistent CD: the negative chains continue across mini-batches instead of restarting at the data. */
    public RbmOptions persistent(boolean v) {
        persistent = v;
        return this;
    }

    /**
     * Sparsity: pushes the running mean activation q of each hidden unit towards {@code target} with a penalty of
     * weight {@code cost} on hidden biases and weights (the guide's section 11); q decays by {@code decay} per batch.
     */
    public RbmOptions sparsity(float target, float cost, float decay) {
        if (!(target > 0 && target < 1)) {
            throw new IllegalArgumentException("sparsity target must be in (0, 1), got " + target);
        }
        if (!(cost >= 0) || !Float.isFinite(cost)) {
            throw new IllegalArgumentException("sparsity cost must be >= 0, got " + cost);
        }
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("sparsity decay must be in [0, 1), got " + decay);
        }
        sparsityTarget = target;
        sparsityCost = cost;
        sparsityDecay = decay;
        return this;
    }

    /** Examples of the training and the held-out data that the per-epoch monitoring uses; >= 1. */
    public RbmOptions monitorRows(int v) {
        if (v < 1) {
            throw new IllegalArgumentException("monitorRows must be >= 1, got " + v);
        }
        monitorRows = v;
        return this;
    }

    public int k() {
        return k;
    }

    public boolean persistent() {
        return persistent;
    }

    public boolean sparse() {
        return sparsityCost > 0;
    }

    public float sparsityTarget() {
        return sparsityTarget;
    }

    public float sparsityCost() {
        return sparsityCost;
    }

    public float sparsityDecay() {
        return sparsityDecay;
    }

    public int monitorRows() {
        return monitorRows;
    }

    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("k", Integer.toString(k));
        m.put("persistent", Boolean.toString(persistent));
        m.put("sparsity_target", Float.toString(sparsityTarget));
        m.put("sparsity_cost", Float.toString(sparsityCost));
        m.put("sparsity_decay", Float.toString(sparsityDecay));
        return m;
    }
}
