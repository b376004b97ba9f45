package dev.anvil.core.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one pool every kernel runs on: {@code threads} threads in all, the calling thread included.
 *
 * <p>Why not the ForkJoin common pool: with parallelism P it runs P workers while the submitting
 * thread also joins in, so on a 2-core machine three threads fight over two cores and a GEMM ran
 * at half speed. Here the caller is one of the {@code threads}: it takes tasks like the
 * {@code threads - 1} workers do, then waits (spinning briefly, as kernels are short) for the rest.
 *
 * <p>Kernels split their work into {@code tasks} independent pieces; tasks are handed out by an
 * atomic counter so uneven pieces balance themselves. A call made from inside a running job (a
 * kernel calling a kernel) runs inline on the calling thread, so nesting cannot deadlock.
 */
public final class ComputePool implements AutoCloseable {

    /** How long an idle worker spins before parking, in nanoseconds. Kernel calls come in bursts. */
    private static final long SPIN_NANOS = 50_000;

    private static volatile ComputePool defaultPool;

    private final int threads;
    private final Thread[] workers;
    private final Object submitLock = new Object();
    private final AtomicReference<Job> current = new AtomicReference<>();
    private volatile long epoch;
    private volatile boolean closed;
    private final ThreadLocal<Boolean> insideJob = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private static final class Job {
        final IntConsumer body;
        final int tasks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(IntConsumer body, int tasks) {
            this.body = body;
            this.tasks = tasks;
            this.remaining = new AtomicInteger(tasks);
        }

        /** Takes and runs tasks until none are left; returns when this thread has no more to take. */
        void work() {
            int t;
            while ((t = next.getAndIncrement()) < tasks) {
                try {
                    if (failure.get() == null) body.accept(t);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    remaining.decrementAndGet();
                }
            }
        }
    }

    private ComputePool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("compute pool needs at least 1 thread, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread w = new Thread(this::workerLoop, "anvil-compute-" + (i + 1));
            w.setDaemon(true);
            workers[i] = w;
            w.start();
        }
    }

    /** A new pool with {@code threads} threads in all (the caller counts as one). */
    public static ComputePool create(int threads) {
        return new ComputePool(threads);
    }

    /** The process-wide pool; sized by {@link #setDefaultThreads} or else to the available cores. */
    public static ComputePool shared() {
        ComputePool p = defaultPool;
        if (p == null) {
            synchronized (ComputePool.class) {
                p = defaultPool;
                if (p == null) {
                    p = new ComputePool(Runtime.getRuntime().availableProcessors());
                    defaultPool = p;
                }
            }
        }
        return p;
    }

    /** Replaces the shared pool with one of {@code threads} threads (the CLI's {@code --threads}). */
    public static synchronized void setDefaultThreads(int threads) {
        ComputePool old = defaultPool;
        if (old != null && old.threads == threads) return;
        defaultPool = new ComputePool(threads);
        if (old != null) old.close();
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body.accept(t)} for every {@code t} in {@code [0, tasks)}, spread over the pool,
     * and returns when all are done. The first exception thrown by a task is rethrown here.
     */
    public void run(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (tasks == 1 || threads == 1 || insideJob.get()) {
            for (int t = 0; t < tasks; t++) body.accept(t);
            return;
        }
        synchronized (submitLock) {
            if (closed) throw new IllegalStateException("compute pool is closed");
            Job job = new Job(body, tasks);
            current.set(job);
            epoch++;
            for (Thread w : workers) LockSupport.unpark(w);
            insideJob.set(Boolean.TRUE);
            try {
                job.work();
            } finally {
                insideJob.set(Boolean.FALSE);
            }
            while (job.remaining.get() > 0) Thread.onSpinWait();
            current.set(null);
            Throwable f = job.failure.get();
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error err) throw err;
            if (f != null) throw new IllegalStateException(f);
        }
    }

    /**
     * Splits {@code [0, n)} into contiguous ranges of about {@code grain} elements or more (at
     * most {@code 4 × threads} of them, and a multiple of {@code threads} when there are several,
     * for balance) and calls {@code body.run(start, end)} on each.
     */
    public void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int chunks = Math.min(Math.max(1, n / g), threads * 4);
        // A whole number of chunks per thread: equal chunks over the threads end together. With
        // 5 chunks on 2 threads one thread ran 3 while the other waited, which cost a 768×768
        // decode matVec a fifth of its time.
        if (chunks > 1) chunks = Math.min(n, (chunks + threads - 1) / threads * threads);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        run(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    /** A body over a half-open index range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private void workerLoop() {
        insideJob.set(Boolean.TRUE);
        long seen = 0;
        while (!closed) {
            long e = epoch;
            if (e != seen) {
                seen = e;
                Job job = current.get();
                if (job != null) job.work();
                continue;
            }
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (epoch == seen && !closed && System.nanoTime() < spinUntil) Thread.onSpinWait();
            if (epoch == seen && !closed) LockSupport.parkNanos(this, 1_000_000);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
