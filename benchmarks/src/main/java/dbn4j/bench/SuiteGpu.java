package dbn4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU section of the suite's report, from {@code gpu.txt}: the RESULT lines of {@link GpuBench} (dbn4j on the
 * cuda backend: its ceilings, cuBLAS SGEMM 8192^3 and a 1 GiB device-to-device copy, and the training steps) and of
 * {@code benchmarks/gpu/torch_reference.py} (PyTorch on the same card), which {@code suite.sh} writes where
 * {@code nvidia-smi} sees a card; otherwise the lines that say why there is none.
 */
final class SuiteGpu {
    /** The columns, in order: PyTorch's two modes, then dbn4j's. */
    static final List<String> PEERS = List.of("torch-eager", "torch-graph", "dbn4j", "dbn4j-graph", "dbn4j-tf32",
            "dbn4j-bf16", "dbn4j-fit");
    static final String SGEMM = "sgemm-8192";
    static final String COPY = "d2d-copy-1GiB";

    /** workload -> peer -> value, in the order of the lines; units per workload; the lines without a RESULT. */
    final Map<String, Map<String, Double>> values = new LinkedHashMap<>();
    final Map<String, String> units = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();

    SuiteGpu(List<String> lines) {
        for (String line : lines) {
            Map<String, String> f = Suite.resultFields(line);
            if (f != null && f.containsKey("value") && f.containsKey("unit")) {
                values.computeIfAbsent(f.get("workload"), w -> new LinkedHashMap<>())
                        .put(f.get("peer"), Double.parseDouble(f.get("value")));
                units.put(f.get("workload"), f.get("unit"));
            } else if (line.matches("(?i)\\s*(gpu|# dbn4j|# torch).*")) {
                notes.add(line.trim());
            }
        }
    }

    /** cuBLAS SGEMM FP32 TFLOP/s as dbn4j measured it, or NaN. */
    double peakTflops() {
        Map<String, Double> v = values.get(SGEMM);
        return v == null ? Double.NaN : v.getOrDefault("dbn4j", Double.NaN);
    }

    /** dbn4j's best FP32 number of a workload (eager or CUDA graph), or NaN. */
    static double best(Map<String, Double> v) {
        double best = Double.NaN;
        for (String p : List.of("dbn4j", "dbn4j-graph")) {
            Double x = v.get(p);
            if (x != null && (Double.isNaN(best) || x > best)) {
                best = x;
            }
        }
        return best;
    }

    /** GEMM FLOPs per sample of a training workload of GpuBench, or NaN for the ceilings and unknown names. */
    static double flopsPerSample(String workload) {
        if (workload.startsWith("rbm-cd1-784-500-")) {
            return Suite.rbmFlops(1, false);
        }
        if (workload.startsWith("mlp-784-500-500-10-")) {
            return Suite.mlpFlops(new int[] {784, 500, 500, 10});
        }
        return Double.NaN;
    }

    /** dbn4j's best FP32 number as a fraction of the cuBLAS FP32 peak (training in FLOP/s), or NaN. */
    double fraction(String workload) {
        double peak = peakTflops();
        double v = best(values.get(workload));
        if (workload.equals(SGEMM) || workload.equals(COPY)) {
            return Double.NaN;
        }
        String unit = units.get(workload);
        if (unit.equals("TFLOP/s")) {
            return v / peak;
        }
        return unit.equals("samples/s") ? v * flopsPerSample(workload) / 1e12 / peak : Double.NaN;
    }

