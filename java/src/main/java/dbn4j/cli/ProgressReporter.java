package dbn4j.cli;

import dbn4j.nn.BatchListener;
import dbn4j.nn.EpochMetrics;
import dbn4j.nn.TrainingListener;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.ToIntFunction;

/**
 * Progress of a training run. On a terminal: a progress bar per epoch with samples/s and ETA, redrawn in place at
 * most five times a second, then one summary line per epoch. Elsewhere (a batch job's log): only the summary line
 * per epoch, with no control characters.
 */
final class ProgressReporter implements BatchListener, TrainingListener {
    private static final String[] SHOWN = {"train_loss", "val_loss", "val_accuracy", "reconstruction_error",
        "free_energy_gap", "pseudo_log_likelihood"};

    private final PrintStream out;
    private final boolean terminal;
    private final ToIntFunction<String> epochsOf;
    private long epochStart;
    private long lastDraw;
    private long samples;
    private int lastEpoch = -1;
    private String lastPhase = "";

    /** @param epochsOf the number of epochs of a phase ("rbm[0]" -> pre-training epochs), for "epoch 3/10". */
    ProgressReporter(PrintStream out, boolean terminal, ToIntFunction<String> epochsOf) {
        this.out = out;
        this.terminal = terminal;
        this.epochsOf = epochsOf;
    }

    @Override
    public void onBatch(String phase, int epoch, int batch, int batches, int rows) {
        if (!terminal) {
            return;
        }
        long now = System.nanoTime();
        if (epoch != lastEpoch || !phase.equals(lastPhase)) {
            lastEpoch = epoch;
            lastPhase = phase;
            epochStart = now;
            samples = 0;
            lastDraw = 0;
        }
        samples += rows;
        if (now - lastDraw < 200_000_000L && batch < batches) {
            return;
        }
        lastDraw = now;
        double seconds = Math.max(1e-9, (now - epochStart) / 1e9);
        double rate = samples / seconds;
        double eta = seconds / batch * (batches - batch);
        int width = 30;
        int filled = (int) ((long) width * batch / batches);
        StringBuilder bar = new StringBuilder();
        for (int i = 0; i < width; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        // "\r" returns to the line start and ESC [K erases what a longer earlier line left to the right.
        out.print(String.format(Locale.ROOT, "\r%s epoch %d/%d [%s] %d/%d %s samples/s ETA %s\u001b[K", phase, epoch,
                epochsOf.applyAsInt(phase), bar, batch, batches, si(rate), clock(eta)));
        out.flush();
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        StringBuilder sb = new StringBuilder();
        if (terminal) {
            sb.append("\r\u001b[K");
        }
        sb.append(String.format(Locale.ROOT, "%s epoch %d/%d:", m.phase(), m.epoch(), epochsOf.applyAsInt(m.phase())));
        for (String k : SHOWN) {
            double v = m.get(k);
            if (!Double.isNaN(v)) {
                sb.append(String.format(Locale.ROOT, " %s=%.4g", k, v));
            }
        }
        sb.append(String.format(Locale.ROOT, " (%s samples/s, %s elapsed)", si(m.get("samples_per_second")),
                clock(m.get("elapsed_seconds"))));
        out.println(sb);
        out.flush();
    }

    static String si(double v) {
        if (Double.isNaN(v)) {
            return "?";
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    static String clock(double seconds) {
        if (Double.isNaN(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
