package dbn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.Backend;
import dbn4j.Backends;
import dbn4j.data.DataFormatException;
import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import dbn4j.data.IdxRowSource;
import dbn4j.data.RowSource;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training data streamed from disk in chunks: every row once per epoch, learning, and resume. */
class StreamingTest {
    static final Backend BE = Backends.cpu();

    @TempDir
    Path dir;

    /** Rows whose first feature is the row index, so that a batch tells which rows it holds. */
    static final class Numbered implements RowSource {
        final int rows;

        Numbered(int rows) {
            this.rows = rows;
        }

        public int rows() {
            return rows;
        }

        public int cols() {
            return 2;
        }

        public int numClasses() {
            return 2;
        }

        public String description() {
            return "numbered";
        }

        public void read(int from, int count, float[] features, int[] labels) {
            for (int i = 0; i < count; i++) {
                features[2 * i] = from + i;
                features[2 * i + 1] = 1f;
                labels[i] = (from + i) % 2;
            }
        }

        public void close() {}
    }

    @Test
    void everyRowExactlyOncePerEpochInASeededOrder() {
        int n = 3 * StreamedBatches.CHUNK_ROWS + 777; // full chunks plus a partial one
        int[][] orders = new int[2][];
        for (int run = 0; run < 2; run++) {
            try (StreamedBatches b = new StreamedBatches(BE, new Numbered(n), null, 0, 100)) {
                b.shuffle(5, 3);
                int[] seen = new int[n];
                int k = 0;
                for (int i = 0; i < b.count(); i++) {
                    float[] x = b.x(i).toArray();
                    for (int r = 0; r < x.length / 2; r++) {
                        seen[k++] = (int) x[2 * r];
                    }
                }
                assertEquals(n, k);
                orders[run] = seen.clone();
                int[] sorted = seen.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < n; i++) {
                    assertEquals(i, sorted[i], "row " + i + " exactly once");
                }
                assertTrue(!Arrays.equals(sorted, seen), "shuffled");
            }
        }
        assertArrayEquals(orders[0], orders[1], "the order depends only on (seed, epoch)");
    }

    static Path writeIdx(Path dir, Dataset d, int copies) throws IOException {
        Path images = dir.resolve("images.idx");
        Path labels = dir.resolve("labels.idx");
        int n = d.rows() * copies;
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(images)))) {
            o.writeInt(0x803);
            o.writeInt(n);
            o.writeInt(28);
            o.writeInt(28);
            for (int c = 0; c < copies; c++) {
                for (float v : d.features()) {
                    o.writeByte(Math.round(v * 255));
                }
            }
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labels))) {
            o.writeInt(0x801);
            o.writeInt(n);
            for (int c = 0; c < copies; c++) {
                for (int y : d.labels()) {
                    o.writeByte(y);
                }
            }
        }
        return images;
    }

    @Test
    void streamedTrainingLearnsAndResumesBitIdentically() throws IOException {
        FashionMnist f = FashionMnist.loadSample();
        Path images = writeIdx(dir, f.train(), 3); // 12 000 rows: one full chunk and a partial one
        TrainConfig base = new TrainConfig().epochs(2).batchSize(50).learningRate(0.05f).seed(3);
        float[] expected;
        try (RowSource src = IdxRowSource.open(images, dir.resolve("labels.idx"), 10);
                Mlp lr = LogisticRegression.multinomial(BE, 784, 10)) {
            assertEquals(12_000, src.rows());
            lr.fit(src, null, base.copy());
            assertTrue(lr.evaluate(f.test()).accuracy() > 0.75, "streamed logistic regression learns");
            expected = lr.params(0).toArray();
        }
        Path ckpt = dir.resolve("stream.ckpt");
        try (RowSource src = IdxRowSource.open(images, dir.resolve("labels.idx"), 10);
                Mlp lr = LogisticRegression.multinomial(BE, 784, 10)) {
            assertThrows(TrainingInterruptedException.class,
                    () -> lr.fit(src, null, ModelFilesTest.stopAfterBatches(base.copy().checkpoint(ckpt, 5), 300)));
        }
        try (RowSource src = IdxRowSource.open(images, dir.resolve("labels.idx"), 10);
                Mlp lr = LogisticRegression.multinomial(BE, 784, 10)) {
            lr.fit(src, null, base.copy().checkpoint(ckpt, 5));
            assertArrayEquals(expected, lr.params(0).toArray(), "resumed mid-epoch from a stream");
        }
        try (RowSource src = IdxRowSource.open(images, dir.resolve("labels.idx"), 10);
                Dbn dbn = Dbn.create(BE, new int[] {784, 32, 16}, Rbm.Visible.BERNOULLI, 1)) {
            TrainConfig cfg = new TrainConfig().epochs(1).batchSize(100).learningRate(0.05f);
            dbn.pretrain(src, null, cfg, new RbmOptions());
            dbn.finetune(src, null, cfg, 10);
            assertTrue(dbn.evaluate(f.test()).accuracy() > 0.3, "streamed DBN learns");
        }
    }

    /**
     * An in-memory data set larger than the backend can give its data (a GPU's memory; forced here with the test
     * switch) is streamed in chunks: training then equals training on the same rows read as a RowSource, bit for bit,
     * and not the in-memory training (whose shuffle visits the rows in another order), for an MLP and an RBM.
     */
    @Test
    void dataLargerThanTheBackendsMemoryIsStreamed() {
        Dataset data = chunkAndAPart(11, "larger than the backend");
        TrainConfig cfg = new TrainConfig().epochs(2).batchSize(100).learningRate(0.1f).momentum(0.5f).seed(4);
        float[][] mlp = new float[3][];
        float[][] rbm = new float[3][];
        for (int way = 0; way < 3; way++) { // 0: in memory, 1: streamed for want of room, 2: a RowSource
            TrainingData.dataMemoryForTests = way == 1 ? 0 : -1;
            try (Mlp m = Mlp.create(BE, new int[] {6, 5, 2}, Activation.TANH, Activation.SOFTMAX, Loss.CROSS_ENTROPY,
                    2); Rbm b = Rbm.create(BE, 6, 4, Rbm.Visible.BERNOULLI, 2)) {
                RbmOptions opts = new RbmOptions().k(1).monitorRows(50);
                if (way < 2) {
                    m.fit(data, null, cfg);
                    b.fit(data, null, cfg, opts);
                } else {
                    m.fit(new TrainingData.DatasetRows(data), null, cfg);
                    b.fit(new TrainingData.DatasetRows(data), null, cfg, opts);
                }
                mlp[way] = m.params(0).toArray();
                rbm[way] = b.weights().toArray();
            } finally {
                TrainingData.dataMemoryForTests = -1;
            }
        }
        assertArrayEquals(mlp[2], mlp[1], "MLP: streamed for want of room = trained from a RowSource");
        assertArrayEquals(rbm[2], rbm[1], "RBM: streamed for want of room = trained from a RowSource");
        assertTrue(!Arrays.equals(mlp[0], mlp[1]) && !Arrays.equals(rbm[0], rbm[1]),
                "the in-memory path (another order) was not taken");
    }

    /**
     * A full streaming chunk of rows and a partial one (StreamedBatches.CHUNK_ROWS + 300): 6 uniform features, the
     * label whether the first two add up to more than 1.
     */
    static Dataset chunkAndAPart(long seed, String name) {
        int rows = StreamedBatches.CHUNK_ROWS + 300;
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[rows * 6];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 6; j++) {
                x[i * 6 + j] = (float) r.nextDouble();
            }
            y[i] = x[i * 6] + x[i * 6 + 1] > 1f ? 1 : 0;
        }
        return new Dataset(x, rows, 6, y, 2, name);
    }

    /** The in-memory data set read as a RowSource: any range of rows, with their labels, or zeros without labels. */
    @Test
    void datasetRowsReadsRangesOfRows() {
        float[] x = new float[7 * 3];
        int[] y = new int[7];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 3;
        }
        TrainingData.DatasetRows labelled = new TrainingData.DatasetRows(new Dataset(x, 7, 3, y, 3, "seven"));
        float[] f = new float[3 * 3];
        int[] l = {9, 9, 9};
        labelled.read(4, 3, f, l);
        assertArrayEquals(Arrays.copyOfRange(x, 12, 21), f, "rows 4..6");
        assertArrayEquals(new int[] {1, 2, 0}, l, "their labels");
        assertEquals(7, labelled.rows());
        assertEquals(3, labelled.cols());
        assertEquals(3, labelled.numClasses());
        Arrays.fill(l, 9);
        new TrainingData.DatasetRows(new Dataset(x, 7, 3, null, 0, "unlabelled")).read(1, 2, f, l);
        assertArrayEquals(Arrays.copyOfRange(x, 3, 9), Arrays.copyOf(f, 6), "rows 1..2");
        assertArrayEquals(new int[] {0, 0, 9}, l, "no labels: zeros, the rest untouched");
    }

    @Test
    void streamingRejectsGzipAndBadLengths() throws IOException {
        Path gz = dir.resolve("x.gz");
        Files.write(gz, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        DataFormatException e = assertThrows(DataFormatException.class, () -> IdxRowSource.open(gz, gz, 10));
        assertTrue(e.getMessage().contains("gzip"), e.getMessage());
        Path shortFile = dir.resolve("short.idx");
        Files.write(shortFile, new byte[] {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3});
        e = assertThrows(DataFormatException.class, () -> IdxRowSource.open(shortFile, shortFile, 10));
        assertTrue(e.getMessage().contains("short.idx") && e.getMessage().contains("36 bytes"), e.getMessage());
    }
}
