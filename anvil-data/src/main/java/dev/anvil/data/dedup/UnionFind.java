package dev.anvil.data.dedup;

import java.util.Arrays;

/** Disjoint sets over 0..n-1 with path halving; the root of a set is always its smallest member. */
public final class UnionFind {
    private int[] parent;

    public UnionFind(int n) {
        parent = new int[Math.max(n, 16)];
        for (int i = 0; i < parent.length; i++) parent[i] = i;
    }

    public void ensureSize(int n) {
        if (n <= parent.length) return;
        int old = parent.length;
        parent = Arrays.copyOf(parent, Math.max(n, old * 2));
        for (int i = old; i < parent.length; i++) parent[i] = i;
    }

    public int find(int x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }

    /** Joins the sets of x and y; the smaller root becomes the root, so the earliest document represents its cluster. */
    public void union(int x, int y) {
        int rx = find(x);
        int ry = find(y);
        if (rx == ry) return;
        if (rx < ry) parent[ry] = rx;
        else parent[rx] = ry;
    }
}
