package dbn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.io.Json;
import dbn4j.io.SafeTensors;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: the dbn4j command run as a separate process, as a batch job would run it. */
class CliTest {
    @TempDir
    static Path dir;

    static Path idx;

    /** The exit code, stdout and stderr of one run. */
    record Run(int code, String out, String err) {}

    static Run dbn4j(String... args) throws IOException, InterruptedException {
        return dbn4jJvm(List.of(), args);
    }

    /** A run with extra JVM options (system properties) before the main class. */
    static Run dbn4jJvm(List<String> jvm, String... args) throws IOException, InterruptedException {
        Process p = start(jvm, args);
        boolean finished = p.waitFor(5, TimeUnit.MINUTES);
        assertTrue(finished, "dbn4j " + String.join(" ", args) + " finished");
        return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
    }

    static Process start(String... args) throws IOException {
        return start(List.of(), args);
    }

    static Process start(List<String> jvm, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Xmx1g");
        cmd.addAll(jvm);
        cmd.add(Cli.class.getName());
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
    }

    static void writeIdx(Path images, Path labels, Dataset d, int from, int to) throws IOException {
        int n = to - from;
        try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)))) {
            o.writeInt(0x00000803);
            o.writeInt(n);
            o.writeInt(28);
            o.writeInt(28);
            for (int i = from * 784; i < to * 784; i++) {
                o.writeByte(Math.round(d.features()[i] * 255));
            }
        }
        try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(labels)))) {
            o.writeInt(0x00000801);
            o.writeInt(n);
            for (int i = from; i < to; i++) {
                o.writeByte(d.labels()[i]);
            }
        }
    }

    @BeforeAll
    static void smallIdx() throws IOException {
        FashionMnist f = FashionMnist.loadSample();
        idx = dir.resolve("idx");
        Files.createDirectories(idx);
        writeIdx(idx.resolve("train-images-idx3-ubyte.gz"), idx.resolve("train-labels-idx1-ubyte.gz"), f.train(), 0, 600);
        writeIdx(idx.resolve("t10k-images-idx3-ubyte.gz"), idx.resolve("t10k-labels-idx1-ubyte.gz"), f.test(), 0, 200);
    }

    static void assertOneLineError(Run r, int code, String... words) {
        assertEquals(code, r.code(), "exit code; stderr: " + r.err());
        String err = r.err().strip();
        for (String w : words) {
            assertTrue(err.contains(w), "stderr '" + err + "' should contain '" + w + "'");
        }
        assertFalse(err.contains("\tat "), "no stack trace without --verbose: " + err);
    }

    static BufferedImage image(Path p) throws IOException {
        BufferedImage img = ImageIO.read(p.toFile());
        assertNotNull(img, p + " is a readable PNG");
        return img;
    }

    /**
     * -Ddbn4j.isa picks the kernels' level: an unknown level and one the CPU lacks are one-line errors, and a DBN
     * trained at the AVX2 level and at the AVX-512 level (where the CPU has it) is the same file, byte for byte:
     * elementwise kernels and the own GEMM's two builds agree bit for bit, and with layers of 64 units AUTO gives the
     * own GEMM the same products at both levels — unless OpenBLAS runs AVX-512 kernels, which the AVX2 build leaves
     * every product to.
     */
    @Test
    void isaLevelsTrainTheSameModel() throws Exception {
        dbn4j.cpu.CpuBackend cpu = dbn4j.cpu.CpuBackend.instance();
        int supported = cpu.supportedIsa();
        assumeTrue(supported >= dbn4j.cpu.CpuBackend.ISA_AVX2, "no AVX2 on this CPU");
        assertOneLineError(dbn4jJvm(List.of("-Ddbn4j.isa=mmx"), "train", "--data", idx.toString(), "--output",
                dir.resolve("isa-bad").toString()), 1, "dbn4j.isa must be one of", "mmx");
        if (supported < dbn4j.cpu.CpuBackend.ISA_AVX512) {
            assertOneLineError(dbn4jJvm(List.of("-Ddbn4j.isa=avx512"), "train", "--data", idx.toString(), "--output",
                    dir.resolve("isa-missing").toString()), 1, "dbn4j.isa=avx512", "not avx512");
        }
        String core = cpu.blasCoreName().toLowerCase(java.util.Locale.ROOT);
        assumeFalse(core.contains("skylakex") || core.contains("cooperlake") || core.contains("sapphire"),
                "OpenBLAS core " + core + ": the AVX2 level leaves every product to OpenBLAS");
        List<String> levels = supported >= dbn4j.cpu.CpuBackend.ISA_AVX512 ? List.of("avx2", "avx512")
                : List.of("avx2", "best");
        byte[][] models = new byte[2][];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("isa-" + levels.get(i));
            Run r = dbn4jJvm(List.of("-Ddbn4j.isa=" + levels.get(i)), "train", "--data", idx.toString(), "--hidden",
                    "64,64", "--pretrain-epochs", "1", "--epochs", "2", "--batch-size", "50", "--sample-steps", "5",
                    "--output", out.toString());
            assertEquals(0, r.code(), r.err());
            if (!levels.get(i).equals("best")) {
                assertTrue(r.out().contains("kernels " + levels.get(i)), r.out());
            }
            models[i] = Files.readAllBytes(out.resolve("model.safetensors"));
        }
        assertArrayEquals(models[0], models[1], "model trained at " + levels + ": not the same bytes");
    }

    @Test
    void dbnSessionOnIdxTrainEvaluatePredictSampleInspect() throws Exception {
        Path out = dir.resolve("dbn-run");
        Run r = dbn4j("train", "--data", idx.toString(), "--hidden", "64,32", "--pretrain-epochs", "2", "--epochs", "3",
                "--batch-size", "50", "--sample-steps", "20", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy:"), r.out());
        assertFalse(r.out().contains("\r") || r.out().contains("\u001b"), "no control characters in a log");
        // One line per epoch: 2 RBMs x 2 epochs + 3 fine-tuning epochs.
        assertEquals(7, r.out().lines().filter(l -> l.matches("^(rbm\\[\\d\\]|dbn-finetune) epoch \\d+/\\d+:.*")).count(),
                r.out());
        for (String f : new String[] {"model.safetensors", "config.json", "metrics.jsonl", "curves.png", "filters.png",
            "samples.png", "reconstructions.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " written");
        }
        assertFalse(Files.exists(out.resolve("checkpoint.safetensors.finetune")), "checkpoints removed after success");
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(7, lines.size());
        for (String line : lines) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(line);
            assertTrue(m.containsKey("phase") && m.containsKey("epoch") && m.containsKey("samples_per_second")
                    && m.containsKey("elapsed_seconds"), line);
        }
        assertTrue(((Map<?, ?>) Json.parse(lines.get(0))).containsKey("reconstruction_error"));
        assertTrue(((Map<?, ?>) Json.parse(lines.get(6))).containsKey("train_loss"));
        Map<?, ?> cfg = (Map<?, ?>) Json.parse(Files.readString(out.resolve("config.json")));
        assertEquals("dbn", cfg.get("model"));
        assertEquals(List.of(64L, 32L), cfg.get("hidden"));
        // 100 samples of 28 x 28 in a 10 x 10 grid: square; 64 filters of 28 x 28 in an 8 x 8 mosaic: square.
        BufferedImage samples = image(out.resolve("samples.png"));
        assertEquals(samples.getWidth(), samples.getHeight());
        assertTrue(samples.getWidth() >= 280, "samples at least 10 x 28 pixels wide");
        BufferedImage filters = image(out.resolve("filters.png"));
        assertEquals(filters.getWidth(), filters.getHeight());
        assertTrue(image(out.resolve("curves.png")).getWidth() >= 600);
        assertTrue(image(out.resolve("reconstructions.png")).getWidth() >= 56);

        Path model = out.resolve("model.safetensors");
        r = dbn4j("evaluate", "--model-file", model.toString(), "--data", idx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("accuracy:") && r.out().contains("confusion matrix"), r.out());

        Path preds = dir.resolve("preds.csv");
        r = dbn4j("predict", "-M", model.toString(), "--data", idx.toString(), "-o", preds.toString());
        assertEquals(0, r.code(), r.err());
        List<String> rows = Files.readAllLines(preds);
        assertEquals(201, rows.size(), "header + one row per test image");
        assertTrue(rows.get(0).startsWith("row,predicted,p0"));

        r = dbn4j("sample", "-M", model.toString(), "-n", "16", "--steps", "5", "-o", dir.resolve("s.png").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(image(dir.resolve("s.png")).getWidth() > 0);

        r = dbn4j("inspect", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("dbn4j dbn") && r.out().contains("rbm.0.weight: F32 [784, 64]"), r.out());

        r = dbn4j("train", "--data", idx.toString(), "--output", out.toString());
        assertOneLineError(r, 2, "holds an earlier run", "--resume", "--overwrite");
    }

    static void writeCsv(Path file, int n, long seed, String header) throws IOException {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(header == null ? "" : header + "\n");
        for (int i = 0; i < n; i++) {
            int y = rnd.nextInt(3);
            sb.append(y);
            for (int j = 0; j < 6; j++) {
                sb.append(',').append(String.format(java.util.Locale.ROOT, "%.3f", (j % 3 == y ? 3 : 0) + rnd.nextGaussian()));
            }
            sb.append('\n');
        }
        Files.writeString(file, sb.toString());
    }

    @Test
    void mlpOnCsvWithConfigFileAndOverride() throws Exception {
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv");
        writeCsv(train, 600, 1, "label,a,b,c,d,e,f");
        writeCsv(test, 200, 2, null);
        Path config = dir.resolve("mlp.json");
        Files.writeString(config, "{\"model\": \"mlp\", \"hidden\": [16], \"epochs\": 50, \"batch-size\": 20, "
                + "\"scale\": \"standardize\"}");
        Path out = dir.resolve("csv-run");
        Run r = dbn4j("train", "--config", config.toString(), "--epochs", "5", "--data", train.toString(), "--test-data",
                test.toString(), "--output", out.toString(), "--metrics-stdout");
        assertEquals(0, r.code(), r.err());
        Map<?, ?> cfg = (Map<?, ?>) Json.parse(Files.readString(out.resolve("config.json")));
        assertEquals("mlp", cfg.get("model"));
        assertEquals(5L, cfg.get("epochs"), "the command line overrides the config file");
        assertEquals(20L, cfg.get("batch-size"), "the config file sets what the command line leaves");
        assertEquals(5, r.out().lines().filter(l -> l.startsWith("{\"phase\"")).count(), "JSON metrics on stdout");
        String acc = r.out().lines().filter(l -> l.startsWith("test accuracy:")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(acc.split("\\s+")[2]) > 0.8, acc);
    }

    static String[] mlpRun(Path out) {
        // Long enough (30 epochs of 120 mini-batches) that a kill after the first checkpoint lands mid-run.
        return new String[] {"train", "--model", "mlp", "--data", idx.toString(), "--hidden", "512", "--epochs", "30",
            "--batch-size", "5", "--output", out.toString(), "--no-pictures"};
    }

    @Test
    void killedAndResumedRunsEndBitIdenticalToAnUninterruptedRun() throws Exception {
        Path whole = dir.resolve("whole");
        assertEquals(0, dbn4j(mlpRun(whole)).code());
        Map<String, SafeTensors.Tensor> expected = SafeTensors.read(whole.resolve("model.safetensors")).tensors();

        for (boolean term : new boolean[] {true, false}) {
            Path out = dir.resolve(term ? "sigterm" : "sigkill");
            Process p = start(mlpRun(out));
            Path ckpt = out.resolve("checkpoint.safetensors");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.exists(ckpt) && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(ckpt), "a checkpoint after the first epoch");
            if (term) {
                p.destroy(); // SIGTERM: the run writes a checkpoint after its current mini-batch
            } else {
                p.destroyForcibly(); // SIGKILL: the last epoch checkpoint remains
            }
            assertTrue(p.waitFor(2, TimeUnit.MINUTES));
            assertTrue(p.exitValue() != 0, "interrupted run exits non-zero");
            Run r = dbn4j("train", "--output", out.toString(), "--resume");
            assertEquals(0, r.code(), r.err());
            Map<String, SafeTensors.Tensor> got = SafeTensors.read(out.resolve("model.safetensors")).tensors();
            for (String name : expected.keySet()) {
                assertArrayEquals(expected.get(name).f32(), got.get(name).f32(),
                        (term ? "SIGTERM" : "SIGKILL") + ": " + name + " bit-identical after resume");
            }
            assertEquals(30, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "one metrics line per epoch");
        }
    }

    @Test
    void streamsUncompressedIdxFromDisk() throws Exception {
        Path raw = dir.resolve("raw");
        Files.createDirectories(raw);
        FashionMnist f = FashionMnist.loadSample();
        Path gzImages = dir.resolve("tmp-images.gz");
        Path gzLabels = dir.resolve("tmp-labels.gz");
        writeIdx(gzImages, gzLabels, f.train(), 0, 1000);
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(gzImages))) {
            Files.copy(in, raw.resolve("train-images-idx3-ubyte"));
        }
        Files.copy(gzLabels, raw.resolve("train-labels-idx1-ubyte.gz"));
        Files.copy(idx.resolve("t10k-images-idx3-ubyte.gz"), raw.resolve("t10k-images-idx3-ubyte.gz"));
        Files.copy(idx.resolve("t10k-labels-idx1-ubyte.gz"), raw.resolve("t10k-labels-idx1-ubyte.gz"));
        Path out = dir.resolve("stream-run");
        Run r = dbn4j("train", "--model", "lr", "--stream", "--data", raw.toString(), "--epochs", "3", "--no-pictures",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("streamed") && r.out().contains("test accuracy:"), r.out());
        assertOneLineError(dbn4j("train", "--stream", "--data", idx.toString(), "--output", dir.resolve("s2").toString()),
                1, "gzip");
    }

    @Test
    void badInputGivesOneLineNamingTheProblem() throws Exception {
        Path out = dir.resolve("bad-run");
        Run r = dbn4j("train", "--data", dir.resolve("missing.csv").toString(), "--output", out.toString());
        assertOneLineError(r, 1, "missing.csv", "no such file");

        r = dbn4j("train", "--data", idx.toString() + "/", "--test-data", idx.toString(), "--output", out.toString());
        assertOneLineError(r, 1, "is a directory");

        Path badMagic = dir.resolve("bad-images.idx");
        Files.write(badMagic, new byte[] {0, 0, 8, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0});
        r = dbn4j("train", "--data", badMagic.toString(), "--labels", idx.resolve("train-labels-idx1-ubyte.gz").toString(),
                "--output", out.toString());
        assertOneLineError(r, 1, "bad-images.idx", "magic");

        Path truncated = dir.resolve("short-images.idx");
        byte[] header = {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28};
        Files.write(truncated, Arrays.copyOf(header, 16 + 100));
        r = dbn4j("train", "--data", truncated.toString(), "--labels", idx.resolve("train-labels-idx1-ubyte.gz").toString(),
                "--output", out.toString());
        assertOneLineError(r, 1, "short-images.idx");

        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "1,2,3\n0,1,1\n1,2\n");
        assertOneLineError(dbn4j("train", "--data", ragged.toString(), "--output", out.toString()), 1, "ragged.csv",
                "line 3", "expected 3 columns");

        Path word = dir.resolve("word.csv");
        Files.writeString(word, "1,2,3\n0,x1,1\n");
        assertOneLineError(dbn4j("train", "--data", word.toString(), "--output", out.toString()), 1, "word.csv",
                "line 2", "'x1' is not a number");

        Path label = dir.resolve("label.csv");
        Files.writeString(label, "1,2,3\n5,1,1\n");
        assertOneLineError(dbn4j("train", "--data", label.toString(), "--classes", "2", "--output", out.toString()), 1,
                "label.csv", "line 2", "label 5");

        assertOneLineError(dbn4j("train", "--model", "svm", "--output", out.toString()), 2, "--model");
        assertOneLineError(dbn4j("train", "--epochs", "zero"), 2, "--epochs");
        assertOneLineError(dbn4j("train", "--no-such-option"), 2, "no-such-option");

        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        assertOneLineError(dbn4j("train", "--output", file.resolve("sub").toString()), 1, "a-file");

        Path rbmRun = dir.resolve("rbm-run");
        Run t = dbn4j("train", "--model", "rbm", "--data", idx.toString(), "--hidden", "16", "--epochs", "1",
                "--no-pictures", "--output", rbmRun.toString());
        assertEquals(0, t.code(), t.err());
        assertOneLineError(dbn4j("predict", "-M", rbmRun.resolve("model.safetensors").toString(), "--data",
                idx.toString()), 1, "not a classifier");

        Path newer = dir.resolve("newer.safetensors");
        SafeTensors.Contents c = SafeTensors.read(rbmRun.resolve("model.safetensors"));
        Map<String, String> meta = new java.util.LinkedHashMap<>(c.metadata());
        meta.put("format_version", "7");
        SafeTensors.write(newer, c.tensors(), meta);
        assertOneLineError(dbn4j("evaluate", "-M", newer.toString(), "--data", idx.toString()), 1, "newer.safetensors",
                "newer");

        Path cut = dir.resolve("cut.safetensors");
        byte[] bytes = Files.readAllBytes(rbmRun.resolve("model.safetensors"));
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        assertOneLineError(dbn4j("inspect", cut.toString()), 1, "cut.safetensors");

        Run verbose = dbn4j("inspect", cut.toString(), "--verbose");
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");
    }

    @Test
    void helpShowsDefaultsAndExitsZero() throws Exception {
        Run r = dbn4j("train", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--learning-rate") && r.out().contains("Default: dbn"), r.out());
        r = dbn4j("--help");
        assertEquals(0, r.code());
        for (String sub : new String[] {"train", "evaluate", "predict", "sample", "inspect"}) {
            assertTrue(r.out().contains(sub), sub);
        }
        assertEquals(2, dbn4j().code(), "no subcommand is bad usage");
    }
}
