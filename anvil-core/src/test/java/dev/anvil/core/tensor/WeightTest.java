package dev.anvil.core.tensor;

import dev.anvil.core.random.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every dtype's products against a float64 reference over independently dequantized values
 * ({@link QuantizedBlocks}, {@link HalfFloats}, and ggml's Q6_K formula re-stated in
 * {@link #q6kReference}), on heap and memory-mapped segments, at shapes that leave partial row
 * groups, partial tasks and vector tails.
 *
 * <p>Bound: |out − ref| ≤ 1e-5 · Σ|w·x| + 1e-30, float32 accumulation in any order over these
 * row lengths (≤ 1024) stays well inside it. Dequantization is exact (bit for bit).
 */
class WeightTest {

    /** Relative to Σ|w·x|: float32 accumulation (ε ≈ 6e-8) over ≤ 1024 terms in lanes and a tree. */
    private static final double RELATIVE = 1e-5;

    record Case(DType dtype, int rows, int cols) {}

    /** Small odd shapes, and one per dtype large enough (≈ 200–400 KB) to split into several pool tasks. */
    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            cases.add(new Case(dt, 1, 17));
            cases.add(new Case(dt, 37, 45));
            cases.add(new Case(dt, 6, 1100));
            cases.add(new Case(dt, 401, 160 * 4 / (dt == DType.F32 ? 4 : 2)));
        }
        for (DType dt : new DType[] {DType.Q8_0, DType.Q4_0}) {
            cases.add(new Case(dt, 1, 32));
            cases.add(new Case(dt, 37, 96));
            cases.add(new Case(dt, 5, 1088));
            cases.add(new Case(dt, 3001, 64));
        }
        cases.add(new Case(DType.Q6_K, 1, 256));
        cases.add(new Case(DType.Q6_K, 13, 512));
        cases.add(new Case(DType.Q6_K, 3, 1280));
        cases.add(new Case(DType.Q6_K, 1201, 256));
        return cases;
    }

    @Test
    void everyProductMatchesTheFloat64ReferenceOnHeapAndMappedSegments(@TempDir Path dir) throws IOException {
        Rng rng = new Rng(7);
        try (Arena arena = Arena.ofShared()) {
            for (Case c : cases()) {
                byte[] stored = storedBytes(c, rng);
                float[] ref = dequantizeIndependently(c, stored);
                Path file = dir.resolve(c.dtype() + "-" + c.rows() + "x" + c.cols() + ".bin");
                Files.write(file, stored);
                MemorySegment mapped;
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, stored.length, arena);
                }
                for (MemorySegment seg : new MemorySegment[] {MemorySegment.ofArray(stored), mapped}) {
                    Weight w = Weight.wrap(c.dtype(), seg, c.rows(), c.cols());
                    String what = c + (seg.isNative() ? " mapped" : " heap");
                    checkDequantize(w, ref, what);
                    checkProducts(w, ref, rng, what);
                }
            }
        }
    }

    /** The dtype's bytes for random weights: through Weight.quantize, except Q6_K (random blocks with finite scales). */
    private static byte[] storedBytes(Case c, Rng rng) {
        if (c.dtype() == DType.Q6_K) {
            byte[] b = new byte[(int) (c.rows() * c.dtype().byteSize(c.cols()))];
            for (int i = 0; i < b.length; i++) b[i] = (byte) rng.nextInt(256);
            for (int at = 0; at < b.length; at += 210) {
                short d = HalfFloats.floatToF16((float) (1e-3 * (1 + rng.nextDouble())) * (rng.nextInt(2) == 0 ? 1 : -1));
                b[at + 208] = (byte) d;
                b[at + 209] = (byte) (d >> 8);
            }
            return b;
        }
        float[] values = gaussian(rng, c.rows() * c.cols());
        Weight w = Weight.quantize(c.dtype(), values, 0, c.rows(), c.cols());
        return w.bytes().toArray(ValueLayout.JAVA_BYTE);
    }

    private static float[] dequantizeIndependently(Case c, byte[] b) {
        int n = c.rows() * c.cols();
        float[] out = new float[n];
        MemorySegment s = MemorySegment.ofArray(b);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (c.dtype()) {
            case F32 -> MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, out, 0, n);
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.bf16ToFloat(s.get(i16, 2L * i)); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.f16ToFloat(s.get(i16, 2L * i)); }
            case Q8_0 -> QuantizedBlocks.dequantizeQ8_0(b, 0, out, 0, n);
            case Q4_0 -> QuantizedBlocks.dequantizeQ4_0(b, 0, out, 0, n);
            case Q6_K -> q6kReference(b, out, n);
        }
        return out;
    }

    /** ggml's dequantize_row_q6_K, statement for statement (ggml-quants.c). */
    static void q6kReference(byte[] x, float[] y, int k) {
        int yi = 0;
        for (int blk = 0; blk < k / 256; blk++) {
            int base = blk * 210;
            float d = HalfFloats.f16ToFloat((short) ((x[base + 208] & 0xFF) | (x[base + 209] & 0xFF) << 8));
            int ql = base, qh = base + 128, sc = base + 192;
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; ++l) {
                    int is = l / 16;
                    int q1 = (byte) ((x[ql + l] & 0xF) | (((x[qh + l] & 0xFF) >> 0 & 3) << 4)) - 32;
                    int q2 = (byte) ((x[ql + l + 32] & 0xF) | (((x[qh + l] & 0xFF) >> 2 & 3) << 4)) - 32;
                    int q3 = (byte) (((x[ql + l] & 0xFF) >> 4) | (((x[qh + l] & 0xFF) >> 4 & 3) << 4)) - 32;
                    int q4 = (byte) (((x[ql + l + 32] & 0xFF) >> 4) | (((x[qh + l] & 0xFF) >> 6 & 3) << 4)) - 32;
                    y[yi + l] = d * x[sc + is] * q1;
                    y[yi + l + 32] = d * x[sc + is + 2] * q2;
                    y[yi + l + 64] = d * x[sc + is + 4] * q3;
                    y[yi + l + 96] = d * x[sc + is + 6] * q4;
                }
                yi += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
        }
    }

    /**
     * A batched decode step's product gives each input the same bits whichever inputs share the
     * batch and wherever it sits: the 4×4 register tiles, the 4×1 remainder and the row remainder
     * add every (row, input) pair in one order. (The engine's "batchmates do not change a
     * sequence" rests on this.)
     */
    @Test
    void aSmallBatchGivesEachInputTheSameBitsWhateverItsBatchmates() {
        Rng rng = new Rng(11);
        for (Case c : List.of(new Case(DType.F32, 38, 770), new Case(DType.Q4_0, 38, 768), new Case(DType.BF16, 7, 100))) {
            float[] values = gaussian(rng, c.rows() * c.cols());
            Weight w = c.dtype() == DType.F32 ? Weight.of(Tensor.of(values, c.rows(), c.cols())) : Weight.quantize(c.dtype(), values, 0, c.rows(), c.cols());
            int N = 17, cols = c.cols(), rows = c.rows();
            float[] in = gaussian(rng, N * cols);
            float[] out = new float[N * rows];
            w.matMul(in, 0, N, out, 0);
            // The same inputs rotated by 5, and the last input in a batch of 6 with others.
            float[] rotated = new float[N * cols];
            for (int n = 0; n < N; n++) System.arraycopy(in, n * cols, rotated, ((n + 5) % N) * cols, cols);
            float[] rotatedOut = new float[N * rows];
            w.matMul(rotated, 0, N, rotatedOut, 0);
            float[] six = gaussian(rng, 6 * cols);
            System.arraycopy(in, 16 * cols, six, 5 * cols, cols);
            float[] sixOut = new float[6 * rows];
            w.matMul(six, 0, 6, sixOut, 0);
            for (int n = 0; n < N; n++) {
                for (int r = 0; r < rows; r++) {
                    assertThat(rotatedOut[((n + 5) % N) * rows + r]).as(c + " input " + n + " row " + r + " rotated").isEqualTo(out[n * rows + r]);
                }
            }
            for (int r = 0; r < rows; r++) assertThat(sixOut[5 * rows + r]).as(c + " row " + r + " in a batch of six").isEqualTo(out[16 * rows + r]);
        }
    }

    private static void checkDequantize(Weight w, float[] ref, String what) {
        int rows = w.rows(), cols = w.cols();
        float[] all = new float[rows * cols + 3];
        w.dequantizeRows(0, rows, all, 3);
        for (int i = 0; i < rows * cols; i++) {
            if (Float.floatToIntBits(all[3 + i]) != Float.floatToIntBits(ref[i])) {
                throw new AssertionError(what + ": dequantized element " + i + " is " + all[3 + i] + ", expected " + ref[i]);
            }
        }
        int first = rows / 2, count = Math.min(2, rows - first);
        float[] some = new float[count * cols];
        w.dequantizeRows(first, count, some, 0);
        for (int i = 0; i < some.length; i++) assertThat(some[i]).as(what).isEqualTo(ref[first * cols + i]);
    }

    private static void checkProducts(Weight w, float[] ref, Rng rng, String what) {
        int rows = w.rows(), cols = w.cols();
        for (int N : new int[] {1, 2, 3, 4, 5, 17, 24, 25}) {
            float[] in = gaussian(rng, 2 + N * cols);
            float[] out = new float[1 + N * rows];
            if (N == 1) w.matVec(in, 2, out, 1);
            else w.matMul(in, 2, N, out, 1);
            for (int n = 0; n < N; n++) {
                for (int r = 0; r < rows; r++) {
                    double exact = 0, mag = 0;
                    for (int c = 0; c < cols; c++) {
                        double t = (double) ref[r * cols + c] * in[2 + n * cols + c];
                        exact += t;
                        mag += Math.abs(t);
                    }
                    assertClose(out[1 + n * rows + r], exact, mag, what + (N == 1 ? " matVec" : " matMul N=" + N) + " [" + n + ", " + r + "]");
                }
            }
            float[] again = new float[out.length];
            if (N == 1) w.matVec(in, 2, again, 1);
            else w.matMul(in, 2, N, again, 1);
            assertThat(again).as(what + " repeat N=" + N).isEqualTo(out);
        }
        for (int N : new int[] {1, 3, 17}) {
            float[] dOut = gaussian(rng, N * rows), dIn = gaussian(rng, N * cols + 1), before = dIn.clone();
            w.matMulTransposedAccumulate(dOut, 0, N, dIn, 1);
            for (int n = 0; n < N; n++) {
                for (int c = 0; c < cols; c++) {
                    double exact = before[1 + n * cols + c], mag = Math.abs(exact);
                    for (int r = 0; r < rows; r++) {
                        double t = (double) dOut[n * rows + r] * ref[r * cols + c];
                        exact += t;
                        mag += Math.abs(t);
                    }
                    assertClose(dIn[1 + n * cols + c], exact, mag, what + " transposed N=" + N + " [" + n + ", " + c + "]");
                }
            }
        }
    }

    private static void assertClose(float actual, double exact, double mag, String what) {
        if (!(Math.abs(actual - exact) <= RELATIVE * mag + 1e-30)) {
            throw new AssertionError(what + ": " + actual + " vs " + exact + " (Σ|terms| " + mag + ")");
        }
    }

    private static float[] gaussian(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }

    @Test
    void q6kDequantizesHandComputedBlocks() {
        byte[] b = new byte[2 * 210];
        // Block 0: d = 0.5; scales 1…16 except sc[0] = −1; a few chosen quants, the rest q = 0 → −32.
        b[208] = 0x00;
        b[209] = 0x38;
        for (int i = 0; i < 16; i++) b[192 + i] = (byte) (i + 1);
        b[192] = -1;
        b[0] = 0x21;              // ql[0]: low nibble 1 (element 0), high nibble 2 (element 64)
        b[32] = 0x43;             // ql[32]: 3 (element 32), 4 (element 96)
        b[128] = (byte) 0xE4;     // qh[0] = 0b11_10_01_00: high bits 0, 1, 2, 3 for elements 0, 32, 64, 96
        b[64 + 17] = 0x5A;        // second half, l = 17: ql[81] = 10 (element 145), 5 (element 209)
        b[128 + 32 + 17] = 0x1B;  // qh[49] = 0b00_01_10_11: 3, 2, 1, 0 for elements 145, 177, 209, 241
        // Block 1: d = 2, every scale 1, every q = 0: all −64.
        b[210 + 208] = 0x00;
        b[210 + 209] = 0x40;
        for (int i = 0; i < 16; i++) b[210 + 192 + i] = 1;
        float[] y = new float[512];
        Weight.wrap(DType.Q6_K, MemorySegment.ofArray(b), 1, 512).dequantizeRows(0, 1, y, 0);
        assertThat(y[0]).isEqualTo(0.5f * -1 * (1 - 32));        // 15.5
        assertThat(y[32]).isEqualTo(0.5f * 3 * (3 + 16 - 32));   // −19.5
        assertThat(y[64]).isEqualTo(0.5f * 5 * (2 + 32 - 32));   // 5
        assertThat(y[96]).isEqualTo(0.5f * 7 * (4 + 48 - 32));   // 70
        assertThat(y[16]).isEqualTo(-32f);                        // sc[1] = 2, q = 0
        assertThat(y[145]).isEqualTo(130f);                       // 0.5 · sc[9] = 10 · (10 + 48 − 32)
        assertThat(y[177]).isEqualTo(0f);                         // 0.5 · sc[11] · (0 + 32 − 32)
        assertThat(y[209]).isEqualTo(-77f);                       // 0.5 · sc[13] = 14 · (5 + 16 − 32)
        assertThat(y[241]).isEqualTo(-256f);                      // 0.5 · sc[15] = 16 · (0 − 32)
        for (int i = 256; i < 512; i++) assertThat(y[i]).isEqualTo(-64f);
        float[] ref = new float[512];
        q6kReference(b, ref, 512);
        assertThat(y).isEqualTo(ref);
    }

    @Test
    void quantizeRoundsAsTheReferenceEncoders() {
        float[] v = {1f, 1.00390625f, 1.01171875f, -3.3f, 65504f, 1e-8f, Float.NaN, -0f};
        MemorySegment bf16 = Weight.quantize(DType.BF16, v, 0, 2, 4).bytes();
        MemorySegment f16 = Weight.quantize(DType.F16, v, 0, 2, 4).bytes();
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            assertThat(bf16.get(i16, 2L * i)).as("bf16 %d", i).isEqualTo(HalfFloats.floatToBf16(v[i]));
            assertThat(f16.get(i16, 2L * i)).as("f16 %d", i).isEqualTo(HalfFloats.floatToF16(v[i]));
        }
        // Little-endian, as safetensors and GGUF store it.
        assertThat(Weight.quantize(DType.F32, new float[] {1f}, 0, 1, 1).bytes().toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 0, (byte) 0x80, 0x3f);
        float[] q = gaussian(new Rng(3), 2 * 64 + 5);
        byte[] q4 = new byte[2 * 36], q8 = new byte[2 * 68];
        QuantizedBlocks.quantizeQ4_0(q, 5, 128, q4, 0);
        QuantizedBlocks.quantizeQ8_0(q, 5, 128, q8, 0);
        assertThat(Weight.quantize(DType.Q4_0, q, 5, 2, 64).bytes().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(q4);
        assertThat(Weight.quantize(DType.Q8_0, q, 5, 2, 64).bytes().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(q8);
    }

    @Test
    void aTensorWeightSeesInPlaceUpdates() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Weight w = Weight.of(t);
        assertThat(w.dtype()).isEqualTo(DType.F32);
        assertThat(w.byteSize()).isEqualTo(24);
        float[] out = new float[2];
        w.matVec(new float[] {1, 1, 1}, 0, out, 0);
        assertThat(out).containsExactly(6, 15);
        t.set(4, 50);
        w.matVec(new float[] {1, 1, 1}, 0, out, 0);
        assertThat(out).containsExactly(6, 60);
        float[] many = new float[2 * 2];
        w.matMul(new float[] {1, 0, 0, 0, 0, 1}, 0, 2, many, 0);
        assertThat(many).containsExactly(1, 4, 3, 6);
        float[] dIn = {1, 1, 1};
        w.matMulTransposedAccumulate(new float[] {1, 2}, 0, 1, dIn, 0);
        assertThat(dIn).containsExactly(1 + 1 + 8, 1 + 2 + 100, 1 + 3 + 12);
        // A view at an offset into a larger array (a ParameterBuffer entry).
        float[] big = {9, 9, 1, 2, 3, 4};
        float[] o = new float[2];
        Weight.of(new Tensor(big, 2, Shape.of(2, 2))).matVec(new float[] {1, 10}, 0, o, 0);
        assertThat(o).containsExactly(21, 43);
    }

    @Test
    void factoriesNameDtypeShapeAndBytes() {
        assertThatThrownBy(() -> Weight.wrap(DType.Q4_0, MemorySegment.ofArray(new byte[100]), 4, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Q4_0").hasMessageContaining("[4×64]").hasMessageContaining("needs 144 bytes").hasMessageContaining("has 100");
        assertThatThrownBy(() -> Weight.wrap(DType.Q8_0, MemorySegment.ofArray(new byte[68]), 2, 40))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Q8_0").hasMessageContaining("[2×40]").hasMessageContaining("cols 40").hasMessageContaining("32 elements");
        assertThatThrownBy(() -> Weight.wrap(DType.Q6_K, MemorySegment.ofArray(new byte[210]), 1, 128))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q6_K").hasMessageContaining("256");
        assertThatThrownBy(() -> Weight.of(Tensor.zeros(2, 3, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank-2").hasMessageContaining("[2, 3, 4]");
        assertThatThrownBy(() -> Weight.quantize(DType.Q6_K, new float[256], 0, 1, 256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q6_K");
        assertThatThrownBy(() -> Weight.quantize(DType.F32, new float[5], 0, 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("src").hasMessageContaining("needs 6");
        Weight w = Weight.quantize(DType.BF16, new float[6], 0, 2, 3);
        assertThatThrownBy(() -> w.matVec(new float[2], 0, new float[2], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BF16 weight [2×3].matVec").hasMessageContaining("x");
        assertThatThrownBy(() -> w.dequantizeRows(1, 2, new float[6], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 3)");
    }

    @Test
    void emptyShapesMultiplyToNothing() {
        for (DType dt : DType.values()) {
            int cols = dt.blockSize();
            Weight noRows = Weight.wrap(dt, MemorySegment.ofArray(new byte[0]), 0, cols);
            noRows.matVec(new float[cols], 0, new float[0], 0);
            noRows.matMul(new float[5 * cols], 0, 5, new float[0], 0);
            float[] dIn = new float[cols];
            java.util.Arrays.fill(dIn, 2f);
            noRows.matMulTransposedAccumulate(new float[0], 0, 1, dIn, 0);
            assertThat(dIn).as(dt.toString()).containsOnly(2f);
            Weight noCols = Weight.wrap(dt, MemorySegment.ofArray(new byte[0]), 3, 0);
            float[] out = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
            noCols.matVec(new float[0], 0, out, 0);
            noCols.matMul(new float[0], 0, 5, out, 0);
            assertThat(out).as(dt.toString()).containsOnly(0f);
        }
    }

    @Test
    void blockSizesFollowGgml() {
        assertThat(DType.Q6_K.byteSize(512)).isEqualTo(420);
        assertThat(DType.Q6_K.blockSize()).isEqualTo(256);
    }
}
