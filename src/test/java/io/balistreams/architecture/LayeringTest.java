package io.balistreams.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering of docs/architecture.md §1, enforced: {@code cli → (streams, eval, local)},
 * {@code streams → (online, monitor, metrics, bali)}, {@code online → (monitor, metrics, bali)}; the method
 * and the offline drivers know nothing of Kafka, the service imports no offline or demo code, nothing
 * imports the command line, and no two packages depend on each other.
 */
class LayeringTest {
    private static final String ROOT = "io.balistreams";
    private static JavaClasses classes;

    @BeforeAll
    static void importProductionClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    private static void check(final ArchRule rule) {
        rule.check(classes);
    }

    @Test
    void theMethodTheMonitorTheMetricsTheOnlineLearnerAndTheEvaluationsImportNoKafka() {
        check(noClasses().that().resideInAnyPackage(ROOT + ".bali..", ROOT + ".monitor..", ROOT + ".metrics..",
                        ROOT + ".online..", ROOT + ".eval..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "kafka.."));
    }

    @Test
    void theEngineDependsOnNothingAboveIt() {
        check(noClasses().that().resideInAPackage(ROOT + ".bali..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".monitor..", ROOT + ".metrics..",
                        ROOT + ".online..", ROOT + ".eval..", ROOT + ".streams..", ROOT + ".local..", ROOT + ".cli.."));
    }

    @Test
    void theOnlineLearnerDependsOnlyOnTheLayersBelowIt() {
        check(noClasses().that().resideInAnyPackage(ROOT + ".online..", ROOT + ".monitor..", ROOT + ".metrics..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".eval..", ROOT + ".streams..",
                        ROOT + ".local..", ROOT + ".cli.."));
    }

    @Test
    void theServiceImportsNoOfflineDriverNoDemoCodeAndNoCommandLine() {
        check(noClasses().that().resideInAPackage(ROOT + ".streams..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".eval..", ROOT + ".local..", ROOT + ".cli.."));
    }

    @Test
    void theReportsAreDrawnByTheCommandLineAloneAndKnowNothingOfTheProject() {
        check(noClasses().that().resideInAPackage(ROOT + ".report..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".bali..", ROOT + ".monitor..",
                        ROOT + ".metrics..", ROOT + ".online..", ROOT + ".eval..", ROOT + ".streams..", ROOT + ".local..",
                        ROOT + ".cli.."));
        check(noClasses().that().resideOutsideOfPackages(ROOT + ".cli..", ROOT + ".report..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".report..", "org.jfree.."));
    }

    @Test
    void nothingImportsTheCommandLine() {
        check(noClasses().that().resideOutsideOfPackage(ROOT + ".cli..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".cli.."));
    }

    @Test
    void packagesHaveNoCycles() {
        check(slices().matching(ROOT + ".(*)..").should().beFreeOfCycles());
    }
}
