package io.balistreams.bali;

/**
 * A small, fully reproducible pseudo-random generator: xoshiro256++ seeded through SplitMix64, with
 * standard normal variates by the Box–Muller transform (both variates of a pair are used).
 *
 * <p>Why not {@link java.util.Random}: its algorithm is fixed but its state cannot be exported, and the
 * model's state must round-trip bit-exactly. Here every stream of numbers is a pure function of a
 * 64-bit seed and a 64-bit stream index ({@link #forStream(long, long)}), so a model only needs to store
 * its seed and step count to reproduce every draw it will ever make.
 *
 * <p>Not thread-safe.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spareNormal;
    private boolean hasSpare;

    /** A generator whose whole output is determined by {@code seed}. */
    public Rng(final long seed) {
        long x = seed;
        x += 0x9E3779B97F4A7C15L; s0 = mix(x);
        x += 0x9E3779B97F4A7C15L; s1 = mix(x);
        x += 0x9E3779B97F4A7C15L; s2 = mix(x);
        x += 0x9E3779B97F4A7C15L; s3 = mix(x);
    }

    /**
     * An independent generator for stream {@code index} of {@code seed}: used so that, for example,
     * the weight samples of model version t depend only on (seed, t), not on how many numbers were
     * drawn before.
     */
    public static Rng forStream(final long seed, final long index) {
        return new Rng(mix(seed ^ mix(index + 0x632BE59BD9B4E019L)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Next 64 uniformly distributed bits (xoshiro256++). */
    public long nextLong() {
        final long result = Long.rotateLeft(s0 + s3, 23) + s0;
        final long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform on [0, 1), 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** A standard normal variate. */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 == 0.0);
        final double u2 = nextDouble();
        final double radius = Math.sqrt(-2.0 * Math.log(u1));
        final double angle = 2.0 * Math.PI * u2;
        spareNormal = radius * Math.sin(angle);
        hasSpare = true;
        return radius * Math.cos(angle);
    }

    /** Fills {@code out[0..length)} with standard normal variates. */
    public void fillGaussian(final double[] out, final int length) {
        for (int i = 0; i < length; i++) {
            out[i] = nextGaussian();
        }
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(final int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }
}
