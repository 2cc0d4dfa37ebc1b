package dbn4j.bench;

import dbn4j.Matrix;
import dbn4j.RandomStream;
import dbn4j.Transpose;
import dbn4j.cpu.CpuBackend;
import dbn4j.data.Dataset;
import dbn4j.io.Json;
import dbn4j.nn.Activation;
import dbn4j.nn.Dbn;
import dbn4j.nn.LogisticRegression;
import dbn4j.nn.Loss;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.nn.RbmOptions;
import dbn4j.nn.TrainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark suite: measures this machine's ceilings (peak SGEMM, copy bandwidth), runs the JMH kernel
 * benchmarks (through {@link KernelBenchmarks}), times training epochs of every model, reads the peer results of
 * {@code benchmarks/peers/run-peers.sh}, and writes a report folder: report.md, the JMH JSON, charts (PNG).
 * Normally started by {@code benchmarks/suite.sh}, which runs the peers first.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dbn4j.bench.Suite [--quick|--full] [--out DIR] [--threads T]
 *     [--peers FILE]... [--gpu FILE] [--rows N] [--no-jmh] [--theano]</pre>
 *
 * <p>{@code --peers} may be given several times: one output of run-peers.sh per batch size (suite.sh's full mode
 * passes peers.txt, peers-b10.txt and peers-b1000.txt).
 *
 * <p>{@code --theano} runs the Theano tutorials' speed-test workloads in quick mode too (the full mode always runs
 * them; about 1.5 minutes on one core).
 */
public final class Suite {
    /** A result whose spread (max - min) exceeds this fraction of its median is flagged "noisy". */
    static final double NOISY = 0.10;

    private final boolean full;
    private final Path out;
    private final int threads;
    /** Outputs of run-peers.sh (one per batch size in full mode); those that exist are read. */
    private final List<Path> peersFiles;
    /** gpu.txt of suite.sh (GpuBench and PyTorch on the card, or why not), or null. */
    private Path gpuFile;
    private final int rowsOverride;
    private final boolean jmh;
    private final boolean theano;
    private final CpuBackend cpu;
    private final StringBuilder md = new StringBuilder();

    private double peakGflops;
    private double copyGBs;
    /** Copy bandwidth samples (GB/s) by working set in bytes (source + destination): the cache-resident ceilings. */
    private final Map<Long, List<Double>> copySamples = new java.util.TreeMap<>();
    /** Where in {@link #md} the cache-resident rows of the ceilings table go once both rounds are measured. */
    private int cacheRowsAt;
    private long l2Bytes;
    private long l3Bytes;

    /** One timed training workload: its measured epochs (warm-up dropped) and the GEMM FLOPs of one epoch. */
    record Training(String name, String peerKey, int batch, int rows, double[] epochS, double flopsPerEpoch,
            double floorS) {
        Training(String name, String peerKey, int batch, int rows, double[] epochS, double flopsPerEpoch) {
            this(name, peerKey, batch, rows, epochS, flopsPerEpoch, Double.NaN);
        }

        double median() {
            return TrainingBench.median(epochS);
        }
    }

    private Suite(boolean full, Path out, int threads, List<Path> peersFiles, int rowsOverride, boolean jmh,
            boolean theano) {
        this.full = full;
        this.out = out;
        this.threads = threads;
        this.peersFiles = peersFiles;
        this.rowsOverride = rowsOverride;
        this.jmh = jmh;
        this.theano = theano;
        this.cpu = CpuBackend.instance();
        cpu.setThreads(threads);
        cpu.setBlasThreads(threads);
    }

