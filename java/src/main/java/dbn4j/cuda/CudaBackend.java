package dbn4j.cuda;

import static dbn4j.cuda.CudaKernels.*;

import dbn4j.Backend;
import dbn4j.CodedRows;
import dbn4j.Dbn4jException;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;

/**
 * The CUDA backend: device memory, dbn4j's CUDA kernels ({@code native/src/cuda}) and cuBLAS SGEMM through the
 * bytedeco presets, all queued on one CUDA stream (the work of a {@link Backend#fork} on a second one, ordered by
 * events). One instance per process, on device 0 of the devices that
 * {@code CUDA_VISIBLE_DEVICES} leaves visible. Get it with {@code -Ddbn4j.backend=cuda} (or {@code auto}) and
 * {@link dbn4j.Backends#get()}.
 *
 * <p>Kernels only queue work: nothing waits for the device except a copy to the host, a loss value (read back,
 * since the API returns it as a double), {@link #synchronize()} and freeing memory ({@code cudaFree} waits for the
 * device). A fault inside a kernel is reported at the next of these as a {@link Dbn4jException} naming the call;
 * after such a fault the CUDA context is unusable and the process should stop using this backend.
 *
 * <p>Threads may share the backend (two trainings at once, say): their calls queue on its streams in the order they
 * are made. While a thread records a step ({@link #capture}), the other threads' calls wait for it to end.
 *
 * <p>GEMM precision: FP32 by default; {@code -Ddbn4j.cuda.math=tf32} or {@link #setMathMode(MathMode)} lets cuBLAS
 * use TF32 tensor cores (10-bit mantissa inputs, FP32 accumulation), {@code bf16} BF16 tensor cores (7-bit mantissa
 * inputs, FP32 accumulation). The other kernels are bit-identical to the
 * CPU backend's except the loss values, log-softmax and softplus row sums (see {@code native/src/cuda/README.md}).
 */
public final class CudaBackend extends Backend {
    /** cuBLAS math mode of the GEMMs. */
    public enum MathMode {
        /** IEEE FP32 throughout (cuBLAS's default math). */
        FP32(cublas.CUBLAS_DEFAULT_MATH),
        /** TF32 tensor-core products with FP32 accumulation (CUBLAS_TF32_TENSOR_OP_MATH). */
        TF32(cublas.CUBLAS_TF32_TENSOR_OP_MATH),
        /**
         * BF16 tensor-core products of the FP32 matrices (each input rounded to an 8-bit significand: relative
         * 2^-8 to 2^-7 per input) with FP32 accumulation: cublasGemmEx with CUBLAS_COMPUTE_32F_FAST_16BF. Twice TF32's
         * tensor throughput; check the accuracy of a model trained with it (AccuracyBench) before relying on it.
         */
        BF16(cublas.CUBLAS_DEFAULT_MATH);

        final int code;

        MathMode(int code) {
            this.code = code;
        }

