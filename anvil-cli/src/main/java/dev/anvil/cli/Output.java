package dev.anvil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * How a command talks to people and to scripts, set once per run by the global options:
 * <ul>
 *   <li>{@link Mode#TEXT} (default): results as text on stdout; progress bars and notes on stderr;</li>
 *   <li>{@link Mode#QUIET} ({@code --quiet}): results and errors only, no progress;</li>
 *   <li>{@link Mode#JSON} ({@code --json}): the results as one JSON object on stdout; progress,
 *       notes and errors as JSON lines on stderr ({@code {"type":"progress",...}},
 *       {@code {"type":"log","message":...}}, {@code {"type":"error","message":...,"exit_code":1}}).</li>
 * </ul>
 * The streams are looked up on every call (tests swap {@code System.out}).
 */
final class Output {

    enum Mode { TEXT, QUIET, JSON }

    static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Mode mode = Mode.TEXT;

    private Output() {}

    static Mode mode() {
        return mode;
    }

    static void setMode(Mode m) {
        mode = m;
    }

    static boolean json() {
        return mode == Mode.JSON;
    }

    /** A new result object to fill; {@link #result} prints it. */
    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** The command's result: in JSON mode {@code json} on one line of stdout, otherwise {@code text} prints it for people. */
    static void result(ObjectNode json, Runnable text) {
        if (mode == Mode.JSON) {
            System.out.println(json.toString());
            System.out.flush();
        } else {
            text.run();
        }
    }

    /** Puts a number, or null when it is none (NaN: nothing measured; JSON has no NaN). */
    static void putNumber(ObjectNode json, String field, double v) {
        if (Double.isFinite(v)) json.put(field, v);
        else json.putNull(field);
    }

    /** One JSON line on stderr (JSON mode's progress, notes and errors). */
    static void event(ObjectNode event) {
        System.err.println(event.toString());
        System.err.flush();
    }

    /**
     * Where a command's running commentary goes (training's per-step lines, notes): stdout as text,
     * nowhere when quiet, JSON lines {@code {"type":"log","message":...}} on stderr in JSON mode.
     */
    static PrintStream log() {
        return switch (mode) {
            case TEXT -> System.out;
            case QUIET -> new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            case JSON -> new PrintStream(new LineEvents(), true, StandardCharsets.UTF_8);
        };
    }

    /** Turns every completed line written to it into a {@code {"type":"log"}} event. */
    private static final class LineEvents extends OutputStream {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
                if (!text.isEmpty()) event(object().put("type", "log").put("message", text));
            } else {
                line.write(b);
            }
        }
    }
}
