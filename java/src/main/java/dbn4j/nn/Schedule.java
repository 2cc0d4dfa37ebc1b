package dbn4j.nn;

import java.util.Locale;

/**
 * A learning-rate schedule over epochs (0-based): constant, step decay, exponential decay, or cosine annealing
 * to zero over a number of epochs. Written as text in model files ({@link #toString()} / {@link #parse}).
 */
public final class Schedule {
    private enum Kind { CONSTANT, STEP, EXPONENTIAL, COSINE }

    private final Kind kind;
    private final int every;
    private final double factor;

    private Schedule(Kind kind, int every, double factor) {
        this.kind = kind;
        this.every = every;
        this.factor = factor;
    }

    public static Schedule constant() {
        return new Schedule(Kind.CONSTANT, 1, 1);
    }

    /** rate = base * factor^(floor(epoch / every)). */
    public static Schedule step(int every, double factor) {
        if (every < 1) {
            throw new IllegalArgumentException("step schedule: every must be >= 1, got " + every);
        }
        checkFactor(factor);
        return new Schedule(Kind.STEP, every, factor);
    }

    /** rate = base * gamma^epoch. */
    public static Schedule exponential(double gamma) {
        checkFactor(gamma);
        return new Schedule(Kind.EXPONENTIAL, 1, gamma);
    }

    /** rate = base * (1 + cos(pi * min(epoch, epochs) / epochs)) / 2. */
    public static Schedule cosine(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("cosine schedule: epochs must be >= 1, got " + epochs);
        }
        return new Schedule(Kind.COSINE, epochs, 0);
    }

    private static void checkFactor(double f) {
        if (!(f > 0 && f <= 1)) {
            throw new IllegalArgumentException("decay factor must be in (0, 1], got " + f);
        }
    }

    /** The learning rate of this epoch. */
    public float rate(float base, int epoch) {
        switch (kind) {
            case CONSTANT: return base;
            case STEP: return (float) (base * Math.pow(factor, epoch / every));
            case EXPONENTIAL: return (float) (base * Math.pow(factor, epoch));
            case COSINE: return (float) (base * (1 + Math.cos(Math.PI * Math.min(epoch, every) / every)) / 2);
            default: throw new AssertionError(kind);
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case CONSTANT: return "constant";
            case STEP: return String.format(Locale.ROOT, "step:%d:%s", every, factor);
            case EXPONENTIAL: return String.format(Locale.ROOT, "exponential:%s", factor);
            case COSINE: return String.format(Locale.ROOT, "cosine:%d", every);
            default: throw new AssertionError(kind);
        }
    }

    /** Parses "constant", "step:EVERY:FACTOR", "exponential:GAMMA" or "cosine:EPOCHS". */
    public static Schedule parse(String text) {
        String[] p = text.trim().split(":");
        try {
            switch (p[0].toLowerCase(Locale.ROOT)) {
                case "constant":
                    if (p.length == 1) {
                        return constant();
                    }
                    break;
                case "step":
                    if (p.length == 3) {
                        return step(Integer.parseInt(p[1]), Double.parseDouble(p[2]));
                    }
                    break;
                case "exponential":
                    if (p.length == 2) {
                        return exponential(Double.parseDouble(p[1]));
                    }
                    break;
                case "cosine":
                    if (p.length == 2) {
                        return cosine(Integer.parseInt(p[1]));
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in learning-rate schedule '" + text + "'", e);
        }
        throw new IllegalArgumentException("unknown learning-rate schedule '" + text
                + "'; expected constant, step:EVERY:FACTOR, exponential:GAMMA or cosine:EPOCHS");
    }
}
