package dbn4j.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Streams an uncompressed IDX images file (unsigned bytes, scaled to [0, 1]) by positional reads; the labels file is
 * read whole (one byte per image). Gzip files cannot be read at random positions: decompress them first.
 */
public final class IdxRowSource implements RowSource {
    private static final int HEADER = 16;

    private final Path images;
    private final FileChannel channel;
    private final int rows;
    private final int cols;
    private final int[] labels;
    private final int numClasses;
    private ByteBuffer buffer = ByteBuffer.allocate(0);

    private IdxRowSource(Path images, FileChannel channel, int rows, int cols, int[] labels, int numClasses) {
        this.images = images;
        this.channel = channel;
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.numClasses = numClasses;
    }

    /**
     * Opens the pair, checking the header, that the file length matches it, and that every label is in
     * [0, numClasses).
     */
    public static IdxRowSource open(Path images, Path labelsFile, int numClasses) throws IOException {
        if (Files.isDirectory(images)) {
            throw new DataFormatException(images, "is a directory, expected an IDX images file");
        }
        if (!Files.exists(images)) {
            throw new NoSuchFileException(images.toString(), null, "no such file");
        }
        FileChannel ch = FileChannel.open(images, StandardOpenOption.READ);
        try {
            ByteBuffer h = ByteBuffer.allocate(HEADER);
            while (h.hasRemaining() && ch.read(h) >= 0) {
                // fill the header
            }
            h.flip();
            if (h.remaining() >= 2 && (h.get(0) & 0xff) == 0x1f && (h.get(1) & 0xff) == 0x8b) {
                throw new DataFormatException(images, "is gzip-compressed; streaming reads rows at random positions, so "
                        + "decompress it first (gunzip -k)");
            }
            if (h.remaining() < HEADER) {
                throw new DataFormatException(images, "truncated: " + h.remaining() + " bytes, an IDX images header has 16");
            }
            int magic = h.getInt();
            if (magic != Idx.IMAGES_MAGIC) {
                throw new DataFormatException(images, String.format("bad magic number 0x%08x, expected 0x%08x (IDX "
                        + "unsigned-byte images)", magic, Idx.IMAGES_MAGIC));
            }
            int n = h.getInt();
            int r = h.getInt();
            int c = h.getInt();
            if (n <= 0 || r <= 0 || c <= 0) {
                throw new DataFormatException(images, "dimensions " + n + " x " + r + " x " + c + " must be positive");
            }
            long expected = HEADER + (long) n * r * c;
            if (ch.size() != expected) {
                throw new DataFormatException(images, "the header says " + n + " images of " + r + " x " + c + " ("
                        + expected + " bytes) but the file has " + ch.size() + " bytes");
            }
            int[] y = Idx.readLabels(labelsFile);
            if (y.length != n) {
                throw new DataFormatException(labelsFile, y.length + " labels for " + n + " images in " + images);
            }
            for (int i = 0; i < n; i++) {
                if (y[i] >= numClasses) {
                    throw new DataFormatException(labelsFile, "record " + i + ": label " + y[i] + " is outside [0, "
                            + numClasses + ")");
                }
            }
            return new IdxRowSource(images, ch, n, r * c, y, numClasses);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public String description() {
        return "IDX " + images.getFileName() + " (" + rows + " x " + cols + ", streamed)";
    }

    @Override
    public void read(int from, int count, float[] features, int[] out) throws IOException {
        if (from < 0 || count < 0 || from + count > rows) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + (from + count) + ") of " + rows);
        }
        int bytes = count * cols;
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocate(bytes);
        }
        buffer.clear().limit(bytes);
        long pos = HEADER + (long) from * cols;
        while (buffer.hasRemaining()) {
            int got = channel.read(buffer, pos + buffer.position());
            if (got < 0) {
                throw new DataFormatException(images, "ended early at byte " + (pos + buffer.position()));
            }
        }
        byte[] b = buffer.array();
        for (int i = 0; i < bytes; i++) {
            features[i] = (b[i] & 0xff) / 255f;
        }
        System.arraycopy(labels, from, out, 0, count);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** True when the file starts with the gzip magic bytes. */
    public static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file); DataInputStream d = new DataInputStream(in)) {
            int b0 = d.read();
            int b1 = d.read();
            return b0 == 0x1f && b1 == 0x8b;
        }
    }
}
