package dev.handoff.agent.tcp;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.StringJoiner;

/** Formats counter objects (public long fields) as {@code name=value} lists for logs. */
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
}
