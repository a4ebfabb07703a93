package io.integrityauditor.suggest;

import java.time.Duration;
import java.util.List;

/**
 * How {@code suggest} looks for references.
 *
 * @param schemas schemas whose tables are examined, as children and as parents; empty means every
 *     schema of the catalog
 * @param sampleRows child rows read per candidate column; tables with fewer rows are read whole
 * @param minCoverage the share of distinct child values that must be found in a parent for the
 *     reference to be proposed (0 &lt; r &lt;= 1)
 * @param excludes glob patterns of columns that hold ids of other systems ({@code stripe_*}),
 *     matched against the column name, its snake_case form, and {@code table.column}
 * @param timeout statement timeout of each evidence query
 */
public record SuggestSettings(
    List<String> schemas,
    int sampleRows,
    double minCoverage,
    List<String> excludes,
    Duration timeout) {

  public static final int DEFAULT_SAMPLE_ROWS = 10_000;
  public static final double DEFAULT_MIN_COVERAGE = 0.9;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** Ids of payment providers, CRMs, identity providers and other systems are not references. */
  public static final List<String> DEFAULT_EXCLUDES =
      List.of(
          "external_*",
          "*_external_*",
          "ext_*",
          "*_ext_id",
          "remote_*",
          "*_remote_id",
          "legacy_*",
          "third_party_*",
          "stripe_*",
          "*_stripe_*",
          "paypal_*",
          "braintree_*",
          "adyen_*",
          "shopify_*",
          "salesforce_*",
          "hubspot_*",
          "zendesk_*",
          "intercom_*",
          "google_*",
          "facebook_*",
          "github_*",
          "gitlab_*",
          "slack_*",
          "twilio_*",
          "auth0_*",
          "okta_*",
          "firebase_*",
          "apple_*",
          "aws_*",
          // Auth.js / NextAuth's Account.providerAccountId: the OAuth provider's id of the account
          "provider_account_id",
          // migration tools' own bookkeeping (Liquibase, Flyway, Rails, Prisma, Django, Alembic):
          // its author, lockedby and version columns name no row of the application
          "databasechangelog.*",
          "databasechangeloglock.*",
          "flyway_schema_history.*",
          "schema_migrations.*",
          "ar_internal_metadata.*",
          "_prisma_migrations.*",
          "django_migrations.*",
          "alembic_version.*");

  public SuggestSettings {
    schemas = List.copyOf(schemas);
    excludes = List.copyOf(excludes);
  }

  /** The defaults: every schema, default sample, coverage, exclusions and timeout. */
  public static SuggestSettings defaults() {
    return new SuggestSettings(
        List.of(), DEFAULT_SAMPLE_ROWS, DEFAULT_MIN_COVERAGE, DEFAULT_EXCLUDES, DEFAULT_TIMEOUT);
  }
}
