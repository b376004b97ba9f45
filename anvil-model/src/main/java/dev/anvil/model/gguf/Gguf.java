package dev.anvil.model.gguf;

import dev.anvil.core.tensor.HalfFloats;
import dev.anvil.core.tensor.QuantizedBlocks;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GGUF v3, llama.cpp's model file: little-endian throughout.
 * <pre>
 * header:  "GGUF" (u32 0x46554747), version u32 = 3, tensor count u64, metadata count u64
 * metadata: key (string), value type u32, value     string = u64 byte length + UTF-8 bytes
 *                                                   array  = item type u32, count u64, items
 * tensor infos: name (string), n_dims u32, dims u64[n_dims] (dims[0] varies fastest: a row-major
 *               [rows, cols] matrix is dims {cols, rows}), ggml type u32, offset u64 (from the data start)
 * padding to general.alignment (default 32), then the tensor data, each tensor at an aligned offset.
 * </pre>
 * Tensors are written as F32, F16, BF16, Q8_0 or Q4_0 and read as those or Q6_K (into float32, or
 * mapped in place as {@link dev.anvil.core.tensor.Weight}s by {@link TransformerGguf#map}).
 */
public final class Gguf {

    private Gguf() {}

    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    /** Metadata value types, by their id in the file. */
    public enum ValueType {
        UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
        UINT64(10), INT64(11), FLOAT64(12);

        final int id;

        ValueType(int id) {
            this.id = id;
        }

        static ValueType of(int id) {
            for (ValueType t : values()) if (t.id == id) return t;
            return null;
        }
    }

    /**
     * ggml tensor types this code knows (the ids are ggml's). Q8_0 and Q4_0 store blocks of 32
     * values with an F16 scale, quantized by ggml's reference quantizers ({@link QuantizedBlocks}).
     */
    public enum TensorType {
        F32(0, 1, 4), F16(1, 1, 2), BF16(30, 1, 2), Q8_0(8, 32, 34), Q4_0(2, 32, 18), Q6_K(14, 256, 210);

        final int id, blockElements, blockBytes;

        TensorType(int id, int blockElements, int blockBytes) {
            this.id = id;
            this.blockElements = blockElements;
            this.blockBytes = blockBytes;
        }

        public long byteSize(long elements) {
            return elements / blockElements * blockBytes;
        }

        /** The storage type Anvil's kernels read this ggml type as (same name, same bytes). */
        public dev.anvil.core.tensor.DType dtype() {
            return dev.anvil.core.tensor.DType.valueOf(name());
        }

        public static TensorType parse(String name) {
            for (TensorType t : values()) if (t.name().equalsIgnoreCase(name)) return t;
            throw new IllegalArgumentException("tensor type must be one of " + Arrays.toString(values()) + ", got '" + name + "'");
        }

        static TensorType of(int id) {
            for (TensorType t : values()) if (t.id == id) return t;
            return null;
        }
    }

    /**
     * A metadata value: scalars as Integer/Long/Float/Double/Boolean/String (unsigned types in the
     * next wider signed type where needed: UINT32 as Long, UINT8/UINT16 as Integer), arrays as a
     * List of those with their item type.
     */
    public record Value(ValueType type, ValueType itemType, Object value) {
        public static Value uint32(long v) {
            return new Value(ValueType.UINT32, null, v);
        }

        public static Value int32(int v) {
            return new Value(ValueType.INT32, null, v);
        }

        public static Value float32(float v) {
            return new Value(ValueType.FLOAT32, null, v);
        }

        public static Value bool(boolean v) {
            return new Value(ValueType.BOOL, null, v);
        }

        public static Value string(String v) {
            return new Value(ValueType.STRING, null, v);
        }

        public static Value array(ValueType itemType, List<?> items) {
            return new Value(ValueType.ARRAY, itemType, List.copyOf(items));
        }

        /** Any integer type as a long. */
        public long asLong() {
            if (value instanceof Number n && !(value instanceof Float) && !(value instanceof Double)) return n.longValue();
            throw new IllegalArgumentException("GGUF value of type " + type + " is not an integer");
        }

        public double asDouble() {
            if (value instanceof Number n) return n.doubleValue();
            throw new IllegalArgumentException("GGUF value of type " + type + " is not a number");
        }

        public String asString() {
            if (value instanceof String s) return s;
            throw new IllegalArgumentException("GGUF value of type " + type + " is not a string");
        }

        @SuppressWarnings("unchecked")
        public List<Object> asList() {
            if (value instanceof List<?> l) return (List<Object>) l;
            throw new IllegalArgumentException("GGUF value of type " + type + " is not an array");
        }
    }

    /** One tensor to write: {@code data[offset, offset + Π dims)} row-major with {@code rowMajorShape}, stored as {@code type}. */
    public record TensorToWrite(String name, int[] rowMajorShape, float[] data, int offset, TensorType type) {
        public TensorToWrite(String name, int[] rowMajorShape, float[] data, int offset) {
            this(name, rowMajorShape, data, offset, TensorType.F32);
        }

        long elements() {
            long n = 1;
            for (int d : rowMajorShape) n *= d;
            return n;
        }
    }

    /** Where a tensor lies in a file being read. */
    public record TensorInfo(String name, long[] rowMajorShape, TensorType type, long offset) {
        public long elements() {
            long n = 1;
            for (long d : rowMajorShape) n *= d;
            return n;
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes a GGUF v3 file; the alignment is general.alignment if given, else 32. */
    public static void write(Path file, Map<String, Value> metadata, List<TensorToWrite> tensors) throws IOException {
        int alignment = metadata.containsKey("general.alignment") ? (int) metadata.get("general.alignment").asLong() : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || alignment % 8 != 0) throw new IllegalArgumentException("GGUF: general.alignment must be a positive multiple of 8, got " + alignment);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp); LeOut out = new LeOut(new BufferedOutputStream(raw, 1 << 20))) {
            out.u32(MAGIC);
            out.u32(VERSION);
            out.u64(tensors.size());
            out.u64(metadata.size());
            for (Map.Entry<String, Value> e : metadata.entrySet()) {
                out.string(e.getKey());
                out.u32(e.getValue().type().id);
                writeValue(out, e.getValue().type(), e.getValue().itemType(), e.getValue().value(), e.getKey());
            }
            long offset = 0;
            long[] offsets = new long[tensors.size()];
            for (int i = 0; i < tensors.size(); i++) {
                TensorToWrite t = tensors.get(i);
                if (t.offset() < 0 || t.offset() + t.elements() > t.data().length) {
                    throw new IllegalArgumentException("GGUF: tensor " + t.name() + " " + Arrays.toString(t.rowMajorShape()) + " lies outside its buffer");
                }
                out.string(t.name());
                int[] s = t.rowMajorShape();
                out.u32(s.length);
                for (int d = s.length - 1; d >= 0; d--) out.u64(s[d]); // ggml order: fastest dimension first
                int cols = s[s.length - 1];
                if (cols % t.type().blockElements != 0) {
                    throw new IllegalArgumentException("GGUF: tensor " + t.name() + " rows of " + cols + " are not a multiple of " + t.type() + "'s block of " + t.type().blockElements);
                }
                out.u32(t.type().id);
                offsets[i] = offset;
                out.u64(offset);
                offset = align(offset + t.type().byteSize(t.elements()), alignment);
            }
            out.pad(alignment);
            long dataStart = out.written();
            for (int i = 0; i < tensors.size(); i++) {
                TensorToWrite t = tensors.get(i);
                out.padTo(dataStart + offsets[i]);
                out.tensor(t.type(), t.data(), t.offset(), (int) t.elements());
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeValue(LeOut out, ValueType type, ValueType itemType, Object v, String key) throws IOException {
        try {
            switch (type) {
                case UINT8, INT8 -> out.u8(((Number) v).intValue());
                case UINT16, INT16 -> out.u16(((Number) v).intValue());
                case UINT32, INT32 -> out.u32((int) ((Number) v).longValue());
                case UINT64, INT64 -> out.u64(((Number) v).longValue());
                case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> out.u8((Boolean) v ? 1 : 0);
                case STRING -> out.string((String) v);
                case ARRAY -> {
                    if (itemType == null || itemType == ValueType.ARRAY) throw new IllegalArgumentException("GGUF: array " + key + " needs a scalar item type");
                    List<?> items = (List<?>) v;
                    out.u32(itemType.id);
                    out.u64(items.size());
                    for (Object item : items) writeValue(out, itemType, null, item, key);
                }
            }
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("GGUF: metadata " + key + " holds " + v + ", not a " + type, e);
        }
    }

    static long align(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** Little-endian output that counts bytes written. */
    private static final class LeOut implements AutoCloseable {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        LeOut(OutputStream out) {
            this.out = out;
        }

        long written() {
            return flushed + buf.position();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                out.write(buf.array(), 0, buf.position());
                flushed += buf.position();
                buf.clear();
            }
        }

        void u8(int v) throws IOException { room(1); buf.put((byte) v); }
        void u16(int v) throws IOException { room(2); buf.putShort((short) v); }
        void u32(int v) throws IOException { room(4); buf.putInt(v); }
        void u64(long v) throws IOException { room(8); buf.putLong(v); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            for (int i = 0; i < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - i);
                buf.put(b, i, n);
                i += n;
            }
        }

        void tensor(TensorType type, float[] a, int off, int n) throws IOException {
            switch (type) {
                case F32 -> { for (int i = 0; i < n; i++) { room(4); buf.putFloat(a[off + i]); } }
                case F16 -> { for (int i = 0; i < n; i++) { room(2); buf.putShort(HalfFloats.floatToF16(a[off + i])); } }
                case BF16 -> { for (int i = 0; i < n; i++) { room(2); buf.putShort(HalfFloats.floatToBf16(a[off + i])); } }
                case Q8_0, Q4_0 -> {
                    byte[] block = new byte[type.blockBytes];
                    for (int b = 0; b < n; b += 32) {
                        if (type == TensorType.Q8_0) QuantizedBlocks.quantizeQ8_0(a, off + b, 32, block, 0);
                        else QuantizedBlocks.quantizeQ4_0(a, off + b, 32, block, 0);
                        room(block.length);
                        buf.put(block);
                    }
                }
                case Q6_K -> throw new IllegalArgumentException("GGUF: Anvil reads Q6_K tensors but does not write them");
            }
        }

        void pad(int alignment) throws IOException {
            padTo(align(written(), alignment));
        }

        void padTo(long position) throws IOException {
            while (written() < position) u8(0);
        }

        @Override
        public void close() throws IOException {
            out.write(buf.array(), 0, buf.position());
            flushed += buf.position();
            buf.clear();
            out.close();
        }
    }

    // ---------------------------------------------------------------- reading

    /** An open GGUF file: metadata and tensor infos parsed, tensor data read on demand. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final long size;
        private final int version;
        private final Map<String, Value> metadata;
        private final Map<String, TensorInfo> tensors;
        private final long dataStart;

        public Reader(Path file) throws IOException {
            this.file = file;
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
            try {
                this.size = channel.size();
                LeIn in = new LeIn(channel, file, size);
                int magic = in.u32("magic");
                if (magic != MAGIC) throw new IOException(file + ": not a GGUF file (magic 0x" + Integer.toHexString(magic) + " at offset 0, expected \"GGUF\")");
                version = in.u32("version");
                if (version != 2 && version != 3) throw new IOException(file + ": GGUF version " + version + " is not supported (2 and 3 are)");
                long nTensors = in.u64("tensor count"), nKv = in.u64("metadata count");
                if (nTensors < 0 || nTensors > 1_000_000 || nKv < 0 || nKv > 1_000_000) {
                    throw new IOException(file + ": implausible GGUF header (" + nTensors + " tensors, " + nKv + " metadata entries)");
                }
                Map<String, Value> meta = new LinkedHashMap<>();
                for (long i = 0; i < nKv; i++) {
                    String key = in.string("metadata key " + i);
                    long at = in.position();
                    ValueType type = ValueType.of(in.u32("type of " + key));
                    if (type == null) throw new IOException(file + ": metadata " + key + " at offset " + at + " has an unknown value type");
                    meta.put(key, readValue(in, type, key));
                }
                this.metadata = Collections.unmodifiableMap(meta);
                int alignment = meta.containsKey("general.alignment") ? (int) meta.get("general.alignment").asLong() : DEFAULT_ALIGNMENT;
                if (alignment <= 0) throw new IOException(file + ": general.alignment is " + alignment);
                Map<String, TensorInfo> infos = new LinkedHashMap<>();
                for (long i = 0; i < nTensors; i++) {
                    String name = in.string("tensor name " + i);
                    int nDims = in.u32("dimensions of " + name);
                    if (nDims < 1 || nDims > 4) throw new IOException(file + ": tensor " + name + " has " + nDims + " dimensions");
                    long[] shape = new long[nDims];
                    for (int d = 0; d < nDims; d++) shape[nDims - 1 - d] = in.u64("dimension of " + name);
                    int typeId = in.u32("type of " + name);
                    TensorType type = TensorType.of(typeId);
                    if (type == null) {
                        throw new IOException(file + ": tensor " + name + " has ggml type " + typeId + "; supported: " + Arrays.toString(TensorType.values()));
                    }
                    if (shape[nDims - 1] % type.blockElements != 0) {
                        throw new IOException(file + ": tensor " + name + " rows of " + shape[nDims - 1] + " are not whole " + type + " blocks");
                    }
                    long offset = in.u64("offset of " + name);
                    if (offset % alignment != 0) throw new IOException(file + ": tensor " + name + " offset " + offset + " is not aligned to " + alignment);
                    infos.put(name, new TensorInfo(name, shape, type, offset));
                }
                this.tensors = Collections.unmodifiableMap(infos);
                this.dataStart = align(in.position(), alignment);
                for (TensorInfo t : infos.values()) {
                    long end = dataStart + t.offset() + t.type().byteSize(t.elements());
                    if (end > size) {
                        throw new IOException(file + ": truncated: tensor " + t.name() + " at offset " + (dataStart + t.offset()) + " needs "
                                + t.type().byteSize(t.elements()) + " bytes, the file has " + size);
                    }
                }
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        private Value readValue(LeIn in, ValueType type, String key) throws IOException {
            return switch (type) {
                case UINT8 -> new Value(type, null, in.u8(key) & 0xFF);
                case INT8 -> new Value(type, null, (int) (byte) in.u8(key));
                case UINT16 -> new Value(type, null, in.u16(key) & 0xFFFF);
                case INT16 -> new Value(type, null, (int) (short) in.u16(key));
                case UINT32 -> new Value(type, null, in.u32(key) & 0xFFFFFFFFL);
                case INT32 -> new Value(type, null, in.u32(key));
                case UINT64, INT64 -> new Value(type, null, in.u64(key));
                case FLOAT32 -> new Value(type, null, Float.intBitsToFloat(in.u32(key)));
                case FLOAT64 -> new Value(type, null, Double.longBitsToDouble(in.u64(key)));
                case BOOL -> new Value(type, null, in.u8(key) != 0);
                case STRING -> new Value(type, null, in.string(key));
                case ARRAY -> {
                    long at = in.position();
                    ValueType item = ValueType.of(in.u32(key));
                    if (item == null || item == ValueType.ARRAY) throw new IOException(file + ": metadata " + key + " at offset " + at + " is an array of an unsupported type");
                    long n = in.u64(key);
                    if (n < 0 || n > size) throw new IOException(file + ": metadata " + key + " at offset " + at + " claims " + n + " items");
                    List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long i = 0; i < n; i++) items.add(readValue(in, item, key).value());
                    yield new Value(type, item, Collections.unmodifiableList(items));
                }
            };
        }

        public Path file() {
            return file;
        }

        public int version() {
            return version;
        }

        public Map<String, Value> metadata() {
            return metadata;
        }

        public Map<String, TensorInfo> tensors() {
            return tensors;
        }

        /** The value of a required key, or an error naming the file and key. */
        public Value require(String key) throws IOException {
            Value v = metadata.get(key);
            if (v == null) throw new IOException(file + ": metadata key " + key + " is missing");
            return v;
        }

        /**
         * The whole file mapped read-only for the lifetime of {@code arena}; tensor t's bytes start at
         * {@link #dataStart()} + t.offset(). Weights that keep their dtype are used in place, not copied.
         */
        public java.lang.foreign.MemorySegment map(java.lang.foreign.Arena arena) throws IOException {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }

        /** Where the tensor data starts in the file. */
        public long dataStart() {
            return dataStart;
        }

        /** Reads tensor {@code name} into {@code dst[dstOff, +elements)} as float32. */
        public void read(String name, float[] dst, int dstOff) throws IOException {
            TensorInfo t = tensors.get(name);
            if (t == null) throw new IOException(file + ": no tensor " + name);
            long n = t.elements();
            if (dstOff < 0 || dstOff + n > dst.length) throw new IllegalArgumentException("GGUF read " + name + ": " + n + " elements do not fit the destination");
            long pos = dataStart + t.offset();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            TensorType type = t.type();
            int blocksPerChunk = buf.capacity() / type.blockBytes;
            while (done < n) {
                int chunk = (int) Math.min(n - done, (long) blocksPerChunk * type.blockElements);
                buf.clear().limit((int) type.byteSize(chunk));
                while (buf.hasRemaining()) {
                    int r = channel.read(buf, pos + buf.position());
                    if (r < 0) throw new IOException(file + ": truncated in tensor " + name + " at offset " + (pos + buf.position()));
                }
                buf.flip();
                int at = (int) (dstOff + done);
                switch (t.type()) {
                    case F32 -> buf.asFloatBuffer().get(dst, at, chunk);
                    case F16 -> { for (int i = 0; i < chunk; i++) dst[at + i] = HalfFloats.f16ToFloat(buf.getShort()); }
                    case BF16 -> { for (int i = 0; i < chunk; i++) dst[at + i] = HalfFloats.bf16ToFloat(buf.getShort()); }
                    case Q8_0 -> QuantizedBlocks.dequantizeQ8_0(buf.array(), 0, dst, at, chunk);
                    case Q4_0 -> QuantizedBlocks.dequantizeQ4_0(buf.array(), 0, dst, at, chunk);
                    case Q6_K -> dev.anvil.core.tensor.Weight.wrap(type.dtype(), java.lang.foreign.MemorySegment.ofArray(buf.array())
                            .asSlice(0, type.byteSize(chunk)), 1, chunk).dequantizeRows(0, 1, dst, at);
                }
                pos += type.byteSize(chunk);
                done += chunk;
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Sequential little-endian reads over the channel with a buffer; every short read names the file, field and offset. */
    private static final class LeIn {
        private final FileChannel ch;
        private final Path file;
        private final long size;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart;

        LeIn(FileChannel ch, Path file, long size) {
            this.ch = ch;
            this.file = file;
            this.size = size;
            buf.limit(0);
        }

        long position() {
            return bufStart + buf.position();
        }

        private void need(int n, String what) throws IOException {
            if (buf.remaining() >= n) return;
            long pos = position();
            if (pos + n > size) throw new IOException(file + ": truncated: reading " + what + " at offset " + pos + " (file size " + size + ")");
            buf.compact();
            bufStart = pos; // buf[0] now holds the byte at pos
            while (buf.position() < n) {
                int r = ch.read(buf, bufStart + buf.position());
                if (r < 0) throw new IOException(file + ": truncated: reading " + what + " at offset " + pos);
            }
            buf.flip();
        }

        int u8(String what) throws IOException { need(1, what); return buf.get(); }
        int u16(String what) throws IOException { need(2, what); return buf.getShort(); }
        int u32(String what) throws IOException { need(4, what); return buf.getInt(); }
        long u64(String what) throws IOException { need(8, what); return buf.getLong(); }

        String string(String what) throws IOException {
            long at = position();
            long n = u64(what);
            if (n < 0 || at + 8 + n > size) throw new IOException(file + ": truncated or corrupt: " + what + " at offset " + at + " claims a string of " + n + " bytes past the end of the file");
            byte[] b = new byte[(int) n];
            int i = 0;
            while (i < n) {
                need(1, what);
                int k = Math.min(buf.remaining(), (int) n - i);
                buf.get(b, i, k);
                i += k;
            }
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
