package dev.anvil.data.read;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * HTML to readable main text with jsoup. Boilerplate containers (scripts, styles, navigation,
 * headers, footers, forms, asides) are removed; if the page has an {@code <article>} or
 * {@code <main>} element only that is kept. Block elements become line breaks so that paragraphs
 * stay on their own lines, which is what the line-based quality filters expect.
 */
public final class HtmlText {
    private static final String BOILERPLATE = "script, style, noscript, template, nav, header, footer, form, aside, iframe, svg, head";

    private HtmlText() {}

    public static String toText(String html) {
        org.jsoup.nodes.Document page = Jsoup.parse(html);
        page.select(BOILERPLATE).remove();
        Element root = page.selectFirst("article");
        if (root == null) root = page.selectFirst("main");
        if (root == null) root = page.body() != null ? page.body() : page;
        StringBuilder out = new StringBuilder();
        NodeTraversor.traverse(new NodeVisitor() {
            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    String s = t.text();
                    if (!s.isBlank()) {
                        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n' && out.charAt(out.length() - 1) != ' ') out.append(' ');
                        out.append(s.strip());
                    }
                } else if (node instanceof Element e && (e.isBlock() || e.normalName().equals("br"))) {
                    newline(out);
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e && e.isBlock()) newline(out);
            }
        }, root);
        return out.toString().replaceAll("\n{3,}", "\n\n").strip();
    }

    private static void newline(StringBuilder out) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') out.append('\n');
    }
}
