package dev.anvil.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn in place with '\r' at most ten times a second:
 * {@code label [=========>          ]  45.0%  12.3 MB/s  ETA 0:12}. Thread-safe.
 *
 * <p>It follows the global output mode ({@link Output}): nothing with {@code --quiet}; with
 * {@code --json} a line {@code {"type":"progress","task":label,"phase":...,"done":n,"total":n,"unit":...}}
 * at most once a second and at the end (total −1 = unknown; done and total are raw counts,
 * e.g. bytes for "MB").
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final Output.Mode mode;
    private final PrintStream out;
    private final String label;
    private final String unit;
    private final double unitScale;
    private long startNanos = System.nanoTime();
    private long lastDraw;
    private String phase;
    private boolean drawn;

    /** @param unit shown in the rate, e.g. "MB" with unitScale 1e6, or "merges" with 1 */
    public ProgressBar(PrintStream out, String label, String unit, double unitScale) {
        this(Output.Mode.TEXT, out, label, unit, unitScale);
    }

    private ProgressBar(Output.Mode mode, PrintStream out, String label, String unit, double unitScale) {
        this.mode = mode;
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.unitScale = unitScale;
    }

    /** The bar for the current output mode (see the class comment). */
    public static ProgressBar stderr(String label, String unit, double unitScale) {
        return new ProgressBar(Output.mode(), System.err, label, unit, unitScale);
    }

    /** Updates the bar; total < 0 means unknown (no percentage). */
    public synchronized void update(long done, long total) {
        if (mode == Output.Mode.QUIET) return;
        long now = System.nanoTime();
        long interval = mode == Output.Mode.JSON ? 1_000_000_000L : 100_000_000L;
        if (drawn && now - lastDraw < interval && done != total) return;
        lastDraw = now;
        if (mode == Output.Mode.JSON) {
            Output.event(Output.object().put("type", "progress").put("task", label).put("phase", phase)
                    .put("done", done).put("total", total).put("unit", unitOverride != null ? unitOverride : unit)
                    .put("seconds", (now - startNanos) / 1e9));
            drawn = true;
            return;
        }
        draw(done, total, now);
    }

    /** Shows a new phase label on the same bar (e.g. "counting" then "merging"). */
    public synchronized void phase(String name, String newUnit, double newScale, long done, long total) {
        if (!name.equals(phase)) {
            if (drawn && mode == Output.Mode.TEXT) out.println();
            phase = name;
            drawn = false;
            startNanos = System.nanoTime();
        }
        this.unitOverride = newUnit;
        this.scaleOverride = newScale;
        update(done, total);
    }

    private String unitOverride;
    private double scaleOverride;

    private void draw(long done, long total, long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        String u = unitOverride != null ? unitOverride : unit;
        double scale = unitOverride != null ? scaleOverride : unitScale;
        StringBuilder sb = new StringBuilder("\r").append(phase == null ? label : label + " " + phase).append(' ');
        if (total > 0) {
            double f = Math.min(1.0, (double) done / total);
            int filled = (int) (f * WIDTH);
            sb.append('[').append("=".repeat(filled)).append(filled < WIDTH ? ">" : "").append(" ".repeat(Math.max(0, WIDTH - filled - 1))).append(']');
            sb.append(String.format(" %5.1f%%", 100 * f));
            double rate = done / seconds;
            if (seconds >= 0.5) sb.append(String.format("  %.1f %s/s", rate / scale, u));
            if (seconds >= 0.5 && done > 0 && done < total) sb.append("  ETA ").append(formatSeconds((total - done) / rate));
        } else {
            sb.append(String.format("%.1f %s  %.1f %s/s", done / scale, u, done / scale / seconds, u));
        }
        sb.append("   ");
        out.print(sb);
        out.flush();
        drawn = true;
    }

    /** Ends the line. */
    public synchronized void finish() {
        if (drawn && mode == Output.Mode.TEXT) out.println();
        drawn = false;
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
