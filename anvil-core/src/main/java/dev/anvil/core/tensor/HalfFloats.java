package dev.anvil.core.tensor;

/**
 * Conversions between float32 and the two 16-bit float formats models are shipped in.
 *
 * <p>BF16 is the top half of a float32 (same 8-bit exponent, 7-bit mantissa), so conversion to
 * float is a shift and conversion from float rounds the dropped 16 bits to nearest, ties to even
 * (as PyTorch does), keeping NaNs NaN. F16 (IEEE binary16, 5-bit exponent) uses the JDK's exact
 * {@link Float#floatToFloat16} / {@link Float#float16ToFloat}, which also round to nearest even.
 */
public final class HalfFloats {

    private HalfFloats() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x0040); // quiet NaN, sign kept
        }
        int lsb = (x >>> 16) & 1;
        int rounded = x + 0x7fff + lsb; // round to nearest, ties to even
        return (short) (rounded >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static void bf16ToFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = bf16ToFloat(src[srcOff + i]);
    }

    public static void floatToBf16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = floatToBf16(src[srcOff + i]);
    }

    public static void f16ToFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
    }

    public static void floatToF16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
    }
}
