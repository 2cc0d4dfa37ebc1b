package dbn4j.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Horizontal bar charts drawn with Java2D (headless), one bar per row, coloured by series, for the suite report. */
final class SuiteCharts {
    /** One bar: the row label, the series (colour and legend entry), the value and whether it was noisy. */
    record Bar(String label, String series, double value, boolean noisy) {}

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b)};
    private static final int WIDTH = 1200;
    private static final int ROW = 24;
    private static final int TOP = 70;
    private static final int BOTTOM = 60;

    private SuiteCharts() {}

    /**
     * Writes a PNG. {@code log}: logarithmic value axis (for values spanning decades); else linear from 0 to
     * {@code max} (NaN: the largest value), with a dashed line at {@code refLine} when it is finite.
     */
    static void horizontalBars(Path png, String title, String axis, List<Bar> bars, boolean log, double max,
            double refLine) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int height = TOP + Math.max(1, bars.size()) * ROW + BOTTOM;
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);
        Font plain = new Font("DejaVu Sans", Font.PLAIN, 13);
        g.setFont(new Font("DejaVu Sans", Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, 12, 24);

        g.setFont(plain);
        FontMetrics fm = g.getFontMetrics();
        int labelWidth = 0;
        for (Bar b : bars) {
            labelWidth = Math.max(labelWidth, fm.stringWidth(b.label()));
        }
        int x0 = Math.min(labelWidth + 20, WIDTH / 2);
        int x1 = WIDTH - 150;
        double hi = Double.isNaN(max) ? 0 : max;
        double lo = Double.MAX_VALUE;
        for (Bar b : bars) {
            if (b.value() > 0 && Double.isFinite(b.value())) {
                if (Double.isNaN(max)) {
                    hi = Math.max(hi, b.value());
                }
                lo = Math.min(lo, b.value());
            }
        }
        if (hi <= 0) {
            hi = 1;
        }
        double axisLo;
        double axisHi;
        if (log) {
            axisLo = Math.pow(10, Math.floor(Math.log10(lo == Double.MAX_VALUE ? hi / 10 : lo)));
            axisHi = Math.pow(10, Math.ceil(Math.log10(hi * 1.0001)));
        } else {
            axisLo = 0;
            axisHi = hi;
        }
        double lo0 = axisLo;
        double hi0 = axisHi;
        java.util.function.DoubleUnaryOperator xOf = v -> {
            double f = log ? (Math.log10(Math.max(v, lo0)) - Math.log10(lo0)) / (Math.log10(hi0) - Math.log10(lo0))
                    : v / hi0;
            return x0 + Math.max(0, Math.min(1, f)) * (x1 - x0);
        };

        // Grid and axis labels.
        int yAxis = TOP + bars.size() * ROW + 4;
        g.setColor(new Color(0xdddddd));
        List<Double> ticks = new ArrayList<>();
        if (log) {
            for (double t = axisLo; t <= axisHi * 1.0001; t *= 10) {
                ticks.add(t);
            }
        } else {
            // About five gridlines at a round step (1, 2, 2.5 or 5 times a power of ten).
            double raw = axisHi / 5;
            double pow = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = pow * (raw <= pow ? 1 : raw <= 2 * pow ? 2 : raw <= 2.5 * pow ? 2.5 : raw <= 5 * pow ? 5 : 10);
            for (int i = 0; i * step <= axisHi * 1.0001; i++) {
                ticks.add(i * step);
            }
        }
        for (double t : ticks) {
            int x = (int) xOf.applyAsDouble(t);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, TOP - 4, x, yAxis);
            g.setColor(Color.DARK_GRAY);
            String s = tick(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, yAxis + 16);
        }
        g.setColor(Color.BLACK);
        g.drawString(axis, x0 + (x1 - x0) / 2 - fm.stringWidth(axis) / 2, yAxis + 36);

        // Legend.
        Map<String, Color> colours = new LinkedHashMap<>();
        for (Bar b : bars) {
            colours.computeIfAbsent(b.series(), k -> PALETTE[colours.size() % PALETTE.length]);
        }
        int lx = 12;
        for (Map.Entry<String, Color> e : colours.entrySet()) {
            g.setColor(e.getValue());
            g.fillRect(lx, 38, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), lx + 20, 50);
            lx += 20 + fm.stringWidth(e.getKey()) + 24;
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("hatched = noisy (spread > 10% of median)", Math.max(lx, WIDTH - 330), 50);

        // Bars.
        int y = TOP;
        for (Bar b : bars) {
            g.setColor(Color.BLACK);
            g.drawString(b.label(), x0 - 8 - fm.stringWidth(b.label()), y + ROW / 2 + 5);
            if (Double.isFinite(b.value()) && b.value() > 0) {
                int w = (int) Math.max(1, xOf.applyAsDouble(b.value()) - x0);
                Color c = colours.get(b.series());
                g.setColor(c);
                g.fillRect(x0, y + 3, w, ROW - 6);
                if (b.noisy()) {
                    g.setColor(Color.WHITE);
                    g.setClip(x0, y + 3, w, ROW - 6);
                    for (int hx = x0 - ROW; hx < x0 + w; hx += 8) {
                        g.drawLine(hx, y + ROW, hx + ROW, y);
                    }
                    g.setClip(null);
                }
                g.setColor(Color.BLACK);
                String v = value(b.value()) + (!log && b.value() > hi0 ? " (off scale)" : "");
                g.drawString(v, x0 + w + 6, y + ROW / 2 + 5);
            } else {
                g.setColor(Color.GRAY);
                g.drawString("n/a", x0 + 6, y + ROW / 2 + 5);
            }
            y += ROW;
        }
        if (!log && Double.isFinite(refLine)) {
            int x = (int) xOf.applyAsDouble(refLine);
            g.setColor(Color.RED);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            g.drawLine(x, TOP - 4, x, yAxis);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawLine(x0, TOP - 4, x0, yAxis);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static String tick(double t) {
        if (t == 0) {
            return "0";
        }
        if (t >= 1e9) {
            return trim(t / 1e9) + "G";
        }
        if (t >= 1e6) {
            return trim(t / 1e6) + "M";
        }
        if (t >= 1e3) {
            return trim(t / 1e3) + "k";
        }
        return trim(t);
    }

    /** Three significant digits without trailing zeros: 1, 0.2, 15.9. */
    private static String trim(double v) {
        String s = new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString();
        return s;
    }

    private static String value(double v) {
        return tick(v);
    }
}
