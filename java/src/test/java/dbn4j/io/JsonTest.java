package dbn4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static Map<String, Object> sample() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("lr", 0.1);
        inner.put("momentum", 0.9);
        inner.put("nesterov", true);
        inner.put("decay", null);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "dbn \"4\" j\\\n\t\u0001 é ✓ 😀");
        m.put("layers", List.of(784L, 500L, 10L));
        m.put("optimizer", inner);
        m.put("empty object", new LinkedHashMap<>());
        m.put("empty array", new ArrayList<>());
        m.put("big", Long.MIN_VALUE);
        m.put("neg zero", -0.0);
        return m;
    }

    @Test
    void roundTripKeepsValuesTypesAndOrder() throws Exception {
        Map<String, Object> m = sample();
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.writeIndented(m)));
        assertEquals(List.copyOf(m.keySet()), List.copyOf(((Map<?, ?>) Json.parse(Json.write(m))).keySet()));
        assertEquals("{\"a\":[1,2.5,\"x\",null,false]}",
                Json.write(Map.of("a", Arrays.asList(1L, 2.5, "x", null, false))));
    }

    @Test
    void doublesRoundTripExactly() throws Exception {
        Random r = new Random(3);
        List<Object> values = new ArrayList<>(List.of(0.1, -0.0, 1e-320, Double.MIN_VALUE, Double.MAX_VALUE,
                1e21, 123456789.125, -2.5e-8, 1.0));
        for (int i = 0; i < 1000; i++) {
            values.add(Double.longBitsToDouble(r.nextLong()) % 1e300 * (r.nextBoolean() ? 1 : 1e-300));
        }
        values.removeIf(v -> !Double.isFinite((Double) v));
        List<?> back = (List<?>) Json.parse(Json.write(values));
        for (int i = 0; i < values.size(); i++) {
            assertEquals(Double.doubleToRawLongBits((Double) values.get(i)),
                    Double.doubleToRawLongBits((Double) back.get(i)), "value " + values.get(i));
        }
        // Floats are written with Float.toString so that they read back to the same float.
        assertEquals(0.1f, ((Double) Json.parse(Json.write(0.1f))).floatValue());
        assertEquals("0.1", Json.write(0.1f));
    }

    @Test
    void numberTypes() throws Exception {
        assertEquals(3L, Json.parse("3"));
        assertEquals(-3L, Json.parse(" -3 "));
        assertEquals(3.0, Json.parse("3.0"));
        assertEquals(100.0, Json.parse("1e2"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertInstanceOf(Double.class, Json.parse("9223372036854775808"));
        assertEquals(-0.5, Json.parse("-5E-1"));
    }

    @Test
    void arraysOfAnyKindAreWritten() throws Exception {
        assertEquals("[1.5,2.0]", Json.write(new float[] {1.5f, 2f}));
        assertEquals("[1,2]", Json.write(new long[] {1, 2}));
        assertEquals("[\"a\",null]", Json.write(new Object[] {"a", null}));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1));
        m.put("b", Map.of());
        assertEquals("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}\n", Json.writeIndented(m));
    }

    @Test
    void escapes() throws Exception {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\\u001f/é\"", Json.write("a\"b\\c\nd\u0001\u001f/é"));
        assertEquals("\"\\ud800x\"", Json.write("\ud800x"), "a lone surrogate has no UTF-8 form");
        assertEquals("😀", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals("/\b\f\r\t", Json.parse("\"\\/\\b\\f\\r\\t\""));
    }

    @Test
    void literals() throws Exception {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse("false"));
        assertNull(Json.parse("null"));
        assertEquals("", Json.parse("\"\""));
    }

    private static Json.SyntaxException error(String text, int offset, String fragment) {
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(text), text);
        assertEquals(offset, e.offset(), () -> text + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("offset " + offset), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' missing: " + e.getMessage());
        return e;
    }

    @Test
    void syntaxErrorsNameThePosition() {
        error("", 0, "unexpected end of input");
        error("[1,2,]", 5, "expected a value");
        error("{\"a\":1,}", 7, "expected a string key");
        error("{'a':1}", 1, "expected a string key");
        error("[1 2]", 3, "expected ',' or ']'");
        error("{\"a\" 1}", 5, "expected ':'");
        error("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
        error("01", 0, "leading zeros");
        error("-", 1, "expected a digit");
        error("1.", 2, "expected a digit after the decimal point");
        error("1e+", 3, "exponent");
        error("NaN", 0, "expected a value");
        error("Infinity", 0, "expected a value");
        error("tru", 0, "expected a value");
        error("\"abc", 0, "unterminated string");
        error("\"a\tb\"", 2, "control character U+0009");
        error("\"\\x\"", 1, "invalid escape");
        error("\"\\u12G4\"", 1, "4 hexadecimal digits");
        error("{\"a\":1,\"a\":2}", 7, "duplicate key \"a\"");
        error("{} x", 3, "after the value");
        error("[1]]", 3, "after the value");
        error("1e999", 0, "out of the range");
        error("\uFEFF{}", 0, "U+FEFF");
        error("[".repeat(600) + "]".repeat(600), Json.MAX_DEPTH, "nested deeper");
        Json.SyntaxException e = error("{\n  \"a\": tru\n}", 9, "expected a value");
        assertEquals(2, e.line());
        assertEquals(8, e.column());
        assertTrue(e.getMessage().contains("line 2, column 8"), e.getMessage());
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", List.of(Map.of("lr", Double.NaN)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(m));
        assertTrue(e.getMessage().contains("$.layers[0].lr is NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(1.0f, Float.POSITIVE_INFINITY)));
        assertTrue(e.getMessage().contains("$[1] is Infinity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
        assertTrue(e.getMessage().contains("key of type java.lang.Integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(new Object())));
        assertTrue(e.getMessage().contains("$[0] is a java.lang.Object"), e.getMessage());
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    }
}
