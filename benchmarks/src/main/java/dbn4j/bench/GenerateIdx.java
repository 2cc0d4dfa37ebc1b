package dbn4j.bench;

import dbn4j.data.Dataset;
import dbn4j.data.FashionMnist;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a large uncompressed IDX training set (train-images-idx3-ubyte, train-labels-idx1-ubyte) for the streaming
 * memory check: Fashion-MNIST training images repeated with seeded pixel noise, until the images file reaches the
 * requested size.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dbn4j.bench.GenerateIdx DIR [GIGABYTES]</pre>
 */
public final class GenerateIdx {
    private GenerateIdx() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: GenerateIdx DIR [GIGABYTES]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        double gb = args.length > 1 ? Double.parseDouble(args[1]) : 2.0;
        Files.createDirectories(dir);
        Dataset base = FashionMnist.load().train();
        int n = (int) Math.ceil(gb * (1L << 30) / 784);
        SplittableRandom r = new SplittableRandom(7);
        try (DataOutputStream img = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(dir.resolve("train-images-idx3-ubyte")), 1 << 20));
                DataOutputStream lab = new DataOutputStream(new BufferedOutputStream(
                        Files.newOutputStream(dir.resolve("train-labels-idx1-ubyte")), 1 << 16))) {
            img.writeInt(0x803);
            img.writeInt(n);
            img.writeInt(28);
            img.writeInt(28);
            lab.writeInt(0x801);
            lab.writeInt(n);
            float[] x = base.features();
            byte[] row = new byte[784];
            for (int i = 0; i < n; i++) {
                int src = i % base.rows();
                for (int p = 0; p < 784; p++) {
                    int v = Math.round(x[src * 784 + p] * 255) + r.nextInt(9) - 4;
                    row[p] = (byte) Math.max(0, Math.min(255, v));
                }
                img.write(row);
                lab.writeByte(base.labels()[src]);
            }
        }
        System.out.printf("wrote %d images (%.2f GB) to %s%n", n, (16 + 784.0 * n) / (1L << 30), dir);
    }
}
