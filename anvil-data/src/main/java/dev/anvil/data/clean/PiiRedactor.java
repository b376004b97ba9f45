package dev.anvil.data.clean;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal identifiers with tokens: e-mail addresses → {@code <EMAIL>}, IPv4 and IPv6
 * addresses → {@code <IP_ADDRESS>}, and optionally phone numbers → {@code <PHONE>}. Documents are
 * never removed. Private and loopback IPv4 ranges are redacted too: they say nothing useful.
 */
public record PiiRedactor(boolean emails, boolean ipAddresses, boolean phoneNumbers) implements DocumentStep {
    static final String EMAIL_TOKEN = "<EMAIL>";
    static final String IP_TOKEN = "<IP_ADDRESS>";
    static final String PHONE_TOKEN = "<PHONE>";

    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![\\w-])");
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile("(?<![\\d.])" + OCTET + "(?:\\." + OCTET + "){3}(?![\\d]|\\.\\d)");
    private static final String H = "[0-9A-Fa-f]{1,4}";
    /** The usual forms of RFC 4291 text: full, with one "::" compression, or with an embedded IPv4 tail. */
    private static final Pattern IPV6 = Pattern.compile("(?<![0-9A-Fa-f:])(?:"
            + "(?:" + H + ":){7}" + H
            + "|(?:" + H + ":){1,7}:"
            + "|(?:" + H + ":){1,6}:" + H
            + "|(?:" + H + ":){1,5}(?::" + H + "){1,2}"
            + "|(?:" + H + ":){1,4}(?::" + H + "){1,3}"
            + "|(?:" + H + ":){1,3}(?::" + H + "){1,4}"
            + "|(?:" + H + ":){1,2}(?::" + H + "){1,5}"
            + "|" + H + ":(?::" + H + "){1,6}"
            + "|:(?::" + H + "){1,7}"
            + "|::(?:ffff(?::0{1,4})?:)?" + OCTET + "(?:\\." + OCTET + "){3}"
            + ")(?![0-9A-Fa-f:])");
    /** North-American and international numbers with separators: +1 (555) 123-4567, 555-123-4567, +44 20 7946 0958. */
    private static final Pattern PHONE = Pattern.compile(
            "(?<![\\w+])(?:\\+\\d{1,3}[\\s.-]?)?(?:\\(\\d{2,4}\\)|\\d{2,4})[\\s.-]\\d{3,4}[\\s.-]\\d{3,4}(?!\\w)");

    public static PiiRedactor defaults() {
        return new PiiRedactor(true, true, false);
    }

    @Override
    public String name() {
        return "pii";
    }

    @Override
    public StepResult apply(Document doc) {
        String t = redact(doc.text());
        return StepResult.keep(t.equals(doc.text()) ? doc : doc.withText(t));
    }

    public String redact(String text) {
        String t = text;
        if (emails) t = EMAIL.matcher(t).replaceAll(EMAIL_TOKEN);
        if (ipAddresses) {
            t = IPV4.matcher(t).replaceAll(IP_TOKEN);
            Matcher m = IPV6.matcher(t);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                // "::" alone or a bare time such as 12:30 is not an address: require at least two groups or a "::".
                String g = m.group();
                boolean address = g.contains("::") ? g.length() > 2 : g.chars().filter(ch -> ch == ':').count() == 7;
                m.appendReplacement(sb, address ? IP_TOKEN : Matcher.quoteReplacement(g));
            }
            m.appendTail(sb);
            t = sb.toString();
        }
        if (phoneNumbers) t = PHONE.matcher(t).replaceAll(PHONE_TOKEN);
        return t;
    }
}
