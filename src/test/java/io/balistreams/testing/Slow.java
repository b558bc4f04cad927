package io.balistreams.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test that takes long: a Kafka broker inside the JVM, a child process, or a long run on real data.
 * {@code mvn test} (surefire) leaves it out so the inner loop stays under a minute; {@code mvn verify}
 * runs it (failsafe), so the README's test command still runs everything.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("slow")
public @interface Slow {
}
