package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One raw RFC 822 / MIME message per file (an mbox-style {@code From } first line is tolerated).
 * Headers are dropped (the subject is kept as metadata); Jakarta Mail decodes base64 and
 * quoted-printable and honours each part's charset. In {@code multipart/alternative} the
 * text/plain part is preferred and HTML is used only when there is no plain part; in other
 * multiparts every text part is kept in order; attachments that are not text are skipped.
 */
public record EmailReader() implements DocumentReader {
    private static final Session SESSION;

    static {
        Properties props = new Properties();
        // Real mail is sloppy: accept malformed address headers and unknown encodings instead of failing.
        props.setProperty("mail.mime.address.strict", "false");
        props.setProperty("mail.mime.ignoreunknownencoding", "true");
        props.setProperty("mail.mime.decodetext.strict", "false");
        props.setProperty("mail.mime.base64.ignoreerrors", "true");
        props.setProperty("mail.mime.parameters.strict", "false");
        SESSION = Session.getInstance(props);
    }

    @Override
    public void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        byte[] bytes = in.readAllBytes();
        int start = 0;
        if (bytes.length > 5 && new String(bytes, 0, 5, StandardCharsets.ISO_8859_1).equals("From ")) {
            while (start < bytes.length && bytes[start] != '\n') start++;
            start++;
        }
        try {
            MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(bytes, Math.min(start, bytes.length), Math.max(0, bytes.length - start)));
            StringBuilder text = new StringBuilder();
            appendText(message, text, source, badInput);
            String body = text.toString().replace("\r\n", "\n").replaceAll("\n{3,}", "\n\n").strip();
            if (body.isEmpty()) {
                badInput.accept(new BadInput(source, 0, "email has no text part"));
                return;
            }
            Map<String, Object> meta = new TreeMap<>();
            meta.put("source", source);
            String subject = message.getSubject();
            if (subject != null) meta.put("subject", subject);
            sink.accept(new Document(source + "#0", body, meta));
        } catch (MessagingException e) {
            badInput.accept(new BadInput(source, 0, "unparseable email: " + e.getMessage()));
        }
    }

    private static void appendText(Part part, StringBuilder out, String source, Consumer<BadInput> badInput) throws MessagingException, IOException {
        String type = baseType(part);
        if (type.startsWith("multipart/")) {
            Object content = part.getContent();
            if (!(content instanceof Multipart mp)) return;
            if (type.equals("multipart/alternative")) {
                BodyPart best = null;
                for (int i = 0; i < mp.getCount(); i++) {
                    BodyPart p = mp.getBodyPart(i);
                    String t = baseType(p);
                    if (t.equals("text/plain")) { best = p; break; }
                    if (best == null && (t.equals("text/html") || t.startsWith("multipart/"))) best = p;
                }
                if (best != null) appendText(best, out, source, badInput);
            } else {
                for (int i = 0; i < mp.getCount(); i++) appendText(mp.getBodyPart(i), out, source, badInput);
            }
        } else if (type.equals("message/rfc822")) {
            Object content = part.getContent();
            if (content instanceof Part nested) appendText(nested, out, source, badInput);
        } else if (type.startsWith("text/") && !Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition())) {
            String s = decodedText(part, source, badInput);
            if (type.equals("text/html") || looksLikeHtml(s)) s = HtmlText.toText(s);
            if (!s.isBlank()) {
                if (!out.isEmpty()) out.append("\n\n");
                out.append(s.strip());
            }
        }
    }

    private static final java.util.regex.Pattern HTML_MARKUP = java.util.regex.Pattern.compile(
            "(?i)<(html|body|br|p|div|table|td|font)[\\s>/]|<a\\s+href=|</(a|p|div|td|font)>");

    /** Spam often labels HTML as text/plain: treat a plain part as HTML when it opens a page or carries markup (two or more tags). */
    static boolean looksLikeHtml(String s) {
        var m = HTML_MARKUP.matcher(s);
        int tags = 0;
        while (m.find()) if (++tags >= 2) return true; // e.g. an <a href=...> and its </a>
        String lower = s.length() > 4096 ? s.substring(0, 4096).toLowerCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT);
        return lower.contains("<html") || lower.contains("<body");
    }

    /** The part's text in its declared charset; an unknown charset falls back to Latin-1, which never fails. */
    private static String decodedText(Part part, String source, Consumer<BadInput> badInput) throws MessagingException, IOException {
        try {
            Object content = part.getContent();
            if (content instanceof String s) return s;
        } catch (UnsupportedEncodingException e) {
            badInput.accept(new BadInput(source, 0, "unknown charset " + e.getMessage() + ", read as ISO-8859-1"));
        }
        try (InputStream decoded = part.getInputStream()) {
            return new String(decoded.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String baseType(Part part) throws MessagingException {
        String ct = part.getContentType();
        if (ct == null) return "text/plain";
        try {
            return new ContentType(ct).getBaseType().toLowerCase(Locale.ROOT);
        } catch (jakarta.mail.internet.ParseException e) {
            String t = ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            return t.isEmpty() ? "text/plain" : t;
        }
    }
}
