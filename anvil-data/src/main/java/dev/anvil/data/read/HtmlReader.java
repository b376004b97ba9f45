package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import org.jsoup.Jsoup;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Consumer;

/** One HTML page per file, reduced to its main text; the charset comes from the page's meta tag or BOM, else UTF-8. */
public record HtmlReader() implements DocumentReader {
    @Override
    public void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        org.jsoup.nodes.Document page = Jsoup.parse(in, null, "");
        String text = HtmlText.toText(page.outerHtml());
        String title = page.title();
        if (text.isBlank()) {
            badInput.accept(new BadInput(source, 0, "HTML page has no text"));
            return;
        }
        sink.accept(new Document(source + "#0", text, title.isBlank() ? Map.of("source", source) : Map.of("source", source, "title", title)));
    }
}
