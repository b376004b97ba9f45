package dev.anvil.tokenizer.format;

/**
 * GPT-2's byte ↔ character map ({@code bytes_to_unicode}), used by Hugging Face's ByteLevel pre-tokenizer and
 * GPT-2's vocab files: printable Latin-1 bytes stand for themselves, the other 68 bytes are shifted to
 * U+0100 and up, so every token becomes a printable string (a space is 'Ġ', a newline 'Ċ').
 */
public final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[512];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + shifted++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The bytes a byte-level string stands for, or null when it has a character outside the alphabet. */
    public static byte[] decode(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
