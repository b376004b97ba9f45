package dev.anvil.core.tensor;

/**
 * ggml's block quantizations, byte for byte as llama.cpp stores them (little-endian), so the bytes
 * can go straight into a GGUF file. A row of n values (n a multiple of 32) is n / 32 blocks:
 * <ul>
 *   <li>Q8_0, 34 bytes: an F16 scale d = max|x| / 127, then 32 int8 q = round(x / d) (halves away
 *       from zero, C's roundf); x ≈ q·d.</li>
 *   <li>Q4_0, 18 bytes: an F16 scale d = m / −8 where m is the block's value of largest magnitude
 *       (with its sign), then 16 bytes of 4-bit q = min(15, ⌊x / d + 8.5⌋) ∈ [0, 15]: byte j holds
 *       element j in its low nibble and element j + 16 in its high nibble; x ≈ (q − 8)·d. The
 *       largest-magnitude value lands exactly on q = 0 (−8·d = m), which is why d uses −8 and the
 *       signed extreme: the asymmetric range [−8, 7] is spent on the side that needs it.</li>
 * </ul>
 * Both are ggml's reference quantizers ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}):
 * the scale is computed in float32 and only then rounded to F16, and the values are divided by the
 * float32 scale, as there.
 */
public final class QuantizedBlocks {
    private QuantizedBlocks() {}

    public static final int BLOCK = 32;
    public static final int Q8_0_BYTES = 34;
    public static final int Q4_0_BYTES = 18;

    private static void checkLength(String op, int n) {
        if (n < 0 || n % BLOCK != 0) throw new IllegalArgumentException(op + ": " + n + " values is not a whole number of blocks of " + BLOCK);
    }

    /** Quantizes {@code src[srcOff, +n)} to Q8_0 blocks at {@code dst[dstOff, +n/32·34)}. */
    public static void quantizeQ8_0(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        checkLength("quantizeQ8_0", n);
        for (int b = 0; b < n; b += BLOCK, dstOff += Q8_0_BYTES) {
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(src[srcOff + b + i]));
            float d = amax / 127, id = d != 0 ? 1 / d : 0;
            putF16(dst, dstOff, d);
            for (int i = 0; i < BLOCK; i++) dst[dstOff + 2 + i] = (byte) roundHalfAway(src[srcOff + b + i] * id);
        }
    }

    /** Dequantizes n values of Q8_0 blocks at {@code src[srcOff…]} into {@code dst[dstOff, +n)}. */
    public static void dequantizeQ8_0(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkLength("dequantizeQ8_0", n);
        for (int b = 0; b < n; b += BLOCK, srcOff += Q8_0_BYTES) {
            float d = getF16(src, srcOff);
            for (int i = 0; i < BLOCK; i++) dst[dstOff + b + i] = src[srcOff + 2 + i] * d;
        }
    }

    /** Quantizes {@code src[srcOff, +n)} to Q4_0 blocks at {@code dst[dstOff, +n/32·18)}. */
    public static void quantizeQ4_0(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        checkLength("quantizeQ4_0", n);
        for (int b = 0; b < n; b += BLOCK, dstOff += Q4_0_BYTES) {
            float amax = 0, max = 0;
            for (int i = 0; i < BLOCK; i++) {
                float v = src[srcOff + b + i];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8, id = d != 0 ? 1 / d : 0;
            putF16(dst, dstOff, d);
            for (int j = 0; j < BLOCK / 2; j++) {
                // (int8_t)(x + 8.5f) truncates toward zero; x + 8.5 ≥ 0.5 here, so that is the floor.
                int lo = Math.min(15, (int) (src[srcOff + b + j] * id + 8.5f));
                int hi = Math.min(15, (int) (src[srcOff + b + BLOCK / 2 + j] * id + 8.5f));
                dst[dstOff + 2 + j] = (byte) (lo | hi << 4);
            }
        }
    }

    /** Dequantizes n values of Q4_0 blocks at {@code src[srcOff…]} into {@code dst[dstOff, +n)}. */
    public static void dequantizeQ4_0(byte[] src, int srcOff, float[] dst, int dstOff, int n) {
        checkLength("dequantizeQ4_0", n);
        for (int b = 0; b < n; b += BLOCK, srcOff += Q4_0_BYTES) {
            float d = getF16(src, srcOff);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = src[srcOff + 2 + j] & 0xFF;
                dst[dstOff + b + j] = ((q & 0x0F) - 8) * d;
                dst[dstOff + b + BLOCK / 2 + j] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /** C's roundf: to the nearest integer, halves away from zero. */
    private static float roundHalfAway(float v) {
        return v < 0 ? -(float) Math.floor(-v + 0.5f) : (float) Math.floor(v + 0.5f);
    }

    static void putF16(byte[] dst, int off, float v) {
        short h = HalfFloats.floatToF16(v);
        dst[off] = (byte) h;
        dst[off + 1] = (byte) (h >>> 8);
    }

    public static float getF16(byte[] src, int off) {
        return HalfFloats.f16ToFloat((short) ((src[off] & 0xFF) | src[off + 1] << 8));
    }
}
