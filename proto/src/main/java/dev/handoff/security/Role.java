package dev.handoff.security;

import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * What a certificate lets its holder do (SECURITY.md "Roles"). The cluster CA writes the role
 * into the subject's OU; {@link RoleAuthorizer} reads it back on every call.
 */
public enum Role {
    /** Passes connection state between agents, heartbeats, writes and reads checkpoints. */
    AGENT,
    /** Moves, drains, checkpoints, resurrects; and everything a reader may. */
    OPERATOR,
    /** Lists and watches. */
    READER;

    /** As written in certificates and on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role named {@code label}, or IllegalArgumentException listing the roles. */
    public static Role parse(String label) {
        for (Role r : values()) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + label + "': use agent, operator or reader");
    }

    /** The role in {@code cert}'s subject OU, or null when it names none (a certificate not made for Handoff). */
    public static Role of(X509Certificate cert) {
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("OU")) {
                    for (Role r : values()) {
                        if (r.label().equals(rdn.getValue().toString())) {
                            return r;
                        }
                    }
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null; // a subject the JDK itself produced but cannot parse: no role
        }
    }

    /** The CN of {@code cert}'s subject (the holder's name), or its whole subject when it has no CN. */
    public static String holder(X509Certificate cert) {
        String subject = cert.getSubjectX500Principal().getName();
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return subject;
        }
        return subject;
    }
}
