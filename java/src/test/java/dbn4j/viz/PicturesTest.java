package dbn4j.viz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dbn4j.nn.EpochMetrics;
import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class PicturesTest {
    private static final int WHITE = 0xFFFFFF;
    private static final int BLACK = 0x000000;
    private static final int GRAY = 0x808080;
    private static final int SEPARATOR = Pictures.SEPARATOR.getRGB() & 0xFFFFFF;

    @TempDir
    Path dir;

    private static BufferedImage read(Path png, Dimension expected) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(expected.width, image.getWidth(), "width");
        assertEquals(expected.height, image.getHeight(), "height");
        return image;
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    /** No file but the expected ones: in particular no temporary file left behind. */
    private void assertDirectoryHolds(String... names) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            String[] actual = files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
            String[] expected = names.clone();
            Arrays.sort(expected);
            assertArrayEquals(expected, actual, "files in " + dir + ": " + Arrays.toString(actual));
        }
    }

    // ---- filters ----

    @Test
    void filterTilesAreNormalisedSymmetricallyAroundZero() throws IOException {
        int visible = 4; // 2x2 tiles
        int hidden = 5;
        float[] w = new float[visible * hidden];
        for (int i = 0; i < visible; i++) {
            w[i * hidden] = 1; // tile 0: all +1 -> white
            w[i * hidden + 1] = -1; // tile 1: all -1 -> black
            w[i * hidden + 2] = 0; // tile 2: all 0 -> gray
        }
        // Tile 3: its own scale, max |w| = 2: 2 -> white, -1 -> 0.25 -> 64, 0 -> gray, 1 -> 0.75 -> 191.
        float[] t3 = {2, -1, 0, 1};
        for (int i = 0; i < visible; i++) {
            w[i * hidden + 3] = t3[i];
        }
        // Tile 4: a NaN pixel is marked, and does not spoil the scale of the others.
        float[] t4 = {Float.NaN, 0.5f, -0.5f, 0};
        for (int i = 0; i < visible; i++) {
            w[i * hidden + 4] = t4[i];
        }
        Path png = dir.resolve("filters.png");
        Dimension d = Pictures.filters(png, w, visible, hidden, 2, 2, 100);
        // 5 tiles -> 3 columns, 2 rows; content 3*2 = 6 source pixels wide -> scale ceil(600/6) = 100;
        // separators min(100, 3) = 3 pixels.
        int s = 100;
        int sep = 3;
        assertEquals(new Dimension(3 * (2 * s + sep) + sep, 2 * (2 * s + sep) + sep), d);
        BufferedImage image = read(png, d);

        int pitch = 2 * s + sep;
        // Centre of source pixel (px, py) of tile k.
        java.util.function.BiFunction<Integer, int[], Integer> at = (k, p) ->
                rgb(image, sep + (k % 3) * pitch + p[0] * s + s / 2, sep + (k / 3) * pitch + p[1] * s + s / 2);
        for (int[] p : new int[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
            assertEquals(WHITE, at.apply(0, p));
            assertEquals(BLACK, at.apply(1, p));
            assertEquals(GRAY, at.apply(2, p));
        }
        assertEquals(WHITE, at.apply(3, new int[] {0, 0}));
        assertEquals(0x404040, at.apply(3, new int[] {1, 0}));
        assertEquals(GRAY, at.apply(3, new int[] {0, 1}));
        assertEquals(0xBFBFBF, at.apply(3, new int[] {1, 1}));
        assertEquals(Pictures.NOT_FINITE.getRGB() & 0xFFFFFF, at.apply(4, new int[] {0, 0}));
        assertEquals(WHITE, at.apply(4, new int[] {1, 0}));
        assertEquals(BLACK, at.apply(4, new int[] {0, 1}));

        // Separators: the border, between tiles, and the empty sixth cell.
        assertEquals(SEPARATOR, rgb(image, 0, 0));
        assertEquals(SEPARATOR, rgb(image, sep - 1, sep + 10));
        assertEquals(WHITE, rgb(image, sep, sep));
        assertEquals(WHITE, rgb(image, sep + 2 * s - 1, sep + 2 * s - 1));
        assertEquals(SEPARATOR, rgb(image, sep + 2 * s, sep + 10));
        assertEquals(SEPARATOR, rgb(image, sep + 2 * s + sep - 1, sep + 10));
        assertEquals(BLACK, rgb(image, pitch + sep, sep));
        assertEquals(SEPARATOR, rgb(image, sep + 10, sep + 2 * s + 1));
        assertEquals(SEPARATOR, rgb(image, sep + 2 * pitch + s, sep + pitch + s));
        assertEquals(SEPARATOR, rgb(image, d.width - 1, d.height - 1));
        assertDirectoryHolds("filters.png");
    }

    @Test
    void filtersOfAnMnistSizedRbmAreAtLeast600PixelsWideAndShowAtMostMaxTiles() throws IOException {
        int visible = 28 * 28;
        int hidden = 500;
        float[] w = new float[visible * hidden];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        Path png = dir.resolve("rbm.png");
        Dimension d = Pictures.filters(png, w, visible, hidden, 28, 28, 100);
        // 100 tiles in a 10x10 grid, scale 3: 10 * (84 + 3) + 3.
        assertEquals(new Dimension(873, 873), d);
        read(png, d);
        // One tile: upscaled, but within the size cap.
        Dimension one = Pictures.filters(png, w, visible, hidden, 28, 28, 1);
        assertTrue(one.width >= 600 && one.width <= Mosaic.MAX_SIDE + 6, one.toString());
        assertEquals(one.width, one.height);
        read(png, one);
    }

    // ---- grid ----

    @Test
    void gridOfWhiteImagesIsWhiteInsideTilesWithSeparatorsBetween() throws IOException {
        int width = 3;
        int height = 2;
        int count = 5;
        float[] images = new float[count * width * height];
        Arrays.fill(images, 1f);
        Path png = dir.resolve("samples.png");
        Dimension d = Pictures.grid(png, images, count, width, height, 3);
        // 3 columns, 2 rows; content 9 wide -> scale ceil(600/9) = 67; separators 3.
        int s = 67;
        int sep = 3;
        int pitchX = width * s + sep;
        int pitchY = height * s + sep;
        assertEquals(new Dimension(3 * pitchX + sep, 2 * pitchY + sep), d);
        BufferedImage image = read(png, d);
        for (int k = 0; k < count; k++) {
            int x0 = sep + (k % 3) * pitchX;
            int y0 = sep + (k / 3) * pitchY;
            for (int y = y0; y < y0 + height * s; y += 7) {
                for (int x = x0; x < x0 + width * s; x += 7) {
                    assertEquals(WHITE, rgb(image, x, y), "tile " + k + " at " + x + "," + y);
                }
            }
            assertEquals(WHITE, rgb(image, x0 + width * s - 1, y0 + height * s - 1));
            assertEquals(SEPARATOR, rgb(image, x0 - 1, y0));
            assertEquals(SEPARATOR, rgb(image, x0 + width * s, y0));
            assertEquals(SEPARATOR, rgb(image, x0, y0 - 1));
            assertEquals(SEPARATOR, rgb(image, x0, y0 + height * s));
        }
        // The sixth cell is empty.
        assertEquals(SEPARATOR, rgb(image, sep + 2 * pitchX + 5, sep + pitchY + 5));
    }

    @Test
    void gridClampsValuesToZeroOne() throws IOException {
        float[] image = {-3f, 0f, 0.5f, 1f, 7f, Float.NaN};
        Path png = dir.resolve("g.png");
        Dimension d = Pictures.grid(png, image, 1, 6, 1, 8);
        int s = 100; // 6 pixels wide -> 100x
        assertEquals(new Dimension(6 * s + 2 * 3, s + 2 * 3), d);
        BufferedImage img = read(png, d);
        int[] expected = {BLACK, BLACK, GRAY, WHITE, WHITE, Pictures.NOT_FINITE.getRGB() & 0xFFFFFF};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], rgb(img, 3 + i * s + s / 2, 3 + s / 2), "pixel " + i);
        }
    }

    // ---- reconstructions ----

    @Test
    void reconstructionsAreFramedPairsWithATitle() throws IOException {
        int width = 4;
        int height = 4;
        int count = 5;
        float[] inputs = new float[count * width * height];
        float[] recon = new float[count * width * height];
        Arrays.fill(inputs, 1f); // white inputs, black reconstructions
        Path png = dir.resolve("recon.png");
        Dimension d = Pictures.reconstructions(png, inputs, recon, count, width, height);
        Pictures.PairLayout l = new Pictures.PairLayout(count, width, height);
        assertEquals(new Dimension(l.width, l.height), d);
        assertTrue(d.width >= 600, d.toString());
        assertTrue(l.columns > 1, "several pairs per row");
        BufferedImage image = read(png, d);
        int frame = Pictures.PAIR_FRAME.getRGB() & 0xFFFFFF;
        int background = Pictures.BACKGROUND.getRGB() & 0xFFFFFF;
        int half = width * l.scale;
        for (int k = 0; k < count; k++) {
            int x = l.pairX(k);
            int y = l.pairY(k);
            int mid = y + l.frame + half / 2;
            assertEquals(background, rgb(image, x - 1, mid), "gap left of pair " + k);
            assertEquals(frame, rgb(image, x, mid), "frame of pair " + k);
            assertEquals(WHITE, rgb(image, x + l.frame + 1, mid), "input of pair " + k);
            assertEquals(WHITE, rgb(image, x + l.frame + half - 1, mid));
            assertEquals(frame, rgb(image, x + l.frame + half, mid), "bar between input and reconstruction");
            assertEquals(BLACK, rgb(image, x + 2 * l.frame + half + 1, mid), "reconstruction of pair " + k);
            assertEquals(BLACK, rgb(image, x + 2 * l.frame + 2 * half - 1, mid));
            assertEquals(frame, rgb(image, x + l.pairWidth - 1, mid));
            assertEquals(background, rgb(image, x + l.pairWidth, mid), "gap right of pair " + k);
            assertEquals(frame, rgb(image, x + l.frame + 1, y));
        }
        // The title row holds text: some pixels above the first pair are neither background nor frame.
        int text = 0;
        for (int y = 0; y < l.pairY(0); y++) {
            for (int x = 0; x < d.width; x++) {
                text += rgb(image, x, y) != background ? 1 : 0;
            }
        }
        assertTrue(text > 30, "title pixels: " + text);
    }

    // ---- curves ----

    private static EpochMetrics epoch(String phase, int epoch, Object... namesAndValues) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], ((Number) namesAndValues[i + 1]).doubleValue());
        }
        return new EpochMetrics(phase, epoch, m);
    }

    private static List<EpochMetrics> twoPhaseHistory() {
        List<EpochMetrics> h = new ArrayList<>();
        for (int e = 1; e <= 10; e++) {
            h.add(epoch("rbm[0]", e, "reconstruction_error", 10 * Math.exp(-e / 3.0) + 4, "free_energy_train",
                    -90 - e, "free_energy_heldout", -89 - e, "learning_rate", 0.01));
        }
        for (int e = 1; e <= 12; e++) {
            h.add(epoch("dbn-finetune", e, "train_loss", 0.5 * Math.exp(-e / 4.0) + 0.05, "val_loss",
                    e == 5 ? Double.NaN : 0.5 * Math.exp(-e / 5.0) + 0.09, "val_accuracy", 0.97 - 0.1 * Math.exp(-e / 3.0)));
        }
        return h;
    }

    @Test
    void curvesDrawOnePanelPerMetricFamilyWithData() throws IOException {
        Path png = dir.resolve("curves.png");
        Dimension d = Pictures.curves(png, twoPhaseHistory());
        // Loss, accuracy, reconstruction error, free energy: 2 x 2 panels.
        assertEquals(new Dimension(1200, 800), d);
        BufferedImage image = read(png, d);
        for (int panel = 0; panel < 4; panel++) {
            int x0 = (panel % 2) * Curves.PANEL_WIDTH;
            int y0 = (panel / 2) * Curves.PANEL_HEIGHT;
            int coloured = 0;
            int dark = 0;
            for (int y = y0; y < y0 + Curves.PANEL_HEIGHT; y++) {
                for (int x = x0; x < x0 + Curves.PANEL_WIDTH; x++) {
                    int c = rgb(image, x, y);
                    int r = c >> 16;
                    int g = c >> 8 & 0xFF;
                    int b = c & 0xFF;
                    coloured += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60 ? 1 : 0;
                    dark += r + g + b < 300 ? 1 : 0;
                }
            }
            assertTrue(coloured > 200, "panel " + panel + " has " + coloured + " pixels of its lines");
            assertTrue(dark > 200, "panel " + panel + " has " + dark + " pixels of text");
        }
        assertDirectoryHolds("curves.png");
    }

    @Test
    void curvesKeepPhasesAndMetricsApartAndSkipNaN() {
        List<Curves.Panel> panels = Curves.panels(twoPhaseHistory());
        assertEquals(List.of("Loss", "Accuracy", "Reconstruction error", "Free energy (mean)"),
                panels.stream().map(Curves.Panel::title).toList());
        Curves.Panel loss = panels.get(0);
        assertEquals(List.of("dbn-finetune: train", "dbn-finetune: validation"),
                loss.series().stream().map(Curves.Series::label).toList());
        assertEquals(12, loss.series().get(0).x().length);
        assertEquals(11, loss.series().get(1).x().length, "the NaN epoch is skipped");
        assertFalse(Arrays.stream(loss.series().get(1).x()).anyMatch(x -> x == 5));
        assertTrue(loss.series().get(1).dashed());
        Curves.Panel free = panels.get(3);
        assertEquals(List.of("rbm[0]: train", "rbm[0]: held-out"),
                free.series().stream().map(Curves.Series::label).toList());
        // Each phase keeps its colour across panels.
        assertEquals(panels.get(2).series().get(0).color(), free.series().get(0).color());
        assertNotEquals(loss.series().get(0).color(), free.series().get(0).color());
    }

    @Test
    void curvesSeparateTheLayersOfADbn() throws IOException {
        List<EpochMetrics> h = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            for (int e = 1; e <= 5; e++) {
                h.add(epoch("rbm[" + layer + "]", e, "reconstruction_error", 5.0 / e + layer, "pseudo_log_likelihood",
                        -100 + e));
            }
        }
        List<Curves.Panel> panels = Curves.panels(h);
        assertEquals(List.of("Reconstruction error", "Pseudo-log-likelihood"),
                panels.stream().map(Curves.Panel::title).toList());
        assertEquals(List.of("rbm[0]", "rbm[1]"), panels.get(0).series().stream().map(Curves.Series::label).toList());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5}, panels.get(0).series().get(1).x(), "epoch within its phase");
        Path png = dir.resolve("dbn.png");
        Dimension d = Pictures.curves(png, h);
        assertEquals(new Dimension(1200, 400), d);
        read(png, d);
    }

    @Test
    void curvesWithoutDataStillWriteAPicture() throws IOException {
        Path png = dir.resolve("empty.png");
        Dimension d = Pictures.curves(png, List.of(epoch("mlp", 1, "learning_rate", 0.1, "val_loss", Double.NaN)));
        assertEquals(new Dimension(Curves.PANEL_WIDTH, Curves.PANEL_HEIGHT), d);
        read(png, d);
        assertEquals(d, Pictures.curves(png, List.of()));
        // A single epoch is a single point: still a valid axis.
        d = Pictures.curves(png, List.of(epoch("logistic", 1, "train_loss", 0.7)));
        assertEquals(new Dimension(Curves.PANEL_WIDTH, Curves.PANEL_HEIGHT), d);
        read(png, d);
    }

    @Test
    void axisTicksAreNiceNumbers() {
        Curves.Axis a = Curves.Axis.of(0.31, 0.95, 6);
        assertEquals(0.1, a.step(), 1e-12);
        assertEquals(0.3, a.lo(), 1e-12);
        assertEquals(1.0, a.hi(), 1e-12);
        assertEquals(8, a.count());
        assertEquals("0.3", a.label(0));
        assertEquals("0.4", a.label(1));
        assertEquals("1.0", a.label(7));

        Curves.Axis b = Curves.Axis.of(-0.25, 0.25, 6);
        assertEquals("0.0", b.label((int) Math.round(-b.lo() / b.step())), "no -0.0");

        Curves.Axis e = Curves.Axis.integers(1, 20, 7);
        assertEquals(5, e.step());
        assertEquals("0", e.label(0));
        assertEquals("20", e.label(e.count() - 1));
        Curves.Axis one = Curves.Axis.integers(1, 1, 7);
        assertTrue(one.lo() < 1 && one.hi() > 1);
        assertEquals(1, one.step());

        Curves.Axis flat = Curves.Axis.of(-85, -85, 6);
        assertTrue(flat.lo() < -85 && flat.hi() > -85);
        Curves.Axis big = Curves.Axis.of(1e7, 3e7, 6);
        assertEquals("1.00e+07", big.label((int) Math.round((1e7 - big.lo()) / big.step())));
        assertEquals("0.0123", Curves.formatValue(0.0123));
        assertEquals("-104.8", Curves.formatValue(-104.8));
        assertEquals("0.5", Curves.formatValue(0.5));
    }

    // ---- arguments ----

    private static void assertBad(String name, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(name), "message should name " + name + ": " + e.getMessage());
    }

    @Test
    void badArgumentsThrowNamingTheArgument() {
        Path png = dir.resolve("x.png");
        float[] w = new float[4 * 3];
        assertBad("png", () -> Pictures.filters(null, w, 4, 3, 2, 2, 10));
        assertBad("weights", () -> Pictures.filters(png, null, 4, 3, 2, 2, 10));
        assertBad("visible", () -> Pictures.filters(png, w, 0, 3, 2, 2, 10));
        assertBad("hidden", () -> Pictures.filters(png, w, 4, -1, 2, 2, 10));
        assertBad("tileWidth", () -> Pictures.filters(png, w, 4, 3, 0, 2, 10));
        assertBad("tileHeight", () -> Pictures.filters(png, w, 4, 3, 2, 0, 10));
        assertBad("maxTiles", () -> Pictures.filters(png, w, 4, 3, 2, 2, 0));
        assertBad("visible", () -> Pictures.filters(png, w, 4, 3, 3, 2, 10));
        assertBad("weights", () -> Pictures.filters(png, w, 4, 2, 2, 2, 10));
        assertBad("weights", () -> Pictures.filters(png, new float[13], 4, 3, 2, 2, 10));

        float[] images = new float[2 * 6];
        assertBad("png", () -> Pictures.grid(null, images, 2, 3, 2, 2));
        assertBad("images", () -> Pictures.grid(png, null, 2, 3, 2, 2));
        assertBad("count", () -> Pictures.grid(png, images, 0, 3, 2, 2));
        assertBad("width", () -> Pictures.grid(png, images, 2, 0, 2, 2));
        assertBad("height", () -> Pictures.grid(png, images, 2, 3, -2, 2));
        assertBad("columns", () -> Pictures.grid(png, images, 2, 3, 2, 0));
        assertBad("images", () -> Pictures.grid(png, images, 3, 3, 2, 2));
        assertBad("images", () -> Pictures.grid(png, images, 2, 2, 2, 2));
        // An absurd picture is refused before its memory is allocated.
        assertBad("pixels", () -> new Mosaic(1, 1, 100_000, 10_000));

        assertBad("png", () -> Pictures.reconstructions(null, images, images, 2, 3, 2));
        assertBad("inputs", () -> Pictures.reconstructions(png, null, images, 2, 3, 2));
        assertBad("reconstructions", () -> Pictures.reconstructions(png, images, null, 2, 3, 2));
        assertBad("count", () -> Pictures.reconstructions(png, images, images, 0, 3, 2));
        assertBad("width", () -> Pictures.reconstructions(png, images, images, 2, 0, 2));
        assertBad("height", () -> Pictures.reconstructions(png, images, images, 2, 3, 0));
        assertBad("inputs", () -> Pictures.reconstructions(png, new float[5], images, 2, 3, 2));
        assertBad("reconstructions", () -> Pictures.reconstructions(png, images, new float[13], 2, 3, 2));

        assertBad("png", () -> Pictures.curves(null, List.of()));
        assertBad("history", () -> Pictures.curves(png, null));
        List<EpochMetrics> withNull = new ArrayList<>(twoPhaseHistory());
        withNull.add(3, null);
        assertBad("history[3]", () -> Pictures.curves(png, withNull));
        assertFalse(Files.exists(png), "nothing written for bad arguments");
    }

    // ---- writing ----

    @Test
    void aFailedWriteThrowsNamingTheFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("taken.png");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside.txt"), "keep me");
        float[] images = new float[4];
        IOException e = assertThrows(IOException.class, () -> Pictures.grid(target, images, 1, 2, 2, 1));
        assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
        assertDirectoryHolds("taken.png");
        assertEquals("keep me", Files.readString(target.resolve("inside.txt")));

        IOException c = assertThrows(IOException.class, () -> Pictures.curves(target, twoPhaseHistory()));
        assertTrue(c.getMessage().contains(target.toString()), c.getMessage());
        assertDirectoryHolds("taken.png");

        Path nowhere = dir.resolve("no-such-dir").resolve("a.png");
        IOException n = assertThrows(IOException.class, () -> Pictures.grid(nowhere, images, 1, 2, 2, 1));
        assertTrue(n.getMessage().contains(nowhere.toString()), n.getMessage());
        assertDirectoryHolds("taken.png");
    }

    @Test
    void writingReplacesAnExistingPictureCompletely() throws IOException {
        Path png = dir.resolve("replace.png");
        Files.writeString(png, "not a picture, and longer than nothing");
        float[] black = new float[4];
        Dimension d = Pictures.grid(png, black, 1, 2, 2, 1);
        assertEquals(BLACK, rgb(read(png, d), d.width / 2, d.height / 2));
        float[] white = {1, 1, 1, 1};
        d = Pictures.grid(png, white, 1, 2, 2, 1);
        assertEquals(WHITE, rgb(read(png, d), d.width / 2, d.height / 2));
        assertDirectoryHolds("replace.png");
    }

    @Test
    void runsHeadless() throws IOException {
        Pictures.grid(dir.resolve("h.png"), new float[1], 1, 1, 1, 1);
        if (System.getProperty("java.awt.headless") != null && !Boolean.getBoolean("java.awt.headless")) {
            return; // someone asked for a display explicitly
        }
        assertTrue(java.awt.GraphicsEnvironment.isHeadless());
    }
}
