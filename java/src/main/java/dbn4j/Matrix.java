package dbn4j;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A dense, row-major float32 matrix in memory that a {@link Backend} owns: host memory for the CPU backend,
 * device memory for the CUDA backend. Element (r, c) is at {@code r * cols + c}.
 *
 * <p>A matrix is {@link AutoCloseable}: {@link #close()} frees the memory at once, may be called any number of
 * times, and every later use throws {@link IllegalStateException}. The garbage collector frees a matrix that was
 * never closed, but only as a backstop. A {@linkplain #rows(int, int) row view} shares its parent's memory, owns
 * nothing, and becomes unusable when either it or its parent is closed.
 *
 * <p>Not thread-safe: confine a matrix to one thread, or synchronise.
 */
public final class Matrix implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Backend backend;
    private final int rows;
    private final int cols;
    private final long address;
    private final Matrix parent;
    private final Cleaner.Cleanable cleanable;
    private final AtomicBoolean freed;
    private boolean closed;

    /** Frees the allocation once, whether by close() or by the Cleaner. Holds no reference to the Matrix. */
    private static final class Release implements Runnable {
        private final Backend backend;
        private final long address;
        private final long bytes;
        private final AtomicBoolean freed;

        Release(Backend backend, long address, long bytes, AtomicBoolean freed) {
            this.backend = backend;
            this.address = address;
            this.bytes = bytes;
            this.freed = freed;
        }

        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                backend.free(address, bytes);
            }
        }
    }

    /** Wraps a fresh allocation of {@code rows * cols} floats at {@code address}; called by backends only. */
    Matrix(Backend backend, int rows, int cols, long address) {
        this.backend = backend;
        this.rows = rows;
        this.cols = cols;
        this.address = address;
        this.parent = null;
        this.freed = new AtomicBoolean();
        this.cleanable = CLEANER.register(this, new Release(backend, address, byteSize(), freed));
    }

    private Matrix(Matrix parent, int firstRow, int rows) {
        this.backend = parent.backend;
        this.rows = rows;
        this.cols = parent.cols;
        this.address = parent.address + (long) firstRow * parent.cols * Float.BYTES;
        this.parent = parent.parent != null ? parent.parent : parent;
        this.freed = this.parent.freed;
        this.cleanable = null;
    }

    public Backend backend() {
        return backend;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** rows * cols. */
    public long size() {
        return (long) rows * cols;
    }

    public long byteSize() {
        return size() * Float.BYTES;
    }

    /** True when this matrix (or, for a view, its parent) is closed. */
    public boolean isClosed() {
        return closed || freed.get();
    }

    /**
     * True when the memory under this matrix (its parent's, for a view) has been released: closing a view alone
     * releases nothing.
     */
    public boolean isFreed() {
        return freed.get();
    }

    /** True when this is a row view of another matrix. */
    public boolean isView() {
        return parent != null;
    }

    /**
     * The address of element (0, 0) in the backend's memory space, for backends and kernels only.
     *
     * @throws IllegalStateException if closed
     */
    public long address() {
        checkOpen("matrix");
        return address;
    }

    /** Throws {@link IllegalStateException} naming {@code name} if this matrix is closed. */
    public void checkOpen(String name) {
        if (isClosed()) {
            throw new IllegalStateException(name + " (" + shape() + ") is closed");
        }
    }

    /** True when the memory of the two matrices shares at least one byte (both must be open). */
    public boolean overlaps(Matrix other) {
        if (backend != other.backend || size() == 0 || other.size() == 0) {
            return false;
        }
        return address < other.address + other.byteSize() && other.address < address + byteSize();
    }

    /** True when both matrices cover exactly the same memory with the same shape (in-place use). */
    public boolean sameMemory(Matrix other) {
        return backend == other.backend && address == other.address && rows == other.rows && cols == other.cols;
    }

    /**
     * A view of rows {@code [from, to)}, sharing this matrix's memory (row-major rows are contiguous). Closing the
     * view frees nothing; closing the parent makes the view unusable.
     */
    public Matrix rows(int from, int to) {
        checkOpen("matrix");
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of a matrix with " + rows + " rows");
        }
        return new Matrix(this, from, to - from);
    }

    /** Copies {@code data} (row-major, exactly rows * cols values) into this matrix. */
    public Matrix set(float[] data) {
        checkOpen("matrix");
        if (data.length != size()) {
            throw new IllegalArgumentException("data has " + data.length + " values, matrix " + shape() + " needs "
                    + size());
        }
        backend.copyFromHost(data, 0, this, 0, data.length);
        return this;
    }

    /** A new array with the values of this matrix, row-major. */
    public float[] toArray() {
        checkOpen("matrix");
        if (size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("matrix " + shape() + " is too large for one Java array");
        }
        float[] out = new float[(int) size()];
        backend.copyToHost(this, 0, out, 0, out.length);
        return out;
    }

    /** Element (r, c); one copy per call, so use {@link #toArray()} for more than a few elements. */
    public float get(int r, int c) {
        checkOpen("matrix");
        checkIndex(r, c);
        float[] one = new float[1];
        backend.copyToHost(this, (long) r * cols + c, one, 0, 1);
        return one[0];
    }

    /** Sets element (r, c). */
    public void put(int r, int c, float value) {
        checkOpen("matrix");
        checkIndex(r, c);
        backend.copyFromHost(new float[] {value}, 0, this, (long) r * cols + c, 1);
    }

    private void checkIndex(int r, int c) {
        if (r < 0 || r >= rows || c < 0 || c >= cols) {
            throw new IndexOutOfBoundsException("(" + r + ", " + c + ") outside " + shape());
        }
    }

    public String shape() {
        return rows + "x" + cols;
    }

    /** Closes every matrix given, skipping nulls (for partly built sets of buffers). */
    public static void closeAll(Matrix... matrices) {
        for (Matrix m : matrices) {
            if (m != null) {
                m.close();
            }
        }
    }

    /** Frees the memory now (views only mark themselves closed). Idempotent. */
    @Override
    public void close() {
        closed = true;
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    @Override
    public String toString() {
        return "Matrix[" + shape() + (isView() ? ", view" : "") + (isClosed() ? ", closed" : "") + ", "
                + backend.name() + "]";
    }
}
