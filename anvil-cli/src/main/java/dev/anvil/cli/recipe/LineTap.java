package dev.anvil.cli.recipe;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * An output stream that copies everything to a log and hands each complete line to a listener:
 * how a stage follows a library's console output (e.g. the trainer's {@code step N/M} lines) to
 * drive the progress bar without the library knowing about bars.
 */
final class LineTap extends OutputStream {
    private final PrintStream log;
    private final Consumer<String> listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    LineTap(PrintStream log, Consumer<String> listener) {
        this.log = log;
        this.listener = listener;
    }

    static PrintStream printStream(PrintStream log, Consumer<String> listener) {
        return new PrintStream(new LineTap(log, listener), true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) {
        log.write(b);
        if (b == '\n') {
            listener.accept(line.toString(StandardCharsets.UTF_8));
            line.reset();
        } else {
            line.write(b);
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    @Override
    public void flush() {
        log.flush();
    }
}
