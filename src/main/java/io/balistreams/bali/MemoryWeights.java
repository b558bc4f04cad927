package io.balistreams.bali;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable snapshot of a mixture's weights as a map from expert (MEMORYxBATCH) to weight, in the experts'
 * order (docs/method.md §11). Taking one copies K doubles and shares the experts' names, so a mixture can hand one
 * out with every prediction; the entries are made only when the map is read.
 */
final class MemoryWeights extends AbstractMap<String, Double> {
    private final String[] names;
    private final double[] weights;

    /** Takes ownership of {@code weights}; {@code names} is shared and never written. */
    MemoryWeights(final String[] names, final double[] weights) {
        if (names.length != weights.length) {
            throw new IllegalArgumentException(names.length + " names but " + weights.length + " weights");
        }
        this.names = names;
        this.weights = weights;
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public Double get(final Object key) {
        for (int k = 0; k < names.length; k++) {
            if (names[k].equals(key)) {
                return weights[k];
            }
        }
        return null;
    }

    @Override
    public boolean containsKey(final Object key) {
        return get(key) != null;
    }

    @Override
    public Set<Entry<String, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Double>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < names.length;
                    }

                    @Override
                    public Entry<String, Double> next() {
                        if (next >= names.length) {
                            throw new NoSuchElementException();
                        }
                        final int k = next++;
                        return new SimpleImmutableEntry<>(names[k], weights[k]);
                    }
                };
            }

            @Override
            public int size() {
                return names.length;
            }
        };
    }
}