    String markdown() {
        StringBuilder md = new StringBuilder("## GPU\n\n");
        if (values.isEmpty()) {
            md.append("Not measured: ").append(notes.isEmpty() ? "no gpu.txt (suite.sh writes it)"
                    : String.join("; ", notes)).append(".\n\n");
            return md.toString();
        }
        for (String n : notes) {
            md.append("- ").append(n.replace("|", "\\|")).append('\n');
        }
        Map<String, Double> sgemm = values.getOrDefault(SGEMM, Map.of());
        Map<String, Double> copy = values.getOrDefault(COPY, Map.of());
        md.append(String.format(Locale.ROOT, "%nCeilings measured in the same run (GpuBench): cuBLAS SGEMM 8192^3 %s"
                + " TFLOP/s FP32, %s TFLOP/s TF32, %s TFLOP/s BF16; device-to-device copy of 1 GiB %s GB/s (read +"
                + " write).%n%n", Suite.sig(sgemm.getOrDefault("dbn4j", Double.NaN)),
                Suite.sig(sgemm.getOrDefault("dbn4j-tf32", Double.NaN)),
                Suite.sig(sgemm.getOrDefault("dbn4j-bf16", Double.NaN)),
                Suite.sig(copy.getOrDefault("dbn4j", Double.NaN))));
        md.append("| workload | unit |");
        PEERS.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append(" dbn4j / torch eager | dbn4j / torch graph | dbn4j / cuBLAS FP32 peak |\n|---|---|");
        PEERS.forEach(p -> md.append("---|"));
        md.append("---|---|---|\n");
        for (Map.Entry<String, Map<String, Double>> e : values.entrySet()) {
            String w = e.getKey();
            if (w.equals(SGEMM) || w.equals(COPY)) {
                continue;
            }
            Map<String, Double> v = e.getValue();
            md.append("| ").append(w).append(" | ").append(units.get(w)).append(" |");
            PEERS.forEach(p -> md.append(' ').append(v.containsKey(p) ? Suite.sig(v.get(p)) : "-").append(" |"));
            double d = best(v);
            double f = fraction(w);
            md.append(' ').append(ratio(d, v.get("torch-eager"))).append(" | ").append(ratio(d, v.get("torch-graph")))
                    .append(" | ").append(Double.isFinite(f) ? String.format(Locale.ROOT, "%.2f", f) : "-")
                    .append(" |\n");
        }
        md.append("\ndbn4j's best FP32 number (eager or CUDA graph) against PyTorch's; `dbn4j-fit` is the models' own"
                + " `fit` loop (shuffling, every mini-batch's loss logged on the device and read once per epoch). Training as a fraction of the peak counts"
                + " the GEMM FLOPs of a step (RBM CD-1: 5 GEMMs; MLP: forward, weight and input gradients).\n\n");
        return md.toString();
    }

    private static String ratio(double a, Double b) {
        return Double.isFinite(a) && b != null && b > 0 ? String.format(Locale.ROOT, "%.2f", a / b) : "-";
    }

    /** Throughput bars (samples/s) of every GPU training result, labelled by workload and peer. */
    List<SuiteCharts.Bar> throughputBars() {
        List<SuiteCharts.Bar> bars = new ArrayList<>();
        values.forEach((w, v) -> {
            if (units.get(w).equals("samples/s")) {
                // The unfused and serial RBM steps measure the fusion and the overlap, not a way to train: not charted.
                v.forEach((p, x) -> {
                    if (!p.contains("unfused") && !p.contains("serial")) {
                        bars.add(new SuiteCharts.Bar("[gpu] " + w, p.startsWith("dbn4j")
                                ? p.replace("dbn4j", "dbn4j cuda") : p, x, false));
                    }
                });
            }
        });
        return bars;
    }

    /** Efficiency bars: dbn4j's GPU training against the cuBLAS FP32 peak. */
    List<SuiteCharts.Bar> efficiencyBars() {
        List<SuiteCharts.Bar> bars = new ArrayList<>();
        for (String w : values.keySet()) {
            double f = fraction(w);
            if (Double.isFinite(f)) {
                bars.add(new SuiteCharts.Bar("[gpu] " + w, "GPU training / cuBLAS SGEMM peak", f, false));
            }
        }
        return bars;
    }
}
