package dbn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    private static final int COUNT = 7;
    private static final int H = 3;
    private static final int W = 5;

    // ---- building IDX files ----

    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] pixels() {
        byte[] p = new byte[COUNT * H * W];
        new Random(1).nextBytes(p);
        p[0] = 0;
        p[1] = (byte) 255;
        return p;
    }

    private static byte[] labelBytes() {
        return new byte[] {0, 9, 3, 3, 7, 1, 5};
    }

    private static byte[] images() {
        return idx(Idx.IMAGES_MAGIC, new int[] {COUNT, H, W}, pixels());
    }

    private static byte[] labels() {
        return idx(Idx.LABELS_MAGIC, new int[] {COUNT}, labelBytes());
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    /** Asserts the exception's message names the file and contains every given fragment. */
    private static <T extends IOException> T assertNames(Class<T> type, Path file, IoCall call, String... fragments) {
        T e = assertThrows(type, call::run);
        assertTrue(e.getMessage().contains(file.toString()), () -> "message does not name " + file + ": "
                + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message lacks '" + f + "': " + e.getMessage());
        }
        return e;
    }

    interface IoCall {
        void run() throws IOException;
    }

    // ---- round trips ----

    private void checkRoundTrip(Path images, Path labels) throws IOException {
        Dataset d = Idx.read(images, labels, 10, "test data");
        assertEquals(COUNT, d.rows());
        assertEquals(H * W, d.cols());
        assertEquals(10, d.numClasses());
        assertEquals("test data", d.description());
        byte[] p = pixels();
        for (int i = 0; i < p.length; i++) {
            assertEquals((p[i] & 0xFF) / 255f, d.features()[i], "pixel " + i);
        }
        assertEquals(0f, d.features()[0]);
        assertEquals(1f, d.features()[1]);
        int[] expected = new int[COUNT];
        for (int i = 0; i < COUNT; i++) {
            expected[i] = labelBytes()[i];
        }
        assertArrayEquals(expected, d.labels());
        d.validate();

        Idx.Images im = Idx.readImages(images);
        assertEquals(COUNT, im.count());
        assertEquals(H, im.height());
        assertEquals(W, im.width());
        assertArrayEquals(d.features(), im.pixels());
        assertArrayEquals(expected, Idx.readLabels(labels));
    }

    @Test
    void roundTripPlain() throws IOException {
        checkRoundTrip(file("images", images()), file("labels", labels()));
    }

    @Test
    void roundTripGzip() throws IOException {
        checkRoundTrip(file("images.gz", gzip(images())), file("labels.gz", gzip(labels())));
    }

    @Test
    void gzipIsDetectedByContentNotName() throws IOException {
        checkRoundTrip(file("images.gz", images()), file("labels.idx", gzip(labels())));
    }

    @Test
    void largerThanOneBufferRoundTrips() throws IOException {
        byte[] p = new byte[300 * 28 * 28];
        new Random(2).nextBytes(p);
        Path f = file("big.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {300, 28, 28}, p)));
        float[] got = Idx.readImages(f).pixels();
        for (int i = 0; i < p.length; i++) {
            assertEquals((p[i] & 0xFF) / 255f, got[i]);
        }
    }

    @Test
    void defaultDescriptionNamesTheFiles() throws IOException {
        Path im = file("im", images());
        Path lb = file("lb", labels());
        String d = Idx.read(im, lb, 10, null).description();
        assertTrue(d.contains(im.toString()) && d.contains(lb.toString()), d);
    }

    // ---- bad input ----

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.gz");
        assertNames(NoSuchFileException.class, missing, () -> Idx.readImages(missing), "no such file");
        assertNames(NoSuchFileException.class, missing, () -> Idx.readLabels(missing), "no such file");
    }

    @Test
    void directoryInsteadOfFile() {
        assertNames(DataFormatException.class, dir, () -> Idx.readImages(dir), "is a directory");
    }

    @Test
    void badMagicNumber() throws IOException {
        Path labels = file("labels", labels());
        assertNames(DataFormatException.class, labels, () -> Idx.readImages(labels), "bad magic number 0x00000801",
                "expected 0x00000803");
        Path images = file("images.gz", gzip(images()));
        assertNames(DataFormatException.class, images, () -> Idx.readLabels(images), "bad magic number 0x00000803",
                "expected 0x00000801");
        Path text = file("text", "hello, world".getBytes());
        assertNames(DataFormatException.class, text, () -> Idx.readLabels(text), "bad magic number 0x68656C6C",
                "not an IDX file");
    }

    @Test
    void zeroOrNegativeDimension() throws IOException {
        Path zeroCount = file("a", idx(Idx.IMAGES_MAGIC, new int[] {0, H, W}, new byte[0]));
        assertNames(DataFormatException.class, zeroCount, () -> Idx.readImages(zeroCount), "dimension 0 (count) is 0");
        Path zeroWidth = file("b", idx(Idx.IMAGES_MAGIC, new int[] {COUNT, H, 0}, new byte[0]));
        assertNames(DataFormatException.class, zeroWidth, () -> Idx.readImages(zeroWidth), "dimension 2 (width) is 0");
        Path negative = file("c.gz", gzip(idx(Idx.LABELS_MAGIC, new int[] {-1}, new byte[0])));
        assertNames(DataFormatException.class, negative, () -> Idx.readLabels(negative), "dimension 0 (count) is -1");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path tiny = file("tiny", new byte[] {0, 0});
        assertNames(DataFormatException.class, tiny, () -> Idx.readImages(tiny), "truncated", "2 bytes");
        Path cut = file("cut.gz", gzip(Arrays.copyOf(images(), 10)));
        assertNames(DataFormatException.class, cut, () -> Idx.readImages(cut), "truncated",
                "header needs 16 bytes, found only 10");
    }

    @Test
    void truncatedData() throws IOException {
        int full = 16 + COUNT * H * W;
        Path cut = file("cut", Arrays.copyOf(images(), full - 5));
        assertNames(DataFormatException.class, cut, () -> Idx.readImages(cut), "truncated",
                full + " bytes (uncompressed) were expected", "ends after " + (full - 5));
        Path cutGz = file("cut-labels.gz", gzip(Arrays.copyOf(labels(), 8 + 3)));
        assertNames(DataFormatException.class, cutGz, () -> Idx.readLabels(cutGz), "truncated",
                (8 + COUNT) + " bytes (uncompressed) were expected", "ends after 11");
    }

    @Test
    void trailingGarbage() throws IOException {
        byte[] img = images();
        Path plain = file("trailing", Arrays.copyOf(img, img.length + 3));
        assertNames(DataFormatException.class, plain, () -> Idx.readImages(plain), "3 bytes of trailing data");
        byte[] lab = labels();
        Path gz = file("trailing.gz", gzip(Arrays.copyOf(lab, lab.length + 1000)));
        assertNames(DataFormatException.class, gz, () -> Idx.readLabels(gz), "1000 bytes of trailing data");
    }

    @Test
    void countMismatch() throws IOException {
        Path images = file("images", images());
        Path labels = file("labels", idx(Idx.LABELS_MAGIC, new int[] {COUNT - 1}, new byte[COUNT - 1]));
        DataFormatException e = assertNames(DataFormatException.class, labels,
                () -> Idx.read(images, labels, 10, "x"), "holds " + (COUNT - 1) + " labels", COUNT + " images");
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path images = file("images", images());
        Path labels = file("labels", labels());
        assertNames(DataFormatException.class, labels, () -> Idx.read(images, labels, 5, "x"),
                "label 9 at index 1 is outside [0, 5)");
        assertThrows(IllegalArgumentException.class, () -> Idx.read(images, labels, 0, "x"));
    }

    @Test
    void corruptGzip() throws IOException {
        byte[] gz = gzip(images());
        // Right after the 10-byte gzip header: a deflate block header of 0xFF has the reserved block type 3.
        byte[] badBlock = gz.clone();
        badBlock[10] = (byte) 0xFF;
        Path f1 = file("bad-block.gz", badBlock);
        assertNames(DataFormatException.class, f1, () -> Idx.readImages(f1), "corrupt gzip data");

        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 8] ^= 1; // the CRC-32 in the trailer
        Path f2 = file("bad-crc.gz", badCrc);
        assertNames(DataFormatException.class, f2, () -> Idx.readImages(f2), "corrupt gzip data");

        Path f3 = file("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        assertNames(DataFormatException.class, f3, () -> Idx.readImages(f3), "gzip data is truncated");

        byte[] badHeader = gz.clone();
        badHeader[2] = 7; // compression method must be 8 (deflate)
        Path f4 = file("bad-header.gz", badHeader);
        assertNames(DataFormatException.class, f4, () -> Idx.readImages(f4), "corrupt gzip header");

        Path f5 = file("only-magic.gz", new byte[] {0x1f, (byte) 0x8b, 8});
        assertNames(DataFormatException.class, f5, () -> Idx.readImages(f5), "corrupt gzip header");
    }
}
