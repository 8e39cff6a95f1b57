package dev.handoff.agent.ici;

/** An ICI that must not be used: names the field, what is wrong, and the limit. */
public final class InvalidIciException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The offending field, as named in ici.proto. */
    private final String field;

    public InvalidIciException(String field, String problem) {
        super("ICI field " + field + ": " + problem);
        this.field = field;
    }

    /** The offending field, as named in ici.proto. */
    public String field() {
        return field;
    }
}
