package dbn4j.cli;

import dbn4j.data.Dataset;
import dbn4j.nn.Dbn;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.Mlp;
import dbn4j.nn.Rbm;
import dbn4j.viz.Pictures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The pictures of a training run, in its output folder: learning curves (curves.png), first-layer filters as a
 * mosaic (filters.png), samples drawn from an RBM or DBN (samples.png) and reconstructions beside their inputs
 * (reconstructions.png). Image pictures need square inputs (e.g. 784 = 28 x 28).
 */
final class Outputs {
    private final Path dir;
    private final boolean off;
    private final int every;
    private final int sampleSteps;
    private final long seed;
    private final Supplier<List<EpochMetrics>> history;
    private final List<String> written = new ArrayList<>();

    Outputs(Path dir, boolean off, int every, int sampleSteps, long seed, Supplier<List<EpochMetrics>> history) {
        this.dir = dir;
        this.off = off;
        this.every = every;
        this.sampleSteps = sampleSteps;
        this.seed = seed;
        this.history = history;
    }

    List<String> written() {
        return written;
    }

    /** Every {@code every} epochs: curves and filters (cheap), not samples. */
    void during(EpochMetrics e, Object model) {
        if (off || every <= 0 || e.epoch() % every != 0) {
            return;
        }
        try {
            curves();
            filters(model);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex.getMessage(), ex);
        }
    }

    /** All pictures at the end of training; {@code data} supplies the inputs of the reconstructions. */
    void end(Object model, Dataset data) throws IOException {
        if (off) {
            return;
        }
        curves();
        filters(model);
        int side = side(data.cols());
        if (side == 0) {
            return;
        }
        int n = Math.min(40, data.rows());
        float[] inputs = Arrays.copyOf(data.features(), n * data.cols());
        if (model instanceof Rbm) {
            Rbm r = (Rbm) model;
            write("samples.png", () -> Pictures.grid(dir.resolve("samples.png"), r.sample(100, sampleSteps, seed, null),
                    100, side, side, 10));
            write("reconstructions.png", () -> Pictures.reconstructions(dir.resolve("reconstructions.png"), inputs,
                    r.reconstruct(inputs, n), n, side, side));
        } else if (model instanceof Dbn) {
            Dbn d = (Dbn) model;
            write("samples.png", () -> Pictures.grid(dir.resolve("samples.png"), d.generate(100, sampleSteps, seed),
                    100, side, side, 10));
            write("reconstructions.png", () -> Pictures.reconstructions(dir.resolve("reconstructions.png"), inputs,
                    d.reconstruct(inputs, n), n, side, side));
        }
    }

    private void curves() throws IOException {
        List<EpochMetrics> h = history.get();
        if (!h.isEmpty()) {
            write("curves.png", () -> Pictures.curves(dir.resolve("curves.png"), h));
        }
    }

    private void filters(Object model) throws IOException {
        float[] w;
        int visible;
        int hidden;
        if (model instanceof Rbm) {
            Rbm r = (Rbm) model;
            w = r.weights().toArray();
            visible = r.visibleUnits();
            hidden = r.hiddenUnits();
        } else if (model instanceof Dbn) {
            Rbm r = ((Dbn) model).rbms().get(0);
            w = r.weights().toArray();
            visible = r.visibleUnits();
            hidden = r.hiddenUnits();
        } else {
            Mlp m = (Mlp) model;
            w = m.weights(0).toArray();
            visible = m.inputs();
            hidden = m.sizes()[1];
        }
        int side = side(visible);
        if (side > 0) {
            write("filters.png", () -> Pictures.filters(dir.resolve("filters.png"), w, visible, hidden, side, side, 100));
        }
    }

    private interface Picture {
        void write() throws IOException;
    }

    private void write(String name, Picture p) throws IOException {
        p.write();
        if (!written.contains(name)) {
            written.add(name);
        }
    }

    /** The side of a square image of n pixels, or 0. */
    static int side(int n) {
        int s = (int) Math.round(Math.sqrt(n));
        return s * s == n && s > 1 ? s : 0;
    }
}
