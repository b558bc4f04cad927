package io.balistreams.report;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A line chart drawn by JFreeChart into SVG (JFreeSVG; no display needed): one or more series over a shared x axis,
 * vertical lines at marked positions (alarms, known drift points) and shaded x intervals (periods), each kind of
 * mark with its own legend entry. Axis labels carry their units; the caller names them.
 */
public final class LineChart {
    /**
     * Colours of the series, in order: blue and bluish green of a colour-blind-safe palette (Okabe and Ito), then
     * brown and grey; the palette's black, orange, sky blue, vermillion and reddish purple are left to the marks,
     * levels and periods, so that no series shares a colour with them.
     */
    public static final Color[] PALETTE = {new Color(0x0072B2), new Color(0x009E73), new Color(0x8C564B),
            new Color(0x555555), new Color(0xB8A200)};

    private record Series(String name, double[] x, double[] y) {
    }

    private record Mark(double x, String kind) {
    }

    private record Period(double from, double to, String kind) {
    }

    private record Level(double y, double halfWidth, String kind) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Mark> marks = new ArrayList<>();
    private final List<Period> periods = new ArrayList<>();
    private final Map<String, Color> markColours = new LinkedHashMap<>();
    private final Map<String, Color> periodColours = new LinkedHashMap<>();
    private final List<Level> levels = new ArrayList<>();
    private final Map<String, Color> levelColours = new LinkedHashMap<>();
    private Double lower;
    private Double upper;

    public LineChart(final String title, final String xLabel, final String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /**
     * Adds a series of points (x[i], y[i]); non-finite y values leave a gap.
     *
     * @throws IllegalArgumentException if x and y differ in length
     */
    public LineChart series(final String name, final double[] x, final double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /**
     * A vertical line at x, of a kind (its legend entry), drawn in {@code colour}: solid if the colour is black (a
     * fact of the data, such as a known drift point), dashed otherwise (what a detector said).
     */
    public LineChart mark(final double x, final String kind, final Color colour) {
        markColours.putIfAbsent(kind, colour);
        marks.add(new Mark(x, kind));
        return this;
    }

    /** A shaded x interval of a kind (its legend entry). */
    public LineChart period(final double from, final double to, final String kind, final Color colour) {
        periodColours.putIfAbsent(kind, colour);
        periods.add(new Period(from, to, kind));
        return this;
    }

    /**
     * A horizontal reference at y of a kind (its legend entry), solid, with a shaded band y ± halfWidth around it
     * (0: no band): a published value and its standard error, say.
     */
    public LineChart level(final double y, final double halfWidth, final String kind, final Color colour) {
        levelColours.putIfAbsent(kind, colour);
        levels.add(new Level(y, halfWidth, kind));
        return this;
    }

    /** Fixes the y axis to [lower, upper] (otherwise it fits the data). */
    public LineChart yRange(final double lower, final double upper) {
        this.lower = lower;
        this.upper = upper;
        return this;
    }

    /** The y axis's label (drawn rotated, as outlines rather than SVG text). */
    public String yLabel() {
        return yLabel;
    }

    /** The chart as an SVG element of this size in pixels, with this id. */
    public String svg(final String id, final int width, final int height) {
        final XYSeriesCollection data = new XYSeriesCollection();
        for (final Series s : series) {
            final XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) {
                xy.add(s.x()[i], Double.isFinite(s.y()[i]) ? s.y()[i] : null);
            }
            data.addSeries(xy);
        }
        final NumberAxis x = new NumberAxis(xLabel);
        x.setAutoRangeIncludesZero(false);
        final NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        if (lower != null) {
            y.setRange(lower, upper);
        }
        final Font axisFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        x.setLabelFont(axisFont);
        y.setLabelFont(axisFont);
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series.size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(1.8f));
        }
        final XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDDDDDD));
        plot.setRangeGridlinePaint(new Color(0xDDDDDD));
        for (final Period p : periods) {
            final IntervalMarker m = new IntervalMarker(p.from(), p.to());
            m.setPaint(withAlpha(periodColours.get(p.kind()), 60));
            plot.addDomainMarker(m, org.jfree.chart.ui.Layer.BACKGROUND);
        }
        for (final Mark mark : marks) {
            final ValueMarker m = new ValueMarker(mark.x());
            final Color colour = markColours.get(mark.kind());
            m.setPaint(colour);
            m.setStroke(Color.BLACK.equals(colour) ? new BasicStroke(1.5f) : new BasicStroke(1.2f,
                    BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{4f, 3f}, 0f));
            plot.addDomainMarker(m);
        }
        for (final Level level : levels) {
            final Color colour = levelColours.get(level.kind());
            if (level.halfWidth() > 0) {
                final IntervalMarker band = new IntervalMarker(level.y() - level.halfWidth(),
                        level.y() + level.halfWidth());
                band.setPaint(withAlpha(colour, 45));
                plot.addRangeMarker(band, org.jfree.chart.ui.Layer.BACKGROUND);
            }
            final ValueMarker m = new ValueMarker(level.y());
            m.setPaint(colour);
            m.setStroke(new BasicStroke(1.6f));
            plot.addRangeMarker(m);
        }
        if (!levels.isEmpty() && lower == null) {
            // the references stay in view even where the data lie far from them
            y.setAutoRangeIncludesZero(false);
            double lo = levels.stream().mapToDouble(l -> l.y() - l.halfWidth()).min().orElseThrow();
            double hi = levels.stream().mapToDouble(l -> l.y() + l.halfWidth()).max().orElseThrow();
            for (final Series sr : series) {
                for (final double v : sr.y()) {
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            final double pad = 0.08 * Math.max(hi - lo, 1e-9);
            y.setRange(lo - pad, hi + pad);
        }
        final LegendItemCollection legend = plot.getLegendItems();
        levelColours.forEach((kind, colour) -> legend.add(new LegendItem(kind, null, null, null,
                new Line2D.Double(-8, 0, 8, 0), new BasicStroke(2f), colour)));
        markColours.forEach((kind, colour) -> legend.add(new LegendItem(kind, null, null, null,
                new Line2D.Double(-8, 0, 8, 0), new BasicStroke(2f), colour)));
        periodColours.forEach((kind, colour) -> legend.add(new LegendItem(kind, null, null, null,
                new Rectangle2D.Double(-6, -6, 12, 12), withAlpha(colour, 90))));
        plot.setFixedLegendItems(legend);
        final JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        final SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        chart.draw(g2, new Rectangle(0, 0, width, height));
        return g2.getSVGElement(id);
    }

    private static Color withAlpha(final Color c, final int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
    }
}
