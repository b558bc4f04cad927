package io.balistreams.avro;

import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Registers this project's generated Avro classes with Avro's class-security check.
 *
 * <p>Avro 1.12.2 refuses to instantiate generated classes that are not on its trusted list
 * ({@code SecurityException: Forbidden ... This class is not trusted}); see
 * docs/platform-notes.md §5. Trusting exactly the record, enum and fixed types reachable from the
 * given schemas keeps the check in force for everything else.
 */
public final class TrustedAvroTypes {
    private static final Set<String> TRUSTED = new HashSet<>();

    private TrustedAvroTypes() {
    }

    /** Trusts every named type reachable from {@code roots}; idempotent and thread-safe. */
    public static synchronized void trust(final Schema... roots) {
        final Set<String> names = new HashSet<>();
        for (final Schema s : roots) {
            collect(s, names);
        }
        names.removeAll(TRUSTED);
        if (names.isEmpty()) {
            return;
        }
        final ClassSecurityValidator.Builder builder = ClassSecurityValidator.builder();
        names.forEach(builder::add);
        ClassSecurityValidator.setGlobal(
                ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), builder.build()));
        TRUSTED.addAll(names);
    }

    private static void collect(final Schema s, final Set<String> names) {
        switch (s.getType()) {
            case RECORD:
                if (names.add(s.getFullName())) {
                    for (final Schema.Field f : s.getFields()) {
                        collect(f.schema(), names);
                    }
                }
                break;
            case ENUM:
            case FIXED:
                names.add(s.getFullName());
                break;
            case ARRAY:
                collect(s.getElementType(), names);
                break;
            case MAP:
                collect(s.getValueType(), names);
                break;
            case UNION:
                for (final Schema t : s.getTypes()) {
                    collect(t, names);
                }
                break;
            default:
                break;
        }
    }
}
