package dbn4j.io;

import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal, strict JSON (RFC 8259) reader and writer for headers and small configuration files.
 *
 * <p>Values map to Java as: object → {@code LinkedHashMap<String, Object>} (key order kept), array →
 * {@code ArrayList<Object>}, string → {@link String}, true/false → {@link Boolean}, null → {@code null}, and number
 * → {@link Long} when written without fraction or exponent and within the long range, else {@link Double}. So
 * {@code 3} reads as {@code 3L} and {@code 3.0} as {@code 3.0d}, and whatever {@link #write} writes reads back as
 * the same type.
 *
 * <p>The reader accepts nothing beyond the RFC: no comments, trailing commas, single quotes, NaN or Infinity,
 * leading zeros, unescaped control characters, duplicate keys, or content after the value; nesting is limited to
 * {@value #MAX_DEPTH} levels so that hostile input cannot overflow the stack. Errors are a {@link SyntaxException}
 * naming the line, column and character offset.
 */
public final class Json {
    /** The deepest nesting of arrays and objects that the reader and writer accept. */
    public static final int MAX_DEPTH = 512;

    /** Text that is not valid JSON; the message names the position (line and column from 1, offset from 0). */
    public static final class SyntaxException extends IOException {
        private static final long serialVersionUID = 1L;

        private final int offset;
        private final int line;
        private final int column;

        SyntaxException(String problem, int offset, int line, int column) {
            super("JSON syntax error at line " + line + ", column " + column + " (offset " + offset + "): " + problem);
            this.offset = offset;
            this.line = line;
            this.column = column;
        }

        /** The offset (from 0) of the offending character in the text. */
        public int offset() {
            return offset;
        }

        public int line() {
            return line;
        }

        public int column() {
            return column;
        }
    }

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    // ---- reading ----

    /**
     * Parses one JSON value, with optional whitespace around it.
     *
     * @throws SyntaxException naming the position of the first error
     */
    public static Object parse(String text) throws SyntaxException {
        Json p = new Json(text);
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + p.describe(p.pos) + " after the value", p.pos);
        }
        return value;
    }

    private Object value(int depth) throws SyntaxException {
        skipWhitespace();
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value", pos);
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describe(pos) + ", expected a value", pos);
        }
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            int keyAt = pos;
            if (peek() != '"') {
                throw error("unexpected " + describe(pos) + ", expected a string key", pos);
            }
            String key = string();
            if (map.containsKey(key)) {
                throw error("duplicate key \"" + key + "\"", keyAt);
            }
            skipWhitespace();
            expect(':');
            map.put(key, value(depth));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == '}') {
                pos++;
                return map;
            } else {
                throw error("unexpected " + describe(pos) + ", expected ',' or '}'", pos);
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++;
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            list.add(value(depth));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return list;
            } else {
                throw error("unexpected " + describe(pos) + ", expected ',' or ']'", pos);
            }
        }
    }

    private String string() throws SyntaxException {
        int start = pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string", start);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw error(String.format("control character U+%04X in a string must be escaped", (int) c), pos);
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= text.length()) {
                throw error("unterminated string", start);
            }
            char e = text.charAt(pos + 1);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = pos + 2 + i < text.length() ? Character.digit(text.charAt(pos + 2 + i), 16) : -1;
                        if (d < 0) {
                            throw error("\\u must be followed by 4 hexadecimal digits", pos);
                        }
                        code = code * 16 + d;
                    }
                    sb.append((char) code);
                    pos += 4;
                }
                default -> throw error("invalid escape \\" + e, pos);
            }
            pos += 2;
        }
    }

    private Object number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zeros are not allowed", start);
            }
        } else if (!digits()) {
            throw error("expected a digit after '-'", pos);
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            integral = false;
            if (!digits()) {
                throw error("expected a digit after the decimal point", pos);
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error("expected a digit in the exponent", pos);
            }
        }
        String literal = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException outsideLongRange) {
                // fall through to a double
            }
        }
        double d = Double.parseDouble(literal);
        if (Double.isInfinite(d)) {
            throw error("number " + literal + " is out of the range of a double", start);
        }
        return d;
    }

    private boolean digits() {
        int start = pos;
        while (isDigit(peek())) {
            pos++;
        }
        return pos > start;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) throws SyntaxException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe(pos) + ", expected a value", pos);
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) throws SyntaxException {
        if (peek() != c) {
            throw error("unexpected " + describe(pos) + ", expected '" + c + "'", pos);
        }
        pos++;
    }

    /** The current character, or -1 at the end. */
    private int peek() {
        return pos < text.length() ? text.charAt(pos) : -1;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private void checkDepth(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH + " levels", pos);
        }
    }

    private String describe(int at) {
        if (at >= text.length()) {
            return "end of input";
        }
        char c = text.charAt(at);
        return c >= 0x20 && c < 0x7f ? "character '" + c + "'" : String.format("character U+%04X", (int) c);
    }

    private SyntaxException error(String problem, int at) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new SyntaxException(problem, at, line, at - lineStart + 1);
    }

    // ---- writing ----

    /**
     * Writes a value compactly (no whitespace). Accepts null, Boolean, CharSequence, the standard Number types
     * (Byte, Short, Integer, Long, Float, Double, BigInteger, BigDecimal), Map with String keys, Iterable, and
     * arrays (object or primitive). Doubles are written with {@link Double#toString} and floats with
     * {@link Float#toString}, so they read back to exactly the same value.
     *
     * @throws IllegalArgumentException naming the path (like {@code $.layers[2].lr}) of a NaN or infinite number,
     *     a non-string key, a value of another type, or nesting deeper than {@value #MAX_DEPTH} (a cycle)
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, null).value(value);
        return sb.toString();
    }

    /** Like {@link #write}, but over several lines, indented by two spaces per level, for files people read. */
    public static String writeIndented(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, "  ").value(value);
        return sb.append('\n').toString();
    }

    private static final class Writer {
        private final StringBuilder out;
        private final String indent;
        /** Keys and indices from the root to the value being written, for error messages only. */
        private final Deque<Object> path = new ArrayDeque<>();

        Writer(StringBuilder out, String indent) {
            this.out = out;
            this.indent = indent;
        }

        void value(Object v) {
            if (path.size() > MAX_DEPTH) {
                throw fail("is nested deeper than " + MAX_DEPTH + " levels (is there a cycle?)");
            }
            if (v == null || v instanceof Boolean) {
                out.append(v);
            } else if (v instanceof CharSequence s) {
                quote(s);
            } else if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                if (!Double.isFinite(d)) {
                    throw fail("is " + v + "; JSON has no NaN or infinite numbers");
                }
                out.append(v instanceof Float f ? Float.toString(f) : Double.toString(d));
            } else if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long
                    || v instanceof BigInteger || v instanceof BigDecimal) {
                out.append(v);
            } else if (v instanceof Map<?, ?> map) {
                object(map);
            } else if (v instanceof Iterable<?> it) {
                array(it.iterator());
            } else if (v.getClass().isArray()) {
                int n = Array.getLength(v);
                array(new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < n;
                    }

                    @Override
                    public Object next() {
                        return Array.get(v, i++);
                    }
                });
            } else {
                throw fail("is a " + v.getClass().getName() + ", which JSON cannot represent");
            }
        }

        private void object(Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw fail("has a key of type " + (e.getKey() == null ? "null" : e.getKey().getClass().getName())
                            + "; JSON keys must be strings");
                }
                separator(first);
                first = false;
                quote(key);
                out.append(indent == null ? ":" : ": ");
                path.addLast(key);
                value(e.getValue());
                path.removeLast();
            }
            close(first, '}');
        }

        private void array(Iterator<?> it) {
            out.append('[');
            boolean first = true;
            for (int i = 0; it.hasNext(); i++) {
                separator(first);
                first = false;
                path.addLast(i);
                value(it.next());
                path.removeLast();
            }
            close(first, ']');
        }

        private void separator(boolean first) {
            if (!first) {
                out.append(',');
            }
            newline(path.size() + 1);
        }

        private void close(boolean empty, char bracket) {
            if (!empty) {
                newline(path.size());
            }
            out.append(bracket);
        }

        private void newline(int level) {
            if (indent != null) {
                out.append('\n').append(indent.repeat(level));
            }
        }

        private void quote(CharSequence s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        // Control characters must be escaped; so must lone surrogates, which have no UTF-8 form.
                        boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1));
                        if (pairedHigh) {
                            out.append(c).append(s.charAt(++i));
                        } else if (c < 0x20 || Character.isSurrogate(c)) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        private IllegalArgumentException fail(String problem) {
            StringBuilder p = new StringBuilder("$");
            for (Object step : path) {
                if (step instanceof Integer i) {
                    p.append('[').append(i).append(']');
                } else {
                    p.append('.').append(step);
                }
            }
            return new IllegalArgumentException("cannot write JSON: " + p + " " + problem);
        }
    }
}
