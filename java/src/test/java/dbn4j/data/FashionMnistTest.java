package dbn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    /** The first ten training labels of Fashion-MNIST (looked up in train-labels-idx1-ubyte.gz). */
    private static final int[] FIRST_TRAIN_LABELS = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    /** The first ten test labels. */
    private static final int[] FIRST_TEST_LABELS = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};

    @TempDir
    Path dir;

    private static void checkWellFormed(Dataset d, int rows) {
        assertEquals(rows, d.rows());
        assertEquals(784, d.cols());
        assertEquals(10, d.numClasses());
        d.validate(); // finite, labels in [0, 10)
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : d.features()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        int[] counts = new int[10];
        for (int label : d.labels()) {
            counts[label]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(counts[c] > rows / 20, "class " + c + " has only " + counts[c] + " of " + rows + " examples");
        }
    }

    @Test
    void bundledSample() throws IOException {
        FashionMnist f = FashionMnist.loadSample();
        assertTrue(f.isSample());
        checkWellFormed(f.train(), 4000);
        checkWellFormed(f.test(), 1000);
        assertArrayEquals(FIRST_TRAIN_LABELS, Arrays.copyOf(f.train().labels(), 10));
        assertArrayEquals(FIRST_TEST_LABELS, Arrays.copyOf(f.test().labels(), 10));
        assertTrue(f.source().startsWith("bundled sample of Fashion-MNIST (4000 train, 1000 test images)"),
                f.source());
        assertTrue(f.source().contains("apt-get install dataset-fashion-mnist"), f.source());
        assertTrue(f.train().description().contains("4000 x 784"), f.train().description());
    }

    @Test
    void classNames() {
        assertEquals(10, FashionMnist.CLASS_NAMES.size());
        assertEquals("T-shirt/top", FashionMnist.className(0));
        assertEquals("Ankle boot", FashionMnist.className(9));
    }

    @Test
    void fullSetFromTheSystemDirectory() throws IOException {
        assumeTrue(Files.isRegularFile(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz")),
                "full Fashion-MNIST is not installed in " + FashionMnist.SYSTEM_DIRECTORY
                        + " (apt-get install dataset-fashion-mnist)");
        assumeTrue(System.getProperty(FashionMnist.DIRECTORY_PROPERTY) == null,
                "system property " + FashionMnist.DIRECTORY_PROPERTY + " overrides the system directory");
        FashionMnist f = FashionMnist.load();
        assertFalse(f.isSample());
        assertEquals("full Fashion-MNIST (60000 train, 10000 test images) from " + FashionMnist.SYSTEM_DIRECTORY,
                f.source());
        checkWellFormed(f.train(), 60000);
        checkWellFormed(f.test(), 10000);
        assertEquals(9, f.train().label(0), "the first training image is an ankle boot");
        assertArrayEquals(FIRST_TRAIN_LABELS, Arrays.copyOf(f.train().labels(), 10));
        assertArrayEquals(FIRST_TEST_LABELS, Arrays.copyOf(f.test().labels(), 10));
        assertEquals("Fashion-MNIST train, 60000 x 784, " + FashionMnist.SYSTEM_DIRECTORY, f.train().description());

        // The bundled sample is exactly the first 4000 training and 1000 test images.
        FashionMnist sample = FashionMnist.loadSample();
        assertArrayEquals(sample.train().features(), Arrays.copyOf(f.train().features(), 4000 * 784));
        assertArrayEquals(sample.train().labels(), Arrays.copyOf(f.train().labels(), 4000));
        assertArrayEquals(sample.test().features(), Arrays.copyOf(f.test().features(), 1000 * 784));
        assertArrayEquals(sample.test().labels(), Arrays.copyOf(f.test().labels(), 1000));
    }

    /** Copies the bundled sample into dir, uncompressing the files whose names are given. */
    private void copySample(String... uncompress) throws IOException {
        for (String name : new String[] {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
            try (InputStream in = getClass().getResourceAsStream(FashionMnist.SAMPLE_RESOURCES + name + ".gz")) {
                if (Arrays.asList(uncompress).contains(name)) {
                    Files.copy(new GZIPInputStream(in), dir.resolve(name));
                } else {
                    Files.copy(in, dir.resolve(name + ".gz"));
                }
            }
        }
    }

    @Test
    void systemPropertyNamesTheDirectory() throws IOException {
        copySample("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte");
        FashionMnist f = withProperty(dir.toString());
        assertFalse(f.isSample());
        checkWellFormed(f.train(), 4000);
        checkWellFormed(f.test(), 1000);
        assertTrue(f.source().contains("from " + dir) && f.source().contains(FashionMnist.DIRECTORY_PROPERTY),
                f.source());
    }

    @Test
    void unusableSystemPropertyIsAnError() throws IOException {
        Path missing = dir.resolve("missing");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> withProperty(missing.toString()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(FashionMnist.DIRECTORY_PROPERTY), e.getMessage());

        copySample();
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        e = assertThrows(NoSuchFileException.class, () -> withProperty(dir.toString()));
        assertTrue(e.getMessage().contains("neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte"),
                e.getMessage());

        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0});
        DataFormatException bad = assertThrows(DataFormatException.class, () -> withProperty(dir.toString()));
        assertTrue(bad.getMessage().contains(dir.resolve("t10k-labels-idx1-ubyte").toString()), bad.getMessage());
    }

    private static FashionMnist withProperty(String value) throws IOException {
        String old = System.getProperty(FashionMnist.DIRECTORY_PROPERTY);
        System.setProperty(FashionMnist.DIRECTORY_PROPERTY, value);
        try {
            return FashionMnist.load();
        } finally {
            if (old == null) {
                System.clearProperty(FashionMnist.DIRECTORY_PROPERTY);
            } else {
                System.setProperty(FashionMnist.DIRECTORY_PROPERTY, old);
            }
        }
    }
}
