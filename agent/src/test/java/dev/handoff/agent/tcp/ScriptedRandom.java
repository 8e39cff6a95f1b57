package dev.handoff.agent.tcp;

import java.util.ArrayDeque;
import java.util.random.RandomGenerator;

/** A RandomGenerator that returns scripted ints (ISN, then timestamp offset, ...), then a fixed value. */
final class ScriptedRandom implements RandomGenerator {
    /** Values still to hand out, in order. */
    private final ArrayDeque<Integer> values = new ArrayDeque<>();

    ScriptedRandom(int... script) {
        for (int v : script) {
            values.add(v);
        }
    }

    @Override
    public int nextInt() {
        Integer v = values.poll();
        return v == null ? 7 : v;
    }

    @Override
    public int nextInt(int bound) {
        return Math.floorMod(nextInt(), bound);
    }

    @Override
    public long nextLong() {
        return nextInt();
    }
}
