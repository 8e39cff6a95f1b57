package dev.handoff.agent.tcp;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.Supplier;

/** Formats and adds up counter objects (public long fields): {@code name=value} lists for logs. */
public final class Counters {
    private Counters() {
    }

    /** {@code name=value} for every public long field of {@code counters}, in declaration order. */
    public static String describe(Object counters) {
        StringJoiner j = new StringJoiner(" ");
        for (Field f : counters.getClass().getFields()) {
            if (f.getType() == long.class && !Modifier.isStatic(f.getModifiers())) {
                try {
                    j.add(f.getName() + "=" + f.getLong(counters));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("counter " + f.getName() + " is not readable", e);
                }
            }
        }
        return j.toString();
    }

    /** A new counter object ({@code fresh}) holding, in each public long field, the sum of that field over {@code parts}. */
    public static <T> T sum(List<T> parts, Supplier<T> fresh) {
        T total = fresh.get();
        for (Field f : total.getClass().getFields()) {
            if (f.getType() == long.class && !Modifier.isStatic(f.getModifiers())) {
                try {
                    long s = 0;
                    for (T p : parts) {
                        s += f.getLong(p);
                    }
                    f.setLong(total, s);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("counter " + f.getName() + " is not accessible", e);
                }
            }
        }
        return total;
    }
}
