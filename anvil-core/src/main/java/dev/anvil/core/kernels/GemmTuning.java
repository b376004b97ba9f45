package dev.anvil.core.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * How {@link GemmBlocked} is blocked on this CPU, chosen once from what the CPU reports: the
 * L1d's size and associativity (from {@code /sys/devices/system/cpu/cpu0/cache}) against the
 * register tile's MR rows, which follow the vector width. The vendor, family and L2 (from
 * {@code /proc/cpuinfo} and sysfs) are read for {@link #describe()}: no rule needs them yet,
 * the measurements that found none are in {@link #select}. Every field can be forced with a system
 * property ({@code -Danvil.gemm.kc}, {@code .nc}, {@code .packA}, {@code .tasksPerThread}),
 * which is how the variants are measured; GemmTest runs its properties on each.
 *
 * <p>The register tile itself (MR × 2 vectors of the preferred width) is fixed per JVM by
 * {@link GemmBlocked#SPECIES}: the kernels need it as a constant.
 *
 * @param kc             depth of a K slice (changing it changes the per-element summation order)
 * @param nc             widest column chunk, so that KC × NC floats of packed B fit the L2
 * @param inPlaceRowsPerSet A·B reads A in place while at most this many of a strip's MR rows
 *                       start in one L1 set, and packs it into MR-interleaved strips (as Aᵀ·B
 *                       always does) otherwise: the L1d's ways; 0 always packs, MR never does
 * @param l1dWayBytes    bytes of one L1d way (size / ways), the period of its set index
 * @param tasksPerThread column tasks per thread (see {@link GemmBlocked#multiply})
 * @param cpu            what the choice was made from, for {@link #describe()}
 */
record GemmTuning(int kc, int nc, int inPlaceRowsPerSet, int l1dWayBytes, int tasksPerThread, String cpu) {

    /** The tuning of this machine, with any {@code anvil.gemm.*} overrides applied. */
    static final GemmTuning SELECTED = select(Cpu.detect());

    /** One line naming the kernel and blocking in use, for benchmarks and logs. */
    String describe() {
        return "sgemm " + GemmBlocked.MR + "×" + GemmBlocked.NR + " tile of " + GemmBlocked.SPECIES.vectorBitSize() + "-bit vectors, KC " + kc
                + ", NC " + nc + ", A " + aPacking() + ", " + tasksPerThread
                + " tasks/thread (" + cpu + ")";
    }

    private String aPacking() {
        if (inPlaceRowsPerSet <= 0) return "packed";
        if (inPlaceRowsPerSet >= GemmBlocked.MR) return "in place (Aᵀ packed)";
        return "packed when more than " + inPlaceRowsPerSet + " of " + GemmBlocked.MR + " rows share an L1 set, else in place";
    }

    /**
     * Whether A·B packs A stored with row stride lda: whether more than {@link #inPlaceRowsPerSet}
     * of a strip's rows start in the same L1 set. With 64-byte lines the set of a row start is
     * {@code (r·lda·4 mod l1dWayBytes) / 64}; the rows then advance through the sets together.
     */
    boolean packsA(int lda) {
        if (inPlaceRowsPerSet <= 0) return true;
        if (inPlaceRowsPerSet >= GemmBlocked.MR || l1dWayBytes < 64) return false;
        // MR² comparisons rather than a count per set: no garbage per call.
        for (int r = 0; r < GemmBlocked.MR; r++) {
            int sharing = 0;
            for (int q = 0; q < GemmBlocked.MR; q++) if (l1dSet(q, lda) == l1dSet(r, lda)) sharing++;
            if (sharing > inPlaceRowsPerSet) return true;
        }
        return false;
    }

    private long l1dSet(int row, int lda) {
        return (long) row * lda * Float.BYTES % l1dWayBytes / 64;
    }

    /** The same tuning with other blocking. */
    GemmTuning withBlocking(int kc, int nc, int inPlaceRowsPerSet) {
        return new GemmTuning(kc, nc, inPlaceRowsPerSet, l1dWayBytes, tasksPerThread, cpu);
    }

    /** What the selection rule reads. Sizes in bytes, 0 when unknown. */
    record Cpu(String vendor, int family, String model, int preferredBits, long l1d, int l1dWays, long l2) {

        static Cpu detect() {
            String vendor = "", model = "";
            int family = -1;
            for (String line : lines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank()) break; // the first processor is enough
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                switch (key) {
                    case "vendor_id" -> vendor = value;
                    case "cpu family" -> family = parseInt(value, -1);
                    case "model name" -> model = value;
                    default -> { }
                }
            }
            long l1d = 0, l2 = 0;
            int l1dWays = 0;
            Path caches = Path.of("/sys/devices/system/cpu/cpu0/cache");
            for (int i = 0; i < 8; i++) {
                Path index = caches.resolve("index" + i);
                if (!Files.isDirectory(index)) break;
                String level = first(index.resolve("level")), type = first(index.resolve("type"));
                long size = parseSize(first(index.resolve("size")));
                if (level.equals("1") && type.equals("Data")) {
                    l1d = size;
                    l1dWays = parseInt(first(index.resolve("ways_of_associativity")), 0);
                } else if (level.equals("2")) {
                    l2 = size;
                }
            }
            return new Cpu(vendor, family, model, FloatVector.SPECIES_PREFERRED.vectorBitSize(), l1d, l1dWays, l2);
        }

        @Override
        public String toString() {
            return (model.isEmpty() ? vendor : model) + (family >= 0 ? ", family " + family : "") + ", " + preferredBits
                    + "-bit preferred, L1d " + l1d / 1024 + " KB " + l1dWays + "-way, L2 " + l2 / 1024 + " KB";
        }

        private static List<String> lines(Path p) {
            try {
                return Files.readAllLines(p);
            } catch (IOException | RuntimeException e) {
                return List.of();
            }
        }

        private static String first(Path p) {
            List<String> l = lines(p);
            return l.isEmpty() ? "" : l.get(0).trim();
        }

        private static int parseInt(String s, int fallback) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }

        /** "32K", "1024K", "32M" as sysfs writes them. */
        private static long parseSize(String s) {
            if (s.isEmpty()) return 0;
            char unit = Character.toUpperCase(s.charAt(s.length() - 1));
            long scale = unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : unit == 'G' ? 1024L * 1024 * 1024 : 1;
            String digits = Character.isDigit(unit) ? s : s.substring(0, s.length() - 1);
            return parseInt(digits, 0) * scale;
        }
    }

    /**
     * The per-CPU rule, then the overrides.
     *
     * <p>KC: a strip's rows of A (MR·KC floats, 12 KB) stay in L1 next to the panel being
     * streamed. Measured at 1024³ on one core of the Sapphire Rapids machine (CPU time): 128 → 136,
     * 192 → 140, 256 → 142-145, 384 → 131-134, 512 → 122-125 GFLOP/s; on Zen 4, whose L1d is
     * 32 KB rather than 48, smaller slices did not pay either (one core, A packed, 1024³ and
     * 2048³: 128 → 72-81, 192 → 54-80, 256 → 82-95 GFLOP/s). The same everywhere, so
     * results have the same bits on every CPU with the same vector width (KC sets the order in
     * which each element's products are summed).
     *
     * <p>NC: KC × NC floats of packed B (1 MB) within the L2. On Zen 4's 1 MB L2 a 512-column cap
     * (512 KB) measured slower, not faster (one core, A packed: 1024³ 81-85 vs 92-93, 2048³ 84 vs
     * 92 GFLOP/s): the panels stream from L2 to L1 in order, so the prefetcher hides the part
     * that spills to L3; with 2 or more threads the chunks are narrower anyway.
     *
     * <p>inPlaceRowsPerSet: A read in place is MR row streams lda apart. When lda is a multiple of
     * 4 KB (1024³, 2048³) all MR streams fall in one L1 set, and with fewer ways than MR they
     * evict each other every k step. Sapphire Rapids' L1d has 12 ways for the 12 rows, and there
     * in place measured faster (1024³ on one core: 129 in place vs 122 packed; 192×4096×256: 133
     * both); Zen 4's has 8, and there packing measured faster at 2048³ (one core, CPU time: 70-72
     * → 87-92 GFLOP/s; OpenBLAS 93-99) and 1024³ (88 → 93; OpenBLAS 95), but slower where the rows
     * spread over the sets (lda 768, 3 rows a set: 768×3072×768 85 in place vs 68 packed, twice;
     * 256×2304×768 76-89 vs 76-86, OpenBLAS 85-96). So the L1d's ways are the limit, and a CPU reporting none packs.
     *
     * <p>tasksPerThread: more tasks balance better when another process steals a core; fewer give
     * each task wider chunks, so a strip of A loaded into L1 feeds more panels. Measured on the
     * quiet 2-core Sapphire Rapids machine (GFLOP/s, 2 threads, medians of 3): 4 → 1024³ 260,
     * 2048³ 273, 256×2304×768 254, 768×3072×768 281; 2 → 276, 289, 250, 288; 1 → 275, 288, 189, 220.
     * On Zen 4 (2 threads, wall clock against OpenBLAS in the same run, load 0.3–2.2, three
     * rounds, A packed): 1 → 1024³ 0.97, 1.00, 1.78; 2048³ 0.97, 0.91, 0.95; 2 → 0.92, 1.03,
     * 0.94; 0.97, 0.85, 0.70; 4 → 0.98, 0.89, 0.86; 0.87, 0.87, 1.61. One may edge out two there,
     * within the noise, and cost 256×2304×768 a quarter on Intel: two stays everywhere.
     */
    static GemmTuning select(Cpu cpu) {
        int inPlaceRowsPerSet = cpu.l1dWays();
        int l1dWayBytes = cpu.l1dWays() > 0 ? (int) (cpu.l1d() / cpu.l1dWays()) : 0;
        int kc = Integer.getInteger("anvil.gemm.kc", 256);
        int nc = Integer.getInteger("anvil.gemm.nc", 1024);
        String packAProperty = System.getProperty("anvil.gemm.packA");
        if (packAProperty != null) inPlaceRowsPerSet = Boolean.parseBoolean(packAProperty) ? 0 : GemmBlocked.MR;
        int tasksPerThread = Integer.getInteger("anvil.gemm.tasksPerThread", 2);
        return new GemmTuning(kc, nc, inPlaceRowsPerSet, l1dWayBytes, tasksPerThread, cpu.toString());
    }
}
