package dbn4j.cli;

import dbn4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Option defaults from a JSON config file: an object whose keys are long option names without the dashes
 * ({@code {"model": "dbn", "epochs": 30, "hidden": [500, 500]}}). Options given on the command line override it.
 * The file is the one named by {@code --config}, or with {@code --resume} the {@code config.json} that the run being
 * resumed wrote into its output folder.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    private final Path file;
    private final Map<String, String> values = new LinkedHashMap<>();

    ConfigDefaults(Path file) {
        this.file = file;
        if (file == null) {
            return;
        }
        try {
            if (!Files.isRegularFile(file)) {
                throw new IOException(file + ": " + (Files.isDirectory(file) ? "is a directory" : "no such config file"));
            }
            Object parsed;
            try {
                parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            } catch (Json.SyntaxException e) {
                throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map)) {
                throw new IOException(file + ": a config file is a JSON object of option names and values");
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
                values.put(e.getKey().toString(), text(e.getValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static String text(Object v) {
        if (v instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object o : (List<?>) v) {
                parts.add(text(o));
            }
            return String.join(",", parts);
        }
        if (v instanceof Double && ((Double) v) == Math.rint((Double) v) && Math.abs((Double) v) < 1e15) {
            return Long.toString(((Double) v).longValue());
        }
        return String.valueOf(v);
    }

    Path file() {
        return file;
    }

    Map<String, String> values() {
        return values;
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (!arg.isOption()) {
            return null;
        }
        String key = ((CommandLine.Model.OptionSpec) arg).longestName().replaceFirst("^-+", "");
        return values.get(key);
    }

    /** The config file an argument list asks for: --config FILE, or OUTPUT/config.json with --resume. */
    static Path requested(String[] args) {
        Path config = null;
        Path output = Path.of(TrainCommand.DEFAULT_OUTPUT);
        boolean resume = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                config = Path.of(a.substring("--config=".length()));
            } else if ((a.equals("--output") || a.equals("-o")) && i + 1 < args.length) {
                output = Path.of(args[++i]);
            } else if (a.startsWith("--output=")) {
                output = Path.of(a.substring("--output=".length()));
            } else if (a.equals("--resume")) {
                resume = true;
            }
        }
        if (config == null && resume && Files.isRegularFile(output.resolve(TrainCommand.CONFIG_FILE))) {
            config = output.resolve(TrainCommand.CONFIG_FILE);
        }
        return config;
    }
}
