package dbn4j.viz;

import dbn4j.nn.EpochMetrics;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * PNG pictures of what a network learned and how training went: first-layer filters, samples, input/reconstruction
 * pairs and learning curves. Pure Java (java.desktop); works on servers without a display.
 *
 * <p>Every method checks its arguments first and throws {@link IllegalArgumentException} naming the bad one (a null,
 * a size that is not positive, an array whose length does not match the counts). It then writes the PNG
 * atomically: into a hidden temporary file in the target's directory, renamed over the target only when complete,
 * so that a viewer or a web server never sees half a picture. A failed write throws {@link IOException} naming the
 * target and leaves no temporary file behind. The target's directory must exist.
 *
 * <p>Images are row-major: pixel (x, y) of a {@code width x height} image is element {@code y * width + x}. Mosaics
 * are upscaled by the smallest integer factor that makes them at least about 600 pixels wide (nearest neighbour, so
 * pixels stay sharp), and tiles are set apart by separators of {@link #SEPARATOR} colour. Non-finite values are
 * drawn in {@link #NOT_FINITE} colour, so that a diverged model is visible as such rather than as a plausible gray.
 *
 * <p>Stateless and thread-safe. The text in {@link #reconstructions} and {@link #curves} needs a font, which a
 * headless JVM finds through fontconfig (on Debian, e.g., package fonts-dejavu-core).
 */
public final class Pictures {
    static {
        // Never try to open a display: training runs on servers. An explicit -Djava.awt.headless=false is kept.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** The colour between tiles of a mosaic: a slate blue that no gray value of a tile can be mistaken for. */
    public static final Color SEPARATOR = new Color(0x46, 0x5A, 0x78);
    /** The colour of a NaN or infinite pixel. */
    public static final Color NOT_FINITE = new Color(0xE0, 0x10, 0xE0);
    /** The frame around each input/reconstruction pair (and the bar between its halves). */
    public static final Color PAIR_FRAME = new Color(0xE0, 0x7A, 0x1F);
    /** The background of the picture outside tiles where it has text (reconstructions, curves). */
    public static final Color BACKGROUND = Color.WHITE;

    private static final Color TEXT = new Color(0x30, 0x30, 0x30);

    private Pictures() {
    }

    /**
     * The first-layer filters of an RBM as a mosaic: tile j is column j of W reshaped to {@code tileHeight x
     * tileWidth}, i.e. what hidden unit j responds to. Each tile is contrast-normalised on its own, symmetrically
     * around 0: 0 is mid-gray, the tile's largest |w| is white when positive and black when negative (an all-zero
     * tile is gray). Tiles fill a near-square grid, row by row.
     *
     * @param png the file to write (replaced if it exists)
     * @param weights W, {@code visible x hidden} row-major: {@code weights[i * hidden + j]} connects pixel i to
     *     hidden unit j
     * @param visible pixels per tile; must equal {@code tileWidth * tileHeight}
     * @param hidden hidden units (columns of W)
     * @param tileWidth the width of one filter as an image
     * @param tileHeight its height
     * @param maxTiles at most this many filters are shown (the first ones)
     * @return the size of the picture written
     * @throws IllegalArgumentException naming the argument: null, a size below 1, {@code visible != tileWidth *
     *     tileHeight}, or {@code weights.length != visible * hidden}
     * @throws IOException naming {@code png} if it could not be written
     */
    public static Dimension filters(Path png, float[] weights, int visible, int hidden, int tileWidth, int tileHeight,
            int maxTiles) throws IOException {
        requireNonNull(png, "png");
        requireNonNull(weights, "weights");
        requirePositive(visible, "visible");
        requirePositive(hidden, "hidden");
        requirePositive(tileWidth, "tileWidth");
        requirePositive(tileHeight, "tileHeight");
        requirePositive(maxTiles, "maxTiles");
        if ((long) tileWidth * tileHeight != visible) {
            throw new IllegalArgumentException("visible is " + visible + " but tileWidth x tileHeight is " + tileWidth
                    + "x" + tileHeight + " = " + (long) tileWidth * tileHeight);
        }
        requireLength(weights, "weights", (long) visible * hidden, "visible x hidden = " + visible + "x" + hidden);

        int count = Math.min(hidden, maxTiles);
        // ceil(sqrt(count)) columns: square for 100 tiles, 8x8 for 64, and never more rows than columns.
        int columns = (int) Math.ceil(Math.sqrt(count));
        Mosaic m = new Mosaic(count, columns, tileWidth, tileHeight);
        BufferedImage image = canvas(m.width, m.height, SEPARATOR);
        int[] pixels = pixels(image);
        int[] tile = new int[visible];
        for (int j = 0; j < count; j++) {
            float maxAbs = 0;
            for (int i = 0; i < visible; i++) {
                float w = weights[i * hidden + j];
                if (Float.isFinite(w)) {
                    maxAbs = Math.max(maxAbs, Math.abs(w));
                }
            }
            for (int i = 0; i < visible; i++) {
                float w = weights[i * hidden + j];
                if (!Float.isFinite(w)) {
                    tile[i] = NOT_FINITE.getRGB();
                } else {
                    // maxAbs == 0 means every finite w is 0: show the tile as uniform gray, not as NaN.
                    tile[i] = gray(maxAbs == 0 ? 0.5f : 0.5f + 0.5f * (w / maxAbs));
                }
            }
            paintTile(pixels, m, j, tile);
        }
        PngFiles.write(png, image);
        return new Dimension(m.width, m.height);
    }

    /**
     * Images with values in [0, 1] (0 black, 1 white; values outside are clamped) as a grid, e.g. samples drawn
     * from an RBM or DBN.
     *
     * @param png the file to write (replaced if it exists)
     * @param images {@code count x (width * height)} row-major, one image per row
     * @param count images to draw
     * @param width the width of one image
     * @param height its height
     * @param columns images per row (reduced to count if larger)
     * @return the size of the picture written
     * @throws IllegalArgumentException naming the argument: null, a size below 1, or {@code images.length != count
     *     * width * height}
     * @throws IOException naming {@code png} if it could not be written
     */
    public static Dimension grid(Path png, float[] images, int count, int width, int height, int columns)
            throws IOException {
        requireNonNull(png, "png");
        requireNonNull(images, "images");
        requirePositive(count, "count");
        requirePositive(width, "width");
        requirePositive(height, "height");
        requirePositive(columns, "columns");
        int pixelsPerImage = checkImageShape(width, height);
        requireLength(images, "images", (long) count * pixelsPerImage,
                "count x width x height = " + count + "x" + width + "x" + height);

        Mosaic m = new Mosaic(count, columns, width, height);
        BufferedImage image = canvas(m.width, m.height, SEPARATOR);
        int[] pixels = pixels(image);
        int[] tile = new int[pixelsPerImage];
        for (int k = 0; k < count; k++) {
            unitTile(images, k * pixelsPerImage, tile);
            paintTile(pixels, m, k, tile);
        }
        PngFiles.write(png, image);
        return new Dimension(m.width, m.height);
    }

    /**
     * Inputs next to their reconstructions (e.g. v and E[v | h] of an RBM), both with values in [0, 1] as in
     * {@link #grid}. Each pair is framed in {@link #PAIR_FRAME}, input on the left, reconstruction on the right;
     * several pairs share a row, and a title row above labels the halves.
     *
     * @param png the file to write (replaced if it exists)
     * @param inputs {@code count x (width * height)} row-major
     * @param reconstructions the same shape as inputs; row k reconstructs input k
     * @param count pairs to draw
     * @param width the width of one image
     * @param height its height
     * @return the size of the picture written
     * @throws IllegalArgumentException naming the argument: null, a size below 1, or an array whose length is not
     *     {@code count * width * height}
     * @throws IOException naming {@code png} if it could not be written
     */
    public static Dimension reconstructions(Path png, float[] inputs, float[] reconstructions, int count, int width,
            int height) throws IOException {
        requireNonNull(png, "png");
        requireNonNull(inputs, "inputs");
        requireNonNull(reconstructions, "reconstructions");
        requirePositive(count, "count");
        requirePositive(width, "width");
        requirePositive(height, "height");
        int pixelsPerImage = checkImageShape(width, height);
        String expected = "count x width x height = " + count + "x" + width + "x" + height;
        requireLength(inputs, "inputs", (long) count * pixelsPerImage, expected);
        requireLength(reconstructions, "reconstructions", (long) count * pixelsPerImage, expected);

        PairLayout l = new PairLayout(count, width, height);
        BufferedImage image = canvas(l.width, l.height, BACKGROUND);
        int[] pixels = pixels(image);
        int[] tile = new int[pixelsPerImage];
        for (int k = 0; k < count; k++) {
            int x = l.pairX(k);
            int y = l.pairY(k);
            fill(pixels, l.width, x, y, l.pairWidth, l.pairHeight, PAIR_FRAME.getRGB());
            unitTile(inputs, k * pixelsPerImage, tile);
            paint(pixels, l.width, x + l.frame, y + l.frame, width, height, l.scale, tile);
            unitTile(reconstructions, k * pixelsPerImage, tile);
            paint(pixels, l.width, x + 2 * l.frame + width * l.scale, y + l.frame, width, height, l.scale, tile);
        }
        Graphics2D g = graphics(image);
        try {
            l.drawTitles(g);
        } finally {
            g.dispose();
        }
        PngFiles.write(png, image);
        return new Dimension(l.width, l.height);
    }

    /**
     * Learning curves: one panel per family of metrics present in {@code history} — loss (train_loss, val_loss),
     * accuracy (train_accuracy, val_accuracy), reconstruction error, free energy (free_energy_train,
     * free_energy_heldout) and pseudo-log-likelihood — each with axes, tick labels, a title and a legend. Every
     * (phase, metric) is its own line, plotted against the epoch within its phase, so that the layers of a DBN
     * ("rbm[0]", "rbm[1]") and its fine-tuning stay apart. A phase keeps its colour in every panel; held-out metrics
     * are dashed. NaN and infinite values are skipped; families with no values get no panel. Panels are 600 x 400
     * pixels, two per row (1200 x 800 for four), three per row for five. A history with nothing to plot gives a
     * 600 x 400 picture that says so, so that a caller redrawing after every epoch needs no special case.
     *
     * @param png the file to write (replaced if it exists)
     * @param history the metrics of every epoch so far, in any order
     * @return the size of the picture written
     * @throws IllegalArgumentException if {@code png}, {@code history} or an element of it is null
     * @throws IOException naming {@code png} if it could not be written
     */
    public static Dimension curves(Path png, List<EpochMetrics> history) throws IOException {
        requireNonNull(png, "png");
        requireNonNull(history, "history");
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i) == null) {
                throw new IllegalArgumentException("history[" + i + "] is null");
            }
        }
        BufferedImage image = Curves.render(history);
        PngFiles.write(png, image);
        return new Dimension(image.getWidth(), image.getHeight());
    }

    // ---- argument checks ----

    private static void requireNonNull(Object o, String name) {
        if (o == null) {
            throw new IllegalArgumentException(name + " is null");
        }
    }

    private static void requirePositive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
    }

    private static void requireLength(float[] a, String name, long expected, String what) {
        if (a.length != expected) {
            throw new IllegalArgumentException(name + " has " + a.length + " elements, expected " + what + " = "
                    + expected);
        }
    }

    private static int checkImageShape(int width, int height) {
        long n = (long) width * height;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("width x height = " + width + "x" + height + " is too large");
        }
        return (int) n;
    }

    // ---- pixels ----

    static BufferedImage canvas(int width, int height, Color background) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        java.util.Arrays.fill(pixels(image), background.getRGB());
        return image;
    }

    /** The backing array of a TYPE_INT_RGB image: writing it directly is far faster than setRGB per pixel. */
    private static int[] pixels(BufferedImage image) {
        return ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    }

    static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        return g;
    }

    /** An opaque gray, 0 black to 1 white. */
    private static int gray(float v) {
        int c = Math.round(255 * v);
        c = Math.max(0, Math.min(255, c));
        return 0xFF000000 | c << 16 | c << 8 | c;
    }

    /** One [0, 1] image from {@code values[offset..]} as RGB, clamped; non-finite values marked. */
    private static void unitTile(float[] values, int offset, int[] tile) {
        for (int i = 0; i < tile.length; i++) {
            float v = values[offset + i];
            tile[i] = Float.isFinite(v) ? gray(Math.max(0f, Math.min(1f, v))) : NOT_FINITE.getRGB();
        }
    }

    private static void paintTile(int[] pixels, Mosaic m, int k, int[] tile) {
        paint(pixels, m.width, m.tileX(k), m.tileY(k), m.tileWidth, m.tileHeight, m.scale, tile);
    }

    /** Draws a w x h tile at (x0, y0), each tile pixel as a scale x scale block. */
    private static void paint(int[] pixels, int stride, int x0, int y0, int w, int h, int scale, int[] tile) {
        for (int ty = 0; ty < h; ty++) {
            for (int tx = 0; tx < w; tx++) {
                fill(pixels, stride, x0 + tx * scale, y0 + ty * scale, scale, scale, tile[ty * w + tx]);
            }
        }
    }

    private static void fill(int[] pixels, int stride, int x0, int y0, int w, int h, int rgb) {
        for (int y = y0; y < y0 + h; y++) {
            java.util.Arrays.fill(pixels, y * stride + x0, y * stride + x0 + w, rgb);
        }
    }

    /** Where the framed input/reconstruction pairs go, and the title row above them. */
    static final class PairLayout {
        /** Height of the title row above the pairs. */
        static final int TITLE = 22;

        final int columns;
        final int scale;
        final int frame;
        final int gap;
        final int imageWidth;
        final int imageHeight;
        final int pairWidth;
        final int pairHeight;
        final int width;
        final int height;

        PairLayout(int count, int w, int h) {
            this.columns = pairsPerRow(count, w, h);
            int rows = (count + columns - 1) / columns;
            this.imageWidth = w;
            this.imageHeight = h;
            this.scale = Mosaic.scaleFor(2L * w * columns, (long) h * rows);
            // The frame must be visible even at scale 1; the gap between pairs is wider than the bar inside a
            // pair so that the eye groups each input with its own reconstruction.
            this.frame = Math.max(2, Math.min(scale, 3));
            this.gap = 3 * frame + 2;
            long pw = 3L * frame + 2L * w * scale;
            long ph = 2L * frame + (long) h * scale;
            long totalW = 2L * gap + columns * pw + (columns - 1L) * gap;
            long totalH = TITLE + 2L * gap + rows * ph + (rows - 1L) * gap;
            Mosaic.checkSize(totalW, totalH);
            this.pairWidth = (int) pw;
            this.pairHeight = (int) ph;
            this.width = (int) totalW;
            this.height = (int) totalH;
        }

        /** The column count whose grid of pairs is closest to a 3:2 landscape, with few empty cells. */
        private static int pairsPerRow(int count, int w, int h) {
            int best = 1;
            double bestCost = Double.MAX_VALUE;
            for (int c = 1; c <= count; c++) {
                int r = (count + c - 1) / c;
                double aspect = (2.0 * w * c) / ((double) h * r);
                double cost = Math.abs(Math.log(aspect / 1.5)) + 0.5 * (c * r - count) / count;
                if (cost < bestCost) {
                    bestCost = cost;
                    best = c;
                }
            }
            return best;
        }

        int pairX(int k) {
            return gap + (k % columns) * (pairWidth + gap);
        }

        int pairY(int k) {
            return TITLE + gap + (k / columns) * (pairHeight + gap);
        }

        /** "input | reconstruction" over every column of pairs where it fits, else once over the whole picture. */
        void drawTitles(Graphics2D g) {
            g.setColor(TEXT);
            Font font = g.getFont().deriveFont(Font.PLAIN, 13f);
            g.setFont(font);
            FontMetrics fm = g.getFontMetrics();
            int baseline = gap + TITLE - fm.getDescent() - 4;
            String input = "input";
            String recon = "reconstruction";
            int half = imageWidth * scale;
            if (fm.stringWidth(recon) <= half && fm.stringWidth(input) <= half) {
                for (int c = 0; c < columns; c++) {
                    int x = pairX(c);
                    centre(g, fm, input, x + frame + half / 2, baseline);
                    centre(g, fm, recon, x + 2 * frame + half + half / 2, baseline);
                }
            } else {
                centre(g, fm, "input | reconstruction", width / 2, baseline);
            }
        }

        private static void centre(Graphics2D g, FontMetrics fm, String s, int cx, int baseline) {
            g.drawString(s, cx - fm.stringWidth(s) / 2f, baseline);
        }
    }
}
