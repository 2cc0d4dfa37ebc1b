package dbn4j.cli;

import dbn4j.io.Json;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.TrainingListener;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-epoch metrics as JSON lines — {@code {"phase": "rbm[0]", "epoch": 3, "reconstruction_error": 7.3, ...}} — to
 * a file (flushed after every line, appended to when a run resumes) and, on request, to stdout. Keeps the history
 * for the learning-curve picture.
 */
final class MetricsLog implements TrainingListener, AutoCloseable {
    private final Path file;
    private BufferedWriter writer;
    private final PrintStream stdout;
    private final List<EpochMetrics> history = new ArrayList<>();

    MetricsLog(Path file, boolean append, PrintStream stdout) throws IOException {
        this.file = file;
        if (append && Files.exists(file)) {
            history.addAll(read(file));
        }
        this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        this.stdout = stdout;
    }

    /** Reads a metrics file back (a resumed run continues its curves). */
    static List<EpochMetrics> read(Path file) throws IOException {
        List<EpochMetrics> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                Map<?, ?> m = (Map<?, ?>) Json.parse(line);
                Map<String, Double> values = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (e.getValue() instanceof Number && !e.getKey().equals("epoch")) {
                        values.put(e.getKey().toString(), ((Number) e.getValue()).doubleValue());
                    }
                }
                out.add(new EpochMetrics((String) m.get("phase"), ((Number) m.get("epoch")).intValue(), values));
            } catch (Json.SyntaxException | ClassCastException | NullPointerException e) {
                throw new IOException(file + ": line " + lineNo + " is not a metrics record", e);
            }
        }
        return out;
    }

    static String line(EpochMetrics m) {
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("phase", m.phase());
        obj.put("epoch", (long) m.epoch());
        m.values().forEach((k, v) -> {
            if (Double.isFinite(v)) {
                obj.put(k, v);
            }
        });
        return Json.write(obj);
    }

    /**
     * Makes the log agree with a restored checkpoint: the epochs of {@code phase} are exactly the restored ones (a run
     * killed between its checkpoint and its log line, or after a log line of an epoch it must redo, would otherwise
     * miss or repeat lines). Other phases' lines stay.
     */
    @Override
    public void onResume(String phase, List<EpochMetrics> restored) {
        history.removeIf(m -> m.phase().equals(phase));
        history.addAll(restored);
        try {
            writer.flush();
            StringBuilder lines = new StringBuilder();
            for (EpochMetrics m : history) {
                lines.append(line(m)).append('\n');
            }
            dbn4j.io.AtomicFile.write(file, lines.toString().getBytes(StandardCharsets.UTF_8));
            writer.close();
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot rewrite metrics: " + e.getMessage(), e);
        }
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        history.add(m);
        String line = line(m);
        try {
            writer.write(line);
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write metrics: " + e.getMessage(), e);
        }
        if (stdout != null) {
            stdout.println(line);
            stdout.flush();
        }
    }

    List<EpochMetrics> history() {
        return history;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
