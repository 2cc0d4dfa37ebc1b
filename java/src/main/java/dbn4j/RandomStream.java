package dbn4j;

/**
 * A position in the Philox4x32-10 random stream of one seed. Every sampling kernel takes the words it needs from
 * the current offset and advances it, so a sequence of calls gives the same numbers on every backend, for every
 * thread count, and when the calls are split differently (a call of n then m words equals one call of n + m; for
 * the Bernoulli samplers, which use half a word per element, when n is even).
 * Not thread-safe; give each training run its own.
 */
public final class RandomStream {
    private final long seed;
    private long offset;

    public RandomStream(long seed) {
        this(seed, 0);
    }

    /**
     * @param seed   the Philox key (64 bits)
     * @param offset the first word to use; must be non-negative
     */
    public RandomStream(long seed, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
        this.seed = seed;
        this.offset = offset;
    }

    public long seed() {
        return seed;
    }

    /** The next word to be used. Saved in checkpoints so that a resumed run continues the same stream. */
    public long offset() {
        return offset;
    }

    /** Returns the current offset and advances it by {@code words}. */
    public long take(long words) {
        if (words < 0) {
            throw new IllegalArgumentException("words must be >= 0, got " + words);
        }
        long start = offset;
        offset = Math.addExact(offset, words);
        return start;
    }

    /** A new stream at the same position; the two then advance independently. */
    public RandomStream copy() {
        return new RandomStream(seed, offset);
    }

    @Override
    public String toString() {
        return "RandomStream[seed=" + seed + ", offset=" + offset + "]";
    }
}
