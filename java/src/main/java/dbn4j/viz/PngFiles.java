package dbn4j.viz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Writes a PNG so that readers of the target see either the old file or the complete new one, never a part. */
final class PngFiles {
    private PngFiles() {
    }

    /**
     * Encodes {@code image} as PNG into a hidden temporary file next to {@code target}, forces it to disk, then
     * renames it over {@code target} ({@link StandardCopyOption#ATOMIC_MOVE}, replacing an existing file).
     *
     * @throws IOException naming {@code target} when anything fails (no such directory, no permission, the target
     *     is a directory, disk full); the temporary file is deleted first
     */
    static void write(Path target, BufferedImage image) throws IOException {
        // Encode in memory first: ImageIO given a plain OutputStream would otherwise spill to a cache file in
        // java.io.tmpdir, a second place to fail and to clean up.
        byte[] png = encode(image, target);
        Path absolute = target.toAbsolutePath();
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean created = false;
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                created = true;
                ByteBuffer buf = ByteBuffer.wrap(png);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                // Without this a crash soon after the rename could leave an empty or truncated PNG in place.
                ch.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } catch (IOException | RuntimeException e) {
            IOException failure = new IOException("could not write " + target + ": " + e, e);
            if (created && !moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException cleanup) {
                    failure.addSuppressed(cleanup);
                }
            }
            throw failure;
        }
        syncDirectory(absolute.getParent());
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

    /** Makes the rename itself durable. Best effort: not every platform can open a directory for this. */
    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The PNG itself is complete and on disk; only the rename might not survive a power cut.
        }
    }
}
