package dev.anvil.core.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ComputePoolTest {

    @Test
    void everyTaskRunsExactlyOnce() {
        try (ComputePool pool = ComputePool.create(3)) {
            for (int round = 0; round < 200; round++) {
                int tasks = 1 + round % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
                pool.run(tasks, hits::incrementAndGet);
                for (int t = 0; t < tasks; t++) assertThat(hits.get(t)).as("task %d of %d", t, tasks).isEqualTo(1);
            }
        }
    }

    @Test
    void usesAsManyThreadsAsConfiguredCallerIncluded() {
        try (ComputePool pool = ComputePool.create(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 50 && seen.size() < 2; i++) {
                pool.run(64, t -> {
                    seen.add(Thread.currentThread());
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                });
            }
            assertThat(seen).hasSize(2).contains(Thread.currentThread());
        }
    }

    @Test
    void parallelForCoversTheRangeWithoutOverlap() {
        try (ComputePool pool = ComputePool.create(2)) {
            for (int n : new int[] {0, 1, 7, 100, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                pool.parallelFor(n, 3, (s, e) -> {
                    for (int i = s; i < e; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void nestedCallsRunInlineAndExceptionsReachTheCaller() {
        try (ComputePool pool = ComputePool.create(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(16);
            pool.run(4, outer -> pool.run(4, inner -> hits.incrementAndGet(outer * 4 + inner)));
            for (int i = 0; i < 16; i++) assertThat(hits.get(i)).isEqualTo(1);
            assertThatThrownBy(() -> pool.run(8, t -> {
                if (t == 5) throw new IllegalArgumentException("task five failed");
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("task five failed");
            // The pool still works after a failure.
            AtomicIntegerArray again = new AtomicIntegerArray(8);
            pool.run(8, again::incrementAndGet);
            assertThat(again.get(7)).isEqualTo(1);
        }
        assertThatThrownBy(() -> ComputePool.create(0)).hasMessageContaining("at least 1");
    }
}
