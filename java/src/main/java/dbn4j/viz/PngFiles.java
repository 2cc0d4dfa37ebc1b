package dbn4j.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Writes a PNG so that readers of the target see either the old file or the complete new one, never a part. */
final class PngFiles {
    private PngFiles() {
    }

    /**
     * Encodes {@code image} as PNG and writes it to {@code target} through {@link dbn4j.io.AtomicFile}.
     *
     * @throws IOException naming {@code target} when anything fails (no such directory, no permission, the target
     *     is a directory, disk full); the temporary file is deleted first
     */
    static void write(Path target, BufferedImage image) throws IOException {
        // Encode in memory first: ImageIO given a plain OutputStream would otherwise spill to a cache file in
        // java.io.tmpdir, a second place to fail and to clean up.
        byte[] png = encode(image, target);
        dbn4j.io.AtomicFile.write(target, png);
    }

    private static byte[] encode(BufferedImage image, Path target) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IOException("could not write " + target + ": this Java runtime has no PNG encoder");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(image);
        } catch (IOException | RuntimeException e) {
            throw new IOException("could not write " + target + ": PNG encoding failed: " + e, e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
