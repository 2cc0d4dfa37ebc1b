package dbn4j;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Where matrices live and kernels run: the CPU ({@code dbn4j.cpu.CpuBackend}) or an NVIDIA GPU
 * ({@code dbn4j.cuda.CudaBackend}). Get the configured one with {@link Backends#get()}.
 *
 * <p>Every public method checks its arguments in Java first (open, same backend, shapes, overlap) and throws
 * {@link IllegalArgumentException} or {@link IllegalStateException} naming the bad argument, so that misuse never
 * reaches native code; then it calls the backend's {@code ...K} kernel. A failure inside a kernel is a
 * {@link Dbn4jException}. All matrices are row-major; B is the batch (row) count.
 */
public abstract class Backend {
    private final AtomicLong allocatedBytes = new AtomicLong();

    /** "cpu" or "cuda". */
    public abstract String name();

    /** One line describing the hardware and libraries in use (CPU model, ISA level, BLAS core and threads). */
    public abstract String describe();

    /**
     * Waits until all work queued by earlier calls has run, and reports a failure of any of it as a
     * {@link Dbn4jException}. The CPU backend's kernels run when called, so there it returns at once; the CUDA
     * backend queues kernels on a stream, and a timing or a fault check needs this.
     */
    public void synchronize() {}

    /**
     * Whether a training loop should gather each mini-batch of a shuffled data set when it uses it (from the epoch's
     * {@link RowOrder}), rather than the whole epoch into a second copy at once. True where a {@link RowOrder} is held
     * where the backend gathers (the CPU and CUDA backends): no second copy of the data set, which can then be held as
     * byte codes ({@link #encodeRows}); in host memory each batch is still in the caches for its step, and on a
     * device gathering a batch uploads nothing and waits for nothing.
     */
    public boolean gathersPerBatch() {
        return false;
    }

    // ---- memory ----

    /** A new zeroed rows x cols matrix. The caller closes it. */
    public final Matrix allocate(int rows, int cols) {
        outsideFork("allocate");
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("shape " + rows + "x" + cols + " has a negative dimension");
        }
        long bytes = (long) rows * cols * Float.BYTES;
        long address = bytes == 0 ? 0 : allocateK(bytes);
        allocatedBytes.addAndGet(bytes);
        return new Matrix(this, rows, cols, address);
    }

    /** A new rows x cols matrix holding {@code data} (row-major). The caller closes it. */
    public final Matrix matrix(int rows, int cols, float... data) {
        Matrix m = allocate(rows, cols);
        try {
            return m.set(data);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Bytes currently allocated by this backend through {@link #allocate} and not yet freed. */
    public final long allocatedBytes() {
        return allocatedBytes.get();
    }

    final void free(long address, long bytes) {
        if (bytes > 0) {
            freeK(address);
        }
        allocatedBytes.addAndGet(-bytes);
    }

    /** Copies {@code count} floats from {@code src[srcOffset..]} to {@code dst} starting at element dstOffset. */
    public final void copyFromHost(float[] src, int srcOffset, Matrix dst, long dstOffset, int count) {
        outsideFork("copyFromHost");
        requireOpen(dst, "dst");
        checkRange(src.length, srcOffset, count, "src");
        checkRange(dst.size(), dstOffset, count, "dst");
        if (count > 0) {
            copyFromHostK(src, srcOffset, dst.address() + dstOffset * Float.BYTES, count);
        }
    }

    /** Copies {@code count} floats of {@code src} starting at element srcOffset into {@code dst[dstOffset..]}. */
    public final void copyToHost(Matrix src, long srcOffset, float[] dst, int dstOffset, int count) {
        outsideFork("copyToHost");
        requireOpen(src, "src");
        checkRange(src.size(), srcOffset, count, "src");
        checkRange(dst.length, dstOffset, count, "dst");
        if (count > 0) {
            copyToHostK(src.address() + srcOffset * Float.BYTES, dst, dstOffset, count);
        }
    }

    /** dst = src; same shape, disjoint memory. */
    public final void copy(Matrix src, Matrix dst) {
        requireOpen(src, "src");
        requireOpen(dst, "dst");
        requireSameShape(src, "src", dst, "dst");
        requireDisjoint(src, "src", dst, "dst");
        if (src.size() > 0) {
            copyK(src.address(), dst.address(), src.byteSize());
        }
    }

    // ---- GEMM ----

    /**
     * c = alpha * op(a) * op(b) + beta * c, where op(a) is (M, K), op(b) is (K, N) and c is (M, N). c must not
     * overlap a or b.
     */
    public final void gemm(Transpose ta, Transpose tb, float alpha, Matrix a, Matrix b, float beta, Matrix c) {
        requireOpen(a, "a");
        requireOpen(b, "b");
        requireOpen(c, "c");
        int m = ta == Transpose.NO_TRANSPOSE ? a.rows() : a.cols();
        int k = ta == Transpose.NO_TRANSPOSE ? a.cols() : a.rows();
        int kb = tb == Transpose.NO_TRANSPOSE ? b.rows() : b.cols();
        int n = tb == Transpose.NO_TRANSPOSE ? b.cols() : b.rows();
        if (k != kb) {
            throw new IllegalArgumentException("gemm: inner dimensions differ: op(a) is " + m + "x" + k + " (a " + a.shape()
                    + ", " + ta + "), op(b) is " + kb + "x" + n + " (b " + b.shape() + ", " + tb + ")");
        }
        if (c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: c is " + c.shape() + ", expected " + m + "x" + n);
        }
        requireDisjoint(c, "c", a, "a");
        requireDisjoint(c, "c", b, "b");
        if (m == 0 || n == 0) {
            return;
        }
        gemmK(ta, tb, m, n, k, alpha, a.address(), Math.max(1, a.cols()), b.address(), Math.max(1, b.cols()), beta,
                c.address(), n);
    }

    // ---- elementwise ----

    /** x(B, N) += bias(1, N) on every row. */
    public final void addRowVector(Matrix x, Matrix bias) {
        rowBiasArgs(x, bias);
        if (x.size() > 0) {
            addRowBiasK(x.address(), bias.address(), x.rows(), x.cols());
        }
    }

    /**
     * x = sigmoid(x + bias), bias(1, N) added to every row of x(B, N): {@link #addRowVector} then {@link #sigmoid}
     * with the same bits, in one pass (one kernel launch on a device backend).
     */
    public final void biasSigmoid(Matrix x, Matrix bias) {
        rowBiasArgs(x, bias);
        if (x.size() > 0) {
            biasSigmoidK(x.address(), bias.address(), x.rows(), x.cols());
        }
    }

    /**
     * {@link #biasSigmoid(Matrix, Matrix)}, then sums = alpha * (column sums of the new x) + beta * sums exactly as
     * {@link #columnSums} gives them. The CPU backend sums each chunk of rows right after computing it, while it is
     * in cache (an RBM's bias gradients). sums (1, N) must be disjoint from x and bias.
     */
    public final void biasSigmoid(Matrix x, Matrix bias, Matrix sums, float alpha, float beta) {
        rowBiasArgs(x, bias);
        requireSums(sums, x, bias, null);
        if (x.cols() > 0) {
            biasSigmoidSumsK(x.address(), bias.address(), x.rows(), x.cols(), sums.address(), alpha, beta);
        }
    }

    /**
     * {@link #biasSigmoid(Matrix, Matrix, Matrix, float, float)}, then {@code step} (if not null) with the new sums as
     * its gradient: an RBM's activations, its bias gradient and that bias's step in one call (one kernel launch on a
     * device backend), the same bits as the calls one after the other. {@code step.w()} may be {@code bias} itself:
     * it is stepped after every row has used it.
     */
    public final void biasSigmoid(Matrix x, Matrix bias, Matrix sums, float alpha, float beta, SgdStep step) {
        if (step == null) {
            biasSigmoid(x, bias, sums, alpha, beta);
            return;
        }
        rowBiasArgs(x, bias);
        requireSums(sums, x, bias, null);
        requireStep(step, sums, x);
        if (!step.w().sameMemory(bias)) {
            requireDisjoint(step.w(), "step.w", bias, "bias");
        }
        requireDisjoint(step.v(), "step.v", bias, "bias");
        if (x.cols() > 0) {
            biasSigmoidSumsK(x.address(), bias.address(), x.rows(), x.cols(), sums.address(), alpha, beta, step);
        }
    }

    /**
     * One {@link #sgdMomentum} step of a parameter vector {@code w} (1, N) with velocity {@code v}, whose gradient is
     * the column sums of the call it is given to ({@link #columnSums(Matrix, Matrix, float, float, SgdStep)},
     * {@link #biasSigmoid(Matrix, Matrix, Matrix, float, float, SgdStep)}): a bias's step taken by the call that forms
     * its gradient. w and v have the sums' shape and are disjoint from each other, from the sums and from the
     * summed matrix.
     */
    public record SgdStep(Matrix w, Matrix v, float lr, float momentum, float weightDecay, boolean nesterov) {}

    private void requireStep(SgdStep step, Matrix sums, Matrix x) {
        requireOpen(step.w(), "step.w");
        requireOpen(step.v(), "step.v");
        requireSameShape(step.w(), "step.w", sums, "the sums");
        requireSameShape(step.v(), "step.v", sums, "the sums");
        requireDisjoint(step.w(), "step.w", step.v(), "step.v");
        requireDisjoint(step.w(), "step.w", sums, "the sums");
        requireDisjoint(step.v(), "step.v", sums, "the sums");
        requireDisjoint(step.w(), "step.w", x, "x");
        requireDisjoint(step.v(), "step.v", x, "x");
        requireFinite(step.lr(), "step.lr");
        requireFinite(step.momentum(), "step.momentum");
        requireFinite(step.weightDecay(), "step.weightDecay");
    }

    private void requireSums(Matrix sums, Matrix x, Matrix bias, Matrix s) {
        requireOpen(sums, "sums");
        requireShape(sums, "sums", 1, x.cols());
        requireDisjoint(sums, "sums", x, "x");
        if (bias != null) {
            requireDisjoint(sums, "sums", bias, "bias");
        }
        if (s != null) {
            requireDisjoint(sums, "sums", s, "s");
        }
    }

    private void rowBiasArgs(Matrix x, Matrix bias) {
        requireOpen(x, "x");
        requireOpen(bias, "bias");
        requireShape(bias, "bias", 1, x.cols());
        requireDisjoint(x, "x", bias, "bias");
    }

    /** y = sigmoid(x); y may be x. */
    public final void sigmoid(Matrix x, Matrix y) {
        unary(x, y, "x", "y");
        if (x.size() > 0) {
            sigmoidK(x.address(), y.address(), x.size());
        }
    }

    /** dx = dy * y * (1 - y), y the sigmoid output; dx may be dy. */
    public final void sigmoidBackward(Matrix y, Matrix dy, Matrix dx) {
        backward(y, dy, dx);
        if (y.size() > 0) {
            sigmoidBackwardK(y.address(), dy.address(), dx.address(), y.size());
        }
    }

    /** y = tanh(x); y may be x. */
    public final void tanh(Matrix x, Matrix y) {
        unary(x, y, "x", "y");
        if (x.size() > 0) {
            tanhK(x.address(), y.address(), x.size());
        }
    }

    /** dx = dy * (1 - y^2), y the tanh output; dx may be dy. */
    public final void tanhBackward(Matrix y, Matrix dy, Matrix dx) {
        backward(y, dy, dx);
        if (y.size() > 0) {
            tanhBackwardK(y.address(), dy.address(), dx.address(), y.size());
        }
    }

    /** y = max(x, 0); y may be x. */
    public final void relu(Matrix x, Matrix y) {
        unary(x, y, "x", "y");
        if (x.size() > 0) {
            reluK(x.address(), y.address(), x.size());
        }
    }

    /** dx = y > 0 ? dy : 0, y the ReLU output; dx may be dy. */
    public final void reluBackward(Matrix y, Matrix dy, Matrix dx) {
        backward(y, dy, dx);
        if (y.size() > 0) {
            reluBackwardK(y.address(), dy.address(), dx.address(), y.size());
        }
    }

    /** Row softmax of x(B, K) into y; y may be x. */
    public final void softmax(Matrix x, Matrix y) {
        unary(x, y, "x", "y");
        if (x.size() > 0) {
            softmaxK(x.address(), y.address(), x.rows(), x.cols());
        }
    }

    /** Row log-softmax of x(B, K) into y; y may be x. */
    public final void logSoftmax(Matrix x, Matrix y) {
        unary(x, y, "x", "y");
        if (x.size() > 0) {
            logSoftmaxK(x.address(), y.address(), x.rows(), x.cols());
        }
    }

    // ---- losses: mean over the B rows ----

    /**
     * Softmax cross-entropy of logits z(B, K) against target distributions t(B, K). Writes p = softmax(z) if p is not
     * null and dz = (p - t) / B if dz is not null (either may be z), with dz = 0 where |dz| is below 2^-126: a
     * subnormal gradient becomes +0, as it would cost every product it enters a slow microcode step on x86 (a
     * confident classifier's other classes); p keeps its subnormals. Returns -(1/B) sum t log p.
     */
    public final double softmaxCrossEntropy(Matrix z, Matrix t, Matrix p, Matrix dz) {
        outsideFork("softmaxCrossEntropy");
        lossArgs(z, "z", t, p, "p", dz, "dz");
        return z.rows() == 0 ? 0 : softmaxCrossEntropyK(z.address(), t.address(), addr(p), addr(dz), z.rows(), z.cols());
    }

    /**
     * {@link #softmaxCrossEntropy} without the loss value: writes p and dz only. A device backend then only queues
     * the work, where returning the value would wait for the device; for loops that do not read the loss each step.
     */
    public final void softmaxCrossEntropyGradient(Matrix z, Matrix t, Matrix p, Matrix dz) {
        outsideFork("softmaxCrossEntropyGradient");
        lossArgs(z, "z", t, p, "p", dz, "dz");
        if (z.rows() > 0) {
            softmaxCrossEntropyGradientK(z.address(), t.address(), addr(p), addr(dz), z.rows(), z.cols());
        }
    }

    /**
     * Sigmoid binary cross-entropy of logits z(B, N) against targets t in [0, 1]. Writes p = sigmoid(z) and
     * dz = (p - t) / B where not null (a subnormal dz made +0, as in {@link #softmaxCrossEntropy}). Returns
     * (1/B) sum [max(z,0) - z t + log(1 + exp(-|z|))].
     */
    public final double sigmoidCrossEntropy(Matrix z, Matrix t, Matrix p, Matrix dz) {
        outsideFork("sigmoidCrossEntropy");
        lossArgs(z, "z", t, p, "p", dz, "dz");
        return z.rows() == 0 ? 0 : sigmoidCrossEntropyK(z.address(), t.address(), addr(p), addr(dz), z.rows(), z.cols());
    }

    /** Squared error of y(B, N) against t: writes dy = (y - t) / B if not null; returns (1/(2B)) sum (y - t)^2. */
    public final double squaredError(Matrix y, Matrix t, Matrix dy) {
        outsideFork("squaredError");
        lossArgs(y, "y", t, null, "p", dy, "dy");
        return y.rows() == 0 ? 0 : squaredErrorK(y.address(), t.address(), addr(dy), y.rows(), y.cols());
    }

    // ---- loss values of training steps, kept where they are computed ----

    /**
     * Loss values of training steps, one slot per step, kept where the backend computes them: a step writes its loss
     * into a slot without waiting for the device (the CUDA backend keeps the slots in device memory), and
     * {@link #read} fetches a range of slots at once, waiting once. So a training loop reads its losses once per
     * epoch instead of once per mini-batch. On the CPU the slots are an array, filled as the steps run. Made by
     * {@link #lossLog(int)}; used with the backend that made it; closed by the caller (idempotent).
     */
    public static class LossLog implements AutoCloseable {
        private final Backend owner;
        private final int capacity;
        private final double[] values;
        private boolean closed;

        /** A log of capacity slots; hostValues: whether the slots are this object's array. */
        protected LossLog(Backend owner, int capacity, boolean hostValues) {
            if (capacity < 1) {
                throw new IllegalArgumentException("a loss log needs at least 1 slot, not " + capacity);
            }
            this.owner = owner;
            this.capacity = capacity;
            this.values = hostValues ? new double[capacity] : null;
        }

        public final int capacity() {
            return capacity;
        }

        /** The values of slots [from, to), in order (waits for the steps that write them). */
        public double[] read(int from, int to) {
            checkRange(from, to);
            return java.util.Arrays.copyOfRange(values, from, to);
        }

        protected final void checkRange(int from, int to) {
            if (closed) {
                throw new IllegalStateException("the loss log is closed");
            }
            if (from < 0 || to > capacity || from > to) {
                throw new IndexOutOfBoundsException("slots [" + from + ", " + to + ") of a loss log of " + capacity);
            }
        }

        void check(Backend be, int slot) {
            if (owner != be) {
                throw new IllegalArgumentException("the loss log belongs to the " + owner.name() + " backend, not to "
                        + be.name());
            }
            checkRange(slot, slot + 1);
        }

        void put(int slot, double value) {
            values[slot] = value;
        }

        /** Whether {@link #close()} has run. */
        public final boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A loss log of capacity slots for this backend. */
    public LossLog lossLog(int capacity) {
        outsideFork("lossLog");
        return new LossLog(this, capacity, true);
    }

    // The logged losses wait for nothing, so a fork's work may compute them (beside the calls that follow).

    /** {@link #softmaxCrossEntropy}, its value into slot {@code slot} of {@code log} instead of returned. */
    public final void softmaxCrossEntropy(Matrix z, Matrix t, Matrix p, Matrix dz, LossLog log, int slot) {
        lossArgs(z, "z", t, p, "p", dz, "dz");
        logArgs(z, log, slot);
        softmaxCrossEntropyK(z.address(), t.address(), addr(p), addr(dz), z.rows(), z.cols(), log, slot);
    }

    /** {@link #sigmoidCrossEntropy}, its value into slot {@code slot} of {@code log} instead of returned. */
    public final void sigmoidCrossEntropy(Matrix z, Matrix t, Matrix p, Matrix dz, LossLog log, int slot) {
        lossArgs(z, "z", t, p, "p", dz, "dz");
        logArgs(z, log, slot);
        sigmoidCrossEntropyK(z.address(), t.address(), addr(p), addr(dz), z.rows(), z.cols(), log, slot);
    }

    /** {@link #squaredError}, its value into slot {@code slot} of {@code log} instead of returned. */
    public final void squaredError(Matrix y, Matrix t, Matrix dy, LossLog log, int slot) {
        lossArgs(y, "y", t, null, "p", dy, "dy");
        logArgs(y, log, slot);
        squaredErrorK(y.address(), t.address(), addr(dy), y.rows(), y.cols(), log, slot);
    }

    private void logArgs(Matrix z, LossLog log, int slot) {
        if (log == null) {
            throw new IllegalArgumentException("log is null");
        }
        log.check(this, slot);
        using(log);
        if (z.rows() == 0) {
            throw new IllegalArgumentException("a logged loss needs at least one row");
        }
    }

    /**
     * Slot {@code next.value()} of {@code to} = slot {@code fromSlot} of {@code from}, then {@code next} moves on by
     * one; in order with the work queued before (nothing waits for the device). A recorded step appends its loss so:
     * each replay writes the next slot, with nothing sent from the host ({@link Counter}).
     *
     * @throws IndexOutOfBoundsException where {@code next} is past the slots of {@code to} (in a recorded step: at the
     *     replay that would write there; see {@link Counter} for what a refused replay leaves)
     */
    public final void appendLoss(LossLog from, int fromSlot, LossLog to, Counter next) {
        outsideFork("appendLoss");
        if (from == null || to == null) {
            throw new IllegalArgumentException(from == null ? "from is null" : "to is null");
        }
        from.check(this, fromSlot);
        to.check(this, 0);
        counterArg(next, "next");
        using(from);
        using(to);
        onCounters(next, () -> {
            if (next.value >= to.capacity()) {
                throw new IndexOutOfBoundsException("slot " + next.value + " of a loss log of " + to.capacity()
                        + " slots");
            }
        });
        appendLossK(from, fromSlot, to, next);
        onCounters(next, () -> next.value++);
    }

    /** Host slots and count; device backends override this. */
    protected void appendLossK(LossLog from, int fromSlot, LossLog to, Counter next) {
        to.put((int) next.value, from.values[fromSlot]);
    }

    /**
     * Bytes of this backend's memory that a training run may give its in-memory data set (the inputs and targets, the
     * inputs' byte codes while they are made, the epoch's {@link RowOrder} and a batch; see {@link #gathersPerBatch});
     * a data set that needs more is streamed to the backend in chunks instead. Host memory here: no limit (the data
     * is in the JVM already).
     */
    public long dataMemory() {
        return Long.MAX_VALUE;
    }

    // ---- concurrent work ----

    /** Whether this thread is running a fork's work ({@link #fork}). */
    private final ThreadLocal<Boolean> forking = ThreadLocal.withInitial(() -> false);
    /** Whether the calling thread runs a step of the default {@link #recordStep} (where Counter.set is refused). */
    private final ThreadLocal<Boolean> replaying = ThreadLocal.withInitial(() -> false);
    /** Forks not joined yet, oldest first (guarded by itself). */
    private final java.util.List<Fork> open = new java.util.ArrayList<>();

    /**
     * Work queued by {@link #fork} that may run concurrently with the calls made after it, until {@link #join}.
     * Join each fork once.
     */
    public static final class Fork {
        private final Backend backend;
        private final long token;
        /** The thread that made the fork: the bookkeeping below (open forks, release) is per thread. */
        private final Thread owner = Thread.currentThread();
        private boolean joined;

        private Fork(Backend backend, long token) {
            this.backend = backend;
            this.token = token;
        }
    }

    /**
     * Queues the backend calls that {@code work} makes so that they may run concurrently with the calls made after
     * this one, until {@link #join} of the returned fork: on a device backend on a second stream (in a recorded step,
     * a parallel branch of its graph), on the CPU at once. The work starts after everything queued before the fork.
     * The caller keeps the two apart: the calls between fork and join neither read what the work writes nor write
     * what it reads, and the work's results are used after the join. Inside the work, returned losses (logged ones
     * are allowed), sampling, host copies, row gathers, allocations, counters and their appends, and another fork are
     * refused ({@link IllegalStateException}): it queues kernels only. A recorded step joins all its forks, and starts
     * with none open. A device backend holds a fixed number of forks open at once (16 on CUDA): join each as soon as
     * its results are needed.
     */
    public final Fork fork(Runnable work) {
        if (work == null) {
            throw new IllegalArgumentException("work is null");
        }
        outsideFork("fork");
        forking.set(true);
        long token;
        try {
            token = forkK(work);
        } finally {
            forking.set(false);
        }
        Fork f = new Fork(this, token);
        synchronized (open) {
            open.add(f);
        }
        return f;
    }

    /** The calls queued from now on start after the fork's work. */
    public final void join(Fork fork) {
        if (fork == null || fork.backend != this) {
            throw new IllegalArgumentException(fork == null ? "fork is null" : "the fork is another backend's");
        }
        outsideFork("join");
        synchronized (open) {
            if (fork.joined) {
                throw new IllegalStateException("the fork is joined already");
            }
            fork.joined = true;
            open.remove(fork);
        }
        joinK(fork.token);
    }

    /** A cleanup for try-with-resources that throws no checked exception. */
    public interface Cleanup extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * {@link #releaseForks} as a resource: declared last in a try-with-resources, it runs first when the block ends,
     * before the buffers that a fork of a failed step may still use are closed.
     */
    public final Cleanup forkRelease() {
        return this::releaseForks;
    }

    /**
     * Joins every fork that this thread left open, ignoring failures: for the cleanup of a step that failed between a
     * fork and its join (later work is then ordered after the forks' work, and a device backend gets its fork
     * resources back). Nothing is open after a step that completed.
     */
    public final void releaseForks() {
        if (forking.get()) {
            return;
        }
        for (long token : dropForks(0)) {
            try {
                joinK(token);
            } catch (RuntimeException e) {
                // The step's own failure is the news; the fork's resources are back either way.
            }
        }
    }

    /**
     * Whether a fork's work may overlap the calls after it (a device's second stream), so that splitting a step into
     * forks pays; false where forks run at once (the CPU), where a caller keeps its fused calls instead.
     */
    public boolean forksOverlap() {
        return false;
    }

    /** Forks of this thread not joined yet. */
    protected final int openForks() {
        synchronized (open) {
            return mine().size();
        }
    }

    /** The open forks that this thread made, oldest first; the caller holds the lock on {@code open}. */
    private java.util.List<Fork> mine() {
        java.util.List<Fork> forks = new java.util.ArrayList<>();
        for (Fork f : open) {
            if (f.owner == Thread.currentThread()) {
                forks.add(f);
            }
        }
        return forks;
    }

    /**
     * Ends this thread's forks opened after its first {@code keep} open ones without joining them (a recorded step
     * that failed: its work is discarded); returns their tokens, for the backend to release. Joining one later throws.
     */
    protected final long[] dropForks(int keep) {
        synchronized (open) {
            java.util.List<Fork> forks = mine();
            long[] tokens = new long[Math.max(0, forks.size() - keep)];
            for (int i = 0; i < tokens.length; i++) {
                Fork f = forks.get(keep + i);
                open.remove(f);
                f.joined = true;
                tokens[i] = f.token;
            }
            return tokens;
        }
    }

    /** Throws while a fork's work runs: {@code what} needs the main order (a host wait, a loss, the stream). */
    protected final void outsideFork(String what) {
        if (forking.get()) {
            throw new IllegalStateException(what + " cannot run inside Backend.fork: a fork's work queues kernels "
                    + "only (no returned losses, sampling, host copies, row gathers, allocations, counters or forks)");
        }
    }

    /** Runs the work so that it may overlap later calls; returns what {@link #joinK} needs. Here: at once. */
    protected long forkK(Runnable work) {
        work.run();
        return 0;
    }

    /** Makes later calls wait for the fork's work (nothing here: it ran at once). */
    protected void joinK(long token) {}

    // ---- recorded steps ----

    /** A mini-batch step recorded by {@link #recordStep}, run again by {@link #run()}; close it (idempotent). */
    public interface Replay extends AutoCloseable {
        /** Runs the recorded step once more: what the step would do now, the next numbers of its stream included. */
        void run();

        /**
         * The recorded work's size where the backend can say (a CUDA graph: its work nodes and the most of them on
         * one path, {@code {nodes, depth}}); else null.
         */
        default long[] size() {
            return null;
        }

        @Override
        void close();
    }

    /**
     * Whether {@link #recordStep} records (the CUDA backend: a step becomes one CUDA graph launch instead of one
     * launch per kernel). A recorded step works on the buffers it was recorded with, so the training loops' recorded
     * steps gather each mini-batch into fixed buffers themselves, at a {@link Counter} (streamed batches are copied
     * there before the run); where nothing is recorded they run their steps directly.
     */
    public boolean recordsSteps() {
        return false;
    }

    /**
     * The step, recorded for runs on the same buffers with the same scalars: each {@link Replay#run()} does what
     * {@code step.accept(rng)} would do at that point, drawing the next numbers of {@code rng} (null for a step that
     * does not sample). Nothing runs while the step is recorded. Here nothing is recorded: each run calls the step. A
     * backend that records refuses a step that it cannot record with an exception naming the call (see
     * {@code CudaBackend.capture}).
     */
    public Replay recordStep(RandomStream rng, Consumer<RandomStream> step) {
        if (step == null) {
            throw new IllegalArgumentException("step is null");
        }
        return new Replay() {
            @Override
            public void run() {
                boolean outer = replaying.get();
                replaying.set(true);
                try {
                    step.accept(rng);
                } finally {
                    replaying.set(outer);
                }
            }

            @Override
            public void close() {}
        };
    }

    // ---- reductions, BLAS-1, updates ----

    /** out(1, N) = alpha * (column sums of x(B, N)) + beta * out. */
    public final void columnSums(Matrix x, Matrix out, float alpha, float beta) {
        columnSumsArgs(x, out);
        if (x.cols() > 0) {
            columnSumsK(x.address(), out.address(), x.rows(), x.cols(), alpha, beta);
        }
    }

    /**
     * {@link #columnSums(Matrix, Matrix, float, float)}, then {@code step} (if not null) with out as its gradient: a
     * bias's gradient and its step in one call (one kernel launch on a device backend), the same bits as the calls one
     * after the other.
     */
    public final void columnSums(Matrix x, Matrix out, float alpha, float beta, SgdStep step) {
        if (step == null) {
            columnSums(x, out, alpha, beta);
            return;
        }
        columnSumsArgs(x, out);
        requireStep(step, out, x);
        if (x.cols() > 0) {
            columnSumsK(x.address(), out.address(), x.rows(), x.cols(), alpha, beta, step);
        }
    }

    private void columnSumsArgs(Matrix x, Matrix out) {
        requireOpen(x, "x");
        requireOpen(out, "out");
        requireShape(out, "out", 1, x.cols());
        requireDisjoint(out, "out", x, "x");
    }

    /** y += alpha * x; same shape, disjoint. */
    public final void axpy(float alpha, Matrix x, Matrix y) {
        requireOpen(x, "x");
        requireOpen(y, "y");
        requireSameShape(x, "x", y, "y");
        requireDisjoint(x, "x", y, "y");
        if (x.size() > 0) {
            axpyK(alpha, x.address(), y.address(), x.size());
        }
    }

    /** x *= alpha. */
    public final void scale(float alpha, Matrix x) {
        requireOpen(x, "x");
        if (x.size() > 0) {
            scaleK(alpha, x.address(), x.size());
        }
    }

    /**
     * One SGD step with momentum and L2 weight decay on parameters w with gradient g and velocity v (all the same
     * shape, disjoint): g' = g + weightDecay w; v = momentum v - lr g'; then w += v, or with Nesterov momentum
     * w += momentum v - lr g'. A velocity element whose magnitude falls below {@link Float#MIN_NORMAL} (a subnormal,
     * or a zero of either sign) becomes +0 before w is stepped (NaN and infinities stay): a velocity decaying towards
     * zero, where a weight's gradient stays zero, would otherwise cost x86 CPUs a slow microcode path on every step.
     */
    public final void sgdMomentum(Matrix w, Matrix g, Matrix v, float lr, float momentum, float weightDecay,
            boolean nesterov) {
        requireOpen(w, "w");
        requireOpen(g, "g");
        requireOpen(v, "v");
        requireSameShape(w, "w", g, "g");
        requireSameShape(w, "w", v, "v");
        requireDisjoint(w, "w", g, "g");
        requireDisjoint(w, "w", v, "v");
        requireDisjoint(g, "g", v, "v");
        requireFinite(lr, "lr");
        requireFinite(momentum, "momentum");
        requireFinite(weightDecay, "weightDecay");
        if (w.size() > 0) {
            sgdMomentumK(w.address(), g.address(), v.address(), w.size(), lr, momentum, weightDecay, nesterov);
        }
    }

    /**
     * One {@link #sgdMomentum} step of weights w(M, N) whose gradient is a product of mini-batch matrices:
     * g = alpha (op(a1) op(b1) - op(a2) op(b2)), op(a1) (M, K1), op(b1) (K1, N), op(a2) (M, K2), op(b2) (K2, N), the same
     * transposes for both; a2 and b2 both null drop the second product. The gradient of an RBM's weights
     * (v0^T h0 - vk^T hk) / B, and an MLP layer's x^T delta, followed by the step. Backends may fuse it: the CPU's
     * own GEMM kernel (see {@code CpuBackend.setGemmMode}) sums both products in one pass and steps w and v as each
     * gradient tile is formed, never writing g (the sums then round differently from two GEMMs). Elsewhere g receives
     * the gradient and the step follows, exactly {@link #gemm} twice and {@link #sgdMomentum}. g, w and v have w's
     * shape and are disjoint from each other and from the operands.
     */
    public final void gemmSgdMomentum(Transpose ta, Transpose tb, float alpha, Matrix a1, Matrix b1, Matrix a2,
            Matrix b2, Matrix g, Matrix w, Matrix v, float lr, float momentum, float weightDecay, boolean nesterov) {
        requireOpen(a1, "a1");
        requireOpen(b1, "b1");
        if ((a2 == null) != (b2 == null)) {
            throw new IllegalArgumentException("gemmSgdMomentum: a2 and b2 must both be given or both be null");
        }
        if (a2 != null) {
            requireOpen(a2, "a2");
            requireOpen(b2, "b2");
        }
        requireOpen(w, "w");
        requireOpen(g, "g");
        requireOpen(v, "v");
        requireSameShape(w, "w", g, "g");
        requireSameShape(w, "w", v, "v");
        int m = w.rows(), n = w.cols();
        int k1 = productInner("1", ta, tb, a1, b1, m, n);
        int k2 = a2 == null ? 0 : productInner("2", ta, tb, a2, b2, m, n);
        // Each output against the other outputs and every operand; no arrays (this runs once per mini-batch).
        requireDisjoint(w, "w", g, "g");
        requireDisjoint(w, "w", v, "v");
        requireDisjoint(g, "g", v, "v");
        requireDisjointFromOperands(w, "w", a1, b1, a2, b2);
        requireDisjointFromOperands(g, "g", a1, b1, a2, b2);
        requireDisjointFromOperands(v, "v", a1, b1, a2, b2);
        requireFinite(alpha, "alpha");
        requireFinite(lr, "lr");
        requireFinite(momentum, "momentum");
        requireFinite(weightDecay, "weightDecay");
        if (m == 0 || n == 0) {
            return;
        }
        gemmSgdMomentumK(ta, tb, m, n, k1, k2, alpha, a1.address(), Math.max(1, a1.cols()), b1.address(),
                Math.max(1, b1.cols()), a2 == null ? 0 : a2.address(), a2 == null ? 1 : Math.max(1, a2.cols()),
                b2 == null ? 0 : b2.address(), b2 == null ? 1 : Math.max(1, b2.cols()), g.address(), w.address(),
                v.address(), lr, momentum, weightDecay, nesterov);
    }

    private static void requireDisjointFromOperands(Matrix out, String name, Matrix a1, Matrix b1, Matrix a2,
            Matrix b2) {
        requireDisjoint(out, name, a1, "a1");
        requireDisjoint(out, name, b1, "b1");
        if (a2 != null) {
            requireDisjoint(out, name, a2, "a2");
            requireDisjoint(out, name, b2, "b2");
        }
    }

    /** K of op(a) op(b) when that is (m, K) x (K, n); else an exception naming product {@code which}. */
    private static int productInner(String which, Transpose ta, Transpose tb, Matrix a, Matrix b, int m, int n) {
        int am = ta == Transpose.NO_TRANSPOSE ? a.rows() : a.cols();
        int k = ta == Transpose.NO_TRANSPOSE ? a.cols() : a.rows();
        int kb = tb == Transpose.NO_TRANSPOSE ? b.rows() : b.cols();
        int bn = tb == Transpose.NO_TRANSPOSE ? b.cols() : b.rows();
        if (am != m || bn != n || k != kb) {
            throw new IllegalArgumentException("gemmSgdMomentum: op(a" + which + ") op(b" + which + ") must be " + m + "x"
                    + n + " like w, with equal inner dimensions; a" + which + " is " + a.shape() + " (" + ta + "), b"
                    + which + " is " + b.shape() + " (" + tb + ")");
        }
        return k;
    }

    // ---- rows ----

    /**
     * dst row r = src row rows[r] for r in [0, dst.rows()); every index in [0, src.rows()). Puts a data set, or one
     * mini-batch of it, in the epoch's shuffled order. dst and src must be disjoint.
     */
    public final void gatherRows(Matrix src, int[] rows, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        requireIndices(rows, dst.rows(), src.rows());
        if (dst.size() > 0) {
            gatherRowsK(src.address(), src.rows(), src.cols(), rows, dst.rows(), dst.address());
        }
    }

    /** A gather's source and destination: open, this backend's, as many columns, disjoint. */
    private void gatherArgs(Matrix src, Matrix dst) {
        requireOpen(src, "src");
        requireOpen(dst, "dst");
        if (src.cols() != dst.cols()) {
            throw new IllegalArgumentException("dst has " + dst.cols() + " columns, src " + src.cols());
        }
        requireDisjoint(src, "src", dst, "dst");
    }

    /** As {@link #gatherArgs(Matrix, Matrix)} for a coded source (its codes and its palette). */
    private void gatherArgs(CodedRows src, Matrix dst) {
        if (src == null) {
            throw new IllegalArgumentException("src is null");
        }
        requireOpen(src.codes, "src");
        requireOpen(src.palette, "src's palette");
        requireOpen(dst, "dst");
        if (src.cols() != dst.cols()) {
            throw new IllegalArgumentException("dst has " + dst.cols() + " columns, src " + src.cols());
        }
        requireDisjoint(src.codes, "src", dst, "dst");
        requireDisjoint(src.palette, "src's palette", dst, "dst");
    }

    /** rows holds at least count indices, each in [0, srcRows). */
    private static void requireIndices(int[] rows, int count, int srcRows) {
        if (rows == null || rows.length < count) {
            throw new IllegalArgumentException("rows must hold at least dst.rows()=" + count + " indices, got "
                    + (rows == null ? "null" : rows.length));
        }
        for (int r = 0; r < count; r++) {
            if (rows[r] < 0 || rows[r] >= srcRows) {
                throw new IndexOutOfBoundsException("rows[" + r + "]=" + rows[r] + " outside [0, " + srcRows + ")");
            }
        }
    }

    /**
     * {@code src} as byte codes into a palette, where this backend holds such rows (the CPU and CUDA backends: see
     * {@link #gathersPerBatch}) and src has at most {@link CodedRows#PALETTE_SIZE} distinct values (bit patterns);
     * null otherwise (keep src then). src is left as it is; the caller closes the result.
     */
    public final CodedRows encodeRows(Matrix src) {
        outsideFork("encodeRows");
        requireOpen(src, "src");
        if (!holdsCodedRows() || src.size() == 0) {
            return null;
        }
        Matrix codes = null;
        Matrix palette = null;
        try {
            // The codes in a float allocation of at least rows * cols bytes: rows x ceil(cols / 4) floats.
            codes = allocate(src.rows(), (src.cols() + Float.BYTES - 1) / Float.BYTES);
            palette = allocate(1, CodedRows.PALETTE_SIZE);
            int values = encodeRowsK(src.address(), src.size(), codes.address(), palette.address());
            if (values < 0) {
                Matrix.closeAll(codes, palette);
                return null;
            }
            return new CodedRows(src.rows(), src.cols(), codes, palette, values);
        } catch (RuntimeException e) {
            Matrix.closeAll(codes, palette);
            throw e;
        }
    }

    /**
     * dst row r = row rows[r] of the coded data set, decoded: the same floats as {@link #gatherRows(Matrix, int[],
     * Matrix)} from the data it was made of.
     */
    public final void gatherRows(CodedRows src, int[] rows, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        requireIndices(rows, dst.rows(), src.rows());
        if (dst.size() > 0) {
            gatherCodedRowsK(src.codes.address(), src.rows(), src.cols(), src.palette.address(), rows, dst.rows(),
                    dst.address());
        }
    }

    /**
     * What a backend holds for a training loop besides matrices ({@link RowOrder}, {@link Counter}): its owner, and
     * its copy in the backend's memory (a device backend's; null on the CPU), freed by {@link #close()} (a second
     * close does nothing).
     */
    public abstract static sealed class Held implements AutoCloseable permits RowOrder, Counter {
        final Backend owner;
        /** The copy in the backend's memory (a float allocation), or null. */
        final Matrix device;
        private final String what;
        private boolean closed;

        Held(Backend owner, Matrix device, String what) {
            this.owner = owner;
            this.device = device;
            this.what = what;
        }

        final void checkOpen() {
            if (closed) {
                throw new IllegalStateException("the " + what + " is closed");
            }
        }

        /** Whether {@link #close()} has run. */
        public final boolean isClosed() {
            return closed;
        }

        @Override
        public final void close() {
            if (!closed) {
                closed = true;
                if (device != null) {
                    device.close();
                }
            }
        }
    }

    /**
     * An order of a data set's rows, held where its backend gathers from: a training loop {@linkplain #set sets} each
     * epoch's order once, and {@link Backend#gatherRows(Matrix, RowOrder, int, Matrix)} then gathers a mini-batch from
     * a slice of it without sending indices (on a device: no upload, and no wait for the host). A device backend keeps
     * a copy in device memory, a host backend the array. Made by {@link Backend#rowOrder}; closing it frees the
     * backend memory (a second close does nothing).
     */
    public static final class RowOrder extends Held {
        private final int[] order;
        /** A host backend's indices of one gather. */
        private int[] slice = new int[0];
        private int length;
        /** The largest index set, or -1 (a source needs more rows than that). */
        private int max = -1;

        /** device: the indices as int32 in a float allocation (a device backend), or null. */
        private RowOrder(Backend owner, int capacity, Matrix device) {
            super(owner, device, "row order");
            this.order = new int[capacity];
        }

        /** The most indices it holds. */
        public int capacity() {
            return order.length;
        }

        /** The number of indices set. */
        public int length() {
            return length;
        }

        /**
         * rows[0, n) as the order, each a row index (not negative); on a device copied there (waiting for the device:
         * once per epoch). Gathers queued before read the order they were queued with. A refused order leaves the
         * last one in place.
         */
        public void set(int[] rows, int n) {
            owner.outsideFork("RowOrder.set");
            checkOpen();
            if (rows == null || n < 0 || n > rows.length || n > order.length) {
                throw new IllegalArgumentException("a row order of capacity " + order.length + " cannot take " + n
                        + " of " + (rows == null ? "null" : rows.length + " indices"));
            }
            int largest = -1;
            for (int i = 0; i < n; i++) {
                if (rows[i] < 0) {
                    throw new IndexOutOfBoundsException("rows[" + i + "]=" + rows[i] + " is negative");
                }
                largest = Math.max(largest, rows[i]);
            }
            // Unusable until the new order is in place: a failed upload leaves nothing half set.
            length = 0;
            max = -1;
            System.arraycopy(rows, 0, order, 0, n);
            if (device != null && n > 0) {
                owner.copyIndicesK(order, n, device.address());
            }
            length = n;
            max = largest;
        }

        /** The indices [from, from + count) of a gather from a source of srcRows rows, checked. */
        private void checkSlice(Backend be, int from, int count, int srcRows) {
            checkOwner(be);
            if (from < 0 || from > length - count) {
                throw new IndexOutOfBoundsException("rows [" + from + ", " + ((long) from + count) + ") of a row "
                        + "order of " + length);
            }
            if (count > 0 && max >= srcRows) {
                throw new IndexOutOfBoundsException("the row order holds index " + max + ", outside [0, " + srcRows
                        + ") of the source");
            }
        }

        private void checkOwner(Backend be) {
            checkOpen();
            if (be != owner) {
                throw new IllegalArgumentException("the row order belongs to the " + owner.name() + " backend, not "
                        + be.name());
            }
        }

        /** A host backend's indices [from, from + count) as an array (reused). */
        private int[] slice(int from, int count) {
            if (slice.length < count) {
                slice = new int[count];
            }
            System.arraycopy(order, from, slice, 0, count);
            return slice;
        }
    }

    /** A row order of up to {@code capacity} indices for this backend (none set yet). */
    public final RowOrder rowOrder(int capacity) {
        outsideFork("rowOrder");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity + " is negative");
        }
        return new RowOrder(this, capacity, holdsRowOrder() ? allocate(1, capacity) : null);
    }

    /**
     * dst row r = src row order[from + r] for r in [0, dst.rows()): the rows of {@link #gatherRows(Matrix, int[],
     * Matrix)} for a slice of the order, without sending it to the backend again.
     */
    public final void gatherRows(Matrix src, RowOrder order, int from, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        if (!atSlice(order, from, dst, src.rows())) {
            return;
        }
        if (order.device != null) {
            gatherOrderedRowsK(src.address(), src.rows(), src.cols(), order.device.address() + (long) from
                    * Integer.BYTES, dst.rows(), dst.address());
        } else {
            gatherRowsK(src.address(), src.rows(), src.cols(), order.slice(from, dst.rows()), dst.rows(),
                    dst.address());
        }
    }

    /** As {@link #gatherRows(Matrix, RowOrder, int, Matrix)} from a coded data set: the floats it was made of. */
    public final void gatherRows(CodedRows src, RowOrder order, int from, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        if (!atSlice(order, from, dst, src.rows())) {
            return;
        }
        if (order.device != null) {
            gatherOrderedCodedRowsK(src.codes.address(), src.rows(), src.cols(), src.palette.address(),
                    order.device.address() + (long) from * Integer.BYTES, dst.rows(), dst.address());
        } else {
            gatherCodedRowsK(src.codes.address(), src.rows(), src.cols(), src.palette.address(),
                    order.slice(from, dst.rows()), dst.rows(), dst.address());
        }
    }

    /**
     * A count held where the backend's kernels run, which a recorded step reads and moves there: the mini-batch its
     * gathers take ({@link Backend#gatherRows(Matrix, RowOrder, Counter, Matrix)}) and the log slot its loss goes to
     * ({@link Backend#appendLoss}). Each replay of such a step then works on the next batch with nothing sent from the
     * host: one graph launch per mini-batch on CUDA. A device backend keeps the count in device memory (8 bytes), the
     * CPU in this object. {@link #value()} is the count once the work queued so far has run, the replays of recorded
     * steps included. A backend that records checks a replay's counters before it queues it, so a refused replay does
     * nothing; where the step itself runs again (the CPU), each call checks as it runs, so the calls before a refused
     * one have run (and moved the counter). Made by {@link Backend#counter()}; closed by the caller (idempotent).
     */
    public static final class Counter extends Held {
        private long value;

        /** device: a device backend's count, a uint64 in a 1 x 2 float allocation (else null). */
        private Counter(Backend owner, Matrix device) {
            super(owner, device, "counter");
        }

        /** The count once the work queued so far has run. */
        public long value() {
            checkOpen();
            return value;
        }

        /**
         * Sets the count (not negative), in order with the work queued before; on a device without waiting for it.
         * Not inside a recorded step (each replay would set it again).
         */
        public void set(long count) {
            owner.outsideFork("Counter.set");
            checkOpen();
            if (owner.replaying.get()) {   // a device backend refuses it in a capture (setCounterK)
                throw new IllegalStateException("Counter.set cannot be recorded: each replay would set the counter "
                        + "again");
            }
            if (count < 0) {
                throw new IllegalArgumentException("a counter cannot be set to " + count);
            }
            if (device != null) {
                owner.setCounterK(device.address(), count);
            }
            value = count;
        }

        /**
         * A diagnostic that waits for the device: the count that the backend holds once the work queued so far has
         * run, which is {@link #value()} (tests check the one against the other).
         */
        public long read() {
            owner.outsideFork("Counter.read");
            checkOpen();
            return device == null ? value : owner.readCounterK(device.address());
        }
    }

    /** A counter at zero for this backend. */
    public final Counter counter() {
        outsideFork("counter");
        return new Counter(this, holdsCounters() ? allocate(1, 2) : null);   // allocate zeroes it
    }

    /** A counter argument: not null, open, this backend's (a recorded call keeps its memory). */
    private void counterArg(Counter c, String name) {
        if (c == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        c.checkOpen();
        if (c.owner != this) {
            throw new IllegalArgumentException(name + " belongs to the " + c.owner.name() + " backend, not " + name());
        }
        if (c.device != null) {
            using(c.device);
        }
    }

    /** The first index of batch {@code batch.value()} of {@code rows} rows, checked against the order's slice. */
    private static int batchStart(Backend be, RowOrder order, Counter batch, int rows, int srcRows) {
        long first = batch.value * rows;
        if (rows > 0 && batch.value > Integer.MAX_VALUE / rows) {
            throw new IndexOutOfBoundsException("batch " + batch.value + " of " + rows + " rows is past a row order of "
                    + order.length);
        }
        order.checkSlice(be, (int) first, rows, srcRows);
        return (int) first;
    }

    /**
     * dst row r = src row order[k * B + r] for r in [0, B), B = dst.rows(), k = batch.value() when the gather runs:
     * {@link #gatherRows(Matrix, RowOrder, int, Matrix)} of batch k. In a recorded step each replay gathers the batch
     * the counter holds then (a device reads it there), so a step that also moves the counter on (as
     * {@link #appendLoss} does) takes the next batch at each replay.
     *
     * @throws IndexOutOfBoundsException where batch k reaches past the order's length (in a recorded step: at the
     *     replay that would gather it)
     */
    public final void gatherRows(Matrix src, RowOrder order, Counter batch, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        if (!atCounter(order, batch, dst, src.rows())) {
            return;
        }
        if (order.device != null) {
            gatherOrderedRowsAtK(src.address(), src.rows(), src.cols(), order.device.address(), order.capacity(),
                    batch.device.address(), dst.rows(), dst.address());
        } else {
            int first = (int) (batch.value * dst.rows());
            gatherRowsK(src.address(), src.rows(), src.cols(), order.slice(first, dst.rows()), dst.rows(),
                    dst.address());
        }
    }

    /** As {@link #gatherRows(Matrix, RowOrder, Counter, Matrix)} from a coded data set: the floats it was made of. */
    public final void gatherRows(CodedRows src, RowOrder order, Counter batch, Matrix dst) {
        outsideFork("gatherRows");
        gatherArgs(src, dst);
        if (!atCounter(order, batch, dst, src.rows())) {
            return;
        }
        if (order.device != null) {
            gatherOrderedCodedRowsAtK(src.codes.address(), src.rows(), src.cols(), src.palette.address(),
                    order.device.address(), order.capacity(), batch.device.address(), dst.rows(), dst.address());
        } else {
            int first = (int) (batch.value * dst.rows());
            gatherCodedRowsK(src.codes.address(), src.rows(), src.cols(), src.palette.address(),
                    order.slice(first, dst.rows()), dst.rows(), dst.address());
        }
    }

    /**
     * A gather at a counter, once its source and dst are checked: the order and counter checked (not null, open, this
     * backend's, both in the backend's memory or neither), the batch checked where the gather runs; whether there is
     * anything to gather.
     */
    private boolean atCounter(RowOrder order, Counter batch, Matrix dst, int srcRows) {
        if (order == null) {
            throw new IllegalArgumentException("order is null");
        }
        counterArg(batch, "batch");
        order.checkOwner(this);
        if ((order.device == null) != (batch.device == null)) {
            throw new IllegalArgumentException("the row order and the counter are not held in the same memory");
        }
        onCounters(batch, () -> batchStart(this, order, batch, dst.rows(), srcRows));
        if (dst.size() == 0) {
            return false;
        }
        if (order.device != null) {
            using(order.device);
        }
        return true;
    }

    /**
     * A call's work on a counter: a check of its value before the call's kernel, or its move after it. Runs it here;
     * a backend that records steps runs it at each replay of a recorded call instead (the counter then holds the
     * replay's value), before queuing the replay.
     */
    protected void onCounters(Counter c, Runnable work) {
        work.run();
    }

    /** Where a counter is held in this backend's memory (0 where it is not). */
    protected static long counterAddress(Counter c) {
        return c.device == null ? 0 : c.device.address();
    }

    /** For a backend that records: sets a counter's {@link Counter#value()} back (a replay refused before it ran). */
    protected static void restoreCounter(Counter c, long value) {
        c.value = value;
    }

    /**
     * Whether a {@link Counter} is held in this backend's memory (then the methods below and the gathers at a
     * counter are implemented).
     */
    protected boolean holdsCounters() {
        return false;
    }

    /** Queues *counter = value (a uint64 in the backend's memory). */
    protected void setCounterK(long counter, long value) {
        throw new UnsupportedOperationException(name() + " holds no counters");
    }

    /** *counter once the work queued so far has run. */
    protected long readCounterK(long counter) {
        throw new UnsupportedOperationException(name() + " holds no counters");
    }

    /**
     * {@link #gatherOrderedRowsK} of the batch that *batch holds when the kernel runs, from the order's first len
     * indices.
     */
    protected void gatherOrderedRowsAtK(long src, int srcRows, int cols, long order, int len, long batch, int count,
            long dst) {
        throw new UnsupportedOperationException(name() + " holds no counters");
    }

    /** As {@link #gatherOrderedRowsAtK}, coded. */
    protected void gatherOrderedCodedRowsAtK(long codes, int srcRows, int cols, long palette, long order, int len,
            long batch, int count, long dst) {
        throw new UnsupportedOperationException(name() + " holds no counters");
    }

    /**
     * A gather from a slice of an order, once its source and dst are checked: the order not null and the slice
     * [from, from + dst.rows()) checked; whether there is anything to gather.
     */
    private boolean atSlice(RowOrder order, int from, Matrix dst, int srcRows) {
        if (order == null) {
            throw new IllegalArgumentException("order is null");
        }
        order.checkSlice(this, from, dst.rows(), srcRows);
        if (dst.size() == 0) {
            return false;
        }
        if (order.device != null) {
            using(order.device);
        }
        return true;
    }

    /** out(B, 1) = sum over columns of softplus(x(B, N)) = log(1 + exp(x)): the hidden term of an RBM's free energy. */
    public final void softplusRowSums(Matrix x, Matrix out) {
        requireOpen(x, "x");
        requireOpen(out, "out");
        requireShape(out, "out", x.rows(), 1);
        requireDisjoint(x, "x", out, "out");
        if (x.rows() > 0) {
            softplusRowSumsK(x.address(), out.address(), x.rows(), x.cols());
        }
    }

    // ---- random ----

    /** out = uniform [0, 1) floats from the stream (one word each). */
    public final void uniform(RandomStream rng, Matrix out) {
        outsideFork("uniform");
        requireOpen(out, "out");
        long offset = rng.take(out.size());
        if (out.size() > 0) {
            uniformK(rng.seed(), offset, out.address(), out.size());
        }
    }

    /**
     * out = 1 with probability p, else 0, elementwise; out may be p. Each element compares a 16-bit uniform, half a
     * word of the stream: the probability of a 1 is within 2^-16 of p (exact for 0 and 1). Uses ceil(n / 2) words.
     */
    public final void bernoulli(RandomStream rng, Matrix p, Matrix out) {
        outsideFork("bernoulli");
        unary(p, out, "p", "out");
        long offset = rng.take(halfWords(p.size()));
        if (p.size() > 0) {
            bernoulliK(rng.seed(), offset, p.address(), out.address(), p.size());
        }
    }

    /**
     * out = mean + stddev * N(0, 1), elementwise (two words each); mean may be null (zero) or out itself.
     */
    public final void gaussian(RandomStream rng, Matrix mean, float stddev, Matrix out) {
        outsideFork("gaussian");
        requireOpen(out, "out");
        if (mean != null) {
            unary(mean, out, "mean", "out");
        }
        requireFinite(stddev, "stddev");
        long offset = rng.take(Math.multiplyExact(2L, out.size()));
        if (out.size() > 0) {
            gaussianK(rng.seed(), offset, addr(mean), stddev, out.address(), out.size());
        }
    }

    /**
     * The fused Gibbs step: p = sigmoid(x + bias), s = 1 with probability p. x is (B, N), bias (1, N) or null,
     * p and s (B, N); p may be x; s must be disjoint from the rest. Samples as {@link #bernoulli}: uses
     * ceil(B * N / 2) words of the stream.
     */
    public final void sigmoidBernoulli(RandomStream rng, Matrix x, Matrix bias, Matrix p, Matrix s) {
        outsideFork("sigmoidBernoulli");
        sigmoidBernoulliArgs(x, bias, p, s);
        long offset = rng.take(halfWords(x.size()));
        if (x.size() > 0) {
            sigmoidBernoulliK(rng.seed(), offset, x.address(), addr(bias), p.address(), s.address(), x.rows(),
                    x.cols());
        }
    }

    /**
     * {@link #sigmoidBernoulli(RandomStream, Matrix, Matrix, Matrix, Matrix)} (the same samples, the same words of
     * the stream), then sums = alpha * (column sums of p) + beta * sums exactly as {@link #columnSums} gives them,
     * each chunk of rows summed while it is in cache on the CPU. sums (1, N) must be disjoint from x, p, s and bias.
     */
    public final void sigmoidBernoulli(RandomStream rng, Matrix x, Matrix bias, Matrix p, Matrix s, Matrix sums,
            float alpha, float beta) {
        outsideFork("sigmoidBernoulli");
        sigmoidBernoulliArgs(x, bias, p, s);
        requireSums(sums, x, bias, s);
        requireDisjoint(sums, "sums", p, "p");
        if (x.cols() == 0) {
            sigmoidBernoulli(rng, x, bias, p, s);
            return;
        }
        // The stream's words taken as the plain call takes them.
        long offset = rng.take(halfWords(x.size()));
        sigmoidBernoulliSumsK(rng.seed(), offset, x.address(), addr(bias), p.address(), s.address(), x.rows(),
                x.cols(), sums.address(), alpha, beta);
    }

    private void sigmoidBernoulliArgs(Matrix x, Matrix bias, Matrix p, Matrix s) {
        unary(x, p, "x", "p");
        requireOpen(s, "s");
        requireSameShape(x, "x", s, "s");
        requireDisjoint(s, "s", x, "x");
        requireDisjoint(s, "s", p, "p");
        if (bias != null) {
            requireOpen(bias, "bias");
            requireShape(bias, "bias", 1, x.cols());
            requireDisjoint(bias, "bias", p, "p");
            requireDisjoint(bias, "bias", s, "s");
        }
    }

    /** Words used by n Bernoulli samples: half a word each. */
    private static long halfWords(long n) {
        return (n + 1) / 2;
    }

    // ---- the kernels each backend implements; arguments are already checked ----

    protected abstract long allocateK(long bytes);

    protected abstract void freeK(long address);

    protected abstract void copyFromHostK(float[] src, int srcOffset, long dst, int count);

    protected abstract void copyToHostK(long src, float[] dst, int dstOffset, int count);

    protected abstract void copyK(long src, long dst, long bytes);

    protected abstract void gemmK(Transpose ta, Transpose tb, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc);

    protected abstract void addRowBiasK(long x, long b, int rows, int cols);

    protected abstract void sigmoidK(long x, long y, long n);

    /** The fused {@link #biasSigmoid}; by default the two kernels one after the other. */
    protected void biasSigmoidK(long x, long b, int rows, int cols) {
        addRowBiasK(x, b, rows, cols);
        sigmoidK(x, x, (long) rows * cols);
    }

    protected abstract void sigmoidBackwardK(long y, long dy, long dx, long n);

    protected abstract void tanhK(long x, long y, long n);

    protected abstract void tanhBackwardK(long y, long dy, long dx, long n);

    protected abstract void reluK(long x, long y, long n);

    protected abstract void reluBackwardK(long y, long dy, long dx, long n);

    protected abstract void softmaxK(long x, long y, int rows, int cols);

    protected abstract void logSoftmaxK(long x, long y, int rows, int cols);

    protected abstract double softmaxCrossEntropyK(long z, long t, long p, long dz, int rows, int cols);

    /** The loss-free variant; by default the full kernel with its value dropped. */
    protected void softmaxCrossEntropyGradientK(long z, long t, long p, long dz, int rows, int cols) {
        softmaxCrossEntropyK(z, t, p, dz, rows, cols);
    }

    protected abstract double sigmoidCrossEntropyK(long z, long t, long p, long dz, int rows, int cols);

    protected abstract double squaredErrorK(long y, long t, long dy, int rows, int cols);

    /** The logged variants; by default the value is computed here and stored in the log's array. */
    protected void softmaxCrossEntropyK(long z, long t, long p, long dz, int rows, int cols, LossLog log, int slot) {
        log.put(slot, softmaxCrossEntropyK(z, t, p, dz, rows, cols));
    }

    protected void sigmoidCrossEntropyK(long z, long t, long p, long dz, int rows, int cols, LossLog log, int slot) {
        log.put(slot, sigmoidCrossEntropyK(z, t, p, dz, rows, cols));
    }

    protected void squaredErrorK(long y, long t, long dy, int rows, int cols, LossLog log, int slot) {
        log.put(slot, squaredErrorK(y, t, dy, rows, cols));
    }

    protected abstract void columnSumsK(long x, long out, int rows, int cols, float alpha, float beta);

    protected abstract void axpyK(float alpha, long x, long y, long n);

    protected abstract void scaleK(float alpha, long x, long n);

    protected abstract void sgdMomentumK(long w, long g, long v, long n, float lr, float momentum, float weightDecay,
            boolean nesterov);

    /**
     * {@link #gemmSgdMomentum} after its checks (m, n > 0; a2 = b2 = 0 when k2 = 0). This default forms g with two
     * {@link #gemmK} calls and steps with {@link #sgdMomentumK}; a backend that fuses them overrides it.
     */
    protected void gemmSgdMomentumK(Transpose ta, Transpose tb, int m, int n, int k1, int k2, float alpha, long a1,
            int lda1, long b1, int ldb1, long a2, int lda2, long b2, int ldb2, long g, long w, long v, float lr,
            float momentum, float weightDecay, boolean nesterov) {
        gemmK(ta, tb, m, n, k1, alpha, a1, lda1, b1, ldb1, 0f, g, n);
        if (k2 > 0) {
            gemmK(ta, tb, m, n, k2, -alpha, a2, lda2, b2, ldb2, 1f, g, n);
        }
        sgdMomentumK(w, g, v, (long) m * n, lr, momentum, weightDecay, nesterov);
    }

    protected abstract void gatherRowsK(long src, int srcRows, int cols, int[] rows, int count, long dst);

    /** Whether {@link #encodeRows} keeps data as byte codes here (then the two methods below are implemented). */
    protected boolean holdsCodedRows() {
        return false;
    }

    /**
     * codes (n bytes) and palette (256 floats) of src (n floats): returns the number of distinct values, or -1 when
     * there are more than 256.
     */
    protected int encodeRowsK(long src, long n, long codes, long palette) {
        throw new UnsupportedOperationException(name() + " holds no coded rows");
    }

    /** dst(count, cols) row r = palette[codes of row rows[r]], codes (srcRows, cols) bytes, palette 256 floats. */
    protected void gatherCodedRowsK(long codes, int srcRows, int cols, long palette, int[] rows, int count, long dst) {
        throw new UnsupportedOperationException(name() + " holds no coded rows");
    }

    /**
     * Whether a {@link RowOrder} keeps a copy of its indices in this backend's memory (then the three methods below
     * are implemented); else the gathers take them from the Java array.
     */
    protected boolean holdsRowOrder() {
        return false;
    }

    /** Copies rows[0, n) to the backend's int32 array at dst. */
    protected void copyIndicesK(int[] rows, int n, long dst) {
        throw new UnsupportedOperationException(name() + " holds no row order");
    }

    /** {@link #gatherRowsK} with the indices in the backend's memory (count int32 at indices). */
    protected void gatherOrderedRowsK(long src, int srcRows, int cols, long indices, int count, long dst) {
        throw new UnsupportedOperationException(name() + " holds no row order");
    }

    /** {@link #gatherCodedRowsK} with the indices in the backend's memory (count int32 at indices). */
    protected void gatherOrderedCodedRowsK(long codes, int srcRows, int cols, long palette, long indices, int count,
            long dst) {
        throw new UnsupportedOperationException(name() + " holds no row order");
    }

    protected abstract void softplusRowSumsK(long x, long out, int rows, int cols);

    protected abstract void uniformK(long seed, long offset, long out, long n);

    protected abstract void bernoulliK(long seed, long offset, long p, long out, long n);

    protected abstract void gaussianK(long seed, long offset, long mean, float stddev, long out, long n);

    protected abstract void sigmoidBernoulliK(long seed, long offset, long x, long bias, long p, long s, int rows,
            int cols);

    /** biasSigmoidK, then columnSumsK of the result (device backends may fuse them). */
    protected void biasSigmoidSumsK(long x, long b, int rows, int cols, long sums, float alpha, float beta) {
        if (rows > 0) {
            biasSigmoidK(x, b, rows, cols);
        }
        columnSumsK(x, sums, rows, cols, alpha, beta);
    }

    /** columnSumsK, then the step on the sums (device backends may fuse them). */
    protected void columnSumsK(long x, long out, int rows, int cols, float alpha, float beta, SgdStep step) {
        columnSumsK(x, out, rows, cols, alpha, beta);
        sgdMomentumK(step.w().address(), out, step.v().address(), cols, step.lr(), step.momentum(),
                step.weightDecay(), step.nesterov());
    }

    /** biasSigmoidSumsK, then the step on the sums (device backends may fuse them). */
    protected void biasSigmoidSumsK(long x, long b, int rows, int cols, long sums, float alpha, float beta,
            SgdStep step) {
        biasSigmoidSumsK(x, b, rows, cols, sums, alpha, beta);
        sgdMomentumK(step.w().address(), sums, step.v().address(), cols, step.lr(), step.momentum(),
                step.weightDecay(), step.nesterov());
    }

    /** sigmoidBernoulliK, then columnSumsK of p (device backends may fuse them). */
    protected void sigmoidBernoulliSumsK(long seed, long offset, long x, long bias, long p, long s, int rows, int cols,
            long sums, float alpha, float beta) {
        if (rows > 0) {
            sigmoidBernoulliK(seed, offset, x, bias, p, s, rows, cols);
        }
        columnSumsK(p, sums, rows, cols, alpha, beta);
    }

    // ---- checks ----

    private static long addr(Matrix m) {
        return m == null ? 0 : m.address();
    }

    /** Open and owned by this backend. */
    protected final void requireOpen(Matrix m, String name) {
        if (m == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        m.checkOpen(name);
        if (m.backend() != this) {
            throw new IllegalArgumentException(name + " belongs to the " + m.backend().name() + " backend, not " + name());
        }
        using(m);
    }

    /**
     * Told each matrix that a call uses, once checked (a backend that records steps keeps them, so that a replay
     * refuses to run once one is closed). Nothing here.
     */
    protected void using(Matrix m) {}

    /** As {@link #using(Matrix)}, for the loss log a call writes to. */
    protected void using(LossLog log) {}

    protected static void requireShape(Matrix m, String name, int rows, int cols) {
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException(name + " is " + m.shape() + ", expected " + rows + "x" + cols);
        }
    }

    protected static void requireSameShape(Matrix a, String aName, Matrix b, String bName) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(bName + " is " + b.shape() + " but " + aName + " is " + a.shape()
                    + "; they must have the same shape");
        }
    }

    protected static void requireDisjoint(Matrix a, String aName, Matrix b, String bName) {
        if (a.overlaps(b)) {
            throw new IllegalArgumentException(aName + " and " + bName + " overlap in memory; they must be disjoint");
        }
    }

    /** out is exactly in (in place) or disjoint from it. */
    protected static void requireInPlaceOrDisjoint(Matrix in, String inName, Matrix out, String outName) {
        if (out.overlaps(in) && !out.sameMemory(in)) {
            throw new IllegalArgumentException(outName + " partly overlaps " + inName
                    + "; it must be the same matrix (in place) or disjoint");
        }
    }

    private static void requireFinite(float v, String name) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be finite, got " + v);
        }
    }

    private static void checkRange(long length, long offset, long count, String name) {
        if (offset < 0 || count < 0 || offset + count > length) {
            throw new IndexOutOfBoundsException(name + ": [" + offset + ", " + (offset + count) + ") outside [0, "
                    + length + ")");
        }
    }

    private void unary(Matrix x, Matrix y, String xName, String yName) {
        requireOpen(x, xName);
        requireOpen(y, yName);
        requireSameShape(x, xName, y, yName);
        requireInPlaceOrDisjoint(x, xName, y, yName);
    }

    private void backward(Matrix y, Matrix dy, Matrix dx) {
        requireOpen(y, "y");
        requireOpen(dy, "dy");
        requireOpen(dx, "dx");
        requireSameShape(y, "y", dy, "dy");
        requireSameShape(y, "y", dx, "dx");
        requireInPlaceOrDisjoint(dy, "dy", dx, "dx");
        requireInPlaceOrDisjoint(y, "y", dx, "dx");
    }

    private void lossOutput(Matrix z, String zName, Matrix t, Matrix out, String name) {
        if (out != null) {
            requireOpen(out, name);
            requireSameShape(z, zName, out, name);
            requireInPlaceOrDisjoint(z, zName, out, name);
            requireDisjoint(t, "t", out, name);
        }
    }

    private void lossArgs(Matrix z, String zName, Matrix t, Matrix p, String pName, Matrix dz, String dzName) {
        requireOpen(z, zName);
        requireOpen(t, "t");
        requireSameShape(z, zName, t, "t");
        requireDisjoint(t, "t", z, zName);
        lossOutput(z, zName, t, p, pName);
        lossOutput(z, zName, t, dz, dzName);
        if (p != null && dz != null) {
            requireDisjoint(p, pName, dz, dzName);
        }
    }
}