    public static void main(String[] args) throws IOException {
        boolean full = false;
        Path out = Path.of("benchmarks/report-" + LocalDate.now());
        int threads = 1;
        List<Path> peers = new ArrayList<>();
        Path gpu = null;
        int rows = 0;
        boolean jmh = true;
        boolean theano = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick": full = false; break;
                case "--full": full = true; break;
                case "--out": out = Path.of(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--peers": peers.add(Path.of(args[++i])); break;
                case "--gpu": gpu = Path.of(args[++i]); break;
                case "--rows": rows = Integer.parseInt(args[++i]); break;
                case "--no-jmh": jmh = false; break;
                case "--theano": theano = true; break;
                default:
                    System.err.println("usage: Suite [--quick|--full] [--out DIR] [--threads T] [--peers FILE]..."
                            + " [--gpu FILE] [--rows N] [--no-jmh] [--theano]");
                    System.exit(2);
            }
        }
        Files.createDirectories(out);
        Suite suite = new Suite(full, out, threads, peers, rows, jmh, theano);
        suite.gpuFile = gpu;
        suite.run();
    }

    private void run() throws IOException {
        long t0 = System.nanoTime();
        String loadBefore = loadAverage();
        say("== machine");
        machine();
        say("== ceilings");
        ceilings();
        List<Kernel> kernels = jmh ? kernels() : List.of();
        md.insert(cacheRowsAt, cacheCeilingRows());
        say("== training");
        List<Training> training = training();
        PeerResults peerResults = null; // null: no peers file
        for (Path f : peersFiles) {
            if (Files.exists(f)) {
                peerResults = peerResults == null ? new PeerResults() : peerResults;
                peerResults.read(f.getFileName().toString(), Files.readAllLines(f, StandardCharsets.UTF_8));
            }
        }
        peers(training, peerResults);
        SuiteGpu gpu = new SuiteGpu(gpuFile != null && Files.exists(gpuFile)
                ? Files.readAllLines(gpuFile, StandardCharsets.UTF_8) : List.of());
        md.append(gpu.markdown());
        if (full || theano) {
            theano();
        }
        charts(kernels, training, peerResults, gpu);
        md.append("\n## Run\n\n")
                .append(String.format(Locale.ROOT, "Mode %s, %d thread(s); load average before %s, after %s; suite"
                        + " (without the peers) took %.0f s.%n", full ? "full" : "quick", threads, loadBefore,
                        loadAverage(), (System.nanoTime() - t0) / 1e9));
        Files.writeString(out.resolve("report.md"), "# dbn4j benchmark report\n\n" + md, StandardCharsets.UTF_8);
        say("report: " + out.resolve("report.md"));
    }

    // ---- machine ----

    private void machine() {
        String cpuinfo = read("/proc/cpuinfo");
        String model = field(cpuinfo, "model name");
        String flags = field(cpuinfo, "flags");
        TreeSet<String> wanted = new TreeSet<>();
        for (String f : flags.split("\\s+")) {
            if (f.matches("sse4_2|avx|avx2|fma|f16c|avx512.*|amx.*|hypervisor")) {
                wanted.add(f);
            }
        }
        String os = "?";
        for (String l : read("/etc/os-release").split("\n")) {
            if (l.startsWith("PRETTY_NAME=")) {
                os = l.substring(12).replace("\"", "");
            }
        }
        md.append("## Machine\n\n| | |\n|---|---|\n");
        row2("CPU", model + " (" + Runtime.getRuntime().availableProcessors() + " logical CPUs; "
                + field(cpuinfo, "cpu cores") + " cores per socket per /proc/cpuinfo)");
        row2("CPU flags (selected)", String.join(" ", wanted));
        row2("OS", os + ", kernel " + System.getProperty("os.version"));
        row2("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        row2("dbn4j backend", cpu.describe());
        row2("OpenBLAS", "core " + cpu.blasCoreName().trim() + ", " + cpu.blasThreads() + " thread(s), "
                + cpu.blasLibrary() + "; " + BenchSupport.blasEnvironment());
        row2("threads (pinned)", "OpenBLAS " + cpu.blasThreads() + ", dbn4j kernels " + cpu.threads()
                + " (option --threads)");
        row2("GPU", gpu());
        md.append('\n');
    }

    private static String gpu() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "-L").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && !s.isEmpty()) {
                return s.replace("\n", "; ");
            }
        } catch (IOException | InterruptedException e) {
            // no nvidia-smi
        }
        return "none found (nvidia-smi missing or failing)";
    }

    // ---- ceilings ----

    /** SGEMM n x n x n through {@code Backend.gemm} in the given GEMM mode: GFLOP/s of each run after a warm-up. */
    private double[] sgemmRuns(int n, int reps, int mode) {
        double[] gflops = new double[reps];
        int before = cpu.gemmMode();
        cpu.setGemmMode(mode);
        try (Matrix a = cpu.allocate(n, n); Matrix b = cpu.allocate(n, n); Matrix c = cpu.allocate(n, n)) {
            RandomStream r = new RandomStream(11);
            cpu.gaussian(r, null, 0.01f, a);
            cpu.gaussian(r, null, 0.01f, b);
            cpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, b, 0f, c); // warm-up
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                cpu.gemm(Transpose.NO_TRANSPOSE, Transpose.NO_TRANSPOSE, 1f, a, b, 0f, c);
                gflops[i] = 2.0 * n * n * n / (System.nanoTime() - t);
            }
        } finally {
            cpu.setGemmMode(before);
        }
        return gflops;
    }

    private void ceilings() {
        int n = 2048;
        int reps = full ? 8 : 5;
        // The faster of OpenBLAS and dbn4j's own kernel: with OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU, OpenBLAS
        // runs at half the core's speed and the own AVX-512 kernel would exceed an OpenBLAS-only ceiling.
        double[] gflops = sgemmRuns(n, reps, CpuBackend.GEMM_OPENBLAS);
        String peakHow = "OpenBLAS (core " + cpu.blasCoreName().trim() + ")";
        if (cpu.activeIsa() >= CpuBackend.ISA_AVX2) {
            double[] own = sgemmRuns(n, reps, CpuBackend.GEMM_OWN);
            if (max(own) > max(gflops)) {
                peakHow = String.format(Locale.ROOT, "dbn4j's own %s kernel (OpenBLAS, core %s: %.1f)",
                        CpuBackend.isaName(cpu.activeIsa()), cpu.blasCoreName().trim(), max(gflops));
                gflops = own;
            } else {
                peakHow += String.format(Locale.ROOT, " (dbn4j's own %s kernel: %.1f)",
                        CpuBackend.isaName(cpu.activeIsa()), max(own));
            }
        }
        peakGflops = max(gflops);
        // STREAM-style copy of a 256 MB matrix (8192 x 8192 floats): 256 MB read + 256 MB written per copy.
        int side = 8192;
        double bytes = 2.0 * side * side * Float.BYTES;
        double[] gbs = new double[10];
        try (Matrix a = cpu.allocate(side, side); Matrix b = cpu.allocate(side, side)) {
            cpu.uniform(new RandomStream(12), a);
            cpu.copy(a, b); // warm-up: touches every page of b
            for (int i = 0; i < gbs.length; i++) {
                long t = System.nanoTime();
                cpu.copy(a, b);
                gbs[i] = bytes / (System.nanoTime() - t);
            }
        }
        copyGBs = max(gbs);
        // Cache-resident copies: an elementwise kernel on 1000 x 1000 floats touches 4-16 MB, which stays in a
        // large L3, so the DRAM copy is not its ceiling. The copy of the same working set is: measured for the L2
        // (half of it) and for every working set of the elementwise kernels that fits in the L3.
        l2Bytes = cacheBytes(2, 512 << 10);
        l3Bytes = cacheBytes(3, 32 << 20);
        java.util.TreeSet<Long> sets = new java.util.TreeSet<>(List.of(l2Bytes / 2));
        for (Traffic t : TRAFFIC.values()) {
            if (t.workingSet() <= l3Bytes) {
                sets.add(t.workingSet());
            }
        }
        for (long set : sets) {
            copySamples.put(set, new ArrayList<>());
        }
        measureCopies();
        md.append("## Ceilings (measured in this run)\n\n")
                .append("| ceiling | how | best | median | spread (min–max) | flag |\n|---|---|---|---|---|---|\n");
        md.append(String.format(Locale.ROOT, "| peak SGEMM | `Backend.gemm` %dx%dx%d through %s, best of %d after 1"
                + " warm-up | **%.1f GFLOP/s** | %.1f | %.1f–%.1f | %s |%n", n, n, n, peakHow, reps, peakGflops,
                TrainingBench.median(gflops), min(gflops), max(gflops), flag(gflops)));
        md.append(String.format(Locale.ROOT, "| memory bandwidth | `Backend.copy` of a 256 MB matrix (8192 x 8192"
                + " floats), bytes read + written, best of %d after 1 warm-up | **%.2f GB/s** | %.2f | %.2f–%.2f |"
                + " %s |%n", gbs.length, copyGBs, TrainingBench.median(gbs), min(gbs), max(gbs), flag(gbs)));
        cacheRowsAt = md.length(); // the cache-resident rows, after the second round (cacheCeilingRows)
        md.append('\n');
        md.append(String.format(Locale.ROOT, "Caches (sysfs, cpu0): L2 %s, L3 %s. Every GEMM and training result below"
                + " is shown as a fraction of the SGEMM ceiling; every elementwise kernel as a fraction of the copy"
                + " of its own working set (the distinct 1000 x 1000 matrices it touches, 4 MB each: L2- or"
                + " L3-resident where it fits, else the DRAM copy), both counted as bytes read + written (STREAM's"
                + " convention: no write-allocate), with the bytes per element stated. The cache-resident copies are"
                + " measured in two rounds, before and after the JMH kernels, and the best sample counts: a shared L3"
                + " (other processes, other guests) moves them by a quarter between moments. Even so a cached kernel"
                + " can exceed its copy somewhat: the copy is glibc's memcpy through `Backend.copy`, and a kernel that"
                + " reads more than it writes (column sums; the SGD update: 3 reads, 2 writes) gains from the caches"
                + " reading faster than they write. A GEMM above 1 means the ceiling run itself was slowed by other"
                + " work (see its spread).%n%n", mb(l2Bytes), mb(l3Bytes)));
        say(String.format(Locale.ROOT, "peak SGEMM %.1f GFLOP/s, copy %.2f GB/s (DRAM)", peakGflops, copyGBs));
    }

    /** One round of the cache-resident copies: 7 samples of every working set. */
    private void measureCopies() {
        for (Map.Entry<Long, List<Double>> e : copySamples.entrySet()) {
            for (double v : copyBandwidth(e.getKey())) {
                e.getValue().add(v);
            }
        }
    }

    /** The cache-resident rows of the ceilings table (inserted at cacheRowsAt when the suite ends). */
    private String cacheCeilingRows() {
        StringBuilder rows = new StringBuilder();
        for (Map.Entry<Long, List<Double>> e : copySamples.entrySet()) {
            long set = e.getKey();
            double[] c = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            rows.append(String.format(Locale.ROOT, "| %s-resident copy | `Backend.copy` of %s to %s (working set %s),"
                    + " repeated for ~20 ms per sample, best of %d in %s after 3 warm-ups each | **%.2f GB/s** | %.2f |"
                    + " %.2f–%.2f | %s |%n", tier(set), mb(set / 2), mb(set / 2), mb(set), c.length,
                    c.length > 7 ? "two rounds (before and after the JMH kernels)" : "one round", max(c),
                    TrainingBench.median(c), min(c), max(c), flag(c)));
        }
        return rows.toString();
    }

    /** Best-of samples (GB/s, bytes read + written) of copying set / 2 bytes, each sample ~20 ms of repeated copies. */
    private double[] copyBandwidth(long set) {
        int cols = 1024;
        int rows = (int) Math.max(1, set / 2 / Float.BYTES / cols);
        double bytes = 2.0 * rows * cols * Float.BYTES;
        double[] gbs = new double[7];
        try (Matrix a = cpu.allocate(rows, cols); Matrix b = cpu.allocate(rows, cols)) {
            cpu.uniform(new RandomStream(13), a);
            cpu.copy(a, b); // warm-up: touches every page, loads the caches
            cpu.copy(a, b);
            long t = System.nanoTime();
            cpu.copy(a, b);
            int reps = (int) Math.max(1, Math.min(1_000_000, 20e6 / Math.max(1, System.nanoTime() - t)));
            for (int i = 0; i < gbs.length; i++) {
                t = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    cpu.copy(a, b);
                }
                gbs[i] = bytes * reps / (System.nanoTime() - t);
            }
        }
        return gbs;
    }

    /** The size of this CPU's cache of {@code level} from sysfs (cpu0, unified or data), else {@code fallback}. */
    private static long cacheBytes(int level, long fallback) {
        for (int i = 0; i < 8; i++) {
            String dir = "/sys/devices/system/cpu/cpu0/cache/index" + i + "/";
            if (read(dir + "level").trim().equals(String.valueOf(level)) && !read(dir + "type").trim()
                    .equals("Instruction")) {
                String size = read(dir + "size").trim();
                if (size.matches("\\d+[KM]")) {
                    return Long.parseLong(size.substring(0, size.length() - 1)) << (size.endsWith("M") ? 20 : 10);
                }
            }
        }
        return fallback;
    }

    private String tier(long set) {
        return set <= l2Bytes ? "L2" : set <= l3Bytes ? "L3" : "DRAM";
    }

    /** The kernels' working sets (4,000,000 B per matrix) in MB, cache sizes (multiples of 1 KiB) in KiB or MiB. */
    private static String mb(long bytes) {
        if (bytes % 1_000_000 != 0) {
            return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0)
                    : String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }

    /** "L2", "L3" or "DRAM": which copy bounds the JMH elementwise benchmark {@code name} (Class.method). */
    private String copyTier(String name) {
        Traffic t = TRAFFIC.get(name.substring(name.indexOf('.') + 1));
        return t != null && copySamples.containsKey(t.workingSet()) ? tier(t.workingSet()) : "DRAM";
    }

    /** The copy ceiling of an elementwise working set: the copy of that set where measured (cache), else DRAM. */
    private double copyCeiling(long set) {
        List<Double> c = copySamples.get(set);
        return c == null ? copyGBs : c.stream().mapToDouble(Double::doubleValue).max().orElse(copyGBs);
    }

    // ---- kernels (JMH) ----

    /** One JMH result with its throughput in the unit of its ceiling. */
    record Kernel(String name, String params, double median, double min, double max, int n, String unit,
            double rate, String rateUnit, String assumption, double fraction) {}

    /**
     * The memory traffic of an elementwise kernel on 1000 x 1000 floats: {@code arrays} distinct matrices touched (its
     * working set), {@code reads} and {@code writes} floats per element (STREAM's count, as the copy ceilings: bytes
     * read + written, no write-allocate).
     */
    record Traffic(int arrays, int reads, int writes, String what) {
        int bytes() {
            return Float.BYTES * (reads + writes);
        }

        long workingSet() {
            return (long) arrays * Float.BYTES * BenchSupport.ROWS * BenchSupport.COLS;
        }
    }

    /** The traffic of each elementwise benchmark method (the JMH classes' own descriptions of their arguments). */
    static final Map<String, Traffic> TRAFFIC = new LinkedHashMap<>();

    static {
        traffic(new Traffic(2, 1, 1, "read x, write y"), "sigmoid", "tanh", "relu", "softmax", "logSoftmax",
                "bernoulli", "javaSigmoid");
        traffic(new Traffic(1, 1, 1, "read x, write x"), "scale", "addRowBias");
        traffic(new Traffic(3, 2, 1, "read y and dy (z and t), write dx (dz)"), "sigmoidBackward", "tanhBackward",
                "reluBackward", "squaredError");
        traffic(new Traffic(2, 2, 1, "read x and y, write y"), "axpy");
        traffic(new Traffic(1, 1, 0, "read x"), "columnSums");
        traffic(new Traffic(1, 0, 1, "write out"), "uniform", "gaussian");
        traffic(new Traffic(3, 1, 2, "read x, write p and s"), "sigmoidBernoulli", "javaSigmoidBernoulli",
                "javaSigmoidBernoulliPhilox");
        traffic(new Traffic(4, 2, 2, "read z and t, write p and dz"), "softmaxCrossEntropy", "sigmoidCrossEntropy");
        traffic(new Traffic(3, 3, 2, "read w, g, v; write w, v"), "sgdMomentum", "sgdNesterov");
    }

    private static void traffic(Traffic t, String... names) {
        for (String n : names) {
            TRAFFIC.put(n, t);
        }
    }

    private List<Kernel> kernels() throws IOException {
        say("== JMH kernels");
        Path json = out.resolve("jmh-kernels.json").toAbsolutePath();
        List<String> args = new ArrayList<>(List.of("-rff", json.toString(), "-p", "threads=" + threads, "-f", "1"));
        if (full) {
            args.addAll(List.of("-e", "JniCallBenchmark|cblasSgemm|interleaved"));
        } else {
            args.addAll(List.of("GemmBenchmark.dbn4jGemm|ElementwiseBenchmark.(sigmoid|relu|axpy|sgdMomentum)$"
                    + "|RandomBenchmark.sigmoidBernoulli", "-p", "shape=100x784x500,1000x784x500",
                    "-wi", "1", "-w", "300ms", "-i", "1", "-r", "500ms", "-v", "SILENT"));
        }
        KernelBenchmarks.main(args.toArray(new String[0]));
        say("== cache-resident copies, second round");
        measureCopies();
        List<Kernel> kernels = new ArrayList<>();
        for (Object o : (List<?>) Json.parse(Files.readString(json, StandardCharsets.UTF_8))) {
            Map<?, ?> r = (Map<?, ?>) o;
            String bench = ((String) r.get("benchmark")).replace("dbn4j.bench.", "");
            String method = bench.substring(bench.indexOf('.') + 1);
            Map<?, ?> params = r.get("params") == null ? Map.of() : (Map<?, ?>) r.get("params");
            Map<?, ?> pm = (Map<?, ?>) r.get("primaryMetric");
            List<Double> raw = new ArrayList<>();
            for (Object fork : (List<?>) pm.get("rawData")) {
                for (Object v : (List<?>) fork) {
                    raw.add(num(v));
                }
            }
            double[] v = raw.stream().mapToDouble(Double::doubleValue).toArray();
            String unit = (String) pm.get("scoreUnit");
            double median = TrainingBench.median(v);
            double rate;
            String rateUnit;
            String assumption;
            double fraction;
            if (bench.startsWith("GemmBenchmark")) {
                String[] s = ((String) params.get("shape")).split("x");
                double flops = 2.0 * Long.parseLong(s[0]) * Long.parseLong(s[1]) * Long.parseLong(s[2]);
                rate = flops / (median * KernelBenchmarks.unitSeconds(unit.replace("/op", ""))) / 1e9;
                rateUnit = "GFLOP/s";
                assumption = "FLOP-bound: 2·M·K·N FLOPs";
                fraction = rate / peakGflops;
            } else if (TRAFFIC.containsKey(method) && unit.startsWith("ops/")) {
                Traffic t = TRAFFIC.get(method);
                long set = t.workingSet();
                rate = median * t.bytes() / 1e9;
                rateUnit = "GB/s";
                String where = copySamples.containsKey(set) ? tier(set) + " copy of the same " + mb(set) : "DRAM copy";
                fraction = rate / copyCeiling(set);
                assumption = String.format(Locale.ROOT, "memory-bound: %d B/element (%s); working set %s; ceiling the"
                        + " %s (%.1f GB/s; %.2f of the DRAM copy)", t.bytes(), t.what(), mb(set), where,
                        copyCeiling(set), rate / copyGBs);
            } else {
                rate = Double.NaN;
                rateUnit = "";
                assumption = "no ceiling (call overhead)";
                fraction = Double.NaN;
            }
            StringBuilder p = new StringBuilder();
            for (Map.Entry<?, ?> e : params.entrySet()) {
                if (!e.getKey().equals("backend")) {
                    p.append(p.length() == 0 ? "" : ",").append(e.getKey()).append('=').append(e.getValue());
                }
            }
            kernels.add(new Kernel(bench, p.toString(), median, min(v), max(v), v.length, unit, rate, rateUnit,
                    assumption, fraction));
        }
        md.append("## Kernels (JMH)\n\n");
        md.append(full ? "JMH: all kernel benchmarks except the JNI-call and direct-cblas comparisons, 1 fork, "
                + "3 x 1 s warm-up, 5 x 1 s iterations (KernelBenchmarks defaults).\n\n"
                : "Quick mode: a short JMH filter, 1 fork, 1 x 300 ms warm-up and **1** x 500 ms iteration, so no"
                        + " spread is available (shown as n/a); use --full for 5 iterations.\n\n");
        md.append("| kernel | params | median | spread (min–max) | unit | throughput | bound and assumption |"
                + " fraction of ceiling | flag |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Kernel k : kernels) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", k.name,
                    k.params, sig(k.median), k.n > 1 ? sig(k.min) + "–" + sig(k.max) : "n/a (1 iteration)", k.unit,
                    Double.isNaN(k.rate) ? "–" : sig(k.rate) + " " + k.rateUnit, k.assumption,
                    Double.isNaN(k.fraction) ? "–" : String.format(Locale.ROOT, "%.2f", k.fraction),
                    k.n > 1 ? (spread(k.min, k.max, k.median) > NOISY ? "noisy" : "") : "single sample"));
        }
        md.append("\nRaw JMH JSON: `jmh-kernels.json`; KernelBenchmarks' own table with its bars: "
                + "`jmh-kernels.txt`.\n\n");
        return kernels;
    }

    // ---- training ----

    private List<Training> training() throws IOException {
        Dataset data = TrainingBench.sixtyThousand();
        int[] batches = full ? new int[] {10, 100, 1000} : new int[] {100};
        int epochs = 3; // measured, after 1 warm-up epoch
        List<Training> results = new ArrayList<>();
        for (int batch : batches) {
            results.add(logistic(subset(data, 60_000), batch, epochs));
            results.add(mlp(subset(data, full ? 60_000 : 10_000), batch, epochs));
            results.add(rbm(subset(data, full ? 60_000 : 10_000), batch, epochs, 1, false));
            if (full) {
                results.add(rbm(subset(data, 60_000), batch, epochs, 10, false));
            }
            results.add(rbm(subset(data, full ? 60_000 : 2_000), batch, epochs, 15, true));
            results.addAll(full ? dbn(subset(data, 60_000), batch, new int[] {784, 1000, 1000, 1000}, epochs)
                    : dbn(subset(data, 5_000), batch, new int[] {784, 500, 500}, 2));
        }
        md.append("## Training epochs\n\n").append("Data: ").append(data.description()).append(" (first `rows`"
                + " rows). Each workload: 1 warm-up epoch, then the measured epochs; an epoch's time is rows /"
                + " `samples_per_second` of the training loop's own per-epoch timing (mini-batches and shuffle, not"
                + " the monitoring), as in TrainingBench. Fixed seeds. GFLOP/epoch counts the GEMMs only (MLP:"
                + " forward, weight and input gradients; RBM CD-k: (6 + 4k)·v·h per sample, PCD-k (8 + 4k)·v·h); the fraction"
                + " is of the peak SGEMM ceiling. These are dense-product FLOPs: the own GEMM skips zeros of A (pixels,"
                + " ReLU outputs, sampled states; `-Ddbn4j.gemm.sparse`), so it does fewer, and a fraction can pass 1."
                + " epoch / GEMM floor: TrainingBench's same GEMMs run alone after each epoch on the operands of a real"
                + " mini-batch (MLP and RBM CD-1 only).\n\n");
        md.append("| workload | batch | rows | epochs | epoch s median | spread (min–max) | samples/s | GFLOP/epoch |"
                + " GFLOP/s | fraction of SGEMM peak | epoch / GEMM floor | flag |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Training t : results) {
            double med = t.median();
            double gf = t.flopsPerEpoch / med / 1e9;
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.4f | %.4f–%.4f | %s | %.2f | %.1f | %.2f |"
                    + " %s | %s |%n", t.name, t.batch, t.rows, t.epochS.length, med, min(t.epochS), max(t.epochS),
                    sig(t.rows / med), t.flopsPerEpoch / 1e9, gf, gf / peakGflops,
                    Double.isNaN(t.floorS) ? "–" : String.format(Locale.ROOT, "%.2f", med / t.floorS),
                    flag(t.epochS)));
        }
        md.append('\n');
        return results;
    }

    private Dataset subset(Dataset d, int rows) {
        int n = Math.min(d.rows(), rowsOverride > 0 ? Math.min(rows, rowsOverride) : rows);
        return n == d.rows() ? d : d.subset(0, n);
    }

    private Training logistic(Dataset train, int batch, int epochs) {
        say("logistic batch " + batch);
        return new Training("logistic regression 784-10", TrainingBench.LOGISTIC, batch, train.rows(),
                TrainingBench.logisticEpochs(cpu, train, batch, epochs + 1), mlpFlops(new int[] {784, 10}) * train.rows());
    }

    private Training mlp(Dataset train, int batch, int epochs) {
        say("MLP batch " + batch);
        double[][] t = TrainingBench.mlpEpochs(cpu, train, batch, epochs + 1); // epochs, GEMM floors
        return new Training("MLP 784-500-500-10 ReLU", "mlp-784-500-500-10-relu", batch, train.rows(), t[0],
                mlpFlops(new int[] {784, 500, 500, 10}) * train.rows(), TrainingBench.median(t[1]));
    }

    private Training rbm(Dataset train, int batch, int epochs, int k, boolean persistent) {
        String name = "RBM " + (persistent ? "PCD-" : "CD-") + k + " 784-500";
        say(name + " batch " + batch);
        double flops = rbmFlops(k, persistent) * train.rows();
        if (k == 1 && !persistent) { // the same epochs as TrainingBench's (and run-peers.sh's) RBM
            double[][] t = TrainingBench.rbmEpochs(cpu, train, batch, epochs + 1); // epochs, GEMM floors
            return new Training(name, "rbm-cd1-784-500", batch, train.rows(), t[0], flops,
                    TrainingBench.median(t[1]));
        }
        String key = persistent && k == 15 ? TrainingBench.RBM_PCD15 : !persistent && k == 10 ? TrainingBench.RBM_CD10
                : null;
        return new Training(name, key, batch, train.rows(),
                TrainingBench.rbmEpochs(cpu, train, batch, epochs + 1, k, persistent), flops);
    }

    /**
     * GEMM FLOPs per sample of one CD-k or PCD-k step of RBM 784-500: 2·v·h per GEMM; CD-k runs 3 + 2k GEMMs (v0 W,
     * k times h W^T and v W, two gradients), PCD-k one more (the chain's hidden states).
     */
    static double rbmFlops(int k, boolean persistent) {
        return 2.0 * (3 + 2 * k + (persistent ? 1 : 0)) * 784 * 500;
    }

    /** DBN pre-training (CD-1, every layer; an epoch = one epoch of every layer) and fine-tuning, 10 classes. */
    private List<Training> dbn(Dataset train, int batch, int[] sizes, int epochs) {
        String arch = Arrays.toString(sizes).replaceAll("[\\[\\] ]", "").replace(',', '-') + "-10";
        say("DBN " + arch + " batch " + batch);
        double[][] t = TrainingBench.dbnEpochs(cpu, train, batch, sizes, epochs + 1);
        double preFlops = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
            preFlops += 10.0 * sizes[l] * sizes[l + 1] * train.rows();
        }
        int[] mlpSizes = Arrays.copyOf(sizes, sizes.length + 1);
        mlpSizes[sizes.length] = 10;
        return List.of(new Training("DBN " + arch + " pre-training CD-1 (all layers)",
                        TrainingBench.dbnKey(sizes, true), batch, train.rows(), t[0], preFlops),
                new Training("DBN " + arch + " fine-tuning", TrainingBench.dbnKey(sizes, false), batch, train.rows(),
                        t[1], mlpFlops(mlpSizes) * train.rows()));
    }

    /** GEMM FLOPs of one SGD step per sample: forward, weight gradients, and input gradients below the top. */
    static double mlpFlops(int[] sizes) {
        double sum = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
            sum += sizes[l] * (double) sizes[l + 1];
        }
        return 6 * sum - 2.0 * sizes[0] * sizes[1];
    }

    // ---- peers ----

    private void peers(List<Training> training, PeerResults peers) {
        md.append("## Peers\n\n");
        if (peers == null) {
            md.append("**Missing**: no peer results (benchmarks/peers/run-peers.sh was not run or not found).\n\n");
            return;
        }
        md.append("From ").append(String.join(", ", peers.names.stream().map(n -> "`" + n + "`").toList()))
                .append(" (benchmarks/peers/run-peers.sh, same thread count; its dbn4j side is"
                + " TrainingBench on the rows shown, run in the same script, so the ratio compares"
                + " like with like; in quick mode 1 warm-up + 1 measured epoch each, so no spread). ratio = peer"
                + " epoch s / dbn4j epoch s (> 1: dbn4j is faster). The fraction of"
                + " the SGEMM ceiling uses the same GEMM FLOP count as the training table. The peers ran at batch ")
                .append(peers.files.isEmpty() ? "– (no results)" : String.join(", ", peers.files.keySet().stream()
                        .map(String::valueOf).toList()))
                .append(" (quick mode: batch 100; full mode: batches 10, 100 and 1000 with every workload;"
                + " scikit-learn's SGDClassifier runs batch 1 whatever the batch); a row"
                + " whose peer or workload did not run at its batch says \"not run at this batch\". The bars (RBM"
                + " CD-1: numpy ≥ 1.5; MLP: PyTorch ≥ 1.2, DL4J ≥ 3) are defined at batch " + BAR_BATCH + "; the rows"
                + " of other batches show the ratio without a bar.\n\n");
        md.append("| workload | batch | rows | dbn4j epoch s (peers run) | dbn4j fraction of SGEMM peak | peer |"
                + " peer epoch s | ratio | bar | flag |\n|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, String> why = peers.missing; // peer -> why it is missing
        for (Training t : training) {
            int b = t.batch;
            Map<String, String> d = t.peerKey == null ? null : peers.get("dbn4j", t.peerKey, b);
            String ds = d == null ? "–" : d.get("epoch_s_median") + spreadOf(d);
            String frac = d == null ? "–" : String.format(Locale.ROOT, "%.2f",
                    t.flopsPerEpoch / t.rows * rowsOf(d) / Double.parseDouble(d.get("epoch_s_median")) / 1e9 / peakGflops);
            List<String> specs = t.peerKey == null ? List.of() : peersOf(t.peerKey);
            if (specs.isEmpty()) {
                md.append(String.format(Locale.ROOT, "| %s | %d | – | – | – | none | missing (no peer"
                        + " implementation) | – | – | |%n", t.name, b));
            }
            for (String spec : specs) {
                String[] ps = spec.split(":", 3); // peer[:its own workload:note], where it differs from dbn4j's
                String p = ps[0];
                String label = ps.length == 3 ? p + " (" + ps[2] + ")" : p;
                Double bar = BARS.get(t.peerKey + " " + p);
                String barText = bar == null ? "–" : b == BAR_BATCH ? "≥ " + bar(bar)
                        : "none (defined at batch " + BAR_BATCH + ")";
                Map<String, String> r = peers.get(p, ps.length == 3 ? ps[1] : t.peerKey, b);
                if (r == null || d == null) {
                    String notRun = peers.notRun(p, t.peerKey, b);
                    String miss = why.getOrDefault(p, why.get("all")); // "peer all": no run-peers.sh at all
                    String status = notRun != null && !why.containsKey("all") ? notRun
                            : miss != null ? "missing: " + miss.replace("|", "/")
                            : "missing (no " + (r == null ? "" : "dbn4j ") + "result; see "
                                    + peers.files.getOrDefault(b, "the peers output") + ")";
                    md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | – | %s | |%n",
                            t.name, b, d == null ? "–" : String.format(Locale.ROOT, "%.0f", rowsOf(d)), ds,
                            frac, label, status, barText));
                    continue;
                }
                double ratio = Double.parseDouble(r.get("epoch_s_median"))
                        / Double.parseDouble(d.get("epoch_s_median"));
                if (bar != null && b == BAR_BATCH) {
                    barText += ratio >= bar ? ": PASS" : ": **FAIL**";
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %s | %s | %s | %s | %.2f | %s | %s |%n",
                        t.name, r.get("batch"), rowsOf(r), ds, frac, label, r.get("epoch_s_median") + spreadOf(r),
                        ratio, barText, flag(epochs(d)) + (flag(epochs(r)).isEmpty() ? "" : " (" + p + ": "
                                + flag(epochs(r)) + ")")));
            }
        }
        md.append("\nPeers not installed (reported as missing):\n\n");
        why.forEach((p, w) -> md.append("- ").append(p).append(": ").append(w).append('\n'));
        if (why.isEmpty()) {
            md.append("- none\n");
        }
        md.append("\nPeer implementations: RBM CD-1 784-500 (numpy; scikit-learn's BernoulliRBM is PCD-1, shown beside"
                + " dbn4j's CD-1 epoch for scale only), MLP 784-500-500-10 ReLU (PyTorch, Deeplearning4j, scikit-learn),"
                + " logistic regression 784-10 (numpy, PyTorch; scikit-learn's SGDClassifier is one-vs-rest per-sample"
                + " SGD in float64, for scale only), RBM CD-10 (full mode) and PCD-15 784-500 (numpy), DBN"
                + " pre-training (numpy) and fine-tuning (PyTorch). Rows and architecture of PCD-15 and the DBN are the"
                + " peers run's (quick: the subsets of the training table; full: 60,000 rows,"
                + " 784-1000-1000-1000-10).\n\n");
    }

    /** The batch size at which the peer bars are defined (run-peers.sh gives a verdict only there). */
    static final int BAR_BATCH = 100;

    /** The bars of run-peers.sh at batch 100, peer epoch s / dbn4j epoch s, by "dbn4j's workload peer". */
    static final Map<String, Double> BARS = Map.of("rbm-cd1-784-500 numpy", 1.5, "mlp-784-500-500-10-relu torch", 1.2,
            "mlp-784-500-500-10-relu dl4j", 3.0);

    /** A bar as written in the READMEs: 1.5, 3. */
    private static String bar(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    /** One run of run-peers.sh, from its RUN line: the batch, the participants asked for, dbn4j's workloads. */
    record PeerRun(int batch, List<String> peers, List<String> workloads) {}

    /** One RESULT line of the peers and the batch of the run it came from. */
    record PeerResult(int batch, Map<String, String> fields) {}

    /**
     * What the outputs of run-peers.sh hold: every RESULT line under the batch of its run (the RUN line above it; in
     * an output without RUN lines, the line's own batch field), the runs at each batch, which file holds each batch,
     * and why a peer is missing (its "peer NAME: missing: WHY" line).
     */
    static final class PeerResults {
        /** The files read, by name, in order. */
        final List<String> names = new ArrayList<>();
        /** By "peer workload batch". */
        final Map<String, PeerResult> results = new LinkedHashMap<>();
        final Map<Integer, List<PeerRun>> runs = new java.util.TreeMap<>();
        /** The file of each batch that has a run or a result. */
        final Map<Integer, String> files = new java.util.TreeMap<>();
        /** Peer -> why it is missing. */
        final Map<String, String> missing = new LinkedHashMap<>();

        /** Reads one output of run-peers.sh (or several concatenated). */
        void read(String file, List<String> lines) {
            names.add(file);
            int batch = 0; // no RUN line yet: each RESULT line's own batch
            for (String line : lines) {
                String l = line.trim();
                Map<String, String> f = resultFields(l);
                if (l.startsWith("RUN ") && l.matches(".*\\bbatch=\\d+\\b.*")) {
                    Map<String, String> run = resultFields("RESULT " + l.substring(4));
                    batch = Integer.parseInt(run.get("batch"));
                    runs.computeIfAbsent(batch, b -> new ArrayList<>()).add(new PeerRun(batch,
                            List.of(run.getOrDefault("peers", "").split(",")),
                            List.of(run.getOrDefault("workloads", "").split(","))));
                    files.putIfAbsent(batch, file);
                } else if (f != null) {
                    String own = f.getOrDefault("batch", "");
                    int b = batch > 0 ? batch : own.matches("\\d+") ? Integer.parseInt(own) : BAR_BATCH;
                    results.put(f.get("peer") + " " + f.get("workload") + " " + b, new PeerResult(b, f));
                    files.putIfAbsent(b, file);
                } else if (l.startsWith("peer ") && l.contains(": missing:")) {
                    String m = l.substring(5);
                    missing.putIfAbsent(m.substring(0, m.indexOf(':')),
                            m.substring(m.indexOf(':') + 1).trim().replaceFirst("^missing:\\s*", ""));
                }
            }
        }

        /** The RESULT fields of {@code peer} on {@code workload} in the run at {@code batch}, else null. */
        Map<String, String> get(String peer, String workload, int batch) {
            PeerResult r = results.get(peer + " " + workload + " " + batch);
            return r == null ? null : r.fields();
        }

        /**
         * "not run at this batch" where no run at {@code batch} had {@code peer} against dbn4j's {@code workload} (no
         * run at that batch at all, or runs without that participant or workload: said in parentheses), else null.
         * An output without RUN lines counts as running everything at the batches of its results.
         */
        String notRun(String peer, String workload, int batch) {
            List<PeerRun> at = runs.get(batch);
            if (at == null) {
                return files.containsKey(batch) ? null : "not run at this batch";
            }
            if (at.stream().anyMatch(r -> r.peers().contains(peer) && r.workloads().contains(workload))) {
                return null;
            }
            return at.stream().noneMatch(r -> r.peers().contains(peer))
                    ? "not run at this batch (not in run-peers.sh --only)"
                    : "not run at this batch (not in run-peers.sh --workloads)";
        }
    }

    /** The peers of benchmarks/peers/ for each of its workloads ("peer:its workload:note" where they differ). */
    static final Map<String, List<String>> PEERS = new LinkedHashMap<>();

    static {
        PEERS.put("rbm-cd1-784-500", List.of("numpy", "sklearn:rbm-pcd1-784-500:PCD-1 vs CD-1"));
        PEERS.put("mlp-784-500-500-10-relu", List.of("torch", "dl4j", "sklearn"));
        PEERS.put(TrainingBench.LOGISTIC, List.of("numpy", "torch",
                "sklearn:logistic-sgd-ovr-784-10:SGDClassifier one-vs-rest, per-sample SGD, float64"));
        PEERS.put(TrainingBench.RBM_CD10, List.of("numpy"));
        PEERS.put(TrainingBench.RBM_PCD15, List.of("numpy"));
    }

    /** The peers of a workload: DBN pre-training (numpy) and fine-tuning (PyTorch) of any architecture. */
    static List<String> peersOf(String workload) {
        if (workload.startsWith("dbn-")) {
            return List.of(workload.endsWith("-pretrain") ? "numpy" : "torch");
        }
        return PEERS.getOrDefault(workload, List.of());
    }

    /** The key=value fields of a peers' RESULT line (run-peers.sh indents the ones it echoes), else null. */
    static Map<String, String> resultFields(String line) {
        String l = line.trim();
        if (!l.startsWith("RESULT ")) {
            return null;
        }
        Map<String, String> f = new LinkedHashMap<>();
        for (String kv : l.substring(7).trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                f.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return f;
    }

    /** The dbn4j workload a peer's workload is compared with (itself, unless a PEERS entry names it). */
    static String comparedWith(String workload) {
        for (Map.Entry<String, List<String>> e : PEERS.entrySet()) {
            for (String spec : e.getValue()) {
                String[] ps = spec.split(":", 3);
                if (ps.length == 3 && ps[1].equals(workload)) {
                    return e.getKey();
                }
            }
        }
        return workload;
    }

    /** The training rows of a RESULT line (field rows; 60,000 where absent, as in the peers' older lines). */
    static double rowsOf(Map<String, String> result) {
        return result.get("rows") == null ? 60_000 : Double.parseDouble(result.get("rows"));
    }

    /** The measured epoch times of a RESULT line (field epoch_s), empty when absent. */
    private static double[] epochs(Map<String, String> result) {
        if (result == null || result.get("epoch_s") == null) {
            return new double[0];
        }
        return Arrays.stream(result.get("epoch_s").split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    private static String spreadOf(Map<String, String> result) {
        double[] e = epochs(result);
        return e.length < 2 ? "" : String.format(Locale.ROOT, " (%.3f–%.3f)", min(e), max(e));
    }

    // ---- Theano tutorial speed tests ----

    /**
     * One workload of the speed test of the Theano deep-learning tutorials (DeepLearningTutorials, code/test.py,
     * function speed()) and the reference times published there, in seconds: float32 and float64 on the CPU, float32
     * on the GPU. test.py says they come from its buildbot: Intel Core i7-920 at 2.67 GHz (hyper-threading on), 12 GB,
     * BLAS from EPD 7.1-2 (MKL) with 1 thread, Fedora 14, gcc 4.5.1; GPU a GeForce GTX 580 (an earlier version of the
     * file: GTX 285); the numbers with one decimal date from Theano 0.5rc2 (early 2012). Each is Theano's
     * mode.call_time summed over the whole tutorial script: the time spent inside compiled Theano functions (training,
     * validation and test calls), without graph compilation, data loading or the Python loop around the calls.
     */
    record TheanoRef(String script, String name, double float32, double float64, double gpu) {}

    static final List<TheanoRef> THEANO = List.of(
            new TheanoRef("logistic_sgd.sgd_optimization_mnist(n_epochs=30)",
                    "logistic SGD 784-10, 30 epochs, batch 600, lr 0.13", 6.4, 9.3, 2.9),
            new TheanoRef("mlp.test_mlp(n_epochs=5)",
                    "MLP 784-500-10 tanh, 5 epochs, batch 20, lr 0.01, L2 1e-4", 42.5, 76.1, 18.99),
            new TheanoRef("DBN.test_DBN(pretraining_epochs=1, training_epochs=2, batch_size=300)",
                    "DBN 784-1000-1000-1000-10, 1 pre-training epoch per layer (CD-1, lr 0.01) + 2 fine-tuning epochs"
                            + " (lr 0.1), batch 300", 199.0, 355.0, 17.2),
            new TheanoRef("rbm.test_rbm(training_epochs=1, batch_size=300, n_chains=1, n_samples=1)",
                    "RBM 784-500 PCD-15, 1 epoch, batch 300, lr 0.1", 201.9, 268.2, 122));

    private void theano() throws IOException {
        Dataset all = TrainingBench.sixtyThousand();
        Dataset data = subset(all, 50_000);
        // The tutorials validate on MNIST's 10,000 validation images every epoch: rows 50,000-59,999 here.
        Dataset valid = all.rows() > data.rows() ? all.subset(data.rows(), Math.min(all.rows(), data.rows()
                + Math.max(1, data.rows() / 5))) : null;
        say("== Theano tutorial speed-test workloads");
        double[] s = new double[THEANO.size()];
        long t = System.nanoTime();
        try (Mlp m = LogisticRegression.multinomial(cpu, 784, 10)) {
            m.fit(data, valid, plainSgd(30, 600, 0.13f));
        }
        s[0] = theanoDone(0, t);
        t = System.nanoTime();
        try (Mlp m = Mlp.create(cpu, new int[] {784, 500, 10}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                1)) {
            m.fit(data, valid, plainSgd(5, 20, 0.01f).weightDecay(1e-4f));
        }
        s[1] = theanoDone(1, t);
        t = System.nanoTime();
        try (Dbn dbn = Dbn.create(cpu, new int[] {784, 1000, 1000, 1000}, Rbm.Visible.BERNOULLI, 1)) {
            dbn.pretrain(data, null, plainSgd(1, 300, 0.01f), new RbmOptions());
            dbn.finetune(data, valid, plainSgd(2, 300, 0.1f), 10);
        }
        s[2] = theanoDone(2, t);
        t = System.nanoTime();
        try (Rbm rbm = Rbm.create(cpu, 784, 500, Rbm.Visible.BERNOULLI, 1)) {
            rbm.fit(data, null, plainSgd(1, 300, 0.1f), new RbmOptions().k(15).persistent(true));
        }
        s[3] = theanoDone(3, t);

        md.append("## Theano deep-learning tutorial speed-test workloads\n\n")
                .append("The workloads of the speed test of the Theano deep-learning tutorials (DeepLearningTutorials,"
                        + " `code/test.py`, `speed()`), with the tutorials' settings (plain SGD, no momentum), on ")
                .append(data.description()).append(" (first ").append(data.rows()).append(" rows, the size of MNIST's"
                        + " training split; Fashion-MNIST has MNIST's shape)")
                .append(valid == null ? "" : ", validated every epoch on the next " + valid.rows() + " rows (MNIST's"
                        + " validation split has 10,000) as the supervised tutorials do")
                .append(". dbn4j: wall time of the whole training call (validation and monitoring included), float32,"
                        + " ").append(threads).append(" thread(s), one run, seed 1, no warm-up.\n\n")
                .append("Published reference times (seconds), from the same file: Theano's `mode.call_time` summed"
                        + " over the tutorial script, i.e. the time inside compiled Theano functions (training,"
                        + " validation, and the test-set evaluations the tutorials make whenever the validation score"
                        + " improves; the RBM tutorial adds its pseudo-likelihood cost per batch and 1,000 Gibbs steps"
                        + " of one sampling chain), without compilation, data loading or the Python loop; on MNIST."
                        + " Machine of those numbers (test.py's comment): Intel Core i7-920 2.67 GHz (2008, Nehalem,"
                        + " SSE4.2, no AVX), EPD 7.1-2 Python with MKL, 1 BLAS thread; GPU a GeForce GTX 580; Theano"
                        + " 0.5rc2 era (2012). They set the scale only: another machine, another decade, MNIST instead"
                        + " of Fashion-MNIST, and call time instead of wall time.\n\n")
                .append("| workload | Theano script (test.py) | dbn4j s | Theano float32 CPU s | Theano float64 CPU s |"
                        + " Theano GPU float32 s | Theano float32 CPU / dbn4j |\n|---|---|---|---|---|---|---|\n");
        boolean whole = data.rows() == 50_000;
        for (int i = 0; i < s.length; i++) {
            TheanoRef r = THEANO.get(i);
            md.append(String.format(Locale.ROOT, "| %s | `%s` | %.2f | %s | %s | %s | %s |%n", r.name, r.script, s[i],
                    sig(r.float32), sig(r.float64), sig(r.gpu), whole ? String.format(Locale.ROOT, "%.1f",
                            r.float32 / s[i]) : "n/a (subset)"));
        }
        if (!whole) {
            md.append("\n**Subset** (--rows or a smaller data set): the dbn4j times are of " + data.rows()
                    + " rows, not 50,000, so they are not comparable with the reference times.\n");
        }
        md.append('\n');
    }

    /** Plain mini-batch SGD (no momentum, seed 1), as the Theano tutorials train. */
    private static TrainConfig plainSgd(int epochs, int batch, float lr) {
        return new TrainConfig().epochs(epochs).batchSize(batch).learningRate(lr).momentum(0f).seed(1);
    }

    private double theanoDone(int i, long start) {
        double s = (System.nanoTime() - start) / 1e9;
        say(String.format(Locale.ROOT, "%s: %.2f s (Theano float32 CPU reference %.1f s)", THEANO.get(i).name, s,
                THEANO.get(i).float32));
        return s;
    }

    // ---- charts ----

    private void charts(List<Kernel> kernels, List<Training> training, PeerResults peers, SuiteGpu gpu)
            throws IOException {
        List<SuiteCharts.Bar> thr = new ArrayList<>();
        for (Training t : training) {
            thr.add(new SuiteCharts.Bar(t.name + " b" + t.batch, "dbn4j cpu", t.rows / t.median(), noisy(t.epochS)));
        }
        if (peers != null) {
            // Grouped by dbn4j's workload (a peer's own workload, e.g. sklearn's PCD-1, beside the one it is
            // compared with), then by the batch of the run, dbn4j's bar first in each group.
            List<PeerResult> results = new ArrayList<>(peers.results.values());
            List<String> order = new ArrayList<>();
            for (PeerResult r : results) {
                if (r.fields().get("peer").equals("dbn4j") && !order.contains(r.fields().get("workload"))) {
                    order.add(r.fields().get("workload"));
                }
            }
            results.sort(java.util.Comparator.comparingInt((PeerResult r) -> {
                int i = order.indexOf(comparedWith(r.fields().get("workload")));
                return i < 0 ? order.size() : i;
            }).thenComparingInt(PeerResult::batch).thenComparing(r -> !r.fields().get("peer").equals("dbn4j")));
            for (PeerResult r : results) {
                Map<String, String> f = r.fields();
                thr.add(new SuiteCharts.Bar("[peers run] " + f.get("workload") + " b" + f.get("batch"),
                        f.get("peer").equals("dbn4j") ? "dbn4j cpu (peers run)" : f.get("peer"),
                        rowsOf(f) / Double.parseDouble(f.get("epoch_s_median")), false));
            }
        }
        thr.addAll(gpu.throughputBars());
        SuiteCharts.horizontalBars(out.resolve("throughput.png"), "Training throughput per workload and backend"
                + " (" + threads + " thread(s))", "samples per second (log scale)", thr, true, Double.NaN, Double.NaN);
        List<SuiteCharts.Bar> eff = new ArrayList<>();
        for (Kernel k : kernels) {
            if (!Double.isNaN(k.fraction)) {
                eff.add(new SuiteCharts.Bar(k.name + (k.params.contains("shape") ? " " + k.params.replaceAll(".*shape=",
                        "").replaceAll(",.*", "") : ""), k.rateUnit.equals("GFLOP/s") ? "kernel / SGEMM peak"
                        : "kernel / " + copyTier(k.name) + " copy of its working set", k.fraction,
                        k.n > 1 && spread(k.min, k.max, k.median) > NOISY));
            }
        }
        for (Training t : training) {
            eff.add(new SuiteCharts.Bar(t.name + " b" + t.batch, "training / SGEMM peak",
                    t.flopsPerEpoch / t.median() / 1e9 / peakGflops, noisy(t.epochS)));
        }
        eff.addAll(gpu.efficiencyBars());
        double top = 1.0; // the axis reaches the largest fraction, so that no bar is cut off
        for (SuiteCharts.Bar b : eff) {
            top = Double.isFinite(b.value()) ? Math.max(top, Math.ceil(b.value() * 10) / 10) : top;
        }
        Map<Long, Double> cached = new java.util.TreeMap<>();
        for (long set : copySamples.keySet()) {
            if (set > l2Bytes) {
                cached.put(set, copyCeiling(set));
            }
        }
        SuiteCharts.horizontalBars(out.resolve("efficiency.png"), String.format(Locale.ROOT, "Efficiency against the"
                + " ceiling (SGEMM %.1f GFLOP/s; copy DRAM %.1f GB/s, L3-resident %.0f–%.0f GB/s)", peakGflops, copyGBs,
                cached.values().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                cached.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN)),
                "fraction of the ceiling (red line: at the ceiling)", eff, false, top, 1.0);
        md.append("## Charts\n\n![throughput](throughput.png)\n\n![efficiency](efficiency.png)\n");
    }

    // ---- helpers ----

    private void row2(String k, String v) {
        md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|")).append(" |\n");
    }

    private static void say(String s) {
        System.out.println("# suite: " + s);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String field(String cpuinfo, String key) {
        for (String l : cpuinfo.split("\n")) {
            if (l.startsWith(key) && l.indexOf(':') > 0) {
                return l.substring(l.indexOf(':') + 1).trim();
            }
        }
        return "?";
    }

    private static String loadAverage() {
        String[] f = read("/proc/loadavg").trim().split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "n/a";
    }

    private static double num(Object o) {
        return o instanceof Number ? ((Number) o).doubleValue() : Double.parseDouble(o.toString());
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    static double spread(double min, double max, double median) {
        return (max - min) / median;
    }

    static boolean noisy(double[] v) {
        return v.length > 1 && spread(min(v), max(v), TrainingBench.median(v)) > NOISY;
    }

    static String flag(double[] v) {
        return v.length == 0 ? "" : v.length < 2 ? "single sample" : noisy(v) ? "noisy" : "";
    }

    /** Three significant digits, plain notation where that is short. */
    static String sig(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        if (a >= 1e6) {
            return String.format(Locale.ROOT, "%.3g", v).replace("e+0", "e").replace("e+", "e");
        }
        return a >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
