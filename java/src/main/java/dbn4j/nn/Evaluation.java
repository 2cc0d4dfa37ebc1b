package dbn4j.nn;

import java.util.Locale;

/** Accuracy, mean loss and the confusion matrix of a classifier on a labelled data set. */
public final class Evaluation {
    private final double loss;
    private final int[][] confusion;
    private final int total;
    private final int correct;

    /** confusion[actual][predicted] counts. */
    public Evaluation(double loss, int[][] confusion) {
        this.loss = loss;
        this.confusion = confusion;
        int t = 0;
        int c = 0;
        for (int i = 0; i < confusion.length; i++) {
            for (int j = 0; j < confusion[i].length; j++) {
                t += confusion[i][j];
                if (i == j) {
                    c += confusion[i][j];
                }
            }
        }
        this.total = t;
        this.correct = c;
    }

    /** Builds the confusion matrix of predictions against labels. */
    public static Evaluation of(double loss, int[] labels, int[] predicted, int numClasses) {
        int[][] m = new int[numClasses][numClasses];
        for (int i = 0; i < labels.length; i++) {
            m[labels[i]][predicted[i]]++;
        }
        return new Evaluation(loss, m);
    }

    public double accuracy() {
        return total == 0 ? Double.NaN : (double) correct / total;
    }

    /** The model's training loss, averaged over the examples. */
    public double loss() {
        return loss;
    }

    /** A copy of confusion[actual][predicted]. */
    public int[][] confusion() {
        int[][] copy = new int[confusion.length][];
        for (int i = 0; i < confusion.length; i++) {
            copy[i] = confusion[i].clone();
        }
        return copy;
    }

    public int total() {
        return total;
    }

    /** The confusion matrix as aligned text, rows = actual class, columns = predicted. */
    public String confusionTable() {
        StringBuilder sb = new StringBuilder("actual\\predicted");
        for (int j = 0; j < confusion.length; j++) {
            sb.append(String.format(Locale.ROOT, "%6d", j));
        }
        sb.append('\n');
        for (int i = 0; i < confusion.length; i++) {
            sb.append(String.format(Locale.ROOT, "%16d", i));
            for (int j = 0; j < confusion[i].length; j++) {
                sb.append(String.format(Locale.ROOT, "%6d", confusion[i][j]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "accuracy %.4f (%d/%d), loss %.4f", accuracy(), correct, total, loss);
    }
}
