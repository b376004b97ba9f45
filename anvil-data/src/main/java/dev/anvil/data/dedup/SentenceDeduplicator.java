package dev.anvil.data.dedup;

import dev.anvil.data.filter.TextWords;

import java.text.BreakIterator;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * C4's span deduplication: "we discarded all but one of any three-sentence span occurring more than
 * once in the data set", as datatrove's {@code SentenceDedup} does it. A document is cut into
 * sentences (or lines); every window of {@link Config#spanSentences} consecutive sentences is
 * hashed after simplification (lower case, diacritics, punctuation and symbols removed, whitespace
 * collapsed); a span whose hash was already seen earlier in the corpus — earlier document, or
 * earlier in the same document — marks its sentences for removal; the document keeps the other
 * sentences and is dropped when no more than {@link Config#minDocWords} words remain.
 *
 * <p>"Earlier" is the order of documents in the input (file order, then position in the file), so
 * the result does not depend on threads or task timing. datatrove orders by (task rank, document
 * index within the task) instead; on one task the two agree. Sentences are split with the JDK's
 * {@link BreakIterator} (Unicode sentence rules) where datatrove uses NLTK's Punkt model.
 */
public final class SentenceDeduplicator {
    /**
     * @param spanSentences sentences per hashed span (C4: 3)
     * @param splitLines    spans of lines instead of sentences
     * @param minDocWords   a document that lost sentences is kept only with more words than this (datatrove: 50)
     */
    public record Config(int spanSentences, boolean splitLines, int minDocWords) {
        public static final Config DEFAULT = new Config(3, false, 50);

        public Config {
            if (spanSentences < 1) throw new IllegalArgumentException("sentence dedup span must be >= 1 sentence, got " + spanSentences);
            if (minDocWords < 0) throw new IllegalArgumentException("sentence dedup min_doc_words must be >= 0, got " + minDocWords);
        }
    }

    private final Config config;

    public SentenceDeduplicator(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** Sentence (or line) boundaries: {@code [start0, end0, start1, end1, ...]}, together covering the whole text. */
    public int[] sentenceBounds(String text) {
        List<Integer> b = new ArrayList<>();
        if (config.splitLines) {
            int start = 0;
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '\n') {
                    b.add(start);
                    b.add(i + 1);
                    start = i + 1;
                }
            }
            if (start < text.length()) {
                b.add(start);
                b.add(text.length());
            }
        } else {
            BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
            it.setText(text);
            for (int start = it.first(), end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
                b.add(start);
                b.add(end);
            }
        }
        // Whitespace-only pieces (blank lines) are not sentences: fold them into the previous one.
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < b.size(); i += 2) {
            boolean blank = text.substring(b.get(i), b.get(i + 1)).isBlank();
            if (blank && !out.isEmpty()) out.set(out.size() - 1, b.get(i + 1));
            else if (!blank) {
                out.add(out.isEmpty() ? 0 : b.get(i));
                out.add(b.get(i + 1));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The hash of every span of {@code spanSentences} consecutive sentences; span i starts at sentence i. Empty if the text is shorter than one span. */
    public long[] spanHashes(String text) {
        int[] bounds = sentenceBounds(text);
        int sentences = bounds.length / 2;
        int n = config.spanSentences;
        if (sentences < n) return new long[0];
        String[] simple = new String[sentences];
        for (int s = 0; s < sentences; s++) simple[s] = simplify(text.substring(bounds[2 * s], bounds[2 * s + 1]));
        long[] out = new long[sentences - n + 1];
        StringBuilder span = new StringBuilder();
        for (int i = 0; i < out.length; i++) {
            span.setLength(0);
            for (int j = i; j < i + n; j++) {
                if (j > i) span.append(' ');
                span.append(simple[j]);
            }
            out[i] = TextHashes.hash64(span, 0, span.length());
        }
        return out;
    }

    /**
     * The document's text without the sentences of its repeated spans, or null when too little is
     * left. {@code repeatedSpans} holds the start sentence of each span seen before.
     */
    public String removeRepeated(String text, BitSet repeatedSpans) {
        if (repeatedSpans.isEmpty()) return text;
        int[] bounds = sentenceBounds(text);
        BitSet drop = new BitSet();
        for (int s = repeatedSpans.nextSetBit(0); s >= 0; s = repeatedSpans.nextSetBit(s + 1)) drop.set(s, s + config.spanSentences);
        StringBuilder kept = new StringBuilder();
        for (int s = 0; s < bounds.length / 2; s++) if (!drop.get(s)) kept.append(text, bounds[2 * s], bounds[2 * s + 1]);
        String out = kept.toString().strip();
        return TextWords.words(out).stream().filter(TextWords::hasLetter).count() > config.minDocWords ? out : null;
    }

    /** Lower case, diacritics removed (NFD, combining marks dropped), punctuation, symbols and control characters removed, whitespace collapsed. */
    static String simplify(String sentence) {
        String s = Normalizer.normalize(sentence.toLowerCase(Locale.ROOT), Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (Character.isWhitespace(cp)) {
                space = !out.isEmpty();
                continue;
            }
            if (type == Character.NON_SPACING_MARK || type == Character.CONTROL || isPunctuationOrSymbol(type)) continue;
            if (space) out.append(' ');
            space = false;
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    private static boolean isPunctuationOrSymbol(int type) {
        return switch (type) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                 Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION,
                 Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }
}
