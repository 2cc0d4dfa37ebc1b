package dbn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers of it see either the old content or the complete new one, never a part: the content
 * goes to a hidden temporary file in the same directory, is forced to disk, and is renamed over the target
 * (ATOMIC_MOVE); then the directory is synced so that the rename survives a power cut. On any failure (no such
 * directory, no permission, a full disk, the target is a directory) the temporary file is deleted, the target is
 * untouched, and the {@link IOException} names the target. Every model, checkpoint, picture and configuration file
 * of dbn4j is written this way.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Writes the content through a channel onto the temporary file. */
    @FunctionalInterface
    public interface Content {
        void write(FileChannel channel) throws IOException;
    }

    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }

    public static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean created = false;
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                created = true;
                content.write(ch);
                // Without this a crash soon after the rename could leave an empty or truncated file in place.
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

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The file itself is complete and on disk; only the rename might not survive a power cut.
        }
    }
}
