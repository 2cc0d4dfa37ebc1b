package dbn4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a labelled data set from a CSV file: one example per line, comma-separated numbers, one column the integer
 * class label. The header is optional (detected: a first line with a field that is not a number); the label
 * column is chosen by name (needs a header) or by 0-based index, "first" or "last"; by default the column named
 * "label" if there is one, else the first. Every problem is a {@link DataFormatException} naming the file, the line
 * and the column.
 */
public final class Csv {
    private Csv() {}

    /**
     * @param labelColumn a header name, a 0-based index, "first", "last", or null for the default
     * @param numClasses  the class count, or 0 to use the largest label + 1
     */
    public static Dataset read(Path file, String labelColumn, int numClasses) throws IOException {
        requireRegularFile(file);
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int width = -1;
        int labelAt = -1;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (width < 0) {
                    width = f.length;
                    if (width < 2) {
                        throw new DataFormatException(file, "line " + lineNo + ": needs a label and at least one feature, found "
                                + width + " column");
                    }
                    boolean header = Arrays.stream(f).anyMatch(s -> !isNumber(s.trim()));
                    labelAt = labelIndex(file, header ? f : null, labelColumn, width);
                    if (header) {
                        continue;
                    }
                } else if (f.length != width) {
                    throw new DataFormatException(file, "line " + lineNo + ": expected " + width + " columns, found "
                            + f.length);
                }
                float[] x = new float[width - 1];
                int k = 0;
                for (int c = 0; c < width; c++) {
                    String s = f[c].trim();
                    if (c == labelAt) {
                        int label;
                        try {
                            label = Integer.parseInt(s);
                        } catch (NumberFormatException e) {
                            throw new DataFormatException(file, "line " + lineNo + ", column " + (c + 1) + ": label '" + s
                                    + "' is not an integer");
                        }
                        if (label < 0 || (numClasses > 0 && label >= numClasses)) {
                            throw new DataFormatException(file, "line " + lineNo + ": label " + label + " is outside [0, "
                                    + (numClasses > 0 ? numClasses : "inf") + ")");
                        }
                        labels.add(label);
                    } else {
                        float v;
                        try {
                            v = Float.parseFloat(s);
                        } catch (NumberFormatException e) {
                            throw new DataFormatException(file, "line " + lineNo + ", column " + (c + 1) + ": '" + s
                                    + "' is not a number");
                        }
                        if (!Float.isFinite(v)) {
                            throw new DataFormatException(file, "line " + lineNo + ", column " + (c + 1) + ": value " + s
                                    + " is not finite");
                        }
                        x[k++] = v;
                    }
                }
                rows.add(x);
            }
        }
        if (rows.isEmpty()) {
            throw new DataFormatException(file, "no data rows");
        }
        int d = width - 1;
        float[] features = new float[rows.size() * d];
        int[] y = new int[rows.size()];
        int max = 0;
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, features, r * d, d);
            y[r] = labels.get(r);
            max = Math.max(max, y[r]);
        }
        int classes = numClasses > 0 ? numClasses : max + 1;
        return new Dataset(features, rows.size(), d, y, Math.max(classes, 2),
                "CSV " + file.getFileName() + " (" + rows.size() + " x " + d + ")");
    }

    private static int labelIndex(Path file, String[] header, String labelColumn, int width) throws DataFormatException {
        if (labelColumn == null) {
            if (header != null) {
                for (int c = 0; c < width; c++) {
                    if (header[c].trim().equalsIgnoreCase("label")) {
                        return c;
                    }
                }
            }
            return 0;
        }
        String lc = labelColumn.trim();
        if (lc.equalsIgnoreCase("first")) {
            return 0;
        }
        if (lc.equalsIgnoreCase("last")) {
            return width - 1;
        }
        if (lc.chars().allMatch(Character::isDigit) && !lc.isEmpty()) {
            int i = Integer.parseInt(lc);
            if (i >= width) {
                throw new DataFormatException(file, "label column " + i + " does not exist (the file has " + width
                        + " columns, 0-based)");
            }
            return i;
        }
        if (header == null) {
            throw new DataFormatException(file, "label column '" + lc + "' is a name, but the file has no header line");
        }
        for (int c = 0; c < width; c++) {
            if (header[c].trim().equals(lc)) {
                return c;
            }
        }
        throw new DataFormatException(file, "no column named '" + lc + "' in the header");
    }

    private static void requireRegularFile(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new DataFormatException(file, "is a directory, expected a CSV file");
        }
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such file");
        }
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) {
            return false;
        }
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
