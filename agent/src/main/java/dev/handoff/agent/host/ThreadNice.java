package dev.handoff.agent.host;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The Linux nice value of the calling thread ({@code setpriority(PRIO_PROCESS, gettid(), n)}),
 * through Java's FFM API. A thread's nice value weighs its share of a CPU against the threads
 * it competes with, and whether it preempts them when it wakes: an event loop woken by a frame
 * then runs before a compiler or gRPC thread of normal priority instead of after its slice.
 */
@SuppressWarnings("restricted") // FFM downcalls: the launcher and tests enable native access
public final class ThreadNice {
    /** The nice value of a thread that was never changed. */
    public static final int NORMAL = 0;
    /** The highest priority. */
    public static final int HIGHEST = -20;
    /** The lowest priority. */
    public static final int LOWEST = 19;

    /** setpriority's "which": one process or thread, by id. */
    private static final int PRIO_PROCESS = 0;
    /** errno: operation not permitted. */
    private static final int EPERM = 1;
    /** errno: permission denied. */
    private static final int EACCES = 13;

    /** The platform's C linker. */
    private static final Linker LINKER = Linker.nativeLinker();
    /** Where a downcall leaves errno. */
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    /** errno within {@link #CAPTURE}. */
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** libc gettid(): the calling thread's id. */
    private static final MethodHandle GETTID = LINKER.downcallHandle(LINKER.defaultLookup().find("gettid").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT));
    /** libc setpriority(which, who, prio). */
    private static final MethodHandle SETPRIORITY = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setpriority").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.captureCallState("errno"));

    private ThreadNice() {
    }

    /** {@code nice} if it is a nice value ({@link #HIGHEST}..{@link #LOWEST}), else IllegalArgumentException saying so. */
    public static int check(int nice) {
        if (nice < HIGHEST || nice > LOWEST) {
            throw new IllegalArgumentException("a nice value is " + HIGHEST + ".." + LOWEST + ", got " + nice);
        }
        return nice;
    }

    /**
     * Sets the calling thread's nice value to {@code nice} ({@link #HIGHEST}..{@link #LOWEST});
     * answers null when done, else why not, naming what to do (a value below the thread's
     * current one needs CAP_SYS_NICE, which root has).
     */
    public static String setCurrent(int nice) {
        check(nice);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(CAPTURE);
            int tid = (int) GETTID.invokeExact();
            if ((int) SETPRIORITY.invokeExact(errno, PRIO_PROCESS, tid, nice) == 0) {
                return null;
            }
            int e = (int) ERRNO.get(errno, 0L);
            return "setpriority(" + nice + ") failed (errno " + e + ")"
                    + (e == EPERM || e == EACCES ? ": raising a thread's priority needs root or CAP_SYS_NICE" : "");
        } catch (Throwable t) {
            return "setpriority(" + nice + ") failed: " + t;
        }
    }
}
