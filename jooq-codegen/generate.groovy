// Generates jOOQ classes for the store schema during `generate-sources`.
//
// 1. start an embedded PostgreSQL (zonky, the same binaries the tests use)
// 2. apply src/main/resources/db/migration with Flyway, exactly as the worker does at start-up
// 3. run jOOQ's generator (settings in jooq-codegen.xml) into target/generated-sources/jooq
//
// The generated code is a build output: never edit or commit it. The step is skipped when the
// migrations and these settings have not changed since the last generation.
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres
import org.flywaydb.core.Flyway
import org.jooq.codegen.GenerationTool
import org.jooq.meta.jaxb.Jdbc

import java.security.MessageDigest

def basedir = project.basedir
def migrations = new File(basedir, 'src/main/resources/db/migration')
def settings = new File(basedir, 'jooq-codegen/jooq-codegen.xml')
def outDir = new File(project.properties['jooq.generated.dir'])
def stamp = new File(outDir, '.inputs-sha256')

def digest = MessageDigest.getInstance('SHA-256')
def inputs = [settings, new File(basedir, 'jooq-codegen/generate.groovy')] +
        (migrations.listFiles()?.findAll { it.name.endsWith('.sql') }?.sort { it.name } ?: [])
inputs.each { f ->
    digest.update(f.name.bytes)
    digest.update(f.bytes)
}
def hash = digest.digest().encodeHex().toString()
if (stamp.isFile() && stamp.text.trim() == hash) {
    log.info("jOOQ classes are up to date with ${inputs.size() - 2} migrations; skipping generation")
    return
}

log.info("Generating jOOQ classes from ${migrations} on an embedded PostgreSQL")
// Flyway logs every migration through java.util.logging; the build only needs its warnings.
// (Held in a variable: java.util.logging forgets the level of a logger nobody references.)
def flywayLogger = java.util.logging.Logger.getLogger('org.flywaydb')
flywayLogger.level = java.util.logging.Level.WARNING
def pg = EmbeddedPostgres.builder().start()
try {
    Flyway.configure(this.class.classLoader)
            .dataSource(pg.postgresDatabase)
            .schemas('integrity_auditor')
            .createSchemas(true)
            .locations("filesystem:${migrations.absolutePath}")
            .load()
            .migrate()

    def configuration = settings.withInputStream { GenerationTool.load(it) }
    configuration.withJdbc(new Jdbc()
            .withDriver('org.postgresql.Driver')
            .withUrl(pg.getJdbcUrl('postgres', 'postgres'))
            .withUser('postgres'))
    configuration.generator.target.withDirectory(outDir.absolutePath)
    outDir.deleteDir()
    GenerationTool.generate(configuration)
    stamp.text = hash
} finally {
    pg.close()
}
