package dbn4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Threads sharing the CUDA backend: while one records a step, another thread's calls wait for the recording to end
 * (they are neither recorded into its graph nor refused); forks of two threads are queued one after the other; a
 * capture waits for another thread's open fork to be joined; and a recorded step that waits for another thread's
 * call fails that call after the wait limit instead of hanging both. Each test makes the waits happen (a thread is
 * seen waiting before the other goes on), so none depends on timing. Two whole trainings at once:
 * {@code CudaTrainingTest.twoTrainingsAtOnceGiveTheModelsOfEachAlone}.
 */
@Tag("cuda")
class CudaThreadsTest {
    /** Longer than any wait here should take; a test that hits it fails. */
    static final long PATIENCE_MS = 20_000;

    CudaBackend cuda;

    /** The backend's waits shortened to PATIENCE_MS: a wait that runs out fails with the backend's message. */
    @BeforeEach
    void open() {
        cuda = (CudaBackend) CudaTestSupport.cudaOrSkip();
        cuda.setWaitLimit(PATIENCE_MS);
    }

    @AfterEach
    void restoreWaitLimit() {
        if (cuda != null) {
            cuda.setWaitLimit(CudaBackend.WAIT_MILLIS);
        }
    }

    /** Polls until done says so; false after PATIENCE_MS. */
    static boolean eventually(BooleanSupplier done) {
        long end = System.nanoTime() + PATIENCE_MS * 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    /** A thread running body, its failure kept in failure. */
    static Thread thread(String name, AtomicReference<Throwable> failure, Runnable body) {
        return new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
    }

    static void joinAll(Thread... threads) throws InterruptedException {
        for (Thread t : threads) {
            t.join(2 * PATIENCE_MS);   // longer than a wait inside it, so that the wait names the failure
            assertFalse(t.isAlive(), t.getName() + " ended");
        }
    }

    @Test
    void anotherThreadsCallWaitsForTheRecordingAndIsNotRecorded() throws Exception {
        try (Matrix m = cuda.matrix(1, 4, 1f, 2f, 3f, 4f); Matrix n = cuda.matrix(1, 2, 1f, 1f)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = thread("other", failure, () -> cuda.scale(3f, m));
            boolean[] waited = new boolean[1];
            try (CudaBackend.Graph g = cuda.capture(() -> {
                cuda.scale(2f, m);
                other.start();
                waited[0] = eventually(() -> cuda.waiting(other));
                cuda.scale(2f, n);
            })) {
                assertTrue(waited[0], "the other thread's call waited for the recording");
                joinAll(other);
                assertNull(failure.get(), "the other thread's call ran");
                assertArrayEquals(new float[] {3f, 6f, 9f, 12f}, m.toArray(), "it ran once, eagerly, after the "
                        + "recording (which ran nothing)");
                g.launch();
                assertArrayEquals(new float[] {6f, 12f, 18f, 24f}, m.toArray(), "the replay scales by 2 only");
                assertArrayEquals(new float[] {2f, 2f}, n.toArray(), "and doubles n");
                assertTrue(g.nodes() < 0 || g.nodes() == 2, "the graph holds the step's 2 kernels: " + g.nodes());
            }
        }
    }

    /**
     * A step that waits for another thread's call would never end if that call waited for the step: the call gives
     * up after the wait limit, naming the recording thread, and the step records on.
     */
    @Test
    void aStepWaitingForAnotherThreadsCallFailsThatCallNotTheStep() throws Exception {
        cuda.setWaitLimit(200);
        Backend cpu = Backends.cpu();
        float[] want;
        try (Matrix w = cpu.allocate(1, 4)) {
            cpu.uniform(new RandomStream(8), w);
            want = w.toArray();
        }
        try (Matrix m = cuda.matrix(1, 2, 1f, 2f); Matrix u = cuda.allocate(1, 4); Matrix a = cuda.allocate(2, 2);
                Matrix c = cuda.allocate(2, 2)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread other = thread("other", failure,
                    () -> cuda.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, a, 0f, c));
            RandomStream rng = new RandomStream(8);
            try (CudaBackend.Graph g = cuda.capture(rng, r -> {
                cuda.scale(2f, m);
                other.start();
                try {
                    joinAll(other);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                cuda.uniform(r, u);
            })) {
                Throwable e = failure.get();
                assertTrue(e instanceof IllegalStateException, String.valueOf(e));
                String name = Thread.currentThread().getName();
                assertTrue(e.getMessage().contains("thread " + name + " recording a step")
                        && e.getMessage().contains("200 ms"), e.getMessage());
                assertArrayEquals(new float[] {1f, 2f}, m.toArray(), "recorded, not run");
                g.launch();
            }
            assertArrayEquals(new float[] {2f, 4f}, m.toArray(), "the replay scaled by 2");
            assertArrayEquals(want, u.toArray(), "and drew the stream's first numbers");
            assertEquals(4, rng.offset());
        }
    }

    /** A fork's work being queued by one thread makes another thread's fork wait; both give their sums. */
    @Test
    void forksOfTwoThreadsAreQueuedOneAfterTheOther() throws Exception {
        try (Matrix a = cuda.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix s1 = cuda.allocate(1, 3);
                Matrix s2 = cuda.allocate(1, 3)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread second = thread("second", failure,
                    () -> cuda.join(cuda.fork(() -> cuda.columnSums(a, s2, 2f, 0f))));
            boolean[] waited = new boolean[1];
            Thread first = thread("first", failure, () -> cuda.join(cuda.fork(() -> {
                cuda.columnSums(a, s1, 1f, 0f);
                second.start();
                waited[0] = eventually(() -> cuda.waiting(second));
            })));
            first.start();
            joinAll(first, second);
            assertNull(failure.get(), "both forks ran");
            assertTrue(waited[0], "the second thread's fork waited for the first's");
            cuda.synchronize();
            assertArrayEquals(new float[] {5f, 7f, 9f}, s1.toArray());
            assertArrayEquals(new float[] {10f, 14f, 18f}, s2.toArray());
        }
    }

    /**
     * A capture starts only once another thread's open fork is joined (a replay's branches would share the side
     * stream's workspaces with the fork's work); it then records and replays as usual.
     */
    @Test
    void aCaptureWaitsForAnotherThreadsOpenFork() throws Exception {
        try (Matrix a = cuda.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix sums = cuda.allocate(1, 3);
                Matrix m = cuda.matrix(1, 2, 1f, 2f)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<CudaBackend.Graph> graph = new AtomicReference<>();
            Thread recorder = thread("recorder", failure, () -> graph.set(cuda.capture(() -> cuda.scale(2f, m))));
            boolean[] waited = new boolean[1];
            Thread forker = thread("forker", failure, () -> {
                Backend.Fork f = cuda.fork(() -> cuda.columnSums(a, sums, 1f, 0f));
                recorder.start();
                waited[0] = eventually(() -> cuda.waiting(recorder));
                cuda.join(f);
            });
            forker.start();
            joinAll(forker, recorder);
            assertNull(failure.get(), "the fork and the capture both ran");
            assertTrue(waited[0], "the capture waited for the join");
            try (CudaBackend.Graph g = graph.get()) {
                assertArrayEquals(new float[] {1f, 2f}, m.toArray(), "recorded, not run");
                g.launch();
            }
            assertArrayEquals(new float[] {2f, 4f}, m.toArray());
            assertArrayEquals(new float[] {5f, 7f, 9f}, sums.toArray());
        }
    }

    /**
     * A replay waits while another thread's fork is being queued: ordered after the side stream's work queued so far,
     * it would overlap the fork's later kernels, which use the side stream's workspaces as the graph's branches do.
     */
    @Test
    void aReplayWaitsForAForkBeingQueued() throws Exception {
        try (Matrix a = cuda.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix s1 = cuda.allocate(1, 3);
                Matrix s2 = cuda.allocate(1, 3); Matrix m = cuda.matrix(1, 2, 1f, 2f)) {
            try (CudaBackend.Graph g = cuda.capture(() -> {
                Backend.Fork f = cuda.fork(() -> cuda.scale(3f, m));
                cuda.join(f);
            })) {
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread replayer = thread("replayer", failure, g::launch);
                boolean[] waited = new boolean[1];
                Thread forker = thread("forker", failure, () -> cuda.join(cuda.fork(() -> {
                    cuda.columnSums(a, s1, 1f, 0f);
                    replayer.start();
                    waited[0] = eventually(() -> cuda.waiting(replayer));
                    cuda.columnSums(a, s2, 1f, 0f);
                })));
                forker.start();
                joinAll(forker, replayer);
                assertNull(failure.get(), "the fork and the replay both ran");
                assertTrue(waited[0], "the replay waited for the fork's work to be queued");
                cuda.synchronize();
                assertArrayEquals(new float[] {3f, 6f}, m.toArray());
                assertArrayEquals(new float[] {5f, 7f, 9f}, s1.toArray());
                assertArrayEquals(new float[] {5f, 7f, 9f}, s2.toArray());
            }
        }
    }

    /**
     * While a capture waits for another thread's open forks, that thread may still fork (its open forks need it to go
     * on), but a third thread with no fork open waits before forking until the capture has the backend: forks opened
     * one after another by several threads cannot hold a capture off.
     */
    @Test
    void aWaitingCaptureHoldsOffNewForksOfThreadsWithNoneOpen() throws Exception {
        try (Matrix a = cuda.matrix(2, 3, 1, 2, 3, 4, 5, 6); Matrix s1 = cuda.allocate(1, 3);
                Matrix s2 = cuda.allocate(1, 3); Matrix s3 = cuda.allocate(1, 3);
                Matrix m = cuda.matrix(1, 2, 1f, 2f)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<CudaBackend.Graph> graph = new AtomicReference<>();
            AtomicBoolean recorded = new AtomicBoolean();
            Thread recorder = thread("recorder", failure, () -> graph.set(cuda.capture(() -> {
                recorded.set(true);
                cuda.scale(2f, m);
            })));
            boolean[] seen = new boolean[4];
            Thread forker = thread("forker", failure, () -> {
                cuda.join(cuda.fork(() -> cuda.columnSums(a, s3, 1f, 0f)));
                seen[3] = recorded.get();
            });
            Thread holder = thread("holder", failure, () -> {
                Backend.Fork f1 = cuda.fork(() -> cuda.columnSums(a, s1, 1f, 0f));
                recorder.start();
                seen[0] = eventually(() -> cuda.waiting(recorder));
                Backend.Fork f2 = cuda.fork(() -> cuda.columnSums(a, s2, 1f, 0f));   // one open: at once
                seen[1] = !recorded.get() && cuda.waiting(recorder);   // the capture still held off
                forker.start();
                seen[2] = eventually(() -> cuda.waiting(forker));
                cuda.join(f1);
                cuda.join(f2);
            });
            holder.start();
            joinAll(holder, recorder, forker);
            assertNull(failure.get(), "the forks and the capture all ran");
            assertTrue(seen[0], "the capture waited for the open forks");
            assertTrue(seen[1], "a fork beside an open one did not wait for the capture");
            assertTrue(seen[2], "another thread's first fork waited while the capture did");
            assertTrue(seen[3], "and was queued once the capture had begun");
            try (CudaBackend.Graph g = graph.get()) {
                g.launch();
            }
            cuda.synchronize();
            assertArrayEquals(new float[] {2f, 4f}, m.toArray());
            for (Matrix s : new Matrix[] {s1, s2, s3}) {
                assertArrayEquals(new float[] {5f, 7f, 9f}, s.toArray());
            }
        }
    }
}
