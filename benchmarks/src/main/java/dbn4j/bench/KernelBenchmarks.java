package dbn4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the kernel benchmarks of this package through the JMH Runner API and prints one table: every result with
 * the environment it ran in (CpuBackend.describe() of the forked JVM: CPU model, kernel ISA and threads, OpenBLAS
 * core and threads; and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE), then the three bars of the issue with PASS/FAIL.
 * Run {@code java -cp benchmarks/target/benchmarks.jar dbn4j.bench.KernelBenchmarks -h} for the options; the jar's
 * own main is JMH's command line.
 */
public final class KernelBenchmarks {
    static final String DEFAULT_JSON = "benchmarks/target/jmh-kernels.json";

    /** dbn4j GEMM time must be within 1/0.97 of direct cblas_sgemm, same shape, same run. */
    static final double GEMM_RATIO_BAR = 0.97;
    /** Sigmoid and the fused kernel: at least this many elements/s on one core ... */
    static final double ELEMENTS_PER_SECOND_BAR = 1e9;
    /** ... and at least this many times the plain Java loop. */
    static final double JAVA_RATIO_BAR = 5;
    /** One JNI kernel call on 16 elements, ns. */
    static final double JNI_NS_BAR = 150;

    private static final String PACKAGE = "dbn4j.bench.";

    private KernelBenchmarks() {}

    public static void main(String[] args) throws IOException {
        Config cfg;
        try {
            cfg = Config.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Config.USAGE);
            System.exit(2);
            return;
        }
        if (cfg.help) {
            System.out.println(Config.USAGE);
            return;
        }

        Path envFile = Files.createTempFile("dbn4j-bench-env-", ".tsv");
        // The forked JVMs get the file through -D; with -f 0 the trials run in this JVM and read the property here.
        System.setProperty(BenchSupport.ENV_FILE_PROPERTY, envFile.toString());
        Path json = Path.of(cfg.json).toAbsolutePath();
        Files.createDirectories(json.getParent());

        ChainedOptionsBuilder ob = new OptionsBuilder()
                .forks(cfg.forks)
                .warmupIterations(cfg.warmupIterations)
                .warmupTime(cfg.warmupTime)
                .measurementIterations(cfg.iterations)
                .measurementTime(cfg.time)
                .threads(1)
                .shouldFailOnError(false)
                .verbosity(cfg.verbosity)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        if (cfg.includes.isEmpty()) {
            ob.include("^" + PACKAGE.replace(".", "\\."));
        }
        cfg.includes.forEach(ob::include);
        cfg.excludes.forEach(ob::exclude);
        cfg.params.forEach(ob::param);
        List<String> jvmArgs = new ArrayList<>(cfg.jvmArgs);
        jvmArgs.add("-D" + BenchSupport.ENV_FILE_PROPERTY + "=" + envFile);
        ob.jvmArgsAppend(jvmArgs.toArray(new String[0]));

        String loadBefore = loadAverage();
        Collection<RunResult> results;
        try {
            results = new Runner(ob.build()).run();
        } catch (RunnerException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            System.err.println("JMH failed: " + cause);
            System.exit(1);
            return;
        } finally {
            System.clearProperty(BenchSupport.ENV_FILE_PROPERTY);
        }
        Map<String, String> environments = readEnvironments(envFile);
        Files.deleteIfExists(envFile);

