package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.Weight;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What every {@link Weight} over a {@link MemorySegment} shares, whatever its dtype: the argument
 * checks, the split of the rows over the compute pool, and the two ways of multiplying many inputs.
 * A dtype supplies {@link #decodeSpan} (W[row, c0, +count) to float32) and {@link #rowDot}, which
 * for the dtypes whose decode speed matters is fused: it never materialises the floats.
 *
 * <p>The three products:
 * <ul>
 *   <li>{@link #matVec}: ranges of rows (about 64 KB of weights each) spread over the pool; each
 *       output is computed by one task in a fixed order, so results do not depend on the thread
 *       count.</li>
 *   <li>{@link #matMul} with at most {@link #FEW_INPUTS} inputs (several sequences decoding
 *       together): the weight is read from memory once for all of them, each row either decoded
 *       a span at a time into an L1-sized scratch and dotted with every input, or multiplied by
 *       the fused kernel once per input while it sits in L1 ({@link #decodesOncePerRow}).
 *       Up to {@link #SMALL_BATCH} inputs (a batched decode step): groups of four rows decoded
 *       into L1 and multiplied with every input by {@link SmallBatchDot}, W read once. Larger N
 *       (prefill): panels of {@link #panelRows} rows are dequantized into a thread-local scratch
 *       and multiplied by {@link Gemm#sgemm} (in·panelᵀ), panels spread over the pool.</li>
 *   <li>{@link #matMulTransposedAccumulate}: dIn += dOut[:, panel]·panel for one panel after the
 *       other (every panel adds into all of dIn), each sgemm parallel inside.</li>
 * </ul>
 * Byte offsets are long: a segment may be a whole multi-GB model file.
 */
abstract class SegmentWeight implements Weight {

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final VectorSpecies<Float> FLOATS = VectorMath.SPECIES;
    static final int LANES = VectorMath.LANES;
    /**
     * For the block formats: bytes are loaded {@code BYTE_LANES} at a time (at least 8, the
     * smallest byte vector) and widened in {@code BYTE_PARTS} float vectors of LANES each — one
     * part with 256- and 512-bit floats, two with 128-bit (NEON, SSE).
     */
    static final int BYTE_LANES = Math.max(8, LANES);
    static final int BYTE_PARTS = BYTE_LANES / LANES;
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(BYTE_LANES * 8));

    /** Up to this many inputs matMul reads each weight row once for all of them; above, panels + sgemm. */
    static final int FEW_INPUTS = 4;
    /**
     * Up to this many inputs (a batched decode step) matMul decodes {@link #ROW_GROUP} rows at a
     * time into L1 and multiplies them with every input ({@link SmallBatchDot}); above (prefill
     * chunks), panels + sgemm, whose packing pays off over many inputs. Zen 4, 2 threads,
     * 768×768: F32 at N = 8 111 against 54 GFLOP/s, N = 16 108 against 72, N = 24 123 against
     * 116, N = 32 98 against 137 (Q4_0 at 32: 115 against 124).
     */
    static final int SMALL_BATCH = 24;
    /** Rows decoded together for {@link SmallBatchDot}: its register tile's height. */
    static final int ROW_GROUP = 4;
    /** Weight bytes per matVec task, enough to amortise the hand-off (a few µs) against the stream. */
    private static final long TASK_BYTES = 1 << 16;
    /** Columns decoded at a time by the span path: 4 KB of floats, which stays in L1. A multiple of every block size. */
    static final int SPAN = 1024;

    private static final ThreadLocal<float[]> SPAN_SCRATCH = ThreadLocal.withInitial(() -> new float[SPAN]);
    private static final ThreadLocal<float[]> PANEL_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    final DType dtype;
    final MemorySegment bytes;
    final int rows, cols;
    final long rowBytes;

    SegmentWeight(DType dtype, MemorySegment bytes, int rows, int cols) {
        this.dtype = dtype;
        this.bytes = bytes;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = dtype.byteSize(cols);
    }

    /** Decodes W[row, col0, +count) into {@code dst[dstOff…]}; col0 and count are whole blocks (or count ends the row). */
    abstract void decodeSpan(int row, int col0, int count, float[] dst, int dstOff);

    /**
     * W[row]·x[xOff…], the decode step's kernel. The dtypes that must stream at memory speed fuse
     * decoding and multiplying in one pass over the row; the others return {@link #rowDotViaSpans}.
     *
     * <p>One row at a time, its loads unrolled over independent accumulators: on Zen 4, kernels
     * that interleaved two or four rows (so their loads overlap) streamed at half the rate of this
     * (BF16 7 against 15 GB/s per core, Q8_0 6.5 against 13.5). One virtual call per row is noise
     * against the row's hundreds of bytes.
     */
    abstract float rowDot(int row, float[] x, int xOff, float[] xFacts);

    /**
     * Whether matMul with few inputs decodes each row once into a span and dots it with every
     * input (true: decoding costs more than a product, Q4_0, or there is no fused kernel) or runs
     * the fused {@link #rowDot} once per input (false: F32, BF16, Q8_0, whose fused kernel costs
     * less than a decode; the row is in L1 after the first input, so W is still read from memory
     * once).
     */
    boolean decodesOncePerRow() {
        return true;
    }

    /**
     * What a {@link #rowDot} needs to know about x besides x, computed once per product before the
     * rows are split (Q4_0: the sum of each block of x); null when nothing.
     */
    float[] xFacts(float[] x, int xOff) {
        return null;
    }

    @Override public DType dtype() { return dtype; }
    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long byteSize() { return bytes.byteSize(); }
    @Override public MemorySegment bytes() { return bytes; }

    @Override
    public void matVec(float[] x, int xOff, float[] out, int outOff) {
        check("matVec", "x", x, xOff, cols, "out", out, outOff, rows);
        matVecUnchecked(x, xOff, out, outOff);
    }

    private void matVecUnchecked(float[] x, int xOff, float[] out, int outOff) {
        float[] facts = xFacts(x, xOff);
        forRowRanges((r0, r1) -> {
            for (int r = r0; r < r1; r++) out[outOff + r] = rowDot(r, x, xOff, facts);
        });
    }

    @Override
    public void matMul(float[] in, int inOff, int N, float[] out, int outOff) {
        check("matMul", "in", in, inOff, (long) N * cols, "out", out, outOff, (long) N * rows);
        if (N <= 0 || rows == 0) return;
        if (N == 1) {
            matVecUnchecked(in, inOff, out, outOff);
        } else if (N <= FEW_INPUTS && decodesOncePerRow()) {
            forRowRanges((r0, r1) -> dotRowsViaSpans(in, inOff, N, r0, r1, out, outOff));
        } else if (N <= FEW_INPUTS) {
            float[][] facts = new float[N][];
            for (int i = 0; i < N; i++) facts[i] = xFacts(in, inOff + i * cols);
            forRowRanges((r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    for (int i = 0; i < N; i++) out[outOff + i * rows + r] = rowDot(r, in, inOff + i * cols, facts[i]);
                }
            });
        } else if (N <= SMALL_BATCH) {
            forRowGroups((r0, r1) -> {
                float[] w = panelScratch(ROW_GROUP);
                for (int r = r0; r < r1; r += ROW_GROUP) {
                    int count = Math.min(ROW_GROUP, r1 - r);
                    decodeRows(r, r + count, w, 0);
                    SmallBatchDot.rows(w, 0, count, cols, in, inOff, N, out, outOff, rows, r);
                }
            });
        } else {
            int panel = panelRows();
            int panels = (rows + panel - 1) / panel;
            ComputePool.shared().parallelFor(panels, 1, (p0, p1) -> {
                float[] w = panelScratch(panel);
                for (int p = p0; p < p1; p++) {
                    int first = p * panel, count = Math.min(panel, rows - first);
                    decodeRows(first, first + count, w, 0);
                    // Inside a pool task this sgemm runs inline: the panels are the parallel split.
                    Gemm.sgemm(false, true, N, count, cols, 1f, in, inOff, cols, w, 0, cols, 0f, out, outOff + first, rows);
                }
            });
        }
    }

    @Override
    public void matMulTransposedAccumulate(float[] dOut, int dOutOff, int N, float[] dIn, int dInOff) {
        check("matMulTransposedAccumulate", "dOut", dOut, dOutOff, (long) N * rows, "dIn", dIn, dInOff, (long) N * cols);
        if (N <= 0) return;
        int panel = panelRows();
        float[] w = panelScratch(panel);
        for (int first = 0; first < rows; first += panel) {
            int count = Math.min(panel, rows - first);
            decodeRowsParallel(first, count, w, 0);
            Gemm.sgemm(false, false, N, cols, count, 1f, dOut, dOutOff + first, rows, w, 0, cols, 1f, dIn, dInOff, cols);
        }
    }

    @Override
    public void dequantizeRows(int first, int count, float[] dst, int dstOff) {
        if (first < 0 || count < 0 || (long) first + count > rows) {
            throw new IllegalArgumentException(this + ".dequantizeRows: rows [" + first + ", " + ((long) first + count) + ") outside [0, " + rows + ")");
        }
        String problem = KernelChecks.range("dst", dst, dstOff, (long) count * cols);
        if (problem != null) throw new IllegalArgumentException(this + ".dequantizeRows(" + first + ", " + count + "): " + problem);
        decodeRowsParallel(first, count, dst, dstOff);
    }

    @Override
    public String toString() {
        return dtype + " weight [" + rows + "×" + cols + "]";
    }

    /** Runs {@code body} over row ranges of [0, rows), each about {@link #TASK_BYTES} of weights, spread over the pool. */
    final void forRowRanges(ComputePool.RangeBody body) {
        ComputePool.shared().parallelFor(rows, (int) Math.max(1, TASK_BYTES / Math.max(1, rowBytes)), body);
    }

    /** As {@link #forRowRanges}, each range a whole number of {@link #ROW_GROUP}s (but the last). */
    final void forRowGroups(ComputePool.RangeBody body) {
        int groups = (rows + ROW_GROUP - 1) / ROW_GROUP;
        int grain = (int) Math.max(1, TASK_BYTES / Math.max(1, ROW_GROUP * rowBytes));
        ComputePool.shared().parallelFor(groups, grain, (g0, g1) -> body.run(g0 * ROW_GROUP, Math.min(rows, g1 * ROW_GROUP)));
    }

    /** Σ_{c ≥ c0} W[row, c]·x[xOff + c], scalar: the columns left after the last whole vector. */
    final float tailDot(int row, int c0, float[] x, int xOff) {
        if (c0 >= cols) return 0f;
        float[] span = SPAN_SCRATCH.get();
        float s = 0f;
        for (int c = c0; c < cols; c += SPAN) {
            int n = Math.min(SPAN, cols - c);
            decodeSpan(row, c, n, span, 0);
            for (int i = 0; i < n; i++) s = Math.fma(span[i], x[xOff + c + i], s);
        }
        return s;
    }

    /** W[row]·x through decoded spans: for the dtypes without a fused kernel. */
    final float rowDotViaSpans(int row, float[] x, int xOff) {
        float[] span = SPAN_SCRATCH.get();
        float sum = 0f;
        for (int c = 0; c < cols; c += SPAN) {
            int count = Math.min(SPAN, cols - c);
            decodeSpan(row, c, count, span, 0);
            sum += VectorMath.dot(span, 0, x, xOff + c, count);
        }
        return sum;
    }

    /**
     * {@code out[outOff + i·rows + r] = W[r]·in[inOff + i·cols …]} for i < n, r ∈ [r0, r1): each row
     * decoded a span at a time into L1 and dotted with all n inputs, so W is read once. The sum of
     * a row is the spans' dot products added in column order, the same for any split.
     */
    final void dotRowsViaSpans(float[] in, int inOff, int n, int r0, int r1, float[] out, int outOff) {
        float[] span = SPAN_SCRATCH.get();
        float[] sums = new float[n];
        for (int r = r0; r < r1; r++) {
            java.util.Arrays.fill(sums, 0f);
            for (int c = 0; c < cols; c += SPAN) {
                int count = Math.min(SPAN, cols - c);
                decodeSpan(r, c, count, span, 0);
                for (int i = 0; i < n; i++) sums[i] += VectorMath.dot(span, 0, in, inOff + i * cols + c, count);
            }
            for (int i = 0; i < n; i++) out[outOff + i * rows + r] = sums[i];
        }
    }

    /** Rows per matMul panel: about 64 K floats (256 KB, an L2-resident sgemm operand), a multiple of 32, in [64, 256]. */
    final int panelRows() {
        int target = ((1 << 16) / Math.max(1, cols) + 31) / 32 * 32;
        return Math.min(rows, Math.max(64, Math.min(256, target)));
    }

    final float[] panelScratch(int panel) {
        int size = panel * cols;
        float[] w = PANEL_SCRATCH.get();
        if (w.length < size) {
            w = new float[size];
            PANEL_SCRATCH.set(w);
        }
        return w;
    }

    /** Rows [first, end) decoded into {@code dst[dstOff…]} on the calling thread. */
    final void decodeRows(int first, int end, float[] dst, int dstOff) {
        for (int r = first; r < end; r++) decodeSpan(r, 0, cols, dst, dstOff + (r - first) * cols);
    }

    private void decodeRowsParallel(int first, int count, float[] dst, int dstOff) {
        int grain = (int) Math.max(1, TASK_BYTES / Math.max(1, rowBytes));
        ComputePool.shared().parallelFor(count, grain, (a, b) -> decodeRows(first + a, first + b, dst, dstOff + a * cols));
    }

    final void check(String op, String inName, float[] in, int inOff, long inLen, String outName, float[] out, int outOff, long outLen) {
        String problem = KernelChecks.first(inLen < 0 ? "negative number of input rows" : null,KernelChecks.range(inName, in, inOff, inLen), KernelChecks.range(outName, out, outOff, outLen));
        if (problem != null) throw new IllegalArgumentException(this + "." + op + ": " + problem);
    }

}
