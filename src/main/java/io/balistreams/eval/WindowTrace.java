package io.balistreams.eval;

import io.balistreams.online.ScoredEvent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the predictions were like as they were served, per window of {@code window} records (the
 * {@link PrequentialEvaluation.Observer} of {@code eval prequential} and {@code eval drift}, for their reports): the
 * mean predictive uncertainty (the entropy of the predictive distribution in nats for classification, its standard
 * deviation for regression) and, for a mixture over memories, each expert's mean weight; and each expert's weight
 * averaged over the whole stream.
 */
public final class WindowTrace implements PrequentialEvaluation.Observer {
    private final int window;
    private final List<Double> uncertainty = new ArrayList<>();
    private final List<double[]> weights = new ArrayList<>();
    private String[] experts;
    private double[] totalWeights;
    private double[] windowWeights;
    private double windowUncertainty;
    private int inWindow;
    private long count;

    public WindowTrace(final int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        this.window = window;
    }

    @Override
    public void scored(final int index, final ScoredEvent event) {
        windowUncertainty += event.isClassification() ? event.classification().entropy()
                : event.regression().standardDeviation();
        final Map<String, Double> w = event.memoryWeights();
        if (w != null) {
            if (experts == null) {
                experts = w.keySet().toArray(String[]::new);
                totalWeights = new double[experts.length];
                windowWeights = new double[experts.length];
            }
            int k = 0;
            for (final double v : w.values()) {
                totalWeights[k] += v;
                windowWeights[k++] += v;
            }
        }
        count++;
        if (++inWindow == window) {
            closeWindow();
        }
    }

    private void closeWindow() {
        uncertainty.add(windowUncertainty / inWindow);
        if (windowWeights != null) {
            final double[] mean = windowWeights.clone();
            for (int k = 0; k < mean.length; k++) {
                mean[k] /= inWindow;
            }
            weights.add(mean);
            java.util.Arrays.fill(windowWeights, 0);
        }
        windowUncertainty = 0;
        inWindow = 0;
    }

    /**
     * The mean uncertainty of each full window, and of the last, partial one too if {@code withPartial} and the
     * records did not fill whole windows.
     */
    public double[] uncertainty(final boolean withPartial) {
        final List<Double> all = new ArrayList<>(uncertainty);
        if (withPartial && inWindow > 0) {
            all.add(windowUncertainty / inWindow);
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Per expert (by its name, MEMORYxBATCH, in the mixture's order), its mean weight in each window, with the
     * partial last one as for {@link #uncertainty}; null if the records were not scored by a mixture.
     */
    public Map<String, double[]> weights(final boolean withPartial) {
        if (experts == null) {
            return null;
        }
        final List<double[]> all = new ArrayList<>(weights);
        if (withPartial && inWindow > 0) {
            final double[] mean = windowWeights.clone();
            for (int k = 0; k < mean.length; k++) {
                mean[k] /= inWindow;
            }
            all.add(mean);
        }
        final Map<String, double[]> byExpert = new LinkedHashMap<>();
        for (int k = 0; k < experts.length; k++) {
            final int expert = k;
            byExpert.put(experts[k], all.stream().mapToDouble(m -> m[expert]).toArray());
        }
        return byExpert;
    }

    /** Each expert's weight averaged over every record as it was scored (the weights that served it), in order. */
    public double[] meanWeights() {
        if (experts == null) {
            return new double[0];
        }
        final double[] m = totalWeights.clone();
        for (int k = 0; k < m.length; k++) {
            m[k] /= count;
        }
        return m;
    }
}