        Report report = new Report(results, environments, cfg);
        report.load = "load average (1, 5, 15 min) before the run: " + loadBefore + ", after: " + loadAverage()
                + ", on " + Runtime.getRuntime().availableProcessors() + " CPUs";
        String text = report.format();
        System.out.println();
        System.out.print(text);
        Path txt = json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", "") + ".txt");
        Files.writeString(txt, text, StandardCharsets.UTF_8);
        System.out.println("JMH JSON: " + json);
        System.out.println("This table: " + txt);
        if (cfg.strict && report.failures > 0) {
            System.exit(1);
        }
    }

    /** The first three fields of /proc/loadavg: other work on the machine is the main source of noise. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /** label -> "describe; OPENBLAS_CORETYPE=... OPENBLAS_L2_SIZE=..." from the lines of BenchSupport.record. */
    private static Map<String, String> readEnvironments(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length == 3) {
                env.put(f[0], f[1] + "; " + f[2]);
            }
        }
        return env;
    }

    // ---- command line ----

    static final class Config {
        static final String USAGE = String.join("\n",
                "usage: java -cp benchmarks/target/benchmarks.jar dbn4j.bench.KernelBenchmarks [options] [regex ...]",
                "  regex            run the benchmarks whose name (e.g. dbn4j.bench.GemmBenchmark.dbn4jGemm) matches",
                "                   (default: all of dbn4j.bench)",
                "  -e REGEX         exclude matching benchmarks (repeatable)",
                "  -f N             forks per benchmark (default 1)",
                "  -wi N            warmup iterations (default 3)",
                "  -w TIME          warmup iteration time, e.g. 1s, 500ms (default 1s)",
                "  -i N             measurement iterations (default 5)",
                "  -r TIME          measurement iteration time (default 1s)",
                "  -p NAME=V1,V2    override a @Param: threads (default 1), isa (best|scalar|avx2|avx512),",
                "                   backend (cpu), shape (GEMM, MxKxN) (repeatable)",
                "  -jvmArg ARG      append ARG to the forked JVMs' arguments (repeatable)",
                "  -rff FILE        JMH JSON result file (default " + DEFAULT_JSON + "); the table goes next to it",
                "                   as .txt",
                "  -v MODE          JMH verbosity: SILENT, NORMAL (default), EXTRA",
                "  --strict         exit with status 1 when a bar FAILs",
                "  -h               this help",
                "JMH's own command line: java -jar benchmarks/target/benchmarks.jar -h");

        final List<String> includes = new ArrayList<>();
        final List<String> excludes = new ArrayList<>();
        final Map<String, String[]> params = new LinkedHashMap<>();
        final List<String> jvmArgs = new ArrayList<>();
        int forks = 1;
        int warmupIterations = 3;
        TimeValue warmupTime = TimeValue.seconds(1);
        int iterations = 5;
        TimeValue time = TimeValue.seconds(1);
        String json = DEFAULT_JSON;
        VerboseMode verbosity = VerboseMode.NORMAL;
        boolean strict;
        boolean help;

        static Config parse(String[] args) {
            Config c = new Config();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h": case "--help": c.help = true; break;
                    case "--strict": c.strict = true; break;
                    case "-e": c.excludes.add(value(args, ++i, a)); break;
                    case "-f": c.forks = nonNegative(value(args, ++i, a), a); break;
                    case "-wi": c.warmupIterations = nonNegative(value(args, ++i, a), a); break;
                    case "-w": c.warmupTime = time(value(args, ++i, a), a); break;
                    case "-i": c.iterations = positive(value(args, ++i, a), a); break;
                    case "-r": c.time = time(value(args, ++i, a), a); break;
                    case "-rff": c.json = value(args, ++i, a); break;
                    case "-jvmArg": c.jvmArgs.add(value(args, ++i, a)); break;
                    case "-v": c.verbosity = verbosity(value(args, ++i, a)); break;
                    case "-p": {
                        String p = value(args, ++i, a);
                        int eq = p.indexOf('=');
                        if (eq <= 0 || eq == p.length() - 1) {
                            throw new IllegalArgumentException("-p wants NAME=V1,V2,..., got '" + p + "'");
                        }
                        c.params.put(p.substring(0, eq), p.substring(eq + 1).split(","));
                        break;
                    }
                    default:
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        c.includes.add(a);
                }
            }
            return c;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int nonNegative(String v, String option) {
            try {
                int n = Integer.parseInt(v);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException(option + " wants an integer >= 0, got '" + v + "'");
        }

        private static int positive(String v, String option) {
            int n = nonNegative(v, option);
            if (n == 0) {
                throw new IllegalArgumentException(option + " wants an integer >= 1, got '" + v + "'");
            }
            return n;
        }

        private static TimeValue time(String v, String option) {
            try {
                return TimeValue.fromString(v.matches("\\d+") ? v + "s" : v);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(option + " wants a time like 1s or 500ms, got '" + v + "'");
            }
        }

        private static VerboseMode verbosity(String v) {
            try {
                return VerboseMode.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-v wants SILENT, NORMAL or EXTRA, got '" + v + "'");
            }
        }
    }

    // ---- the table ----

    /** One JMH result, reduced to what the table and the bars need. */
    static final class Row {
        final String name;      // e.g. GemmBenchmark.dbn4jGemm
        final Map<String, String> params = new LinkedHashMap<>();
        final String paramText;
        final String mode;
        final int count;
        final double mean;
        final double error;
        final double median;
        final double best;      // the fastest iteration: min time or max throughput
        final String unit;
        final String env;
        /** Per measurement iteration: each secondary metric (e.g. the AuxCounters of GEMM's interleaved run). */
        final Map<String, List<Double>> secondary = new TreeMap<>();
        /** Per measurement iteration: the operations measured. */
        final List<Long> ops = new ArrayList<>();

        Row(RunResult rr, String env) {
            BenchmarkParams bp = rr.getParams();
            String full = bp.getBenchmark();
            name = full.startsWith(PACKAGE) ? full.substring(PACKAGE.length()) : full;
            for (String key : new TreeSet<>(bp.getParamsKeys())) {
                params.put(key, bp.getParam(key));
            }
            StringBuilder sb = new StringBuilder();
            params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
            paramText = sb.toString();
            Result<?> r = rr.getPrimaryResult();
            mode = bp.getMode().shortLabel();
            count = (int) r.getSampleCount();
            mean = r.getScore();
            error = r.getScoreError();
            median = r.getStatistics().getPercentile(50);
            unit = r.getScoreUnit();
            best = isTime() ? r.getStatistics().getMin() : r.getStatistics().getMax();
            this.env = env;
            for (BenchmarkResult br : rr.getBenchmarkResults()) {
                for (IterationResult ir : br.getIterationResults()) {
                    ops.add(ir.getMetadata() == null ? 0 : ir.getMetadata().getMeasuredOps());
                    ir.getSecondaryResults().forEach((key, value) ->
                            secondary.computeIfAbsent(key, k -> new ArrayList<>()).add(value.getScore()));
                }
            }
        }

        /** 2 M N K of the GEMM shape param, 0 for the other benchmarks. */
        double flops() {
            String[] mkn = params.getOrDefault("shape", "").split("x");
            if (mkn.length != 3) {
                return 0;
            }
            try {
                return 2.0 * Double.parseDouble(mkn[0]) * Double.parseDouble(mkn[1]) * Double.parseDouble(mkn[2]);
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        String method() {
            return name.substring(name.lastIndexOf('.') + 1);
        }

        /** Seconds per operation of the median, for "xx/op" units. */
        double secondsPerOp() {
            return secondsPerOp(median);
        }

        double secondsPerOp(double score) {
            return score * unitSeconds(unit.substring(0, unit.indexOf('/')));
        }

        /** Operations per second of the median, for "ops/xx" units. */
        double opsPerSecond() {
            return median / unitSeconds(unit.substring(unit.indexOf('/') + 1));
        }

        boolean isTime() {
            return unit.endsWith("/op");
        }

        /** The same params, except those that the two benchmarks do not share. */
        boolean sameParams(Row other) {
            return params.equals(other.params);
        }

        String threadsNote() {
            String t = params.get("threads");
            return t == null || t.equals("1") ? "" : "  [the bar is for threads=1]";
        }
    }

    static double unitSeconds(String u) {
        switch (u) {
            case "s": return 1;
            case "ms": return 1e-3;
            case "us": return 1e-6;
            case "ns": return 1e-9;
            case "min": return 60;
            default: throw new IllegalArgumentException("unknown time unit " + u);
        }
    }

    static final class Report {
        final List<Row> rows = new ArrayList<>();
        final Map<String, String> tags = new LinkedHashMap<>(); // environment line -> A, B, ...
        final Config cfg;
        final String jvm;
        String load = "";
        int verdicts;
        int failures;

        Report(Collection<RunResult> results, Map<String, String> environments, Config cfg) {
            this.cfg = cfg;
            String jvmLine = "";
            for (RunResult rr : results) {
                String env = environments.getOrDefault(BenchSupport.label(rr.getParams()), "(not recorded)");
                tags.computeIfAbsent(env, e -> String.valueOf((char) ('A' + tags.size())));
                rows.add(new Row(rr, env));
                BenchmarkParams bp = rr.getParams();
                jvmLine = "JMH " + bp.getJmhVersion() + ", " + bp.getVmName() + " " + bp.getVmVersion() + " (JDK "
                        + bp.getJdkVersion() + ")";
            }
            jvm = jvmLine;
            rows.sort(Comparator.comparingInt((Row r) -> classRank(r.name)).thenComparingDouble(Row::flops)
                    .thenComparing(Row::method).thenComparing(r -> r.paramText));
        }

        /** GEMM first, then the call cost, the kernels, and the Java loops last. */
        private static int classRank(String name) {
            String[] order = {"GemmBenchmark.", "JniCallBenchmark.", "ElementwiseBenchmark.", "LossBenchmark.",
                "RandomBenchmark.", "JavaBaselineBenchmark."};
            for (int i = 0; i < order.length; i++) {
                if (name.startsWith(order[i])) {
                    return i;
                }
            }
            return order.length;
        }

        String format() {
            StringBuilder out = new StringBuilder();
            out.append("dbn4j kernel benchmarks: ").append(jvm).append('\n');
            out.append(String.format(Locale.ROOT, "forks %d, warmup %d x %s, measurement %d x %s, 1 JMH thread%n",
                    cfg.forks, cfg.warmupIterations, cfg.warmupTime, cfg.iterations, cfg.time));
            out.append(load).append('\n');
            out.append("Environment (CpuBackend.describe() in the benchmark's JVM; OpenBLAS variables):\n");
            if (tags.isEmpty()) {
                out.append("  (no results)\n");
            }
            tags.forEach((env, tag) -> out.append("  [").append(tag).append("] ").append(env).append('\n'));
            out.append('\n');

            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"Benchmark", "Params", "Mode", "Cnt", "Median", "Mean", "Error(99.9%)", "Best",
                "Units", "Rate", "Env"});
            for (Row r : rows) {
                table.add(new String[] {r.name, r.paramText, r.mode, Integer.toString(r.count), num(r.median),
                    num(r.mean), "± " + num(r.error), num(r.best), r.unit, rate(r), tags.get(r.env)});
            }
            appendTable(out, table);
            out.append("\nBest: the fastest measurement iteration. Rate: elements/s for the 1M-element kernels"
                    + " (1 op = 1 element), GFLOP/s (2MNK) for GEMM; from the median.\n");

            out.append("\nBars (medians of the measurement iterations, same run):\n");
            gemmBars(out);
            javaBars(out, "ElementwiseBenchmark.sigmoid", "sigmoid", new String[] {"JavaBaselineBenchmark.javaSigmoid"});
            javaBars(out, "RandomBenchmark.sigmoidBernoulli", "fused bias+sigmoid+Bernoulli", new String[] {
                "JavaBaselineBenchmark.javaSigmoidBernoulli", "JavaBaselineBenchmark.javaSigmoidBernoulliPhilox"});
            jniBars(out);
            if (verdicts == 0) {
                out.append("No bar was measured.\n");
            } else {
                out.append(String.format(Locale.ROOT, "%d of %d bar checks PASS%s.%n", verdicts - failures, verdicts,
                        failures == 0 ? "" : ", " + failures + " FAIL"));
            }
            return out.toString();
        }

        private String rate(Row r) {
            if (r.name.startsWith("GemmBenchmark.") && r.isTime() && r.flops() > 0) {
                double gemms = r.method().equals("interleaved") ? 2 : 1; // one op is a pair of GEMMs
                return String.format(Locale.ROOT, "%.1f GFLOP/s", gemms * r.flops() / r.secondsPerOp() / 1e9);
            }
            if (!r.isTime() && !r.name.startsWith("JniCallBenchmark.")) {
                return String.format(Locale.ROOT, "%.3g elem/s", r.opsPerSecond());
            }
            return "";
        }

        private List<Row> find(String name) {
            List<Row> found = new ArrayList<>();
            for (Row r : rows) {
                if (r.name.equals(name)) {
                    found.add(r);
                }
            }
            return found;
        }

        private String verdict(boolean pass) {
            verdicts++;
            if (!pass) {
                failures++;
            }
            return pass ? "PASS" : "FAIL";
        }

        private void gemmBars(StringBuilder out) {
            List<Row> dbn4j = find("GemmBenchmark.dbn4jGemm");
            for (Row r : find("GemmBenchmark.interleaved")) {
                if (dbn4j.stream().noneMatch(d -> d.sameParams(r))) {
                    dbn4j.add(r); // interleaved alone is enough for the bar
                }
            }
            if (dbn4j.isEmpty()) {
                out.append("  GEMM: not run\n");
            }
            for (Row d : dbn4j) {
                out.append(String.format(Locale.ROOT, "  GEMM %-15s threads=%s: ", d.params.get("shape"),
                        d.params.get("threads")));
                Row paired = same("GemmBenchmark.interleaved", d);
                Row direct = same("GemmBenchmark.cblasSgemm", d);
                Row alone = same("GemmBenchmark.dbn4jGemm", d);
                String separate = "";
                if (direct != null && alone != null) {
                    separate = String.format(Locale.ROOT, "separate forks: dbn4j %s, cblas_sgemm %s %s, speed %.3f",
                            num(alone.median), num(direct.median), alone.unit,
                            direct.secondsPerOp() / alone.secondsPerOp());
                }
                List<Double> dn = paired == null ? null : paired.secondary.get("dbn4jNanos");
                List<Double> cn = paired == null ? null : paired.secondary.get("directNanos");
                List<Double> db = paired == null ? null : paired.secondary.get("dbn4jBestNanos");
                List<Double> cb = paired == null ? null : paired.secondary.get("directBestNanos");
                if (dn != null && cn != null && db != null && cb != null && !dn.isEmpty()) {
                    double dSum = dn.stream().mapToDouble(Double::doubleValue).sum();
                    double cSum = cn.stream().mapToDouble(Double::doubleValue).sum();
                    double dBest = db.stream().mapToDouble(Double::doubleValue).filter(v -> v > 0).min().orElse(0);
                    double cBest = cb.stream().mapToDouble(Double::doubleValue).filter(v -> v > 0).min().orElse(0);
                    long calls = paired.ops.stream().mapToLong(Long::longValue).sum();
                    double bestRatio = cBest / dBest;
                    out.append(String.format(Locale.ROOT,
                            "interleaved, %d calls each: fastest call dbn4j %s ms, cblas_sgemm %s ms,"
                                    + " dbn4j/direct speed %.3f (bar >= %.2f) %s; mean call %s / %s ms, speed %.3f",
                            calls, num(dBest / 1e6), num(cBest / 1e6), bestRatio, GEMM_RATIO_BAR,
                            verdict(bestRatio >= GEMM_RATIO_BAR), calls > 0 ? num(dSum / calls / 1e6) : "?",
                            calls > 0 ? num(cSum / calls / 1e6) : "?", cSum / dSum));
                    out.append(separate.isEmpty() ? "" : "; " + separate + " (no bar: load drift between forks)");
                } else if (!separate.isEmpty()) {
                    double ratio = direct.secondsPerOp() / alone.secondsPerOp();
                    out.append(separate).append(String.format(Locale.ROOT, " (bar >= %.2f) %s", GEMM_RATIO_BAR,
                            verdict(ratio >= GEMM_RATIO_BAR)));
                } else {
                    out.append("no cblas_sgemm result to compare with");
                }
                out.append(d.threadsNote()).append('\n');
            }
        }

        /** The result of benchmark name with the same params as r, or null. */
        private Row same(String name, Row r) {
            for (Row x : find(name)) {
                if (x.sameParams(r)) {
                    return x;
                }
            }
            return null;
        }

        private void javaBars(StringBuilder out, String kernel, String what, String[] baselines) {
            List<Row> dbn4j = find(kernel);
            if (dbn4j.isEmpty()) {
                out.append("  ").append(what).append(": not run\n");
                return;
            }
            Row best = null; // the fastest Java loop is the baseline
            for (String name : baselines) {
                for (Row r : find(name)) {
                    if (best == null || r.opsPerSecond() > best.opsPerSecond()) {
                        best = r;
                    }
                }
            }
            for (Row d : dbn4j) {
                double eps = d.opsPerSecond();
                out.append(String.format(Locale.ROOT, "  %s (%s): %.3g elem/s (bar >= %.0e) %s", what, d.paramText, eps,
                        ELEMENTS_PER_SECOND_BAR, verdict(eps >= ELEMENTS_PER_SECOND_BAR)));
                if (best == null) {
                    out.append("; no Java loop result to compare with");
                } else {
                    double ratio = eps / best.opsPerSecond();
                    out.append(String.format(Locale.ROOT, "; Java loop %s %.3g elem/s, ratio %.1fx (bar >= %.0fx) %s",
                            best.method(), best.opsPerSecond(), ratio, JAVA_RATIO_BAR, verdict(ratio >= JAVA_RATIO_BAR)));
                }
                out.append(d.threadsNote()).append('\n');
            }
        }

        private void jniBars(StringBuilder out) {
            List<Row> calls = new ArrayList<>(find("JniCallBenchmark.backendSigmoid16"));
            calls.addAll(find("JniCallBenchmark.rawSigmoid16"));
            if (calls.isEmpty()) {
                out.append("  JNI call: not run\n");
            }
            for (Row r : calls) {
                double ns = r.secondsPerOp() * 1e9;
                out.append(String.format(Locale.ROOT, "  JNI call %-17s (%s): %.1f ns (bar <= %.0f ns) %s%n",
                        r.method(), r.paramText, ns, JNI_NS_BAR, verdict(ns <= JNI_NS_BAR)));
            }
            for (Row r : find("JniCallBenchmark.rawEmptyCall")) {
                out.append(String.format(Locale.ROOT, "  JNI call %-17s (%s): %.1f ns (the floor, no bar)%n", r.method(),
                        r.paramText, r.secondsPerOp() * 1e9));
            }
        }
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e6 || a < 1e-2)) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void appendTable(StringBuilder out, List<String[]> table) {
        int[] width = new int[table.get(0).length];
        for (String[] row : table) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : table) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                boolean numeric = i >= 3 && i <= 7;
                String cell = row[i];
                String pad = " ".repeat(width[i] - cell.length());
                line.append(numeric ? pad + cell : cell + pad).append(i + 1 < row.length ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
