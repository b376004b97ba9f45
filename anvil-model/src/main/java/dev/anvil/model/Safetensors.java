package dev.anvil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end)}} (offsets
 * relative to the end of the header) plus an optional {@code "__metadata__"} string map, then the
 * raw little-endian tensor bytes. The header is padded with spaces to a multiple of 8 bytes.
 * Anvil writes and reads F32, F16 and BF16.
 */
public final class Safetensors {

    private Safetensors() {}

    /**
     * One tensor to write: {@code shape} as stored in the file; the values are
     * {@code data[offset, offset + size)} row-major, or, if {@code transposed}, the transpose of the
     * [shape[1], shape[0]] matrix found there (GPT-2's Conv1D layout).
     */
    public record Entry(String name, int[] shape, float[] data, int offset, boolean transposed) {
        long size() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /** A tensor's description from a file's header. */
    public record Info(String name, String dtype, int[] shape, long begin, long end) {
        public long elementCount() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        write(file, entries, metadata, "F32");
    }

    /**
     * Writes every tensor as {@code dtype}: F32, F16 or BF16 (rounded to nearest even, as PyTorch's
     * {@code .half()} / {@code .bfloat16()} do).
     */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata, String dtype) throws IOException {
        int bytesPer = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException("safetensors: cannot write dtype " + dtype + " (supported: F32, F16, BF16)");
        };
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long pos = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name());
            t.put("dtype", dtype);
            ArrayNode shape = t.putArray("shape");
            for (int d : e.shape()) shape.add(d);
            ArrayNode offsets = t.putArray("data_offsets");
            offsets.add(pos);
            pos += (long) bytesPer * e.size();
            offsets.add(pos);
        }
        byte[] headerBytes = json.writeValueAsBytes(header);
        int padded = (headerBytes.length + 7) / 8 * 8;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(padded);
            buf.put(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) buf.put((byte) ' ');
            for (Entry e : entries) {
                if (e.transposed()) {
                    if (e.shape().length != 2) throw new IllegalArgumentException("safetensors: only matrices can be transposed, " + e.name());
                    int rows = e.shape()[0], cols = e.shape()[1]; // file shape; memory holds [cols, rows]
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            if (buf.remaining() < 4) drain(ch, buf);
                            put(buf, dtype, e.data()[e.offset() + c * rows + r]);
                        }
                    }
                } else {
                    long n = e.size();
                    for (long i = 0; i < n; i++) {
                        if (buf.remaining() < 4) drain(ch, buf);
                        put(buf, dtype, e.data()[(int) (e.offset() + i)]);
                    }
                }
            }
            drain(ch, buf);
            ch.force(true);
        }
    }

    private static void put(ByteBuffer buf, String dtype, float v) {
        switch (dtype) {
            case "F16" -> buf.putShort(dev.anvil.core.tensor.HalfFloats.floatToF16(v));
            case "BF16" -> buf.putShort(dev.anvil.core.tensor.HalfFloats.floatToBf16(v));
            default -> buf.putFloat(v);
        }
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    /** An open file: the parsed header, tensors read on demand. */
    public static final class Reader implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Info> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        public Reader(Path file) throws IOException {
            this.file = file;
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
            try {
                long size = channel.size();
                if (size < 8) throw corrupt("file of " + size + " bytes has no header");
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(len, 0);
                long headerLen = len.flip().getLong();
                if (headerLen <= 0 || headerLen > 100_000_000 || 8 + headerLen > size) throw corrupt("header length " + headerLen + " in a file of " + size + " bytes");
                ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
                readFully(hb, 8);
                JsonNode header;
                try {
                    header = new ObjectMapper().readTree(new String(hb.array(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw corrupt("header is not JSON: " + e.getMessage());
                }
                dataStart = 8 + headerLen;
                for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
                    var f = it.next();
                    if (f.getKey().equals("__metadata__")) {
                        f.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                        continue;
                    }
                    JsonNode t = f.getValue();
                    JsonNode shapeNode = t.get("shape"), offs = t.get("data_offsets");
                    if (shapeNode == null || offs == null || offs.size() != 2 || !t.hasNonNull("dtype")) throw corrupt("tensor " + f.getKey() + " lacks dtype/shape/data_offsets");
                    int[] shape = new int[shapeNode.size()];
                    for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asInt();
                    Info info = new Info(f.getKey(), t.get("dtype").asText(), shape, offs.get(0).asLong(), offs.get(1).asLong());
                    if (!List.of("F32", "F16", "BF16").contains(info.dtype())) {
                        throw corrupt("tensor " + info.name() + " has dtype " + info.dtype() + ", which Anvil does not read (it reads F32, F16, BF16)");
                    }
                    long bytes = info.elementCount() * bytesPer(info.dtype());
                    if (info.end() - info.begin() != bytes || info.begin() < 0 || dataStart + info.end() > size) {
                        throw corrupt("tensor " + info.name() + " " + java.util.Arrays.toString(shape) + " " + info.dtype()
                                + " has data_offsets [" + info.begin() + ", " + info.end() + ") in a file of " + size + " bytes");
                    }
                    tensors.put(info.name(), info);
                }
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        public Map<String, Info> tensors() {
            return tensors;
        }

        public Map<String, String> metadata() {
            return metadata;
        }

        public Info info(String name) {
            Info i = tensors.get(name);
            if (i == null) throw new IllegalArgumentException(file + ": no tensor named '" + name + "'");
            return i;
        }

        /**
         * Reads tensor {@code name} into {@code dst[off, off + n)} as float32; if {@code transposed}
         * the file's [r, c] matrix lands as its [c, r] transpose.
         */
        public void read(String name, float[] dst, int off, boolean transposed) throws IOException {
            Info info = info(name);
            long n = info.elementCount();
            if (off < 0 || off + n > dst.length) throw new IllegalArgumentException("safetensors: " + name + " of " + n + " values does not fit at " + off);
            int bytesPer = bytesPer(info.dtype());
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long pos = dataStart + info.begin();
            int rows = transposed ? info.shape()[0] : 0, cols = transposed ? info.shape()[1] : 0;
            for (long i = 0; i < n; ) {
                buf.clear();
                long chunk = Math.min((long) buf.capacity() / bytesPer, n - i);
                buf.limit((int) (chunk * bytesPer));
                readFully(buf, pos);
                buf.flip();
                pos += chunk * bytesPer;
                for (long j = 0; j < chunk; j++, i++) {
                    float v = switch (info.dtype()) {
                        case "F32" -> buf.getFloat();
                        case "BF16" -> Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                        case "F16" -> Float.float16ToFloat(buf.getShort());
                        default -> throw new IllegalStateException();
                    };
                    if (transposed) {
                        int r = (int) (i / cols), c = (int) (i % cols);
                        dst[off + c * rows + r] = v;
                    } else {
                        dst[(int) (off + i)] = v;
                    }
                }
            }
        }

        /** The whole file mapped read-only for the lifetime of {@code arena}. */
        public java.lang.foreign.MemorySegment map(java.lang.foreign.Arena arena) throws IOException {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        }

        /**
         * A 2-D tensor as a {@link dev.anvil.core.tensor.Weight} in its stored dtype (F32, BF16 or
         * F16) over {@code mapped} (this file's {@link #map}), without copying.
         */
        public dev.anvil.core.tensor.Weight weight(String name, java.lang.foreign.MemorySegment mapped) throws IOException {
            Info info = info(name);
            if (info.shape().length != 2) throw new IllegalArgumentException(file + ": tensor " + name + " " + java.util.Arrays.toString(info.shape()) + " is not a matrix");
            dev.anvil.core.tensor.DType type = switch (info.dtype()) {
                case "F32" -> dev.anvil.core.tensor.DType.F32;
                case "BF16" -> dev.anvil.core.tensor.DType.BF16;
                case "F16" -> dev.anvil.core.tensor.DType.F16;
                default -> throw corrupt("tensor " + name + " has unsupported dtype " + info.dtype() + " (Anvil reads F32, F16, BF16)");
            };
            return dev.anvil.core.tensor.Weight.wrap(type, mapped.asSlice(dataStart + info.begin(), info.end() - info.begin()), info.shape()[0], info.shape()[1]);
        }

        private void readFully(ByteBuffer buf, long pos) throws IOException {
            while (buf.hasRemaining()) {
                int r = channel.read(buf, pos);
                if (r < 0) throw corrupt("unexpected end of file");
                pos += r;
            }
        }

        private IOException corrupt(String what) {
            return new IOException(file + ": not a valid safetensors file: " + what);
        }

        private int bytesPer(String dtype) throws IOException {
            return switch (dtype) {
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> throw corrupt("unsupported dtype " + dtype + " (Anvil reads F32, F16, BF16)");
            };
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
