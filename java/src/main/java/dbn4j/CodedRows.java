package dbn4j;

/**
 * A data set of at most 256 distinct values (8-bit pixels scaled to [0, 1], binary data) held on a backend as one
 * byte per element, a code into a palette of the values: a quarter of the memory of the float matrix, and a quarter
 * of the memory traffic when {@link Backend#gatherRows(CodedRows, int[], Matrix)} gathers mini-batches from it.
 * The gathered floats are the original ones bit for bit. Made by {@link Backend#encodeRows}; closing it frees the
 * backend memory (as {@link Matrix#close()} does; a second close does nothing).
 */
public final class CodedRows implements AutoCloseable {
    /** Palette size: a code is one byte. */
    public static final int PALETTE_SIZE = 256;

    private final int rows;
    private final int cols;
    /** The codes, {@code rows * cols} bytes from its address (a float matrix large enough to hold them). */
    final Matrix codes;
    /** 1 x 256: the value of each code (unused codes 0). */
    final Matrix palette;
    private final int values;

    CodedRows(int rows, int cols, Matrix codes, Matrix palette, int values) {
        this.rows = rows;
        this.cols = cols;
        this.codes = codes;
        this.palette = palette;
        this.values = values;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Number of distinct values (palette entries in use). */
    public int values() {
        return values;
    }

    /** Bytes of backend memory held (codes and palette). */
    public long byteSize() {
        return codes.byteSize() + palette.byteSize();
    }

    void checkOpen(String name) {
        codes.checkOpen(name);
        palette.checkOpen(name);
    }

    @Override
    public void close() {
        Matrix.closeAll(codes, palette);
    }

    @Override
    public String toString() {
        return "CodedRows(" + rows + "x" + cols + ", " + values + " values)";
    }
}
