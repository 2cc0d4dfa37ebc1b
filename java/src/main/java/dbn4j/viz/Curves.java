package dbn4j.viz;

import dbn4j.nn.EpochMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Draws the learning-curve panels of {@link Pictures#curves}. */
final class Curves {
    static final int PANEL_WIDTH = 600;
    static final int PANEL_HEIGHT = 400;

    /** A metric as {@link EpochMetrics} names it, its legend text, and whether it is measured on held-out data. */
    record Metric(String name, String label, boolean heldOut) {
    }

    /** The metrics that share a panel because they share a unit and a scale. */
    record Family(String title, List<Metric> metrics) {
    }

    /** The panels, in the order drawn. */
    static final List<Family> FAMILIES = List.of(
            new Family("Loss", List.of(new Metric("train_loss", "train", false),
                    new Metric("val_loss", "validation", true))),
            new Family("Accuracy", List.of(new Metric("train_accuracy", "train", false),
                    new Metric("val_accuracy", "validation", true))),
            new Family("Reconstruction error", List.of(new Metric("reconstruction_error", "train", false))),
            new Family("Free energy (mean)", List.of(new Metric("free_energy_train", "train", false),
                    new Metric("free_energy_heldout", "held-out", true))),
            new Family("Pseudo-log-likelihood", List.of(new Metric("pseudo_log_likelihood", "train", false))));

    /** One colour per phase, the same in every panel (Tableau 10: distinct, and fair to most colour blindness). */
    static final Color[] PALETTE = {
        new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
    };

    private static final Color TEXT = new Color(0x30, 0x30, 0x30);
    private static final Color MUTED = new Color(0x60, 0x60, 0x60);
    private static final Color GRID = new Color(0xE4, 0xE4, 0xE4);
    private static final Color FRAME = new Color(0x9A, 0x9A, 0x9A);
    /** Markers make single epochs and sparse validation visible; on long runs they would only clutter. */
    private static final int MAX_MARKED_POINTS = 40;
    /** Between the plot area and the right edge of its panel. */
    private static final int RIGHT_MARGIN = 22;

    /** One line: the values of one metric of one phase, sorted by epoch. */
    record Series(String label, Color color, boolean dashed, double[] x, double[] y) {
    }

    record Panel(String title, List<Series> series) {
    }

    private Curves() {
    }

    static BufferedImage render(List<EpochMetrics> history) {
        List<Panel> panels = panels(history);
        if (panels.isEmpty()) {
            BufferedImage image = Pictures.canvas(PANEL_WIDTH, PANEL_HEIGHT, Pictures.BACKGROUND);
            Graphics2D g = Pictures.graphics(image);
            try {
                g.setFont(g.getFont().deriveFont(Font.PLAIN, 15f));
                g.setColor(MUTED);
                String s = "no learning-curve data yet";
                FontMetrics fm = g.getFontMetrics();
                g.drawString(s, (PANEL_WIDTH - fm.stringWidth(s)) / 2f, PANEL_HEIGHT / 2f);
            } finally {
                g.dispose();
            }
            return image;
        }
        int n = panels.size();
        int columns = n == 1 ? 1 : n <= 4 ? 2 : 3;
        int rows = (n + columns - 1) / columns;
        BufferedImage image = Pictures.canvas(columns * PANEL_WIDTH, rows * PANEL_HEIGHT, Pictures.BACKGROUND);
        Graphics2D g = Pictures.graphics(image);
        try {
            for (int i = 0; i < n; i++) {
                drawPanel(g, panels.get(i), (i % columns) * PANEL_WIDTH, (i / columns) * PANEL_HEIGHT);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The panels with data, each with one series per (phase, metric) that has at least one finite value. */
    static List<Panel> panels(List<EpochMetrics> history) {
        // Phases in order of first appearance, so that colours follow the order of training.
        Map<String, Integer> phaseIndex = new LinkedHashMap<>();
        for (EpochMetrics m : history) {
            phaseIndex.putIfAbsent(String.valueOf(m.phase()), phaseIndex.size());
        }
        List<Panel> panels = new ArrayList<>();
        for (Family family : FAMILIES) {
            List<Series> series = new ArrayList<>();
            for (Map.Entry<String, Integer> phase : phaseIndex.entrySet()) {
                for (Metric metric : family.metrics()) {
                    // By epoch; a later record of the same epoch (a resumed run) replaces the earlier one.
                    TreeMap<Integer, Double> points = new TreeMap<>();
                    for (EpochMetrics m : history) {
                        double v = m.get(metric.name());
                        if (String.valueOf(m.phase()).equals(phase.getKey()) && Double.isFinite(v)) {
                            points.put(m.epoch(), v);
                        }
                    }
                    if (points.isEmpty()) {
                        continue;
                    }
                    double[] x = new double[points.size()];
                    double[] y = new double[points.size()];
                    int i = 0;
                    for (Map.Entry<Integer, Double> e : points.entrySet()) {
                        x[i] = e.getKey();
                        y[i++] = e.getValue();
                    }
                    String label = family.metrics().size() > 1 ? phase.getKey() + ": " + metric.label() : phase.getKey();
                    series.add(new Series(label, PALETTE[phase.getValue() % PALETTE.length], metric.heldOut(), x, y));
                }
            }
            if (!series.isEmpty()) {
                panels.add(new Panel(family.title(), series));
            }
        }
        return panels;
    }

    private static void drawPanel(Graphics2D g, Panel panel, int x0, int y0) {
        Font base = g.getFont();
        Font titleFont = base.deriveFont(Font.BOLD, 15f);
        Font tickFont = base.deriveFont(Font.PLAIN, 12f);

        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : panel.series()) {
            for (int i = 0; i < s.x().length; i++) {
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        }
        Axis xAxis = Axis.integers(xMin, xMax, 7);
        g.setFont(tickFont);
        FontMetrics tfm = g.getFontMetrics();
        Legend legend = Legend.of(panel, tfm);
        Placement place = place(panel, xAxis, Axis.of(yMin, yMax, 6), legend, tfm, x0, y0);
        Axis yAxis = place.yAxis();
        Rectangle plot = place.plot();
        int left = plot.x;
        int bottom = plot.y + plot.height;

        // Title, centred over the plot area rather than the panel so that it lines up with the data.
        g.setFont(titleFont);
        g.setColor(TEXT);
        FontMetrics hfm = g.getFontMetrics();
        g.drawString(panel.title(), plot.x + (plot.width - hfm.stringWidth(panel.title())) / 2f, y0 + 26);

        // Grid and tick labels.
        g.setFont(tickFont);
        g.setStroke(new BasicStroke(1f));
        for (int i = 0; i < yAxis.count(); i++) {
            double py = mapY(yAxis, yAxis.tick(i), plot);
            g.setColor(GRID);
            g.draw(new Line2D.Double(plot.x, py, plot.x + plot.width, py));
            g.setColor(TEXT);
            String s = yAxis.label(i);
            g.drawString(s, left - 8f - tfm.stringWidth(s), (float) (py + tfm.getAscent() / 2.0 - 1));
        }
        for (int i = 0; i < xAxis.count(); i++) {
            double px = mapX(xAxis, xAxis.tick(i), plot);
            g.setColor(GRID);
            g.draw(new Line2D.Double(px, plot.y, px, plot.y + plot.height));
            g.setColor(TEXT);
            String s = xAxis.label(i);
            g.drawString(s, (float) (px - tfm.stringWidth(s) / 2.0), bottom + 6f + tfm.getAscent());
        }
        g.setColor(FRAME);
        g.draw(plot);
        g.setColor(MUTED);
        String xTitle = "epoch";
        g.drawString(xTitle, plot.x + (plot.width - tfm.stringWidth(xTitle)) / 2f,
                bottom + 10f + tfm.getAscent() + tfm.getHeight());

        // The lines, clipped to the plot area (with room for markers on its edge).
        Shape oldClip = g.getClip();
        g.clip(new Rectangle(plot.x - 4, plot.y - 4, plot.width + 9, plot.height + 9));
        for (Series s : panel.series()) {
            g.setColor(s.color());
            g.setStroke(stroke(s.dashed()));
            Path2D.Double path = new Path2D.Double();
            for (int i = 0; i < s.x().length; i++) {
                double px = mapX(xAxis, s.x()[i], plot);
                double py = mapY(yAxis, s.y()[i], plot);
                if (i == 0) {
                    path.moveTo(px, py);
                } else {
                    path.lineTo(px, py);
                }
            }
            g.draw(path);
            if (s.x().length <= MAX_MARKED_POINTS) {
                double r = s.x().length == 1 ? 4 : 2.75;
                for (int i = 0; i < s.x().length; i++) {
                    double px = mapX(xAxis, s.x()[i], plot);
                    double py = mapY(yAxis, s.y()[i], plot);
                    g.fill(new Ellipse2D.Double(px - r, py - r, 2 * r, 2 * r));
                }
            }
        }
        g.setClip(oldClip);
        legend.draw(g, panel, place.legend().x, place.legend().y, tfm);
    }

    private static Stroke stroke(boolean dashed) {
        return dashed
                ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 4f}, 0f)
                : new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** The y axis, plot area and legend position chosen for a panel. */
    private record Placement(Axis yAxis, Rectangle plot, Rectangle legend) {
    }

    /** The plot area of the panel at (x0, y0): left of it room for the widest y tick label. */
    private static Rectangle plotArea(Axis yAxis, FontMetrics fm, int x0, int y0, int rightMargin) {
        int labelWidth = 0;
        for (int i = 0; i < yAxis.count(); i++) {
            labelWidth = Math.max(labelWidth, fm.stringWidth(yAxis.label(i)));
        }
        int left = x0 + 16 + labelWidth + 8;
        int right = x0 + PANEL_WIDTH - rightMargin;
        int top = y0 + 40;
        int bottom = y0 + PANEL_HEIGHT - 50;
        return new Rectangle(left, top, right - left, bottom - top);
    }

    /**
     * Puts the legend in a corner of the plot where it hides no data, preferring top right. When every corner
     * would hide some, the y axis grows by up to three ticks at the top or the bottom to make room, as one would
     * by hand; failing that (many series spread over the whole plot), the plot narrows and the legend goes to
     * its right.
     */
    private static Placement place(Panel panel, Axis xAxis, Axis yAxis, Legend legend, FontMetrics fm, int x0,
            int y0) {
        for (int extra = 0; extra <= 3; extra++) {
            for (int side = 0; side < (extra == 0 ? 1 : 2); side++) {
                boolean top = side == 0;
                Axis y = extra == 0 ? yAxis : top ? yAxis.extendHi(extra) : yAxis.extendLo(extra);
                Rectangle plot = plotArea(y, fm, x0, y0, RIGHT_MARGIN);
                int inset = 8;
                int xr = plot.x + plot.width - inset - legend.width();
                int xl = plot.x + inset;
                int yt = plot.y + inset;
                int yb = plot.y + plot.height - inset - legend.height();
                // Top corners when the axis grew at the top, bottom corners when it grew at the bottom.
                int[][] corners = extra == 0 ? new int[][] {{xr, yt}, {xl, yt}, {xr, yb}, {xl, yb}}
                        : top ? new int[][] {{xr, yt}, {xl, yt}} : new int[][] {{xr, yb}, {xl, yb}};
                for (int[] c : corners) {
                    Rectangle r = new Rectangle(c[0], c[1], legend.width(), legend.height());
                    int covered = covered(panel, xAxis, y, plot, r);
                    if (covered == 0) {
                        return new Placement(y, plot, r);
                    }
                }
            }
        }
        Rectangle plot = plotArea(yAxis, fm, x0, y0, 12 + legend.width() + 10);
        return new Placement(yAxis, plot,
                new Rectangle(plot.x + plot.width + 10, plot.y, legend.width(), legend.height()));
    }

    /** The legend's text (each series' label and last value) and size. */
    private record Legend(List<String> labels, int width, int height, int lineHeight) {
        static final int SAMPLE = 26;
        static final int PAD = 7;

        static Legend of(Panel panel, FontMetrics fm) {
            List<String> labels = new ArrayList<>();
            int textWidth = 0;
            for (Series s : panel.series()) {
                String label = s.label() + "  " + formatValue(s.y()[s.y().length - 1]);
                labels.add(label);
                textWidth = Math.max(textWidth, fm.stringWidth(label));
            }
            int lineHeight = fm.getHeight() + 2;
            return new Legend(labels, PAD + SAMPLE + 6 + textWidth + PAD, PAD + labels.size() * lineHeight + PAD - 2,
                    lineHeight);
        }

        void draw(Graphics2D g, Panel panel, int lx, int ly, FontMetrics fm) {
            g.setColor(new Color(255, 255, 255, 225));
            g.fillRect(lx, ly, width, height);
            g.setColor(FRAME);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(lx, ly, width, height);
            for (int i = 0; i < labels.size(); i++) {
                Series s = panel.series().get(i);
                int baseline = ly + PAD + i * lineHeight + fm.getAscent();
                double mid = baseline - fm.getAscent() / 2.0 + 1;
                g.setColor(s.color());
                g.setStroke(stroke(s.dashed()));
                g.draw(new Line2D.Double(lx + PAD, mid, lx + PAD + SAMPLE, mid));
                g.setColor(TEXT);
                g.drawString(labels.get(i), lx + PAD + SAMPLE + 6f, baseline);
            }
        }
    }

    /** How many points along the lines (8 per segment) a legend at {@code legend} would hide. */
    private static int covered(Panel panel, Axis xAxis, Axis yAxis, Rectangle plot, Rectangle legend) {
        // A little larger than the legend: markers and line width reach beyond the points themselves.
        Rectangle r = new Rectangle(legend);
        r.grow(4, 4);
        int n = 0;
        for (Series s : panel.series()) {
            for (int i = 0; i < s.x().length; i++) {
                double px = mapX(xAxis, s.x()[i], plot);
                double py = mapY(yAxis, s.y()[i], plot);
                if (i == 0) {
                    n += r.contains(px, py) ? 1 : 0;
                    continue;
                }
                double qx = mapX(xAxis, s.x()[i - 1], plot);
                double qy = mapY(yAxis, s.y()[i - 1], plot);
                for (int k = 1; k <= 8; k++) {
                    double t = k / 8.0;
                    n += r.contains(qx + t * (px - qx), qy + t * (py - qy)) ? 1 : 0;
                }
            }
        }
        return n;
    }

    private static double mapX(Axis a, double v, Rectangle plot) {
        return plot.x + (v - a.lo()) / (a.hi() - a.lo()) * plot.width;
    }

    private static double mapY(Axis a, double v, Rectangle plot) {
        return plot.y + plot.height - (v - a.lo()) / (a.hi() - a.lo()) * plot.height;
    }

    /** Four significant digits, plain where that is short and exponential for very large or small values. */
    static String formatValue(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e6 || a < 1e-3)) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        String s = String.format(Locale.ROOT, "%.4g", v);
        // %.4g writes 0.5000; trailing zeros after the point say nothing here.
        if (s.contains(".") && !s.contains("e")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s;
    }

    /**
     * An axis from {@code lo} to {@code hi} with ticks at {@code lo + i * step}, all "nice" numbers (1, 2 or 5
     * times a power of ten), labelled with as many decimals as the step needs.
     */
    record Axis(double lo, double hi, double step, int decimals, boolean scientific) {
        /** For data in [min, max]: a range that contains it, with about {@code target} ticks. */
        static Axis of(double min, double max, int target) {
            if (!(max > min)) {
                // One value (or several equal ones): centre it in a small range rather than dividing by zero.
                double d = min == 0 ? 1 : Math.abs(min) * 0.05;
                min -= d;
                max += d;
            }
            double step = nice((max - min) / (target - 1), true);
            double lo = Math.floor(min / step) * step;
            double hi = Math.ceil(max / step) * step;
            int exponent = (int) Math.floor(Math.log10(step) + 1e-9);
            double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
            boolean scientific = magnitude >= 1e6 || exponent < -6;
            return new Axis(lo, hi, step, Math.max(0, -exponent), scientific);
        }

        /** For epochs: integer ticks only. */
        static Axis integers(double min, double max, int target) {
            if (!(max > min)) {
                min -= 1;
                max += 1;
            }
            double step = Math.max(1, Math.round(nice((max - min) / (target - 1), true)));
            double lo = Math.floor(min / step) * step;
            double hi = Math.ceil(max / step) * step;
            return new Axis(lo, hi, step, 0, false);
        }

        /** 1, 2, 5 or 10 times a power of ten: the nearest ({@code round}) or the next at least x. */
        static double nice(double x, boolean round) {
            double exponent = Math.floor(Math.log10(x));
            double power = Math.pow(10, exponent);
            double f = x / power;
            double n;
            if (round) {
                n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
            } else {
                n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
            }
            return n * power;
        }

        /** The same axis with {@code ticks} more ticks above. */
        Axis extendHi(int ticks) {
            return new Axis(lo, hi + ticks * step, step, decimals, scientific);
        }

        /** The same axis with {@code ticks} more ticks below. */
        Axis extendLo(int ticks) {
            return new Axis(lo - ticks * step, hi, step, decimals, scientific);
        }

        int count() {
            return (int) Math.round((hi - lo) / step) + 1;
        }

        double tick(int i) {
            // From the index, not by repeated addition, so that errors do not accumulate along the axis.
            return (Math.round(lo / step) + i) * step;
        }

        String label(int i) {
            double v = tick(i);
            if (Math.abs(v) < step * 1e-6) {
                v = 0; // no "-0.0"
            }
            if (scientific) {
                return String.format(Locale.ROOT, "%.2e", v);
            }
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }
}
