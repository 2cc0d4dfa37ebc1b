package dbn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dbn4j.io.SafeTensors.Contents;
import dbn4j.io.SafeTensors.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static Map<String, Tensor> tensors() {
        float[] w = new float[3 * 4];
        Random r = new Random(5);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        w[0] = -0.0f;
        w[1] = Float.intBitsToFloat(0x7fc12345); // a quiet NaN with a payload: must come back bit for bit
        w[2] = Float.MIN_VALUE;
        w[3] = Float.NEGATIVE_INFINITY;
        w[4] = Float.MAX_VALUE;
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("layer1.weight", Tensor.f32(w, 3, 4));
        t.put("layer1.bias", Tensor.f32(new float[] {1, -2, 3.5f, 1e-30f}));
        t.put("step", new Tensor(SafeTensors.I64, new long[0], null, new long[] {Long.MIN_VALUE}));
        t.put("indices", Tensor.i64(new long[] {0, Long.MAX_VALUE, -7}));
        t.put("empty", Tensor.f32(new float[0], 0, 5));
        return t;
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "dbn4j");
        m.put("model", "{\"layers\": [784, 10]}");
        m.put("note", "ünïcödé ✓");
        return m;
    }

    private Path written() throws IOException {
        Path f = dir.resolve("model.safetensors");
        SafeTensors.write(f, tensors(), metadata());
        return f;
    }

    private static void assertBitExact(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        if (expected.f32() != null) {
            assertEquals(expected.f32().length, actual.f32().length);
            for (int i = 0; i < expected.f32().length; i++) {
                assertEquals(Float.floatToRawIntBits(expected.f32()[i]), Float.floatToRawIntBits(actual.f32()[i]),
                        "element " + i);
            }
        } else {
            assertArrayEquals(expected.i64(), actual.i64());
        }
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Contents c = SafeTensors.read(written());
        Map<String, Tensor> expected = tensors();
        assertEquals(expected.keySet(), c.tensors().keySet());
        for (String name : expected.keySet()) {
            assertBitExact(expected.get(name), c.tensors().get(name));
        }
        assertEquals(metadata(), c.metadata());
        assertEquals(List.of("empty", "indices", "layer1.bias", "layer1.weight", "step"),
                List.copyOf(c.tensors().keySet()), "written sorted by name");
        assertEquals(expected.get("indices"), c.tensors().get("indices"));

        Path bare = dir.resolve("bare.safetensors");
        SafeTensors.write(bare, Map.of(), null);
        Contents empty = SafeTensors.read(bare);
        assertTrue(empty.tensors().isEmpty() && empty.metadata().isEmpty());
    }

    @Test
    void largeTensorsCrossBufferBoundaries() throws IOException {
        float[] big = new float[700_001];
        long[] longs = new long[300_001];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f;
        }
        for (int i = 0; i < longs.length; i++) {
            longs[i] = i * 3L - 5;
        }
        Path f = dir.resolve("big.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.f32(big), "b", Tensor.i64(longs)), Map.of());
        Contents c = SafeTensors.read(f);
        assertArrayEquals(big, c.tensors().get("a").f32());
        assertArrayEquals(longs, c.tensors().get("b").i64());
    }

    /** Parses the file by hand, following the specification, to check what the writer wrote. */
    @Test
    void headerFollowsTheSpecification() throws IOException {
        Path f = written();
        byte[] bytes = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, (8 + n) % 8, "data must start 8-byte aligned");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"), header);
        String padding = header.substring(header.lastIndexOf('}') + 1);
        assertTrue(padding.length() < 8 && padding.isBlank() && padding.chars().allMatch(c -> c == ' '),
                "only spaces may pad the header: '" + padding + "'");
        Map<?, ?> json = (Map<?, ?>) Json.parse(header);
        assertEquals(metadata(), json.get("__metadata__"));
        long end = 0;
        for (String name : List.of("empty", "indices", "layer1.bias", "layer1.weight", "step")) {
            Map<?, ?> entry = (Map<?, ?>) json.get(name);
            assertEquals(List.of("dtype", "shape", "data_offsets"), List.copyOf(entry.keySet()));
            List<?> offsets = (List<?>) entry.get("data_offsets");
            assertEquals(end, offsets.get(0), name + " starts where the previous ended");
            end = (Long) offsets.get(1);
        }
        assertEquals(bytes.length, 8 + n + end, "the tensors cover the data exactly");
        Map<?, ?> weight = (Map<?, ?>) json.get("layer1.weight");
        assertEquals("F32", weight.get("dtype"));
        assertEquals(List.of(3L, 4L), weight.get("shape"));
        assertEquals(List.of(), ((Map<?, ?>) json.get("step")).get("shape"));
        assertEquals("I64", ((Map<?, ?>) json.get("step")).get("dtype"));

        // The data itself: little-endian float32, row-major.
        long begin = (Long) ((List<?>) weight.get("data_offsets")).get(0);
        float[] w = tensors().get("layer1.weight").f32();
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.floatToRawIntBits(w[i]), b.getInt((int) (8 + n + begin + 4L * i)));
        }
    }

    @Test
    void smallestFileIsExactlyAsSpecified() throws IOException {
        Path f = dir.resolve("one.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.f32(new float[] {1f})), null);
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"; // 54 bytes, padded to 56
        ByteBuffer expected = ByteBuffer.allocate(8 + 56 + 4).order(ByteOrder.LITTLE_ENDIAN);
        expected.putLong(56).put((json + "  ").getBytes(StandardCharsets.US_ASCII)).putFloat(1f);
        assertArrayEquals(expected.array(), Files.readAllBytes(f));
    }

    /** A file built by hand: header unpadded, entries not in offset order, as other writers may produce. */
    @Test
    void readsFilesFromOtherWriters() throws IOException {
        String json = "{\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}, \"__metadata__\":{},"
                + "\"a\":{\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"}}";
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f)
                .putLong(42);
        Path f = file("other.safetensors", json, data.array());
        Contents c = SafeTensors.read(f);
        assertArrayEquals(new float[] {1.5f, -2f}, c.tensors().get("a").f32());
        assertArrayEquals(new long[] {42}, c.tensors().get("b").i64());
        assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()), "header order");
    }

    // ---- damaged files ----

    private Path file(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    private static ModelFormatException bad(Path f, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' missing: " + e.getMessage());
        }
        return e;
    }

    @Test
    void truncatedAtAnyPoint() throws IOException {
        byte[] good = Files.readAllBytes(written());
        long n = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Path f = dir.resolve("cut.safetensors");
        for (int cut : new int[] {0, 1, 7}) {
            Files.write(f, Arrays.copyOf(good, cut));
            bad(f, "file is " + cut + " bytes, shorter than the 8-byte header length");
        }
        for (long cut : new long[] {8, 20, 8 + n - 1}) {
            Files.write(f, Arrays.copyOf(good, (int) cut));
            bad(f, "header length " + n + " is larger than the " + (cut - 8) + " bytes that follow it");
        }
        for (long cut : new long[] {8 + n, 8 + n + 3, good.length - 1}) {
            Files.write(f, Arrays.copyOf(good, (int) cut));
            bad(f, "truncated", "the file should be " + good.length + " bytes, but it is " + cut + " bytes");
        }
        Files.write(f, Arrays.copyOf(good, good.length + 5));
        bad(f, "5 trailing bytes");
    }

    @Test
    void damagedHeaderLength() throws IOException {
        byte[] good = Files.readAllBytes(written());
        Path f = dir.resolve("flipped.safetensors");
        byte[] reversed = good.clone();
        for (int i = 0; i < 8; i++) {
            reversed[i] = good[7 - i]; // the length read big-endian: huge
        }
        Files.write(f, reversed);
        bad(f, "is larger than the");
        byte[] negative = good.clone();
        negative[7] = (byte) 0x80; // over 2^63 as unsigned
        Files.write(f, negative);
        bad(f, "header length 922337203685477", "is larger than the");
        long n = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] shorter = good.clone();
        ByteBuffer.wrap(shorter).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n / 2); // cuts the JSON in two
        Files.write(f, shorter);
        bad(f, "header is not valid JSON", "JSON syntax error at line 1");
    }

    @Test
    void invalidHeaders() throws IOException {
        byte[] data16 = new byte[16];
        bad(file("garbage", "{not json}", data16), "header is not valid JSON", "offset 1");
        bad(file("empty", "", new byte[0]), "header is not valid JSON", "unexpected end of input");
        bad(file("array", "[1, 2]", new byte[0]), "header is [1,2], expected a JSON object");
        Path utf = dir.resolve("utf");
        Files.write(utf, new byte[] {4, 0, 0, 0, 0, 0, 0, 0, '{', (byte) 0xC3, '}', ' '});
        bad(utf, "header is not valid UTF-8");
        bad(file("unknown", "{\"a\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}", data16),
                "tensor 'a' has unknown dtype 'F33'");
        bad(file("f16", "{\"a\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[0,16]}}", data16),
                "tensor 'a' has dtype F16, which dbn4j does not support");
        bad(file("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,16]}}", data16),
                "shape [3, 2] of F32 needs 24 bytes, but data_offsets [0, 16] cover 16");
        bad(file("i64size", "{\"a\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[0,16]}}", data16),
                "needs 32 bytes");
        bad(file("negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", data16),
                "shape [-4], expected an array of non-negative integers");
        bad(file("fraction", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}", data16),
                "shape [4.0]");
        bad(file("huge", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}",
                data16), "too many elements");
        bad(file("offsets3", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8,16]}}", data16),
                "data_offsets [0,8,16], expected an array of 2 non-negative integers");
        bad(file("reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", data16),
                "data_offsets [16, 0] that end before they begin");
        bad(file("missing", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", data16), "shape null");
        bad(file("extra", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],\"x\":1}}", data16),
                "unexpected key 'x'");
        bad(file("notobject", "{\"a\":5}", data16), "tensor 'a' is 5");
        bad(file("meta", "{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__ key 'k' has value 1");
        bad(file("dup", "{\"a\":{},\"a\":{}}", new byte[0]), "duplicate key \"a\"");
    }

    @Test
    void rangesMustTileTheData() throws IOException {
        byte[] data = new byte[32];
        bad(file("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", data),
                "tensor 'b' data_offsets [8, 24] overlap tensor 'a' [0, 16]");
        bad(file("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[20,32]}}", data),
                "gap: bytes [16, 20) before tensor 'b'");
        bad(file("late", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]}}", data),
                "gap: bytes [0, 16)");
        bad(file("beyond", "{\"a\":{\"dtype\":\"F32\",\"shape\":[10],\"data_offsets\":[0,40]}}", data),
                "truncated", "should be");
    }

    @Test
    void missingFileOrDirectory() {
        Path missing = dir.resolve("nope.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.read(missing));
        assertTrue(e.getMessage().contains(missing + ": no such file"), e.getMessage());
        bad(dir, "is a directory");
    }

    // ---- atomic writing ----

    private void assertOnlyFiles(String... names) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(names), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file may be left behind");
        }
    }

    private static void assertIntact(Path f) throws IOException {
        Contents c = SafeTensors.read(f);
        assertBitExact(tensors().get("layer1.weight"), c.tensors().get("layer1.weight"));
        assertEquals(metadata(), c.metadata());
    }

    @Test
    void overwritingReplacesTheFile() throws IOException {
        Path f = written();
        SafeTensors.write(f, Map.of("x", Tensor.f32(new float[] {7})), Map.of("v", "2"));
        Contents c = SafeTensors.read(f);
        assertEquals(Map.of("x", Tensor.f32(new float[] {7})), c.tensors());
        assertEquals(Map.of("v", "2"), c.metadata());
        assertOnlyFiles("model.safetensors");
    }

    /** An interrupted thread's file channel closes on the first write: a failure in the middle of writing. */
    @Test
    void failedWriteLeavesThePreviousFileIntact() throws IOException {
        Path f = written();
        Thread.currentThread().interrupt();
        IOException e;
        try {
            e = assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of("x", Tensor.f32(new float[100])),
                    null));
        } finally {
            Thread.interrupted();
        }
        assertTrue(e.getMessage().contains("could not write " + f), e.getMessage());
        assertIntact(f);
        assertOnlyFiles("model.safetensors");
    }

    /** The rename, the last step, fails when the target is a non-empty directory. */
    @Test
    void failedRenameDeletesTheTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.safetensors"));
        Files.writeString(target.resolve("keep"), "x");
        IOException e = assertThrows(IOException.class, () -> SafeTensors.write(target, tensors(), null));
        assertTrue(e.getMessage().contains("could not write " + target), e.getMessage());
        assertEquals("x", Files.readString(target.resolve("keep")));
        assertOnlyFiles("model.safetensors");
    }

    @Test
    void missingDirectory() {
        Path f = dir.resolve("no/such/dir/model.safetensors");
        IOException e = assertThrows(IOException.class, () -> SafeTensors.write(f, tensors(), null));
        assertTrue(e.getMessage().contains("could not write " + f), e.getMessage());
        assertFalse(Files.exists(f.getParent()));
    }

    @Test
    void readOnlyDirectory() throws IOException {
        Path f = written();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(dir), "running as root, whom directory permissions do not stop; the"
                    + " failed-write tests above cover the same path");
            IOException e = assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of(), null));
            assertTrue(e.getMessage().contains("could not write " + f), e.getMessage());
            assertIntact(f);
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertOnlyFiles("model.safetensors");
    }

    @Test
    void writeRejectsBadArgumentsBeforeTouchingTheDisk() throws IOException {
        Path f = written();
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, Map.of("__metadata__", Tensor.f32(new float[1])), null));
        Map<String, String> nullValue = new LinkedHashMap<>();
        nullValue.put("k", null);
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), nullValue));
        assertIntact(f);
        assertOnlyFiles("model.safetensors");
    }

    @Test
    void tensorChecksItsShape() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[6], 2, 4));
        assertThrows(IllegalArgumentException.class, () -> Tensor.f32(new float[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("F16", new long[] {1}, new float[1], null));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("F32", new long[] {1}, null, new long[1]));
        long[] shape = {2, 3};
        Tensor t = Tensor.f32(new float[6], shape);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape(), "the shape is copied");
        assertEquals(24, t.byteSize());
        assertEquals(1, new Tensor("I64", new long[0], null, new long[1]).elementCount());
    }
}
