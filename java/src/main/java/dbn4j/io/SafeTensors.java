package dbn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (https://huggingface.co/docs/safetensors), the file format of model
 * parameters:
 * <pre>
 *   8 bytes   N, the header length: unsigned 64-bit little-endian
 *   N bytes   the header: UTF-8 JSON, {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 *             "__metadata__": {"key": "value", ...}}, possibly padded with trailing spaces
 *   the rest  tensor data, little-endian, row-major; [begin, end) is relative to the first byte after the header
 * </pre>
 * The tensors' byte ranges must cover the data exactly, without gaps, overlaps or trailing bytes. dbn4j reads and
 * writes two dtypes: {@code F32} (float) and {@code I64} (long, for counters and indices).
 *
 * <p>{@link #write} never leaves a damaged file under the target name: it writes a temporary file beside it,
 * forces it to disk, and renames it over the target atomically. {@link #read} checks every rule above and reports
 * a violation as a {@link ModelFormatException} naming the file and the problem.
 */
public final class SafeTensors {
    public static final String F32 = "F32";
    public static final String I64 = "I64";

    /** The header key reserved for string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** The reference implementation's limit; also stops a damaged length from allocating gigabytes. */
    private static final long MAX_HEADER_BYTES = 100_000_000;
    private static final int BUFFER = 1 << 20;
    /** dtypes of the specification that dbn4j does not read, to tell "unsupported" from "unknown". */
    private static final Set<String> OTHER_SPEC_DTYPES = Set.of("BOOL", "U8", "I8", "U16", "I16", "U32", "I32",
            "U64", "F16", "BF16", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

    private SafeTensors() {
    }

    /**
     * One tensor: a dtype, a shape, and the data in the array of that dtype ({@code f32} for F32, {@code i64} for
     * I64; the other is null), row-major. The shape is copied; the data array is not (it may be large), so do not
     * modify it while the tensor is in use.
     *
     * @throws IllegalArgumentException if the dtype is not F32 or I64, the matching array is missing or the other
     *     one is present, a dimension is negative, or the element count of the shape differs from the data length
     */
    public record Tensor(String dtype, long[] shape, float[] f32, long[] i64) {
        public Tensor {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            shape = shape.clone();
            int length;
            if (dtype.equals(F32) && f32 != null && i64 == null) {
                length = f32.length;
            } else if (dtype.equals(I64) && i64 != null && f32 == null) {
                length = i64.length;
            } else {
                throw new IllegalArgumentException("dtype " + dtype + " needs exactly its own array (f32 for F32, i64"
                        + " for I64); dbn4j supports no other dtype");
            }
            long count = elementCount(shape);
            if (count != length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + count
                        + " elements but the data has " + length);
            }
        }

        /** A float32 tensor of the given shape (a vector of data.length when no shape is given). */
        public static Tensor f32(float[] data, long... shape) {
            return new Tensor(F32, shape.length == 0 ? new long[] {data.length} : shape, data, null);
        }

        /** An int64 tensor of the given shape (a vector of data.length when no shape is given). */
        public static Tensor i64(long[] data, long... shape) {
            return new Tensor(I64, shape.length == 0 ? new long[] {data.length} : shape, null, data);
        }

        /** A copy of the shape. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The product of the dimensions (1 for a scalar, whose shape is empty). */
        public long elementCount() {
            return elementCount(shape);
        }

        /** The size of the data in the file. */
        public long byteSize() {
            return elementCount() * (f32 != null ? Float.BYTES : Long.BYTES);
        }

        private static long elementCount(long[] shape) {
            long count = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
                }
                count = Math.multiplyExact(count, d);
            }
            return count;
        }

        /** Same dtype, shape and values ({@link Arrays#equals(float[], float[])}: NaN equals NaN). */
        @Override
        public boolean equals(Object o) {
            return o instanceof Tensor t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
                    && Arrays.equals(f32, t.f32) && Arrays.equals(i64, t.i64);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(f32), Arrays.hashCode(i64));
        }

        @Override
        public String toString() {
            return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
        }
    }

    /** What a file holds: tensors in header order and the string metadata (both unmodifiable). */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    // ---- writing ----

    /**
     * Writes the tensors (sorted by name) and metadata to {@code file}, atomically: the data goes to a temporary
     * file in the same directory, is forced to disk, and is then renamed over {@code file}. If anything fails, the
     * temporary file is deleted and whatever was at {@code file} before is untouched.
     *
     * @param metadata string pairs for the header's {@value #METADATA_KEY}, or null for none
     * @throws IllegalArgumentException if a name is null or {@value #METADATA_KEY}, or a tensor, metadata key or
     *     value is null (checked before anything is written)
     * @throws IOException naming {@code file} if writing fails (the cause is the underlying error)
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Map<String, Tensor> sorted = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getKey().equals(METADATA_KEY) || e.getValue() == null) {
                throw new IllegalArgumentException("tensor name " + e.getKey() + " with tensor " + e.getValue()
                        + ": names must not be null or " + METADATA_KEY + ", tensors must not be null");
            }
            sorted.put(e.getKey(), e.getValue());
        }
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata " + e.getKey() + " = " + e.getValue()
                            + ": keys and values must not be null");
                }
            }
            header.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype());
            entry.put("shape", t.shape);
            entry.put("data_offsets", new long[] {offset, offset + t.byteSize()});
            header.put(e.getKey(), entry);
            offset += t.byteSize();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        // Pad with spaces (allowed by the format) so that the data starts 8-byte aligned.
        int headerLength = (json.length + 7) / 8 * 8;

        AtomicFile.write(file, ch -> {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(headerLength);
            for (int i = 0; i < headerLength; i++) {
                if (!buf.hasRemaining()) {
                    flush(ch, buf);
                }
                buf.put(i < json.length ? json[i] : (byte) ' ');
            }
            for (Tensor t : sorted.values()) {
                if (t.f32() != null) {
                    writeFloats(ch, buf, t.f32());
                } else {
                    writeLongs(ch, buf, t.i64());
                }
            }
            flush(ch, buf);
        });
    }

    private static void writeFloats(FileChannel ch, ByteBuffer buf, float[] a) throws IOException {
        for (int i = 0; i < a.length; ) {
            if (buf.remaining() < Float.BYTES) {
                flush(ch, buf);
            }
            int n = Math.min(buf.remaining() / Float.BYTES, a.length - i);
            buf.asFloatBuffer().put(a, i, n);
            buf.position(buf.position() + n * Float.BYTES);
            i += n;
        }
    }

    private static void writeLongs(FileChannel ch, ByteBuffer buf, long[] a) throws IOException {
        for (int i = 0; i < a.length; ) {
            if (buf.remaining() < Long.BYTES) {
                flush(ch, buf);
            }
            int n = Math.min(buf.remaining() / Long.BYTES, a.length - i);
            buf.asLongBuffer().put(a, i, n);
            buf.position(buf.position() + n * Long.BYTES);
            i += n;
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    // ---- reading ----

    /** One header entry, checked on its own but not yet against the others. */
    private record Entry(String name, String dtype, long[] shape, long count, long begin, long end) {
    }

    /**
     * Reads a whole file, checking every rule of the format.
     *
     * @throws NoSuchFileException if the file does not exist
     * @throws ModelFormatException naming the file and the problem: shorter than 8 bytes, a header length beyond
     *     the file, a header that is not UTF-8 JSON of the right shape, an unknown or unsupported dtype, a shape
     *     whose size differs from its byte range, overlapping or non-contiguous ranges, a truncated file (expected
     *     vs actual size) or trailing bytes
     * @throws IOException if reading fails
     */
    public static Contents read(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new ModelFormatException(file, "is a directory, expected a safetensors file");
        }
        FileChannel opened;
        try {
            opened = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        try (FileChannel ch = opened) {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file, "file is " + size + " bytes, shorter than the 8-byte header"
                        + " length that starts a safetensors file");
            }
            long headerLength = readBytes(ch, file, 0, 8).getLong();
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw new ModelFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " is larger than the " + (size - 8) + " bytes that follow it (file size " + size + ")");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new ModelFormatException(file, "header length " + headerLength + " is over the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer headerBytes = readBytes(ch, file, 8, (int) headerLength);
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes).toString();
            } catch (CharacterCodingException e) {
                throw new ModelFormatException(file, "header is not valid UTF-8", e);
            }
            Object parsed;
            try {
                parsed = Json.parse(json);
            } catch (Json.SyntaxException e) {
                throw new ModelFormatException(file, "header is not valid JSON: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new ModelFormatException(file, "header is " + show(parsed) + ", expected a JSON object");
            }

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA_KEY)) {
                    metadata = metadata(file, e.getValue());
                } else {
                    entries.add(entry(file, name, e.getValue()));
                }
            }

            // The ranges, in offset order, must tile [0, dataBytes) exactly.
            List<Entry> byOffset = new ArrayList<>(entries);
            byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long expected = 0;
            Entry previous = null;
            for (Entry e : byOffset) {
                if (e.begin() < expected) {
                    throw new ModelFormatException(file, "tensor '" + e.name() + "' data_offsets " + range(e)
                            + " overlap tensor '" + previous.name() + "' " + range(previous));
                }
                if (e.begin() > expected) {
                    throw new ModelFormatException(file, "tensor data has a gap: bytes [" + expected + ", "
                            + e.begin() + ") before tensor '" + e.name() + "' belong to no tensor");
                }
                expected = e.end();
                previous = e;
            }
            long dataStart = 8 + headerLength;
            long dataBytes = size - dataStart;
            if (expected > dataBytes) {
                throw new ModelFormatException(file, "truncated: the header describes " + expected
                        + " bytes of tensor data, so the file should be " + (dataStart + expected) + " bytes, but it"
                        + " is " + size + " bytes");
            }
            if (expected < dataBytes) {
                throw new ModelFormatException(file, (dataBytes - expected) + " trailing bytes after the tensor data"
                        + " (the header describes a file of " + (dataStart + expected) + " bytes, it is " + size
                        + " bytes)");
            }

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                long at = dataStart + e.begin();
                tensors.put(e.name(), e.dtype().equals(F32)
                        ? new Tensor(F32, e.shape(), readFloats(ch, file, at, (int) e.count()), null)
                        : new Tensor(I64, e.shape(), null, readLongs(ch, file, at, (int) e.count())));
            }
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    private static Map<String, String> metadata(Path file, Object value) throws ModelFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new ModelFormatException(file, METADATA_KEY + " is " + show(value)
                    + ", expected an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new ModelFormatException(file, METADATA_KEY + " key '" + e.getKey() + "' has value "
                        + show(e.getValue()) + ", expected a string");
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static Entry entry(Path file, String name, Object value) throws ModelFormatException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> map)) {
            throw new ModelFormatException(file, where + " is " + show(value) + ", expected an object with"
                    + " dtype, shape and data_offsets");
        }
        for (Object key : map.keySet()) {
            if (!Set.of("dtype", "shape", "data_offsets").contains(key)) {
                throw new ModelFormatException(file, where + " has unexpected key '" + key + "'");
            }
        }
        if (!(map.get("dtype") instanceof String dtype)) {
            throw new ModelFormatException(file, where + " has dtype " + show(map.get("dtype"))
                    + ", expected a string such as \"F32\"");
        }
        if (OTHER_SPEC_DTYPES.contains(dtype)) {
            throw new ModelFormatException(file, where + " has dtype " + dtype + ", which dbn4j does not support"
                    + " (it reads F32 and I64)");
        }
        if (!dtype.equals(F32) && !dtype.equals(I64)) {
            throw new ModelFormatException(file, where + " has unknown dtype '" + dtype + "'");
        }
        long[] shape = naturals(file, where, "shape", map.get("shape"), -1);
        long[] offsets = naturals(file, where, "data_offsets", map.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(file, where + " has data_offsets [" + begin + ", " + end
                    + "] that end before they begin");
        }
        long count = 1;
        long bytes;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            bytes = Math.multiplyExact(count, dtype.equals(F32) ? Float.BYTES : Long.BYTES);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, where + " has shape " + Arrays.toString(shape)
                    + ", too many elements");
        }
        if (bytes != end - begin) {
            throw new ModelFormatException(file, where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes + " bytes, but data_offsets [" + begin + ", " + end + "] cover "
                    + (end - begin));
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(file, where + " has " + count + " elements, too many for a Java array");
        }
        return new Entry(name, dtype, shape, count, begin, end);
    }

    /** A JSON array of non-negative integers (of exactly {@code length} of them unless length is -1). */
    private static long[] naturals(Path file, String where, String key, Object value, int length)
            throws ModelFormatException {
        boolean ok = value instanceof List<?> list && (length < 0 || list.size() == length);
        long[] out = ok ? new long[((List<?>) value).size()] : null;
        for (int i = 0; ok && i < out.length; i++) {
            Object v = ((List<?>) value).get(i);
            ok = v instanceof Long n && n >= 0;
            out[i] = ok ? (Long) v : 0;
        }
        if (!ok) {
            throw new ModelFormatException(file, where + " has " + key + " " + show(value) + ", expected an"
                    + " array of " + (length < 0 ? "" : length + " ") + "non-negative integers");
        }
        return out;
    }

    /** A JSON value for a message, shortened if long. */
    private static String show(Object value) {
        String s = Json.write(value);
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String range(Entry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }

    /** count bytes at position, little-endian, ready to read. */
    private static ByteBuffer readBytes(FileChannel ch, Path file, long position, int count) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
        fill(ch, file, buf, position);
        return buf.flip();
    }

    private static float[] readFloats(FileChannel ch, Path file, long position, int count) throws IOException {
        float[] out = new float[count];
        ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; ) {
            int n = Math.min(BUFFER / Float.BYTES, count - i);
            buf.clear().limit(n * Float.BYTES);
            fill(ch, file, buf, position + (long) i * Float.BYTES);
            buf.flip().asFloatBuffer().get(out, i, n);
            i += n;
        }
        return out;
    }

    private static long[] readLongs(FileChannel ch, Path file, long position, int count) throws IOException {
        long[] out = new long[count];
        ByteBuffer buf = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; ) {
            int n = Math.min(BUFFER / Long.BYTES, count - i);
            buf.clear().limit(n * Long.BYTES);
            fill(ch, file, buf, position + (long) i * Long.BYTES);
            buf.flip().asLongBuffer().get(out, i, n);
            i += n;
        }
        return out;
    }

    /** Fills buf from the file at position; the file was measured first, so an early end means it shrank meanwhile. */
    private static void fill(FileChannel ch, Path file, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position);
            if (n < 0) {
                throw new ModelFormatException(file, "truncated: the file ended at byte " + position
                        + " while being read (did it shrink?)");
            }
            position += n;
        }
    }
}