        /** fp32, tf32 or bf16, any case. */
        public static MathMode parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "fp32": return FP32;
                case "tf32": return TF32;
                case "bf16": return BF16;
                default:
                    throw new IllegalArgumentException(MATH_PROPERTY + " must be fp32, tf32 or bf16, got '" + s + "'");
            }
        }
    }

    public static final String MATH_PROPERTY = "dbn4j.cuda.math";

    /** Page-locked host buffer through which every host copy goes: in chunks of this size, or of half of it. */
    private static final long STAGING_BYTES = 4L << 20;

    /** cuBLAS workspace, set once (cublasSetWorkspace). */
    private static final long BLAS_WORKSPACE_BYTES = 32L << 20;

    /**
     * Column-sum workspace (cuda_kernels.h): its counters and the chunk sums of up to 16 MiB / 8 / N row chunks of
     * 64 rows (a 4096 x 4096 matrix needs 2 MiB); larger sums take the slower one-block-per-32-columns path.
     */
    private static final long COLUMN_SUMS_WORKSPACE_BYTES = (16L << 20) + 65536;

    /**
     * Elements up to which sigmoidBernoulli with column sums runs as one kernel by default: the fused kernel computes
     * a Philox block per element (8 times the plain sampler's), which launch savings repay at mini-batch sizes; above
     * this (a 4096 x 4096 step) the two-kernel form stays until a GPU measurement says otherwise.
     */
    public static final long DEFAULT_FUSED_SAMPLER_LIMIT = 1L << 21;

    /**
     * Rows of the losses' per-row scratch, allocated once (512 KiB): a loss of up to this many rows allocates
     * nothing, so a CUDA graph can record it (larger ones take stream-ordered scratch per call).
     */
    private static final long LOSS_ROWS = 1 << 16;

    /** Forks that may be open (queued, not joined) at once. */
    private static final int FORK_EVENTS = 16;

    private static CudaBackend instance; // guarded by CudaBackend.class

    /**
     * How long a call waits for another thread ({@link #enter}): for a step being recorded, for a fork's work being
     * queued, for a fork open when a capture starts.
     */
    static final long WAIT_MILLIS = 60_000;

    /**
     * Threads sharing the backend. Every call that queues work or touches device memory holds the gate shared
     * ({@link #enter}); a capture holds it alone for the whole recording ({@link #record}). So another thread's calls
     * wait while a step is recorded (they would be recorded into its graph), and a capture starts once the calls in
     * progress have ended. Taken before {@link #lock} (while holding it only again, by a call nested in one that holds
     * it already) and before {@link #forkQueue}. A capture takes forkQueue for its own forks while it holds lock: safe,
     * as holding the gate alone it shuts out every other holder of forkQueue.
     */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    /** Gives back the gate that {@link #enter} took. */
    private final Backend.Cleanup leave = () -> gate.readLock().unlock();
    /**
     * Held by the thread whose fork's work is being queued now ({@link #fork}), so that another thread's fork waits,
     * and by a replay being queued ({@link Graph#launch}), so that no fork is half queued when it orders itself after
     * the side stream.
     */
    private final ReentrantLock forkQueue = new ReentrantLock();
    /**
     * The thread queuing a fork's work now (it holds forkQueue): its calls go to the side stream, with the side cuBLAS
     * handle and column-sum workspace; every other thread's calls go to the main stream.
     */
    private volatile Thread forkWorker;
    /** The wait limit of {@link #enter}, forks, replays, captures and a fork's yield to a capture (tests set it). */
    private volatile long waitNanos = TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    /** Threads waiting in {@link #lockExclusive} or {@link #yieldToCaptures} (tests watch them). */
    private final Set<Thread> parked = ConcurrentHashMap.newKeySet();
    /** Captures waiting for other threads' forks to be joined: a thread with none open waits before forking. */
    private final AtomicInteger pendingCaptures = new AtomicInteger();
    /**
     * Calls that waited for the gate (a recording, or a capture for calls in progress) or for forkQueue (a fork or a
     * replay); not the parked waits of {@link #lockExclusive} and {@link #yieldToCaptures} (tests: two threads met).
     */
    private final AtomicLong waits = new AtomicLong();
    /** The thread recording a step ({@link #capture}), or null: another thread's calls wait meanwhile. */
    private volatile Thread capturer;
    /** While a thread records a step: what the step uses and does to counters (only that thread touches it). */
    private Recorded recorded;
    /** Forks queued on the side stream and not yet joined, of all threads. */
    private final AtomicInteger sideOpen = new AtomicInteger();
    private final long mainStream;
    private final long sideStream;
    /** cuBLAS handles of the two streams (each with its own workspace). */
    private final cublasContext mainBlas = new cublasContext();
    private final cublasContext sideBlas = new cublasContext();
    private final String device;
    private final int blasVersion;
    private final long staging;
    private final long lossScratch;
    /** The streams' column-sum workspaces (one per stream: concurrent sums must not share one). */
    private final long mainSums;
    private final long sideSums;
    /** Marks the main stream's position at each fork; the side stream waits for it. */
    private final long forkEvent;
    /** Marks the side stream's position before a replay while forks are open; the main stream waits for it. */
    private final long replayEvent;
    /** Events marking the end of forks' work until they are joined: free ones in freeEvents[0, freeCount). */
    private final long[] freeEvents = new long[FORK_EVENTS]; // guarded by freeEvents
    private int freeCount; // guarded by freeEvents
    /** Forks queued on the side stream so far. */
    private volatile long sideForks;
    /** Whether forks run on the side stream ({@link #setConcurrentForks}). */
    private volatile boolean concurrentForks = true;
    /**
     * Device doubles: {@link #LOSS_ROWS} per-row losses (one loss at a time, in stream order), for the main stream
     * and for the side one (a logged loss in a fork's work).
     */
    private final long lossRows;
    private final long sideLossRows;
    /**
     * Guards the staging buffer, the index buffer, the loss scratch, the GEMM scalars and pointers, and what the
     * backend knows of the graphs' offset base (a graph launch that samples).
     */
    private final Object lock = new Object();
    private long indices;
    private int indexCapacity;
    /** Device uint64_t: the stream offset of the replay about to run ({@link #capture(RandomStream, Consumer)}). */
    private final long offsetBase;
    /** Whether the offset base holds offsetOnDevice once the work queued so far has run; writes counted. */
    private boolean offsetKnown; // guarded by lock
    private long offsetOnDevice; // guarded by lock
    private long offsetWrites; // guarded by lock
    /** While a capture with device-side random offsets runs: that, its seed and its first offset. */
    private volatile boolean randomCapture;
    private long captureSeed;
    private long captureStart;
    /** The stream a capture samples from, and the offset its next sampling call must start at. */
    private RandomStream captureRng;
    private long captureNext;
    private final FloatPointer alpha = new FloatPointer(1);
    private final FloatPointer beta = new FloatPointer(1);
    private final Address first = new Address();
    private final Address second = new Address();
    private final Address product = new Address();
    private volatile MathMode math;
    /** Whether the activations with column sums run as one kernel ({@link #setFusedSums}). */
    private volatile boolean fusedSums = true;
    /** The largest sampler with column sums that runs fused ({@link #setFusedSamplerLimit}). */
    private volatile long fusedSamplerLimit = DEFAULT_FUSED_SAMPLER_LIMIT;

    /** A JavaCPP pointer whose address is set in place (no allocation per GEMM). */
    static final class Address extends FloatPointer {
        Address at(long where, long count) {
            address = where;
            position = 0;
            limit = count;
            capacity = count;
            return this;
        }

        Address at(long where) {
            return at(where, 0);
        }
    }

    private CudaBackend() {
        MathMode mathMode = MathMode.parse(System.getProperty(MATH_PROPERTY, "fp32"));   // before anything is made
        int[] count = new int[1];
        check(dbn4j_cuda_device_count(count), "dbn4j_cuda_device_count");
        check(dbn4j_cuda_set_device(0), "dbn4j_cuda_set_device");
        device = deviceDescription();
        long[] out = new long[1];
        // What is made here, for the cleanup if a later step fails: streams, device buffers, events, cuBLAS handles.
        long[] streams = new long[2];
        long[] buffers = new long[5];   // cuBLAS workspaces (2), column-sum workspaces (2), scratch
        long[] events = new long[FORK_EVENTS + 2];
        int handles = 0;
        long stagingBuffer = 0;
        try {
            for (int i = 0; i < 2; i++) {
                check(dbn4j_cuda_stream_create(out), "dbn4j_cuda_stream_create");
                streams[i] = out[0];
            }
            try {
                Loader.load(cublas.class);
            } catch (LinkageError e) {
                throw new Dbn4jException("cuBLAS could not be loaded (the bytedeco cuda presets need libcudart.so.13, "
                        + "libcublas.so.13 and libcublasLt.so.13 on the library path): " + e.getMessage(), e);
            }
            cublasContext[] blasHandles = {mainBlas, sideBlas};
            for (int i = 0; i < 2; i++) {
                checkBlas(cublas.cublasCreate_v2(blasHandles[i]), "cublasCreate");
                handles++;
                checkBlas(cublas.cublasSetStream_v2(blasHandles[i], new CUstream_st(new Address().at(streams[i]))),
                        "cublasSetStream");
                // A fixed workspace (NVIDIA's recommended size for Hopper): cuBLAS then never allocates inside a
                // mini-batch, and a CUDA graph capture of a GEMM needs no allocation. One per handle: the two
                // streams' GEMMs may run at once.
                check(dbn4j_cuda_malloc(BLAS_WORKSPACE_BYTES, out), "dbn4j_cuda_malloc (cuBLAS workspace)");
                buffers[i] = out[0];
                checkBlas(cublas.cublasSetWorkspace_v2(blasHandles[i], new Address().at(buffers[i]),
                        BLAS_WORKSPACE_BYTES), "cublasSetWorkspace");
            }
            int[] version = new int[1];
            checkBlas(cublas.cublasGetVersion_v2(mainBlas, version), "cublasGetVersion");
            blasVersion = version[0];
            check(dbn4j_cuda_host_alloc(STAGING_BYTES, out), "dbn4j_cuda_host_alloc");
            stagingBuffer = out[0];
            // Two 8-byte words, the loss scratch and the offset base of graph replays, then the losses' row scratches
            // (main stream, side stream).
            check(dbn4j_cuda_malloc((2 + 2 * LOSS_ROWS) * Double.BYTES, out), "dbn4j_cuda_malloc");
            buffers[4] = out[0];
            for (int i = 2; i < 4; i++) {
                check(dbn4j_cuda_malloc(COLUMN_SUMS_WORKSPACE_BYTES, out), "dbn4j_cuda_malloc (column-sum workspace)");
                buffers[i] = out[0];
                check(dbn4j_cuda_memset_async(buffers[i], 0, COLUMN_SUMS_WORKSPACE_BYTES, streams[0]),
                        "dbn4j_cuda_memset_async");
            }
            for (int i = 0; i < events.length; i++) {
                check(dbn4j_cuda_event_create(out), "dbn4j_cuda_event_create");
                events[i] = out[0];
            }
            check(dbn4j_cuda_synchronize(streams[0]), "dbn4j_cuda_synchronize");   // the workspaces are zero
            blasMathMode(mathMode);
        } catch (RuntimeException e) {
            if (handles > 0) {
                cublas.cublasDestroy_v2(mainBlas);
            }
            if (handles > 1) {
                cublas.cublasDestroy_v2(sideBlas);
            }
            dbn4j_cuda_host_free(stagingBuffer);
            for (long b : buffers) {
                dbn4j_cuda_free(b);
            }
            for (long ev : events) {
                dbn4j_cuda_event_destroy(ev);
            }
            for (long st : streams) {
                dbn4j_cuda_stream_destroy(st);
            }
            throw e;
        }
        mainStream = streams[0];
        sideStream = streams[1];
        long scratch = buffers[4];
        staging = stagingBuffer;
        lossScratch = scratch;
        mainSums = buffers[2];
        sideSums = buffers[3];
        forkEvent = events[FORK_EVENTS];
        replayEvent = events[FORK_EVENTS + 1];
        System.arraycopy(events, 0, freeEvents, 0, FORK_EVENTS);
        freeCount = FORK_EVENTS;
        offsetBase = scratch + Double.BYTES;
        lossRows = scratch + 2 * Double.BYTES;
        sideLossRows = lossRows + LOSS_ROWS * Double.BYTES;
        math = mathMode;
    }

    /** Whether the calling thread queues a fork's work now (then on the side stream). */
    private boolean onSide() {
        return forkWorker == Thread.currentThread();
    }

    /** Refuses a capture nested in this thread's step. */
    private void notRecording() {
        if (capturer == Thread.currentThread()) {
            throw new IllegalStateException("this thread is already recording a step: a recorded step cannot record "
                    + "another");
        }
    }

    /**
     * Takes the gate shared for a call (give it back by closing the result: try-with-resources). Waits while another
     * thread records a step, at most the wait limit: a recorded step that waits for this thread would never end, and
     * the call then fails with an {@link IllegalStateException} naming the recording thread. An interrupt does not
     * end the wait (it is kept for the caller), as it ends no other call.
     */
    private Backend.Cleanup enter() {
        if (!await(gate.readLock())) {
            Thread c = capturer;
            throw new IllegalStateException((c == null ? "a step recording about to start (waiting for a call in "
                    + "progress)" : "thread " + c.getName() + " recording a step") + " on the CUDA backend has kept "
                    + "this thread waiting for " + waitNanos / 1_000_000 + " ms: does the recorded step wait for this "
                    + "thread?");
        }
        return leave;
    }

    /** Takes l within the wait limit; false if the wait ran out. The usual case, l free, reads no clock. */
    private boolean await(Lock l) {
        try {
            if (l.tryLock(0, TimeUnit.NANOSECONDS)) {   // (unlike tryLock(), does not pass a queued capture)
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // for the wait below, which keeps it
        }
        return await(l, System.nanoTime() + waitNanos);
    }

    /**
     * Takes l by the deadline (of {@link System#nanoTime()}); false if the wait ran out. Waits only where l is taken,
     * or a thread queued for it before (a capture's write lock is not passed by new calls). Interrupts are kept for
     * the caller.
     */
    private boolean await(Lock l, long deadline) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (l.tryLock(0, TimeUnit.NANOSECONDS)) {
                        return true;
                    }
                    waits.incrementAndGet();
                    return l.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;   // tried again with the flag cleared
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes forkQueue: no other thread's fork is being queued until it is given back. */
    private void lockForks() {
        if (!await(forkQueue)) {
            throw new IllegalStateException("another thread's fork has kept this thread waiting for "
                    + waitNanos / 1_000_000 + " ms: does its work wait for this thread?");
        }
    }

    /**
     * Parks a tenth of a millisecond at a time until done says so; false if the deadline came first. Listed in parked
     * meanwhile; an interrupt does not end the wait and is kept for the caller.
     */
    private boolean parkUntil(BooleanSupplier done, long deadline) {
        boolean interrupted = false;
        parked.add(Thread.currentThread());
        try {
            while (!done.getAsBoolean()) {
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
                LockSupport.parkNanos(100_000);
                interrupted |= Thread.interrupted();   // (an interrupted thread's park returns at once)
            }
            return true;
        } finally {
            parked.remove(Thread.currentThread());
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Takes the gate alone for a capture: waits for the other threads' calls in progress and for their forks to be
     * joined (the calling thread has none open), so that only this thread's work is recorded and no fork's work runs
     * on the side stream that the graph's branches will use. Meanwhile a thread with no fork open waits before it
     * forks ({@link #forkK}), so that the open forks get joined.
     */
    private void lockExclusive() {
        if (gate.getReadHoldCount() > 0) {
            throw new IllegalStateException("a capture cannot start inside another call on the CUDA backend");
        }
        long deadline = System.nanoTime() + waitNanos;
        pendingCaptures.incrementAndGet();
        try {
            while (true) {
                // Waited for without the gate: the forks' threads join them.
                if (!parkUntil(() -> sideOpen.get() == 0, deadline)) {
                    throw new IllegalStateException("a capture cannot start while another thread's fork is open: "
                            + "waited " + waitNanos / 1_000_000 + " ms for its join");
                }
                if (!await(gate.writeLock(), deadline)) {
                    throw new IllegalStateException("a capture waited " + waitNanos / 1_000_000 + " ms for other "
                            + "threads' calls on the CUDA backend to end");
                }
                if (sideOpen.get() == 0) {
                    return;
                }
                gate.writeLock().unlock();   // a thread with a fork open forked again meanwhile
            }
        } finally {
            pendingCaptures.decrementAndGet();
        }
    }

    /**
     * Before a fork of a thread that holds no fork open and no call: while another thread's capture waits for open
     * forks to be joined, waits for it (at most the wait limit, then forks anyway), so that forks opened one after
     * another cannot hold a capture off.
     */
    private void yieldToCaptures() {
        if (pendingCaptures.get() == 0 || openForks() > 0 || gate.getReadHoldCount() > 0
                || gate.isWriteLockedByCurrentThread()) {
            return;
        }
        parkUntil(() -> pendingCaptures.get() == 0, System.nanoTime() + waitNanos);   // then forks anyway
    }

    /** Calls so far that waited for the gate or for another thread's fork (tests). */
    long waits() {
        return waits.get();
    }

    /** Sets the wait limit of calls, forks and captures (tests). */
    void setWaitLimit(long millis) {
        waitNanos = TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Whether thread t waits for a recording, a fork being queued, another thread's join or a capture (tests). */
    boolean waiting(Thread t) {
        return gate.hasQueuedThread(t) || forkQueue.hasQueuedThread(t) || parked.contains(t);
    }

    @Override
    protected void using(Matrix m) {
        if (capturer == Thread.currentThread()) {
            recorded.uses.add(m);
        }
    }

    @Override
    protected void using(Backend.LossLog log) {
        if (capturer == Thread.currentThread()) {
            recorded.uses.add(log);
        }
    }

    /** In a recorded step the work runs at each replay, before it is queued (the counter then holds its value). */
    @Override
    protected void onCounters(Counter c, Runnable work) {
        if (capturer == Thread.currentThread()) {
            recorded.counters.add(new CounterWork(c, work));
        } else {
            work.run();
        }
    }

    /** A recorded call's work on a counter ({@link Backend#onCounters}). */
    private record CounterWork(Counter counter, Runnable work) {}

    /**
     * What a recorded step uses (the matrices and loss logs: a replay refuses to run once one is closed) and the work
     * on counters that its replays redo, in order.
     */
    private static final class Recorded {
        final Set<Object> uses = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<CounterWork> counters = new ArrayList<>();
        /** The graph's work nodes and the most of them on one path (-1 where the runtime cannot say). */
        final long[] counts = {-1, -1};
    }

    /** The stream the calling thread's work goes to: the main one, or the side one in a fork's work. */
    private long stream() {
        if (gate.getReadHoldCount() == 0 && !gate.isWriteLockedByCurrentThread()) {
            // A call queued without the gate could be recorded into another thread's step.
            throw new IllegalStateException("internal error: a CUDA call queued without the backend's gate");
        }
        return onSide() ? sideStream : mainStream;
    }

    /** The cuBLAS handle of {@link #stream()}. */
    private cublasContext blas() {
        return onSide() ? sideBlas : mainBlas;
    }

    /** The column-sum workspace of {@link #stream()}. */
    private long sumsWorkspace() {
        return onSide() ? sideSums : mainSums;
    }

    /**
     * The process-wide CUDA backend, created on first use.
     *
     * @throws Dbn4jException if there is no CUDA driver or device, cuBLAS cannot be loaded, or a CUDA call fails
     * @throws UnsatisfiedLinkError if this build has no CUDA kernels (use {@link dbn4j.Backends}, which says so)
     */
    static synchronized CudaBackend instance() {
        if (instance == null) {
            instance = new CudaBackend();
        }
        return instance;
    }

    private static String deviceDescription() {
        byte[] name = new byte[256];
        int[] major = new int[1];
        int[] minor = new int[1];
        long[] total = new long[1];
        int[] sms = new int[1];
        check(dbn4j_cuda_device_info(0, name, name.length, major, minor, total, sms), "dbn4j_cuda_device_info");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        return String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB)",
                new String(name, 0, len, StandardCharsets.UTF_8), major[0], minor[0], sms[0], total[0] / 1073741824.0);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return "CUDA device 0: " + device + ", dbn4j CUDA kernels, cuBLAS " + blasVersion / 10000 + "."
                + blasVersion / 100 % 100 + "." + blasVersion % 100 + " " + math;
    }

    /**
     * The GEMMs' math mode from now on (queued work keeps the mode it was queued with). Waits, like every call,
     * while another thread records a step.
     */
    public void setMathMode(MathMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode is null");
        }
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                blasMathMode(mode);
                math = mode;
            }
        }
    }

    /** Sets mode on both cuBLAS handles. */
    private void blasMathMode(MathMode mode) {
        for (cublasContext h : new cublasContext[] {mainBlas, sideBlas}) {
            checkBlas(cublas.cublasSetMathMode(h, mode.code), "cublasSetMathMode(" + mode + ")");
        }
    }

    public MathMode mathMode() {
        return math;
    }

    /**
     * Whether {@code biasSigmoid} and {@code sigmoidBernoulli} with column sums (an RBM's bias gradients) run as one
     * kernel each (the default) or as the plain kernel followed by a column-sum kernel, as the CPU-independent
     * {@link Backend} default does; likewise a {@link Backend.SgdStep} given to {@code columnSums} or
     * {@code biasSigmoid} (a bias's step) runs in the kernel that forms the sums, or as an {@code sgdMomentum} kernel
     * after it. Both give the same bits; the switch is for measuring the fusion
     * ({@code dbn4j.bench.GpuBench}). Applies to work queued (or captured) from now on.
     */
    public void setFusedSums(boolean fused) {
        fusedSums = fused;
    }

    public boolean fusedSums() {
        return fusedSums;
    }

    /**
     * With {@link #setFusedSums} on, sigmoidBernoulli with column sums runs fused only up to this many elements
     * (default {@link #DEFAULT_FUSED_SAMPLER_LIMIT}; biasSigmoid with sums, which has no such extra work, always).
     */
    public void setFusedSamplerLimit(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException("fused sampler limit " + elements + " < 0");
        }
        fusedSamplerLimit = elements;
    }

    public long fusedSamplerLimit() {
        return fusedSamplerLimit;
    }

    /**
     * Whether {@link Backend#fork} queues its work on a second stream (the default), so that it overlaps the calls
     * made until its join, or runs it in order on the main stream as the CPU does. The same results either way; the
     * switch is for measuring the overlap ({@code dbn4j.bench.GpuBench}). Applies to forks from now on.
     */
    public void setConcurrentForks(boolean concurrent) {
        concurrentForks = concurrent;
    }

    public boolean concurrentForks() {
        return concurrentForks;
    }

    @Override
    public boolean forksOverlap() {
        return concurrentForks;
    }

    @Override
    protected long forkK(Runnable work) {
        if (!concurrentForks) {
            work.run();
            return 0;
        }
        yieldToCaptures();
        // The gate for the whole fork: a capture starts before it or after its work is queued.
        try (Backend.Cleanup in = enter()) {
            lockForks();   // one thread queues fork work at a time (the side stream's handle and workspaces are shared)
            try {
                return queueFork(work);
            } finally {
                forkQueue.unlock();
            }
        }
    }

    /** The fork's work on the side stream, after the main stream's work so far; holds the gate and forkQueue. */
    private long queueFork(Runnable work) {
        long done;
        synchronized (freeEvents) {
            if (freeCount == 0) {
                throw new IllegalStateException("more than " + FORK_EVENTS + " forks are open: join them "
                        + "(Backend.join)");
            }
            done = freeEvents[--freeCount];
        }
        sideOpen.incrementAndGet();
        sideForks++;
        try {
            check(dbn4j_cuda_event_record(forkEvent, mainStream), "dbn4j_cuda_event_record (fork)");
            check(dbn4j_cuda_stream_wait_event(sideStream, forkEvent), "dbn4j_cuda_stream_wait_event (fork)");
            forkWorker = Thread.currentThread();
            try {
                work.run();   // on the side stream (onSide())
            } finally {
                forkWorker = null;
            }
            check(dbn4j_cuda_event_record(done, sideStream), "dbn4j_cuda_event_record (end of fork)");
        } catch (RuntimeException | Error e) {
            // Later work waits for whatever the side stream got, so a failed fork leaves nothing running unordered.
            dbn4j_cuda_event_record(done, sideStream);
            dbn4j_cuda_stream_wait_event(mainStream, done);
            releaseEvent(done);
            throw e;
        }
        return done;
    }

    /** A fork's event back to the pool, the fork no longer open. */
    private void releaseEvent(long event) {
        synchronized (freeEvents) {
            freeEvents[freeCount++] = event;
        }
        sideOpen.decrementAndGet();
    }

    @Override
    protected void joinK(long token) {
        if (token == 0) {
            return;   // ran on the main stream
        }
        Backend.Cleanup in;
        try {
            in = enter();
        } catch (IllegalStateException e) {
            // Backend.join has marked the fork joined: its event back to the pool, or no capture would start again.
            // (The main stream is not ordered after the fork's work, queued at least the wait limit ago.)
            releaseEvent(token);
            throw e;
        }
        try (in) {
            int status = dbn4j_cuda_stream_wait_event(mainStream, token);
            if (status != 0) {
                // The main stream is not ordered after the fork: wait for the side stream here instead (its own
                // status is the failure's, reported below).
                dbn4j_cuda_synchronize(sideStream);
            }
            releaseEvent(token);
            check(status, "dbn4j_cuda_stream_wait_event (join)");
        }
    }

    /** Waits until every queued kernel and copy (of forks too) has run, and reports a fault of any of them. */
    @Override
    public void synchronize() {
        outsideFork("synchronize");
        try (Backend.Cleanup in = enter()) {   // (in a recorded step the wait fails: it would end the capture)
            check(dbn4j_cuda_synchronize(sideStream), "dbn4j_cuda_synchronize (fork stream)");
            check(dbn4j_cuda_synchronize(mainStream), "dbn4j_cuda_synchronize");
        }
    }

    /**
     * A recorded sequence of this backend's work, replayed by {@link #launch()} with one launch instead of one per
     * kernel. Close it when done (idempotent; like any call it waits while another thread records a step, and fails
     * with an {@link IllegalStateException}, the graph still open, if that wait runs out); launching a closed graph
     * throws {@link IllegalStateException}.
     */
    public final class Graph implements Backend.Replay {
        private long exec;
        /** For a graph that samples: the stream each replay takes its words from, and how many. */
        private final RandomStream rng;
        private final long words;
        /** What the recorded kernels read and write: a replay refuses to run once one of them is freed. */
        private final Matrix[] matrices;
        private final Backend.LossLog[] logs;
        /** The recorded calls' work on counters, redone at each replay before it is queued. */
        private final CounterWork[] counters;
        /** The counters' values before a launch (reused: a launch allocates nothing). */
        private final long[] before;
        private final long nodes;
        private final long depth;

        private Graph(long exec, RandomStream rng, long words, Recorded rec) {
            this.exec = exec;
            this.rng = rng;
            this.words = words;
            nodes = rec.counts[0];
            depth = rec.counts[1];
            matrices = rec.uses.stream().filter(u -> u instanceof Matrix).toArray(Matrix[]::new);
            logs = rec.uses.stream().filter(u -> u instanceof Backend.LossLog).toArray(Backend.LossLog[]::new);
            counters = rec.counters.toArray(new CounterWork[0]);
            before = new long[counters.length];
        }

        /**
         * Queues one replay of the recorded work on the backend's stream; does not wait for it. A graph that samples
         * takes its words from its stream here, as the step run eagerly would have. The counters that the recorded
         * calls read are checked, and moved on as they would move, first: a replay that one of them refuses is not
         * queued, and leaves them as they were.
         */
        public void launch() {
            if (exec == 0) {
                throw new IllegalStateException("graph is closed");
            }
            if (capturer == Thread.currentThread()) {
                // It would be recorded into the step, while its counters and stream moved once, now.
                throw new IllegalStateException("a graph cannot be launched inside a recorded step");
            }
            // The graph holds device addresses: a closed (freed) buffer would be written by the replay.
            for (Matrix m : matrices) {
                if (m.isFreed()) {
                    throw new IllegalStateException("a matrix (" + m.shape() + ") that the recorded step uses has "
                            + "been closed and freed (or the row order or counter held in it): the replay would use "
                            + "freed device memory");
                }
            }
            for (Backend.LossLog log : logs) {
                if (log.isClosed()) {
                    throw new IllegalStateException("a loss log that the recorded step writes is closed");
                }
            }
            outsideFork("a graph launch");
            try (Backend.Cleanup in = enter()) {
                for (int i = 0; i < counters.length; i++) {
                    before[i] = counters[i].counter().value();
                }
                boolean queued = false;
                try {
                    for (CounterWork w : counters) {
                        w.work().run();
                    }
                    // No other thread's fork half queued: the replay's branches would overlap its later kernels.
                    lockForks();
                    try {
                        if (exec == 0) {
                            throw new IllegalStateException("graph is closed");   // by another thread meanwhile
                        }
                        queue(mainStream);
                    } finally {
                        forkQueue.unlock();
                    }
                    queued = true;
                } finally {
                    if (!queued) {   // refused, or failed to queue: the counters as they were
                        for (int i = counters.length - 1; i >= 0; i--) {
                            restoreCounter(counters[i].counter(), before[i]);
                        }
                    }
                }
                if (rng != null) {
                    rng.take(words);   // only once the replay is queued: a failed one leaves the stream where it was
                }
            }
        }

        /** The replay on the main stream, after any open fork, at the stream's offset (written only if it moved). */
        private void queue(long main) {
            if (sideOpen.get() > 0) {
                // A fork still open (of any thread) may run on the side stream, whose workspaces the graph's
                // branches use too: the replay starts after it.
                check(dbn4j_cuda_event_record(replayEvent, sideStream), "dbn4j_cuda_event_record (before a replay)");
                check(dbn4j_cuda_stream_wait_event(main, replayEvent), "dbn4j_cuda_stream_wait_event");
            }
            if (rng == null) {
                check(dbn4j_cuda_graph_launch(exec, main), "dbn4j_cuda_graph_launch");
                return;
            }
            long start = rng.offset();
            Math.addExact(start, words);   // the stream can give the words (else nothing is queued)
            synchronized (lock) {
                // The graph ends by moving the device's offset on by its words: a replay that follows one at the
                // stream's next offset needs no write (one API call fewer per step).
                if (!offsetKnown || offsetOnDevice != start) {
                    offsetKnown = false;
                    check(dbn4j_cuda_set_u64(offsetBase, start, main), "dbn4j_cuda_set_u64 (graph offset)");
                    offsetWrites++;
                    offsetOnDevice = start;
                    offsetKnown = true;
                }
                offsetKnown = false;   // until the replay is queued
                check(dbn4j_cuda_graph_launch(exec, main), "dbn4j_cuda_graph_launch");
                offsetOnDevice = start + words;
                offsetKnown = true;
            }
        }

        /**
         * The graph's work nodes: its kernels (a GEMM may be more than one), copies and memsets; -1 where the
         * runtime cannot say.
         */
        public long nodes() {
            return nodes;
        }

        /**
         * The most work nodes on one path of the graph: what a replay must run one after another (its critical path;
         * forks are parallel branches); -1 where the runtime cannot say.
         */
        public long depth() {
            return depth;
        }

        @Override
        public long[] size() {
            return nodes < 0 ? null : new long[] {nodes, depth};
        }

        /** {@link #launch()}: a step recorded by {@link CudaBackend#recordStep}, run once more. */
        @Override
        public void run() {
            launch();
        }

        @Override
        public void close() {
            if (exec != 0) {
                try (Backend.Cleanup in = enter()) {   // (a wait that ran out leaves the graph open)
                    lockForks();   // not while another thread queues a replay of it
                    try {
                        long e = exec;
                        exec = 0;
                        if (e != 0) {
                            check(dbn4j_cuda_graph_destroy(e), "dbn4j_cuda_graph_destroy");
                        }
                    } finally {
                        forkQueue.unlock();
                    }
                }
            }
        }
    }

    /**
     * Records the work that {@code step} queues on this backend, without running it, as a CUDA graph. Every replay
     * repeats exactly the recorded launches: the same matrices (addresses) and the same scalars; counters
     * ({@link Backend.Counter}) are read on the device, so a step that moves one on works on its next value at each
     * replay. A step that samples is refused with an {@link IllegalStateException} (its replays would draw the same
     * numbers): record it with its stream, {@link #capture(RandomStream, Consumer)}. Nothing in the step may wait for
     * the device or allocate (a copy to the host, a loss value, {@link #synchronize()}, a new matrix): that fails with
     * a {@link Dbn4jException} and no graph is made. The capture starts once other threads' calls in progress have
     * ended and their forks are joined; other threads' calls on this backend then wait until it ends (they would be
     * recorded too), at most a minute: a step that waits for another thread's call on this backend fails that call
     * with an {@link IllegalStateException}. The caller closes the graph.
     */
    public Graph capture(Runnable step) {
        Recorded rec = new Recorded();
        return new Graph(record(step, rec), null, 0, rec);
    }

    /**
     * As {@link #capture(Runnable)}, for a step that samples from {@code rng}: the step receives a copy of the stream
     * while it is recorded (nothing is drawn then), and every {@link Graph#launch()} takes the step's words from
     * {@code rng}, the sampling kernels reading that offset on the device, so that n replays draw exactly the
     * numbers of n eager steps. The graph's last node moves the device's offset on by the step's words, so a replay
     * that follows another at the stream's next offset writes nothing first. The step samples from this stream only
     * (another stream fails the capture).
     */
    public Graph capture(RandomStream rng, Consumer<RandomStream> step) {
        if (rng == null || step == null) {
            throw new IllegalArgumentException(rng == null ? "rng is null" : "step is null");
        }
        RandomStream recording = rng.copy();
        long start = rng.offset();
        long[] words = new long[1];
        Recorded rec = new Recorded();
        // The capture's sampling state, set and read by the recording thread alone (the gate held).
        long exec = record(() -> {
            captureSeed = recording.seed();
            captureStart = recording.offset();
            captureRng = recording;
            captureNext = captureStart;
            randomCapture = true;
            try {
                step.accept(recording);
            } finally {
                randomCapture = false;
                captureRng = null;
            }
            if (rng.offset() != start) {
                // The step drew from rng itself (at the recording's offset, so the capture let it): its replays would
                // not draw the words rng gives them. The capture ends without a graph.
                throw new IllegalStateException("the recorded step drew from the stream given to capture (moved by "
                        + "that to offset " + rng.offset() + " from " + start + "): a step samples from the stream it "
                        + "receives");
            }
            words[0] = recording.offset() - start;
            if (words[0] > 0) {
                check(dbn4j_cuda_add_u64(offsetBase, words[0], mainStream), "dbn4j_cuda_add_u64 (graph offset)");
            }
        }, rec);
        return new Graph(exec, rng, words[0], rec);
    }

    /** Writes of the graphs' stream offset before a replay (tests: replays that follow each other need none). */
    long offsetWrites() {
        synchronized (lock) {
            return offsetWrites;
        }
    }

    @Override
    public boolean recordsSteps() {
        return true;
    }

    /** The step as a CUDA graph: {@link #capture(RandomStream, Consumer)}; without rng {@link #capture(Runnable)}. */
    @Override
    public Backend.Replay recordStep(RandomStream rng, Consumer<RandomStream> step) {
        if (step == null) {
            throw new IllegalArgumentException("step is null");
        }
        return rng == null ? capture(() -> step.accept(null)) : capture(rng, step);
    }

    /** Records step as a graph, adding what it uses and does to counters to rec. */
    private long record(Runnable step, Recorded rec) {
        if (step == null) {
            throw new IllegalArgumentException("step is null");
        }
        outsideFork("a capture");
        if (openForks() > 0) {
            throw new IllegalStateException("a capture cannot start with " + openForks() + " fork(s) open: join "
                    + "them first (Backend.join)");
        }
        long[] exec = new long[1];
        notRecording();
        lockExclusive();   // other threads' calls wait from now until the capture has ended
        try {
            synchronized (lock) {
                long sideBefore = sideForks;
                check(dbn4j_cuda_graph_begin(mainStream), "dbn4j_cuda_graph_begin");
                recorded = rec;
                capturer = Thread.currentThread();
                try {
                    recordStepAndEnd(step, sideBefore, exec, rec.counts);
                } finally {
                    capturer = null;
                    recorded = null;
                }
            }
        } finally {
            gate.writeLock().unlock();
        }
        return exec[0];
    }

    /**
     * The capture's body (begun on the main stream with no fork of this thread open): runs step, ends the capture
     * into exec[0].
     */
    private void recordStepAndEnd(Runnable step, long sideBefore, long[] exec, long[] counts) {
        try {
            step.run();
            if (openForks() != 0) {
                throw new IllegalStateException("the recorded step left " + openForks()
                        + " fork(s) not joined: a step joins every fork it makes (Backend.join)");
            }
        } catch (RuntimeException | Error e) {
            // End (and discard) the capture, so the streams run work again; the step's failure is the news. A
            // fork's branch left open is joined first, so that the capture ends for the side stream too.
            if (sideForks != sideBefore && dbn4j_cuda_event_record(forkEvent, sideStream) == 0) {
                dbn4j_cuda_stream_wait_event(mainStream, forkEvent);
            }
            for (long token : dropForks(0)) {
                if (token != 0) {
                    releaseEvent(token);
                }
            }
            dbn4j_cuda_graph_end(mainStream, exec);
            dbn4j_cuda_graph_destroy(exec[0]);
            throw e;
        }
        check(dbn4j_cuda_graph_end_counted(mainStream, exec, counts), "dbn4j_cuda_graph_end_counted");
    }

    /**
     * Half of the device's total memory (the rest for the model, its activations and the training's buffers): a
     * property of the card, not of what other processes use at the moment, so that a run resumed from a checkpoint
     * sees its batches in the same order (streamed and in-memory batches come in different orders).
     */
    @Override
    public long dataMemory() {
        return memoryInfo()[1] / 2;
    }

    /** Free and total device memory in bytes. */
    public long[] memoryInfo() {
        long[] free = new long[1];
        long[] total = new long[1];
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_mem_info(free, total), "dbn4j_cuda_mem_info");
        }
        return new long[] {free[0], total[0]};
    }

    // ---- errors ----

    static void check(int status, String function) {
        if (status != 0) {
            throw new Dbn4jException(function + " failed (code " + status + "): " + dbn4j_cuda_last_error(), status,
                    null);
        }
    }

    private static void checkBlas(int status, String call) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            throw new Dbn4jException(call + " failed: " + cublas.cublasGetStatusString(status).getString()
                    + " (cuBLAS status " + status + ")", ECUDA, null);
        }
    }

    // ---- memory ----

    @Override
    protected long allocateK(long bytes) {
        try (Backend.Cleanup in = enter()) {
            long[] out = new long[1];
            long s = stream();
            check(dbn4j_cuda_malloc(bytes, out), "dbn4j_cuda_malloc");
            // allocate() promises zeroed memory; queued on the stream like everything that will use it.
            int status = dbn4j_cuda_memset_async(out[0], 0, bytes, s);
            if (status != 0) {
                dbn4j_cuda_free(out[0]);
                check(status, "dbn4j_cuda_memset_async");
            }
            return out[0];
        }
    }

    @Override
    protected void freeK(long address) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_free(address), "dbn4j_cuda_free");
        }
    }

    /**
     * Through the staging buffer's two halves in turn: while the device copies one half, Java fills the other, and a
     * half is refilled only after a stream sync that follows its copy (double buffering with stream syncs alone).
     */
    @Override
    protected void copyFromHostK(float[] src, int srcOffset, long dst, int count) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                int chunk = (int) (STAGING_BYTES / 2 / Float.BYTES);
                Address view = new Address();
                int half = 0;
                for (int done = 0; done < count; done += chunk, half ^= 1) {
                    int n = Math.min(chunk, count - done);
                    long buffer = staging + half * (STAGING_BYTES / 2);
                    view.at(buffer, n).asBuffer().put(src, srcOffset + done, n);
                    if (done > 0) {
                        // Waits for last round's copy out of the other half, which the next round refills (this half's
                        // own earlier copy was waited for in the previous round).
                        check(dbn4j_cuda_synchronize(stream()), "dbn4j_cuda_synchronize (host to device copy)");
                    }
                    check(dbn4j_cuda_memcpy_async(dst + (long) done * Float.BYTES, buffer, (long) n * Float.BYTES, H2D,
                            stream()), "dbn4j_cuda_memcpy_async (host to device)");
                }
                // The caller's array and the staging buffer are free again only when the last copy has run.
                check(dbn4j_cuda_synchronize(stream()), "dbn4j_cuda_synchronize (host to device copy)");
            }
        }
    }

    @Override
    protected void copyToHostK(long src, float[] dst, int dstOffset, int count) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                int chunk = (int) (STAGING_BYTES / Float.BYTES);
                Address view = new Address();
                for (int done = 0; done < count; done += chunk) {
                    int n = Math.min(chunk, count - done);
                    check(dbn4j_cuda_copy_to_host(staging, src + (long) done * Float.BYTES, (long) n * Float.BYTES,
                            stream()), "dbn4j_cuda_copy_to_host");
                    view.at(staging, n).asBuffer().get(dst, dstOffset + done, n);
                }
            }
        }
    }

    @Override
    protected void copyK(long src, long dst, long bytes) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_memcpy_async(dst, src, bytes, D2D, stream()),
                    "dbn4j_cuda_memcpy_async (device to device)");
        }
    }

    // ---- GEMM ----

    @Override
    protected void gemmK(Transpose ta, Transpose tb, int m, int n, int k, float alphaValue, long a, int lda, long b,
            int ldb, float betaValue, long c, int ldc) {
        try (Backend.Cleanup in = enter()) {
            GemmCall g = new GemmCall(ta, tb, m, n, k, lda, ldb, ldc);
            synchronized (lock) {
                // Host-side scalars (cuBLAS's default pointer mode): read during the call, so reusable right after.
                alpha.put(0, alphaValue);
                beta.put(0, betaValue);
                int status = math == MathMode.BF16
                        ? cublas.cublasGemmEx(blas(), g.transFirst, g.transSecond, g.m, g.n, g.k, alpha, first.at(b),
                                cudart.CUDA_R_32F, g.ldFirst, second.at(a), cudart.CUDA_R_32F, g.ldSecond, beta,
                                product.at(c), cudart.CUDA_R_32F, g.ldc, cublas.CUBLAS_COMPUTE_32F_FAST_16BF,
                                cublas.CUBLAS_GEMM_DEFAULT)
                        : cublas.cublasSgemm_v2(blas(), g.transFirst, g.transSecond, g.m, g.n, g.k, alpha, first.at(b),
                                g.ldFirst, second.at(a), g.ldSecond, beta, product.at(c), g.ldc);
                if (status != cublas.CUBLAS_STATUS_SUCCESS) {
                    checkBlas(status, math == MathMode.BF16
                            ? g.toString().replace("cublasSgemm", "cublasGemmEx[COMPUTE_32F_FAST_16BF]")
                            : g.toString());
                }
            }
        }
    }

    // ---- elementwise ----

    @Override
    protected void addRowBiasK(long x, long b, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_add_row_bias(x, b, rows, cols, stream()), "dbn4j_cuda_add_row_bias");
        }
    }

    @Override
    protected void biasSigmoidK(long x, long b, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_bias_sigmoid(x, b, rows, cols, stream()), "dbn4j_cuda_bias_sigmoid");
        }
    }

    @Override
    protected void sigmoidK(long x, long y, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_sigmoid_forward(x, y, n, stream()), "dbn4j_cuda_sigmoid_forward");
        }
    }

    @Override
    protected void sigmoidBackwardK(long y, long dy, long dx, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_sigmoid_backward(y, dy, dx, n, stream()), "dbn4j_cuda_sigmoid_backward");
        }
    }

    @Override
    protected void tanhK(long x, long y, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_tanh_forward(x, y, n, stream()), "dbn4j_cuda_tanh_forward");
        }
    }

    @Override
    protected void tanhBackwardK(long y, long dy, long dx, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_tanh_backward(y, dy, dx, n, stream()), "dbn4j_cuda_tanh_backward");
        }
    }

    @Override
    protected void reluK(long x, long y, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_relu_forward(x, y, n, stream()), "dbn4j_cuda_relu_forward");
        }
    }

    @Override
    protected void reluBackwardK(long y, long dy, long dx, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_relu_backward(y, dy, dx, n, stream()), "dbn4j_cuda_relu_backward");
        }
    }

    @Override
    protected void softmaxK(long x, long y, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_softmax_forward(x, y, rows, cols, stream()), "dbn4j_cuda_softmax_forward");
        }
    }

    @Override
    protected void logSoftmaxK(long x, long y, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_log_softmax_forward(x, y, rows, cols, stream()), "dbn4j_cuda_log_softmax_forward");
        }
    }

    // ---- losses: the kernel writes a device double; the API returns a double, so it is read back here ----

    @Override
    protected double softmaxCrossEntropyK(long z, long t, long p, long dz, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_softmax_cross_entropy(z, t, p, dz, rows, cols, lossScratch, lossRows, LOSS_ROWS,
                        stream()), "dbn4j_cuda_softmax_cross_entropy");
                return readLoss("dbn4j_cuda_softmax_cross_entropy");
            }
        }
    }

    /** No loss pointer: the kernel then needs no scratch and nothing waits for the device. */
    @Override
    protected void softmaxCrossEntropyGradientK(long z, long t, long p, long dz, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_softmax_cross_entropy(z, t, p, dz, rows, cols, 0, 0, 0, stream()),
                    "dbn4j_cuda_softmax_cross_entropy");
        }
    }

    @Override
    protected double sigmoidCrossEntropyK(long z, long t, long p, long dz, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_sigmoid_cross_entropy(z, t, p, dz, rows, cols, lossScratch, lossRows, LOSS_ROWS,
                        stream()), "dbn4j_cuda_sigmoid_cross_entropy");
                return readLoss("dbn4j_cuda_sigmoid_cross_entropy");
            }
        }
    }

    @Override
    protected double squaredErrorK(long y, long t, long dy, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_squared_error(y, t, dy, rows, cols, lossScratch, lossRows, LOSS_ROWS, stream()),
                        "dbn4j_cuda_squared_error");
                return readLoss("dbn4j_cuda_squared_error");
            }
        }
    }

    /** Loss slots in device memory: the loss kernels write them, {@link LossLog#read} copies a range back. */
    private final class DeviceLossLog extends LossLog {
        private long slots;

        DeviceLossLog(int capacity) {
            super(CudaBackend.this, capacity, false);
            long[] out = new long[1];
            try (Backend.Cleanup in = enter()) {
                check(dbn4j_cuda_malloc((long) capacity * Double.BYTES, out), "dbn4j_cuda_malloc (loss log)");
            }
            slots = out[0];
        }

        long slot(int i) {
            return slots + (long) i * Double.BYTES;
        }

        @Override
        public double[] read(int from, int to) {
            outsideFork("LossLog.read");
            checkRange(from, to);
            double[] v = new double[to - from];
            int chunk = (int) (STAGING_BYTES / Double.BYTES); // through the staging buffer, a buffer-full at a time
            for (int at = 0; at < v.length; at += chunk) {
                int n = Math.min(chunk, v.length - at);
                try (Backend.Cleanup in = enter()) {
                    synchronized (lock) {
                        check(dbn4j_cuda_copy_to_host(staging, slot(from + at), (long) n * Double.BYTES, stream()),
                                "dbn4j_cuda_copy_to_host (loss log)");
                        new Address().at(staging, 2L * n).asByteBuffer().order(java.nio.ByteOrder.nativeOrder())
                                .asDoubleBuffer().get(v, at, n);
                    }
                }
            }
            return v;
        }

        @Override
        public void close() {
            if (!isClosed()) {
                super.close();
                long p = slots;
                slots = 0;
                try (Backend.Cleanup in = enter()) {
                    check(dbn4j_cuda_free(p), "dbn4j_cuda_free (loss log)");
                }
            }
        }
    }

    @Override
    public LossLog lossLog(int capacity) {
        outsideFork("lossLog");
        return new DeviceLossLog(capacity);
    }

    @Override
    protected void appendLossK(LossLog from, int fromSlot, LossLog to, Counter next) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_append_double(((DeviceLossLog) from).slot(fromSlot), ((DeviceLossLog) to).slot(0),
                    to.capacity(), counterAddress(next), stream()), "dbn4j_cuda_append_double");
        }
    }

    @Override
    protected void softmaxCrossEntropyK(long z, long t, long p, long dz, int rows, int cols, LossLog log, int slot) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) { // the row scratch is shared: its kernels queued together
                check(dbn4j_cuda_softmax_cross_entropy(z, t, p, dz, rows, cols, ((DeviceLossLog) log).slot(slot),
                        rowScratch(), LOSS_ROWS, stream()), "dbn4j_cuda_softmax_cross_entropy");
            }
        }
    }

    @Override
    protected void sigmoidCrossEntropyK(long z, long t, long p, long dz, int rows, int cols, LossLog log, int slot) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) { // the row scratch is shared: its kernels queued together
                check(dbn4j_cuda_sigmoid_cross_entropy(z, t, p, dz, rows, cols, ((DeviceLossLog) log).slot(slot),
                        rowScratch(), LOSS_ROWS, stream()), "dbn4j_cuda_sigmoid_cross_entropy");
            }
        }
    }

    @Override
    protected void squaredErrorK(long y, long t, long dy, int rows, int cols, LossLog log, int slot) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) { // the row scratch is shared: its kernels queued together
                check(dbn4j_cuda_squared_error(y, t, dy, rows, cols, ((DeviceLossLog) log).slot(slot), rowScratch(),
                        LOSS_ROWS, stream()), "dbn4j_cuda_squared_error");
            }
        }
    }

    /** The per-row loss scratch of {@link #stream()}. */
    private long rowScratch() {
        return onSide() ? sideLossRows : lossRows;
    }

    /** Copies the loss scratch to the staging buffer (waiting for the stream) and returns it; holds lock. */
    private double readLoss(String function) {
        check(dbn4j_cuda_copy_to_host(staging, lossScratch, Double.BYTES, stream()),
                "dbn4j_cuda_copy_to_host (the loss of " + function + ")");
        return new Address().at(staging, 2).asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).getDouble(0);
    }

    // ---- reductions, BLAS-1, updates ----

    @Override
    protected void columnSumsK(long x, long out, int rows, int cols, float alphaValue, float betaValue) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_column_sums(x, out, rows, cols, alphaValue, betaValue, sumsWorkspace(),
                    COLUMN_SUMS_WORKSPACE_BYTES, stream()), "dbn4j_cuda_column_sums");
        }
    }

    @Override
    protected void biasSigmoidSumsK(long x, long b, int rows, int cols, long sums, float alphaValue, float betaValue) {
        try (Backend.Cleanup in = enter()) {
            if (!fusedSums) {
                super.biasSigmoidSumsK(x, b, rows, cols, sums, alphaValue, betaValue);
                return;
            }
            check(dbn4j_cuda_bias_sigmoid_sums(x, b, rows, cols, sums, alphaValue, betaValue, sumsWorkspace(),
                    COLUMN_SUMS_WORKSPACE_BYTES, stream()), "dbn4j_cuda_bias_sigmoid_sums");
        }
    }

    @Override
    protected void columnSumsK(long x, long out, int rows, int cols, float alphaValue, float betaValue, SgdStep step) {
        try (Backend.Cleanup in = enter()) {
            if (!fusedSums) {
                super.columnSumsK(x, out, rows, cols, alphaValue, betaValue, step);
                return;
            }
            check(dbn4j_cuda_column_sums_sgd(x, out, rows, cols, alphaValue, betaValue, step.w().address(),
                    step.v().address(), step.lr(), step.momentum(), step.weightDecay(), step.nesterov() ? 1 : 0,
                    sumsWorkspace(), COLUMN_SUMS_WORKSPACE_BYTES, stream()), "dbn4j_cuda_column_sums_sgd");
        }
    }

    @Override
    protected void biasSigmoidSumsK(long x, long b, int rows, int cols, long sums, float alphaValue, float betaValue,
            SgdStep step) {
        try (Backend.Cleanup in = enter()) {
            if (!fusedSums) {
                super.biasSigmoidSumsK(x, b, rows, cols, sums, alphaValue, betaValue, step);
                return;
            }
            check(dbn4j_cuda_bias_sigmoid_sums_sgd(x, b, rows, cols, sums, alphaValue, betaValue, step.w().address(),
                    step.v().address(), step.lr(), step.momentum(), step.weightDecay(), step.nesterov() ? 1 : 0,
                    sumsWorkspace(), COLUMN_SUMS_WORKSPACE_BYTES, stream()), "dbn4j_cuda_bias_sigmoid_sums_sgd");
        }
    }

    @Override
    protected void axpyK(float alphaValue, long x, long y, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_axpy(alphaValue, x, y, n, stream()), "dbn4j_cuda_axpy");
        }
    }

    @Override
    protected void scaleK(float alphaValue, long x, long n) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_scale(alphaValue, x, n, stream()), "dbn4j_cuda_scale");
        }
    }

    @Override
    protected void sgdMomentumK(long w, long g, long v, long n, float lr, float momentum, float weightDecay,
            boolean nesterov) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_sgd_momentum(w, g, v, n, lr, momentum, weightDecay, nesterov ? 1 : 0, stream()),
                    "dbn4j_cuda_sgd_momentum");
        }
    }

    // ---- rows ----

    /**
     * A device gathers mini-batches from a {@link RowOrder} held on it, so per batch: no second copy of the data set
     * (which can then be held as byte codes), no upload and no wait.
     */
    @Override
    public boolean gathersPerBatch() {
        return true;
    }

    /** Uploads the (already validated) indices through the staging buffer, then gathers on the device. */
    @Override
    protected void gatherRowsK(long src, int srcRows, int cols, int[] rows, int count, long dst) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_gather_rows(src, srcRows, cols, uploadIndices(rows, count), count, dst, stream()),
                        "dbn4j_cuda_gather_rows");
            }
        }
    }

    @Override
    protected void gatherCodedRowsK(long codes, int srcRows, int cols, long palette, int[] rows, int count, long dst) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_gather_rows_u8(codes, srcRows, cols, palette, uploadIndices(rows, count), count, dst,
                        stream()), "dbn4j_cuda_gather_rows_u8");
            }
        }
    }

    /** rows[0, count) in the index buffer (grown as needed), for a gather queued next; holds lock. */
    private long uploadIndices(int[] rows, int count) {
        if (count > indexCapacity) {
            long[] out = new long[1];
            check(dbn4j_cuda_malloc((long) count * Integer.BYTES, out), "dbn4j_cuda_malloc (row indices)");
            check(dbn4j_cuda_free(indices), "dbn4j_cuda_free (row indices)");
            indices = out[0];
            indexCapacity = count;
        }
        copyIndicesK(rows, count, indices);
        return indices;
    }

    @Override
    protected boolean holdsRowOrder() {
        return true;
    }

    /** Through the staging buffer, a buffer-full at a time, each copy waited for (the buffer is refilled next). */
    @Override
    protected void copyIndicesK(int[] rows, int n, long dst) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                int chunk = (int) (STAGING_BYTES / Integer.BYTES);
                Address view = new Address();
                for (int done = 0; done < n; done += chunk) {
                    int count = Math.min(chunk, n - done);
                    view.at(staging, count).asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asIntBuffer()
                            .put(rows, done, count);
                    check(dbn4j_cuda_memcpy_async(dst + (long) done * Integer.BYTES, staging,
                            (long) count * Integer.BYTES, H2D, stream()), "dbn4j_cuda_memcpy_async (row indices)");
                    check(dbn4j_cuda_synchronize(stream()), "dbn4j_cuda_synchronize (row indices)");
                }
            }
        }
    }

    @Override
    protected void gatherOrderedRowsK(long src, int srcRows, int cols, long indices, int count, long dst) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_gather_rows(src, srcRows, cols, indices, count, dst, stream()), "dbn4j_cuda_gather_rows");
        }
    }

    @Override
    protected void gatherOrderedCodedRowsK(long codes, int srcRows, int cols, long palette, long indices, int count,
            long dst) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_gather_rows_u8(codes, srcRows, cols, palette, indices, count, dst, stream()),
                    "dbn4j_cuda_gather_rows_u8");
        }
    }

    @Override
    protected boolean holdsCodedRows() {
        return true;
    }

    @Override
    protected boolean holdsCounters() {
        return true;
    }

    @Override
    protected void setCounterK(long counter, long value) {
        try (Backend.Cleanup in = enter()) {
            if (capturer == Thread.currentThread()) {
                throw new IllegalStateException("Counter.set cannot be recorded: each replay would set the counter "
                        + "again");
            }
            check(dbn4j_cuda_set_u64(counter, value, stream()), "dbn4j_cuda_set_u64 (counter)");
        }
    }

    @Override
    protected long readCounterK(long counter) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                check(dbn4j_cuda_copy_to_host(staging, counter, Long.BYTES, stream()),
                        "dbn4j_cuda_copy_to_host (counter)");
                return new Address().at(staging, 2).asByteBuffer().order(java.nio.ByteOrder.nativeOrder()).getLong(0);
            }
        }
    }

    @Override
    protected void gatherOrderedRowsAtK(long src, int srcRows, int cols, long order, int len, long batch, int count,
            long dst) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_gather_rows_at(src, srcRows, cols, order, len, batch, count, dst, stream()),
                    "dbn4j_cuda_gather_rows_at");
        }
    }

    @Override
    protected void gatherOrderedCodedRowsAtK(long codes, int srcRows, int cols, long palette, long order, int len,
            long batch, int count, long dst) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_gather_rows_u8_at(codes, srcRows, cols, palette, order, len, batch, count, dst, stream()),
                    "dbn4j_cuda_gather_rows_u8_at");
        }
    }

    /**
     * Coded on the host, once per data set: the floats come down through the first half of the staging buffer, their
     * codes go up through the second (each half refilled only after a copy that waits for the stream). Codes are
     * numbered in order of first appearance, a bit pattern each, as the CPU's encoder numbers them.
     */
    @Override
    protected int encodeRowsK(long src, long n, long codes, long palette) {
        try (Backend.Cleanup in = enter()) {
            synchronized (lock) {
                int chunk = (int) (STAGING_BYTES / 2 / Float.BYTES);
                long up = staging + STAGING_BYTES / 2;
                float[] values = new float[chunk];
                byte[] coded = new byte[chunk];
                float[] table = new float[CodedRows.PALETTE_SIZE];
                ValueCodes known = new ValueCodes();
                Address view = new Address();
                for (long done = 0; done < n; done += chunk) {
                    int count = (int) Math.min(chunk, n - done);
                    // Waits for the stream: also for the last round's upload out of the second half.
                    check(dbn4j_cuda_copy_to_host(staging, src + done * Float.BYTES, (long) count * Float.BYTES,
                            stream()), "dbn4j_cuda_copy_to_host (rows to code)");
                    view.at(staging, count).asBuffer().get(values, 0, count);
                    for (int i = 0; i < count; i++) {
                        int code = known.code(Float.floatToRawIntBits(values[i]));
                        if (code < 0) {
                            if (known.size == CodedRows.PALETTE_SIZE) {
                                check(dbn4j_cuda_synchronize(stream()), "dbn4j_cuda_synchronize (rows to code)");
                                return -1;
                            }
                            code = known.add(Float.floatToRawIntBits(values[i]));
                            table[code] = values[i];
                        }
                        coded[i] = (byte) code;
                    }
                    view.at(up, count).asByteBuffer().put(coded, 0, count);
                    check(dbn4j_cuda_memcpy_async(codes + done, up, count, H2D, stream()),
                            "dbn4j_cuda_memcpy_async (codes)");
                }
                check(dbn4j_cuda_synchronize(stream()), "dbn4j_cuda_synchronize (codes)");
                copyFromHostK(table, 0, palette, CodedRows.PALETTE_SIZE);
                return known.size;
            }
        }
    }

    /** Up to 256 float bit patterns and their codes: open addressing in 4096 slots. */
    private static final class ValueCodes {
        private static final int SLOTS = 4096;
        private final int[] keys = new int[SLOTS];
        private final short[] codes = new short[SLOTS];
        int size;

        ValueCodes() {
            java.util.Arrays.fill(codes, (short) -1);
        }

        /** The code of bits, or -1. */
        int code(int bits) {
            for (int h = slot(bits); ; h = (h + 1) & (SLOTS - 1)) {
                if (codes[h] < 0) {
                    return -1;
                }
                if (keys[h] == bits) {
                    return codes[h];
                }
            }
        }

        /** Gives bits (not known yet) the next code. */
        int add(int bits) {
            int h = slot(bits);
            while (codes[h] >= 0) {
                h = (h + 1) & (SLOTS - 1);
            }
            keys[h] = bits;
            codes[h] = (short) size;
            return size++;
        }

        /** A full mix of the bits (a plain multiplicative hash crowds the values k / 255 into few slots). */
        private static int slot(int bits) {
            int h = bits ^ (bits >>> 16);
            h *= 0x85EBCA6B;
            h ^= h >>> 13;
            h *= 0xC2B2AE35;
            return (h ^ (h >>> 16)) & (SLOTS - 1);
        }
    }

    @Override
    protected void softplusRowSumsK(long x, long out, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            check(dbn4j_cuda_softplus_row_sums(x, out, rows, cols, stream()), "dbn4j_cuda_softplus_row_sums");
        }
    }

    // ---- random ----

    // In a capture with a RandomStream every sampler reads its offset on the device (the _at kernels): each replay
    // draws the words that the eager step would have drawn at that point.

    @Override
    protected void uniformK(long seed, long offset, long out, long n) {
        try (Backend.Cleanup in = enter()) {
            if (sampledInCapture(seed, offset)) {
                check(dbn4j_cuda_random_uniform_at(seed, offsetBase, offset - captureStart, out, n, stream()),
                        "dbn4j_cuda_random_uniform_at");
                return;
            }
            check(dbn4j_cuda_random_uniform(seed, offset, out, n, stream()), "dbn4j_cuda_random_uniform");
        }
    }

    @Override
    protected void bernoulliK(long seed, long offset, long p, long out, long n) {
        try (Backend.Cleanup in = enter()) {
            if (sampledInCapture(seed, offset)) {
                check(dbn4j_cuda_random_bernoulli_at(seed, offsetBase, offset - captureStart, p, out, n, stream()),
                        "dbn4j_cuda_random_bernoulli_at");
                return;
            }
            check(dbn4j_cuda_random_bernoulli(seed, offset, p, out, n, stream()), "dbn4j_cuda_random_bernoulli");
        }
    }

    @Override
    protected void gaussianK(long seed, long offset, long mean, float stddev, long out, long n) {
        try (Backend.Cleanup in = enter()) {
            if (sampledInCapture(seed, offset)) {
                check(dbn4j_cuda_random_gaussian_at(seed, offsetBase, offset - captureStart, mean, stddev, out, n,
                        stream()), "dbn4j_cuda_random_gaussian_at");
                return;
            }
            check(dbn4j_cuda_random_gaussian(seed, offset, mean, stddev, out, n, stream()),
                    "dbn4j_cuda_random_gaussian");
        }
    }

    @Override
    protected void sigmoidBernoulliK(long seed, long offset, long x, long bias, long p, long s, int rows, int cols) {
        try (Backend.Cleanup in = enter()) {
            if (sampledInCapture(seed, offset)) {
                check(dbn4j_cuda_sigmoid_bernoulli_at(seed, offsetBase, offset - captureStart, x, bias, p, s, rows,
                        cols, stream()), "dbn4j_cuda_sigmoid_bernoulli_at");
                return;
            }
            check(dbn4j_cuda_sigmoid_bernoulli(seed, offset, x, bias, p, s, rows, cols, stream()),
                    "dbn4j_cuda_sigmoid_bernoulli");
        }
    }

    @Override
    protected void sigmoidBernoulliSumsK(long seed, long offset, long x, long bias, long p, long s, int rows, int cols,
            long sums, float alphaValue, float betaValue) {
        try (Backend.Cleanup in = enter()) {
            if (!fusedSums || (long) rows * cols > fusedSamplerLimit) {
                super.sigmoidBernoulliSumsK(seed, offset, x, bias, p, s, rows, cols, sums, alphaValue, betaValue);
                return;
            }
            if (sampledInCapture(seed, offset)) {
                check(dbn4j_cuda_sigmoid_bernoulli_sums_at(seed, offsetBase, offset - captureStart, x, bias, p, s, rows,
                        cols, sums, alphaValue, betaValue, sumsWorkspace(), COLUMN_SUMS_WORKSPACE_BYTES, stream()),
                        "dbn4j_cuda_sigmoid_bernoulli_sums_at");
                return;
            }
            check(dbn4j_cuda_sigmoid_bernoulli_sums(seed, offset, x, bias, p, s, rows, cols, sums, alphaValue,
                    betaValue, sumsWorkspace(), COLUMN_SUMS_WORKSPACE_BYTES, stream()),
                    "dbn4j_cuda_sigmoid_bernoulli_sums");
        }
    }

    /**
     * Whether a sampler called by this thread is being recorded (then it reads its offset on the device). Refuses
     * sampling in a step recorded without a RandomStream (its replays would repeat the recorded numbers) and from
     * any stream but the recorded one.
     */
    private boolean sampledInCapture(long seed, long offset) {
        if (capturer != Thread.currentThread()) {
            return false;
        }
        if (!randomCapture) {
            throw new IllegalStateException("a step recorded without a RandomStream samples: its replays would draw "
                    + "the same numbers each time (record it with its stream)");
        }
        requireCaptureStream(seed, offset);
        return true;
    }

    /** In a capture with device-side offsets, sampling comes from the recorded stream only, at or after its start. */
    private void requireCaptureStream(long seed, long offset) {
        // Each sampling call takes its words right before it runs: from the recorded stream, the next call starts
        // where the last one ended (another stream, even with the same seed, does not).
        if (seed != captureSeed || offset != captureNext) {
            throw new IllegalStateException("a capture with a RandomStream samples only from that stream");
        }
        captureNext = captureRng.offset();
    }
}
