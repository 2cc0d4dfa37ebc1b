package dbn4j.nn;

import dbn4j.data.RowSource;
import java.io.IOException;
import java.util.List;

/**
 * The hidden features of a stack of RBMs over a streamed source, computed chunk by chunk as they are read: the input
 * of the next layer's greedy pre-training when the data does not fit in memory.
 */
final class FeatureSource implements RowSource {
    private final RowSource base;
    private final List<Rbm> below;
    private float[] buffer = new float[0];

    FeatureSource(RowSource base, List<Rbm> below) {
        this.base = base;
        this.below = below;
    }

    @Override
    public int rows() {
        return base.rows();
    }

    @Override
    public int cols() {
        return below.get(below.size() - 1).hiddenUnits();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public String description() {
        return base.description() + " -> features of " + below.size() + " RBM(s)";
    }

    @Override
    public void read(int from, int count, float[] features, int[] labels) throws IOException {
        if (buffer.length < count * base.cols()) {
            buffer = new float[count * base.cols()];
        }
        base.read(from, count, buffer, labels);
        float[] x = buffer;
        for (Rbm r : below) {
            x = r.transform(x, count);
        }
        System.arraycopy(x, 0, features, 0, count * cols());
    }

    @Override
    public void close() {
        // the base source belongs to the caller
    }
}
