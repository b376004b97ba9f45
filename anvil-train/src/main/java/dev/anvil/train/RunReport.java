package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code report.html}: a self-contained page (inline SVG, no scripts) with the train and val loss
 * curves, the last samples and a summary, drawn from {@code metrics.jsonl}.
 */
public final class RunReport {

    private RunReport() {}

    public static void write(Path runDir, String title, List<String[]> summary) throws IOException {
        List<JsonNode> metrics = MetricsLog.read(runDir.resolve("metrics.jsonl"));
        String lastSample = null;
        for (JsonNode n : metrics) if (n.path("type").asText().equals("sample")) lastSample = n.path("text").asText();
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(escape(title)).append("</title>")
                .append("<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td{padding:2px 12px;border-bottom:1px solid #ddd}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}</style>")
                .append("</head><body><h1>").append(escape(title)).append("</h1>");
        h.append("<table>");
        for (String[] row : summary) h.append("<tr><td>").append(escape(row[0])).append("</td><td>").append(escape(row[1])).append("</td></tr>");
        h.append("</table><h2>Loss</h2>").append(lossChart(metrics));
        if (lastSample != null) h.append("<h2>Last sample</h2><pre>").append(escape(lastSample)).append("</pre>");
        h.append("</body></html>\n");
        Path tmp = runDir.resolve("report.html.tmp");
        Files.writeString(tmp, h, StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve("report.html"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The train and val loss curves of a run's {@code metrics.jsonl} records as inline SVG with its legend (also used by the recipe report card). */
    public static String lossChart(List<JsonNode> metrics) {
        List<double[]> train = new ArrayList<>(), val = new ArrayList<>();
        for (JsonNode n : metrics) {
            switch (n.path("type").asText()) {
                case "train" -> { if (n.hasNonNull("loss") && Double.isFinite(n.get("loss").asDouble())) train.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()}); }
                case "eval" -> val.add(new double[] {n.get("step").asDouble(), n.get("val_loss").asDouble()});
                default -> { }
            }
        }
        return svg(train, val) + "<p><span style=\"color:#1f77b4\">■ train loss</span> &nbsp; <span style=\"color:#d62728\">● val loss</span></p>";
    }

    private static String svg(List<double[]> train, List<double[]> val) {
        int W = 900, H = 420, L = 60, R = 20, T = 20, B = 40;
        List<double[]> all = new ArrayList<>(train);
        all.addAll(val);
        if (all.isEmpty()) return "<p>(no steps yet)</p>";
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (double[] p : all) {
            x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
        }
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1;
        final double fx0 = x0, fx1 = x1, fy0 = y0, fy1 = y1;
        java.util.function.DoubleUnaryOperator sx = x -> L + (x - fx0) / (fx1 - fx0) * (W - L - R);
        java.util.function.DoubleUnaryOperator sy = y -> T + (1 - (y - fy0) / (fy1 - fy0)) * (H - T - B);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">", W, H));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", L, T, W - L - R, H - T - B));
        for (int i = 0; i <= 5; i++) {
            double y = y0 + (y1 - y0) * i / 5, x = x0 + (x1 - x0) * i / 5;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>", L - 4, sy.applyAsDouble(y) + 4, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", sx.applyAsDouble(x), H - B + 16, Math.round(x)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>", (W + L) / 2, H - 6));
        if (!train.isEmpty()) {
            s.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1\" points=\"");
            int stride = Math.max(1, train.size() / 2000);
            for (int i = 0; i < train.size(); i += stride) {
                s.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx.applyAsDouble(train.get(i)[0]), sy.applyAsDouble(train.get(i)[1])));
            }
            s.append("\"/>");
        }
        for (double[] p : val) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"><title>step %d: %.4f</title></circle>",
                    sx.applyAsDouble(p[0]), sy.applyAsDouble(p[1]), Math.round(p[0]), p[1]));
        }
        return s.append("</svg>").toString();
    }

    /** Text for HTML element content and attribute values. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
