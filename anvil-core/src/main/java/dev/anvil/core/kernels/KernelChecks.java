package dev.anvil.core.kernels;

/**
 * Argument checks shared by the kernels. Each returns a description of the problem (or null when
 * all is well) so the kernel can throw one {@link IllegalArgumentException} that names the op and
 * its shapes; the message is only built on failure, keeping the hot path free of string work.
 */
final class KernelChecks {
    private KernelChecks() {}

    /** Null if {@code a[off, off+len)} exists, else what is wrong with it. */
    static String range(String name, float[] a, int off, long len) {
        if (a == null) return name + " is null";
        return range(name, a.length, off, len);
    }

    static String range(String name, int[] a, int off, long len) {
        if (a == null) return name + " is null";
        return range(name, a.length, off, len);
    }

    /** Like {@link #range(String, float[], int, long)} but a null array is allowed (an optional gradient). */
    static String optionalRange(String name, float[] a, int off, long len) {
        return a == null ? null : range(name, a.length, off, len);
    }

    private static String range(String name, int length, int off, long len) {
        if (off < 0) return name + " offset " + off + " is negative";
        if (off + len > length) {
            return name + " at offset " + off + " needs " + len + " elements (up to index " + (off + len)
                    + "), array has " + length;
        }
        return null;
    }

    /** Null if every size is non-negative. */
    static String sizes(String names, int... sizes) {
        for (int s : sizes) if (s < 0) return "negative size (" + names + ")";
        return null;
    }

    /** The first non-null problem among {@code problems}, or null. */
    static String first(String... problems) {
        for (String p : problems) if (p != null) return p;
        return null;
    }
}
