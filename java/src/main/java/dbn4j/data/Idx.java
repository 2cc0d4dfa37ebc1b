package dbn4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian 4-byte magic number {@code 0x0000TTDD}
 * (TT the element type, DD the number of dimensions), DD big-endian 4-byte dimension sizes, then the elements
 * row-major. Only the two layouts those data sets use are read: unsigned-byte labels ({@link #LABELS_MAGIC}, one
 * dimension: the count) and unsigned-byte images ({@link #IMAGES_MAGIC}, three: count, height, width).
 *
 * <p>A file may be plain or gzip-compressed; gzip is recognised by its first two bytes (1f 8b), never by the file
 * name. Files are streamed once through a buffer, so memory holds only the decoded result.
 *
 * <p>Every problem is an {@link IOException} whose message starts with the file name: {@link NoSuchFileException}
 * for a missing file, {@link DataFormatException} for one whose content is wrong (a directory, bad magic number,
 * a dimension that is not positive, truncated data, trailing data, corrupt gzip, images and labels that disagree),
 * and a plain {@code IOException} when the operating system fails to read.
 */
public final class Idx {
    /** Unsigned bytes (0x08), one dimension. */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Unsigned bytes (0x08), three dimensions. */
    public static final int IMAGES_MAGIC = 0x00000803;

    private static final int BUFFER = 1 << 16;
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            SCALE[i] = i / 255f;
        }
    }

    /**
     * {@code count} images of {@code height x width} pixels, scaled from 0..255 to [0, 1] (x / 255f), one image per
     * row of {@code pixels} (count x (height * width), row-major). The array is not copied by anyone; treat it as
     * read-only once it is in a {@link Dataset}.
     */
    public record Images(int count, int height, int width, float[] pixels) {
    }

    /** Something to read: its name for messages and a way to open it. */
    interface Source {
        String name();

        InputStream open() throws IOException;
    }

    private Idx() {
    }

    /**
     * Reads an image file and its label file into a labelled data set of count x (height * width) features in
     * [0, 1].
     *
     * @param numClasses every label must be below it
     * @param description for {@link Dataset#description()}; null for one naming the two files
     * @throws NoSuchFileException if a file is missing
     * @throws DataFormatException if a file is malformed, the counts differ, or a label is not below numClasses
     * @throws IOException if reading fails
     * @throws IllegalArgumentException if numClasses is less than 1
     */
    public static Dataset read(Path images, Path labels, int numClasses, String description) throws IOException {
        return read(source(images), source(labels), numClasses, description);
    }

    /**
     * Reads an IDX file of unsigned-byte images ({@link #IMAGES_MAGIC}), scaled to [0, 1].
     *
     * @throws NoSuchFileException if the file is missing
     * @throws DataFormatException if it is malformed
     * @throws IOException if reading fails
     */
    public static Images readImages(Path file) throws IOException {
        return readImages(source(file));
    }

    /**
     * Reads an IDX file of unsigned-byte labels ({@link #LABELS_MAGIC}); each label is in 0..255.
     *
     * @throws NoSuchFileException if the file is missing
     * @throws DataFormatException if it is malformed
     * @throws IOException if reading fails
     */
    public static int[] readLabels(Path file) throws IOException {
        return readLabels(source(file));
    }

    static Dataset read(Source images, Source labels, int numClasses, String description) throws IOException {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        Images im = readImages(images);
        int[] lab = readLabels(labels);
        if (lab.length != im.count()) {
            throw new DataFormatException(labels.name(), "holds " + lab.length + " labels but " + images.name()
                    + " holds " + im.count() + " images; they must match one to one");
        }
        for (int i = 0; i < lab.length; i++) {
            if (lab[i] >= numClasses) {
                throw new DataFormatException(labels.name(), "label " + lab[i] + " at index " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
        String d = description != null ? description
                : "IDX images " + images.name() + " with labels " + labels.name();
        return new Dataset(im.pixels(), im.count(), im.height() * im.width(), lab, numClasses, d);
    }

    static Images readImages(Source source) throws IOException {
        try (InputStream in = open(source)) {
            int[] dims = header(in, source.name(), IMAGES_MAGIC, "count", "height", "width");
            long total = (long) dims[0] * dims[1] * dims[2];
            if (total > Integer.MAX_VALUE - 8) {
                throw new DataFormatException(source.name(), dims[0] + " x " + dims[1] + " x " + dims[2] + " = "
                        + total + " pixels are too many for one Java array");
            }
            float[] pixels = new float[(int) total];
            byte[] buf = new byte[BUFFER];
            int done = 0;
            while (done < pixels.length) {
                int n = in.read(buf, 0, Math.min(buf.length, pixels.length - done));
                if (n < 0) {
                    throw truncated(source.name(), 16, dims[0] + " x " + dims[1] + " x " + dims[2] + " pixels", total,
                            done);
                }
                for (int i = 0; i < n; i++) {
                    pixels[done + i] = SCALE[buf[i] & 0xFF];
                }
                done += n;
            }
            requireEnd(in, source.name(), 16 + total);
            return new Images(dims[0], dims[1], dims[2], pixels);
        }
    }

    static int[] readLabels(Source source) throws IOException {
        try (InputStream in = open(source)) {
            int count = header(in, source.name(), LABELS_MAGIC, "count")[0];
            int[] labels = new int[count];
            byte[] buf = new byte[BUFFER];
            int done = 0;
            while (done < count) {
                int n = in.read(buf, 0, Math.min(buf.length, count - done));
                if (n < 0) {
                    throw truncated(source.name(), 8, count + " labels", count, done);
                }
                for (int i = 0; i < n; i++) {
                    labels[done + i] = buf[i] & 0xFF;
                }
                done += n;
            }
            requireEnd(in, source.name(), 8 + (long) count);
            return labels;
        }
    }

    // ---- opening ----

    static Source source(Path file) {
        return new Source() {
            @Override
            public String name() {
                return file.toString();
            }

            @Override
            public InputStream open() throws IOException {
                if (Files.isDirectory(file)) {
                    throw new DataFormatException(file, "is a directory, expected an IDX file");
                }
                try {
                    return Files.newInputStream(file);
                } catch (NoSuchFileException e) {
                    // The JDK's message is only the path; say what is wrong.
                    throw new NoSuchFileException(file.toString(), null, "no such file");
                }
            }
        };
    }

    /** Opens the source, buffered, and decompresses it if it starts with the gzip magic bytes 1f 8b. */
    private static InputStream open(Source source) throws IOException {
        BufferedInputStream in = new BufferedInputStream(source.open(), BUFFER);
        try {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            if (b0 != 0x1f || b1 != 0x8b) {
                return in;
            }
            try {
                return new GzipGuard(new GZIPInputStream(in, BUFFER), source.name());
            } catch (ZipException | EOFException e) {
                throw new DataFormatException(source.name(), "corrupt gzip header (" + e.getMessage() + ")", e);
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /**
     * Turns the exceptions of a damaged gzip stream into {@link DataFormatException}s naming the file, so that they
     * cannot be mistaken for the clean end of a short IDX file.
     */
    private static final class GzipGuard extends FilterInputStream {
        private final String name;

        GzipGuard(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (EOFException e) {
                throw new DataFormatException(name, "gzip data is truncated: the compressed stream ends early", e);
            } catch (ZipException e) {
                throw new DataFormatException(name, "corrupt gzip data (" + e.getMessage() + ")", e);
            }
        }
    }

    // ---- parsing ----

    /** Reads and checks the magic number and dimensions; returns the dimensions, all positive. */
    private static int[] header(InputStream in, String name, int magic, String... dimNames) throws IOException {
        byte[] head = new byte[4 + 4 * dimNames.length];
        int got = readUpTo(in, head, 0, 4);
        if (got < 4) {
            throw new DataFormatException(name, "truncated: " + got + " bytes, too short for the 4-byte IDX magic"
                    + " number");
        }
        ByteBuffer bytes = ByteBuffer.wrap(head); // big-endian, as IDX is
        int found = bytes.getInt(0);
        if (found != magic) {
            throw new DataFormatException(name, String.format("bad magic number 0x%08X (%s), expected 0x%08X (%s)",
                    found, describeMagic(found), magic, describeMagic(magic)));
        }
        got += readUpTo(in, head, 4, head.length - 4);
        if (got < head.length) {
            throw new DataFormatException(name, "truncated: the IDX header needs " + head.length
                    + " bytes, found only " + got);
        }
        int[] dims = new int[dimNames.length];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = bytes.getInt(4 + 4 * i);
            if (dims[i] <= 0) {
                throw new DataFormatException(name, "dimension " + i + " (" + dimNames[i] + ") is " + dims[i]
                        + (dims[i] < 0 ? " (or above 2^31 - 1)" : "") + "; every dimension must be positive");
            }
        }
        return dims;
    }

    /** Reads count bytes into b[off..], or fewer if the stream ends first; returns how many were read. */
    private static int readUpTo(InputStream in, byte[] b, int off, int count) throws IOException {
        int done = 0;
        while (done < count) {
            int n = in.read(b, off + done, count - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    private static DataFormatException truncated(String name, int headerBytes, String what, long expected,
            long found) {
        return new DataFormatException(name, "truncated: the header promises " + what + ", so " + (headerBytes
                + expected) + " bytes (uncompressed) were expected, but the data ends after " + (headerBytes + found));
    }

    /** Reads to the end of the stream (which also makes gzip check its CRC) and rejects any bytes left. */
    private static void requireEnd(InputStream in, String name, long expectedBytes) throws IOException {
        byte[] buf = new byte[BUFFER];
        long extra = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            extra += n;
        }
        if (extra > 0) {
            throw new DataFormatException(name, extra + " bytes of trailing data after the " + expectedBytes
                    + " bytes (uncompressed) that the header describes");
        }
    }

    private static String describeMagic(int magic) {
        if ((magic & 0xFFFF0000) != 0) {
            return "not an IDX file";
        }
        String type = switch ((magic >>> 8) & 0xFF) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> "unknown type";
        };
        int dims = magic & 0xFF;
        return "IDX " + type + ", " + dims + (dims == 1 ? " dimension" : " dimensions");
    }
}
