package dev.anvil.cli.recipe;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The console line of a recipe run, redrawn in place at most five times a second:
 * {@code [4/8 train] [=======>      ]  41%  step 82/200 loss 4.12   stage 2:10 · all 6:45}.
 *
 * <p>The stage ETA extrapolates the stage's own progress (elapsed × (1 − f) / f) once it has
 * reported a few percent, and uses the stage's estimate before that. The overall ETA adds the
 * estimates of the stages still to run, each scaled by how the stages so far compared with their
 * estimates (actual / estimated wall time, clamped to [0.25, 4]), so it sharpens as the run goes.
 */
final class RunProgress {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final String[] names;
    private final double[] estimates;
    private double estimatedSoFar, actualSoFar;
    private int current = -1;
    private long stageStart, lastDraw;
    private double fraction;
    private String detail = "";
    private boolean drawn;
    private final boolean animate;

    RunProgress(PrintStream out, String[] names, boolean animate) {
        this.out = out;
        this.animate = animate;
        this.names = names;
        this.estimates = new double[names.length];
    }

    /** The expected seconds of stage i (0 for stages that will be reused or are out of range). */
    synchronized void estimate(int i, double seconds) {
        estimates[i] = Math.max(0, seconds);
    }

    synchronized void start(int i) {
        current = i;
        stageStart = System.nanoTime();
        fraction = 0;
        detail = "";
        draw(true);
    }

    /** The running stage's fraction done (0..1) and a short note, e.g. "step 82/200 loss 4.12". */
    synchronized void update(double f, String note) {
        fraction = Math.max(0, Math.min(1, f));
        if (note != null) detail = note;
        draw(false);
    }

    /** Ends the running stage and prints its line. */
    synchronized void finish(String line) {
        double elapsed = (System.nanoTime() - stageStart) / 1e9;
        if (current >= 0 && estimates[current] > 0) {
            estimatedSoFar += estimates[current];
            actualSoFar += elapsed;
        }
        clear();
        out.println(line);
        out.flush();
        current = -1;
    }

    /** Prints a line above the bar (the bar is redrawn on the next update). */
    synchronized void note(String line) {
        clear();
        out.println(line);
        out.flush();
    }

    private double calibration() {
        if (estimatedSoFar < 1) return 1;
        return Math.max(0.25, Math.min(4, actualSoFar / estimatedSoFar));
    }

    double remainingSeconds() {
        double elapsed = (System.nanoTime() - stageStart) / 1e9;
        double k = calibration();
        double stage = fraction >= 0.03 ? elapsed * (1 - fraction) / fraction : Math.max(0, estimates[current] * k - elapsed);
        double rest = 0;
        for (int i = current + 1; i < names.length; i++) rest += estimates[i] * k;
        return stage + rest;
    }

    private void draw(boolean force) {
        if (current < 0 || !animate) return;
        long now = System.nanoTime();
        if (!force && drawn && now - lastDraw < 200_000_000L) return;
        lastDraw = now;
        double elapsed = (now - stageStart) / 1e9;
        int filled = (int) (fraction * WIDTH);
        StringBuilder sb = new StringBuilder("\r");
        sb.append(String.format(Locale.ROOT, "[%d/%d %s] [", current + 1, names.length, names[current]));
        sb.append("=".repeat(filled)).append(filled < WIDTH ? ">" : "").append(" ".repeat(Math.max(0, WIDTH - filled - 1))).append(']');
        sb.append(String.format(Locale.ROOT, " %3.0f%%  ", 100 * fraction)).append(detail);
        double stageLeft = fraction >= 0.03 ? elapsed * (1 - fraction) / fraction : Math.max(0, estimates[current] * calibration() - elapsed);
        sb.append("   stage ").append(clock(stageLeft)).append(" · all ").append(clock(remainingSeconds())).append("  ");
        out.print(sb);
        out.flush();
        drawn = true;
    }

    private void clear() {
        if (drawn) {
            out.print("\r\033[K");
            drawn = false;
        }
    }

    static String clock(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
