package dev.anvil.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** BF16 rounding checked against exact arithmetic: the nearest BF16 value, ties to the even mantissa. */
    @Property(tries = 3000, shrinking = net.jqwik.api.ShrinkingMode.OFF)
    void bf16RoundsToNearestEven(@ForAll float f) {
        if (Float.isNaN(f)) {
            assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f))).isNaN();
            return;
        }
        int bits = Float.floatToRawIntBits(f);
        float down = Float.intBitsToFloat(bits & 0xffff0000);            // truncated toward zero
        float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);  // next BF16 away from zero
        float got = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f));
        // Past the largest BF16, "up" is infinity; IEEE rounding measures it as if it were 2^128.
        double upValue = Float.isInfinite(up) ? Math.copySign(0x1p128, up) : up;
        double dDown = Math.abs((double) f - down), dUp = Math.abs((double) f - upValue);
        if ((bits & 0xffff) == 0) {
            assertThat(got).isEqualTo(f);
        } else if (dDown < dUp) {
            assertThat(got).isEqualTo(down);
        } else if (dUp < dDown) {
            assertThat(got).isEqualTo(up);
        } else {
            float even = ((bits >>> 16) & 1) == 0 ? down : up;
            assertThat(got).isEqualTo(even);
        }
    }

    @Test
    void bf16SpecialValues() {
        assertThat(HalfFloats.floatToBf16(1.0f)).isEqualTo((short) 0x3f80);
        assertThat(HalfFloats.floatToBf16(-2.0f)).isEqualTo((short) 0xc000);
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.POSITIVE_INFINITY))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.MAX_VALUE))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(-0.0f))).isEqualTo(-0.0f);
        // 1 + 2^-8 lies exactly between two BF16 values (1 and 1 + 2^-7): ties go to the even one, 1.
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1f + 0x1p-8f))).isEqualTo(1f);
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1f + 0x1p-7f + 0x1p-8f))).isEqualTo(1f + 0x1p-6f);
    }

    @Test
    void f16KnownEncodings() {
        assertThat(HalfFloats.floatToF16(1.0f)).isEqualTo((short) 0x3c00);
        assertThat(HalfFloats.floatToF16(65504f)).isEqualTo((short) 0x7bff);
        assertThat(HalfFloats.floatToF16(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(HalfFloats.f16ToFloat((short) 0xc000)).isEqualTo(-2f);
        float[] src = {0.5f, -1.25f, 3.0e-5f, 1000f};
        short[] packed = new short[4];
        float[] back = new float[4];
        HalfFloats.floatToF16(src, 0, packed, 0, 4);
        HalfFloats.f16ToFloat(packed, 0, back, 0, 4);
        for (int i = 0; i < 4; i++) assertThat(back[i]).isCloseTo(src[i], org.assertj.core.data.Percentage.withPercentage(0.1));
    }
}
