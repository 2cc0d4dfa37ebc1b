package dbn4j.viz;

/**
 * The geometry of a grid of equal tiles, each {@code tileWidth x tileHeight} source pixels, drawn with every source
 * pixel as a {@code scale x scale} block and {@code separator} image pixels between tiles and around the edge.
 * Tile k sits in row {@code k / columns}, column {@code k % columns}.
 */
final class Mosaic {
    /** The picture is upscaled until its tiles are at least this many image pixels wide in all. */
    static final int MIN_WIDTH = 600;
    /** ...but never so far that a side of the tiles exceeds this (one 28x28 tile must not become a poster). */
    static final int MAX_SIDE = 4096;
    /** Pictures larger than this (in pixels) are refused: 64 Mi pixels is 256 MiB of image memory. */
    static final long MAX_PIXELS = 64L << 20;

    final int columns;
    final int rows;
    final int tileWidth;
    final int tileHeight;
    final int scale;
    final int separator;
    final int width;
    final int height;

    /**
     * @param count tiles, at least 1
     * @param columns tiles per row, at least 1; more than count is reduced to count
     * @throws IllegalArgumentException if the picture would have more than {@link #MAX_PIXELS} pixels
     */
    Mosaic(int count, int columns, int tileWidth, int tileHeight) {
        this.columns = Math.min(columns, count);
        this.rows = (count + this.columns - 1) / this.columns;
        this.tileWidth = tileWidth;
        this.tileHeight = tileHeight;
        long contentWidth = (long) this.columns * tileWidth;
        long contentHeight = (long) rows * tileHeight;
        this.scale = scaleFor(contentWidth, contentHeight);
        // One source pixel of separator, upscaled, but at most 3 image pixels: thick bars would dominate a
        // mosaic of few, strongly upscaled tiles.
        this.separator = Math.min(scale, 3);
        long w = (long) this.columns * (tileWidth * (long) scale + separator) + separator;
        long h = (long) rows * (tileHeight * (long) scale + separator) + separator;
        checkSize(w, h);
        this.width = (int) w;
        this.height = (int) h;
    }

    /** The smallest integer factor that makes the content at least MIN_WIDTH wide, capped by MAX_SIDE. */
    static int scaleFor(long contentWidth, long contentHeight) {
        long s = Math.max(1, (MIN_WIDTH + contentWidth - 1) / contentWidth);
        long side = Math.max(contentWidth, contentHeight);
        while (s > 1 && side * s > MAX_SIDE) {
            s--;
        }
        return (int) s;
    }

    static void checkSize(long width, long height) {
        if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE || width * height > MAX_PIXELS) {
            throw new IllegalArgumentException("the picture would be " + width + "x" + height + " pixels, more than "
                    + MAX_PIXELS + "; show fewer or smaller images");
        }
    }

    /** The image x of the left edge of tile k's first pixel. */
    int tileX(int k) {
        return separator + (k % columns) * (tileWidth * scale + separator);
    }

    /** The image y of the top edge of tile k's first pixel. */
    int tileY(int k) {
        return separator + (k / columns) * (tileHeight * scale + separator);
    }
}
