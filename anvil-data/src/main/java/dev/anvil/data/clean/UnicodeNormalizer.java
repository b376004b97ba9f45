package dev.anvil.data.clean;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.text.Normalizer;

/**
 * Unicode normalization (NFC keeps distinctions such as ligatures and full-width forms; NFKC folds
 * them) plus control-character cleanup: line endings become {@code \n}; other C0/C1 controls,
 * byte-order marks, zero-width and bidi format characters and lone surrogates are removed (tab
 * and newline are kept); trailing spaces on lines are trimmed. A document left empty is removed.
 */
public record UnicodeNormalizer(Normalizer.Form form) implements DocumentStep {
    public UnicodeNormalizer {
        if (form != Normalizer.Form.NFC && form != Normalizer.Form.NFKC) {
            throw new IllegalArgumentException("normalize form must be NFC or NFKC, got " + form);
        }
    }

    @Override
    public String name() {
        return "normalize";
    }

    @Override
    public StepResult apply(Document doc) {
        String text = clean(doc.text());
        if (text.isBlank()) return StepResult.remove("empty_after_normalize");
        return StepResult.keep(text.equals(doc.text()) ? doc : doc.withText(text));
    }

    public String clean(String raw) {
        String s = raw.replace("\r\n", "\n").replace('\r', '\n');
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\t') {
                if (c == '\n') trimTrailingSpaces(out);
                out.append(c);
                continue;
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    out.append(c).append(s.charAt(++i));
                }
                continue; // a lone surrogate cannot be encoded as UTF-8
            }
            int type = Character.getType(c);
            if (type == Character.CONTROL) continue;
            if (type == Character.FORMAT && c != '\u200D') continue; // keep ZWJ: emoji sequences and Indic scripts need it
            out.append(c);
        }
        trimTrailingSpaces(out);
        return Normalizer.normalize(out, form).strip();
    }

    private static void trimTrailingSpaces(StringBuilder out) {
        int n = out.length();
        while (n > 0 && (out.charAt(n - 1) == ' ' || out.charAt(n - 1) == '\t')) n--;
        out.setLength(n);
    }
}
