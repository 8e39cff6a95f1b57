package dev.handoff.agent.rpc;

/**
 * Bounds what {@code Import} calls in progress may hold (issue "Security" limits): how many run
 * at once and how many bytes of ICIs they have buffered together, so that a buggy or hostile
 * agent cannot exhaust this one's memory by opening imports it never completes. Thread-safe.
 */
final class ImportBudget {
    /** Imports in progress at once. */
    static final int MAX_IMPORTS = 16;
    /** Bytes buffered by all imports in progress: two VIP moves of the largest ICIs, with room. */
    static final long MAX_BYTES = 512L << 20;

    /** Most imports at once. */
    private final int maxImports;
    /** Most bytes at once. */
    private final long maxBytes;
    /** Imports in progress. */
    private int imports;
    /** Bytes they hold. */
    private long bytes;

    ImportBudget(int maxImports, long maxBytes) {
        this.maxImports = maxImports;
        this.maxBytes = maxBytes;
    }

    /** Starts an import; the refusal (for RESOURCE_EXHAUSTED), or null when it may go on. */
    synchronized String begin() {
        if (imports == maxImports) {
            return maxImports + " imports are already in progress here: try again when one ends";
        }
        imports++;
        return null;
    }

    /** Takes {@code n} more bytes for a started import; the refusal, or null. */
    synchronized String take(long n) {
        if (bytes + n > maxBytes) {
            return "the imports in progress here would hold more than " + maxBytes + " bytes: try again when one ends";
        }
        bytes += n;
        return null;
    }

    /** Ends a started import that took {@code n} bytes in all. */
    synchronized void end(long n) {
        imports--;
        bytes -= n;
    }

    /** Imports in progress (for tests). */
    synchronized int inProgress() {
        return imports;
    }

    /** Bytes held (for tests). */
    synchronized long held() {
        return bytes;
    }
}
