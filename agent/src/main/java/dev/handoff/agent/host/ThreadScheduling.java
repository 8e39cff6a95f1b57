package dev.handoff.agent.host;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * How Linux schedules the calling thread ({@code sched_setattr(2)} on {@code gettid()}, through
 * Java's FFM API): either the fair scheduler at a nice value, which weighs the thread's share
 * of a CPU against the threads it competes with, or {@code SCHED_FIFO} at a real-time priority,
 * which runs the thread the moment it is runnable, before every thread of the fair scheduler.
 * An event loop woken by a frame then answers before a compiler or gRPC thread has used up its
 * slice; a peer that waits for that answer longer than its probe timeout resends into the gap.
 * Under the fair scheduler a thread may also ask for a slice of its own (Linux 6.12 on,
 * {@code sched_runtime}): EEVDF lets a woken thread whose slice is shorter than the running
 * one's preempt it at once ({@code PREEMPT_SHORT}), which a lower nice value alone does not.
 *
 * @param nice the nice value under the fair scheduler ({@link #HIGHEST_NICE}..{@link #LOWEST_NICE}); ignored in real time
 * @param realtime the SCHED_FIFO priority (1..{@link #HIGHEST_REALTIME}), or 0 for the fair scheduler
 * @param sliceMicros the fair scheduler's slice for the thread in microseconds ({@link #SHORTEST_SLICE_MICROS}..{@link
 *     #LONGEST_SLICE_MICROS}), or 0 for the kernel's default; ignored in real time
 */
@SuppressWarnings("restricted") // FFM downcalls: the launcher and tests enable native access
public record ThreadScheduling(int nice, int realtime, int sliceMicros) {
    /** A thread as the JVM starts it: the fair scheduler at nice 0 with the kernel's slice. */
    public static final ThreadScheduling NORMAL = new ThreadScheduling(0, 0, 0);
    /** The highest priority under the fair scheduler. */
    public static final int HIGHEST_NICE = -20;
    /** The lowest priority under the fair scheduler. */
    public static final int LOWEST_NICE = 19;
    /** The highest SCHED_FIFO priority. */
    public static final int HIGHEST_REALTIME = 99;
    /** The shortest slice Linux grants a fair thread (0.1 ms; it clamps shorter ones). */
    public static final int SHORTEST_SLICE_MICROS = 100;
    /** The longest slice Linux grants a fair thread (100 ms). */
    public static final int LONGEST_SLICE_MICROS = 100_000;

    /** sched_setattr's system call number: 314 on x86-64, 274 on arm64 (and the other generic-ABI architectures). */
    private static final long SYS_SCHED_SETATTR = System.getProperty("os.arch").matches("amd64|x86_64") ? 314 : 274;
    /** The fair scheduler's policy. */
    private static final int SCHED_OTHER = 0;
    /** The real-time first-in first-out policy. */
    private static final int SCHED_FIFO = 1;
    /** errno: operation not permitted. */
    private static final int EPERM = 1;
    /** errno: permission denied. */
    private static final int EACCES = 13;

    /** struct sched_attr, its first version (48 bytes; the kernel accepts it from 3.14 on). */
    private static final StructLayout SCHED_ATTR = MemoryLayout.structLayout(JAVA_INT.withName("size"),
            JAVA_INT.withName("sched_policy"), JAVA_LONG.withName("sched_flags"), JAVA_INT.withName("sched_nice"),
            JAVA_INT.withName("sched_priority"), JAVA_LONG.withName("sched_runtime"), JAVA_LONG.withName("sched_deadline"),
            JAVA_LONG.withName("sched_period"));
    /** sched_attr.size. */
    private static final VarHandle SIZE = field("size");
    /** sched_attr.sched_policy. */
    private static final VarHandle POLICY = field("sched_policy");
    /** sched_attr.sched_nice. */
    private static final VarHandle NICE = field("sched_nice");
    /** sched_attr.sched_priority. */
    private static final VarHandle PRIORITY = field("sched_priority");
    /** sched_attr.sched_runtime: under the fair scheduler, the thread's slice in nanoseconds (0: the default). */
    private static final VarHandle RUNTIME = field("sched_runtime");

    /** The platform's C linker. */
    private static final Linker LINKER = Linker.nativeLinker();
    /** Where a downcall leaves errno. */
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    /** errno within {@link #CAPTURE}. */
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** libc gettid(): the calling thread's id. */
    private static final MethodHandle GETTID = LINKER.downcallHandle(LINKER.defaultLookup().find("gettid").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT));
    /** libc syscall(SYS_sched_setattr, tid, attr, flags): glibc before 2.41 has no wrapper. */
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    /** Checks every value, IllegalArgumentException naming the one out of range. */
    public ThreadScheduling {
        checkNice("a nice value", nice);
        checkRealtime("a real-time priority", realtime);
        checkSlice("a slice", sliceMicros);
    }

    /** The fair scheduler at {@code nice} (with the kernel's slice) or, if {@code realtime} is above 0, SCHED_FIFO. */
    public ThreadScheduling(int nice, int realtime) {
        this(nice, realtime, 0);
    }

    /** {@code nice} if it is a nice value, else IllegalArgumentException calling it {@code what} (e.g. an option's name). */
    public static int checkNice(String what, int nice) {
        if (nice < HIGHEST_NICE || nice > LOWEST_NICE) {
            throw new IllegalArgumentException(what + " must be " + HIGHEST_NICE + ".." + LOWEST_NICE + ", got " + nice);
        }
        return nice;
    }

    /** {@code priority} if it is a SCHED_FIFO priority or 0 (none), else IllegalArgumentException calling it {@code what}. */
    public static int checkRealtime(String what, int priority) {
        if (priority < 0 || priority > HIGHEST_REALTIME) {
            throw new IllegalArgumentException(what + " must be 1.." + HIGHEST_REALTIME + " (0: off), got " + priority);
        }
        return priority;
    }

    /** {@code micros} if it is a slice Linux grants or 0 (the default), else IllegalArgumentException calling it {@code what}. */
    public static int checkSlice(String what, int micros) {
        if (micros != 0 && (micros < SHORTEST_SLICE_MICROS || micros > LONGEST_SLICE_MICROS)) {
            throw new IllegalArgumentException(what + " must be " + SHORTEST_SLICE_MICROS + ".." + LONGEST_SLICE_MICROS
                    + " microseconds (0: the kernel's), got " + micros);
        }
        return micros;
    }

    /** What a thread scheduled so runs at, for logs: "nice -5", "nice -5, slice 100 us" or "SCHED_FIFO priority 10". */
    @Override
    public String toString() {
        return realtime > 0 ? "SCHED_FIFO priority " + realtime
                : "nice " + nice + (sliceMicros > 0 ? ", slice " + sliceMicros + " us" : "");
    }

    /**
     * Schedules the calling thread so; answers null when done, else why not, naming what to do
     * (a real-time priority, or a nice value below the thread's current one, needs root or
     * CAP_SYS_NICE).
     */
    public String applyToCurrentThread() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(SCHED_ATTR);
            SIZE.set(attr, 0L, (int) SCHED_ATTR.byteSize());
            POLICY.set(attr, 0L, realtime > 0 ? SCHED_FIFO : SCHED_OTHER);
            NICE.set(attr, 0L, realtime > 0 ? 0 : nice);
            PRIORITY.set(attr, 0L, realtime);
            RUNTIME.set(attr, 0L, realtime > 0 ? 0L : sliceMicros * 1000L);
            MemorySegment errno = a.allocate(CAPTURE);
            long tid = (int) GETTID.invokeExact();
            if ((long) SYSCALL.invokeExact(errno, SYS_SCHED_SETATTR, tid, attr.address(), 0L) == 0) {
                return null;
            }
            int e = (int) ERRNO.get(errno, 0L);
            return "sched_setattr(" + this + ") failed (errno " + e + ")"
                    + (e == EPERM || e == EACCES ? ": a real-time priority or a raised one needs root or CAP_SYS_NICE" : "");
        } catch (Throwable t) {
            return "sched_setattr(" + this + ") failed: " + t;
        }
    }

    private static VarHandle field(String name) {
        return SCHED_ATTR.varHandle(MemoryLayout.PathElement.groupElement(name));
    }
}
