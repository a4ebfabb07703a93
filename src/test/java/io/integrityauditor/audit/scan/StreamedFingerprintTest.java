package io.integrityauditor.audit.scan;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.Test;

/**
 * The scan computes each violating key's fingerprint from the key texts it streams (each key
 * converted to text once): it must be the very value {@link ViolationScan#fingerprint} computes
 * from the columns, which stored key sets, samples and scans across databases are built on.
 */
class StreamedFingerprintTest {
  /** Every fingerprint the scan sends to the store, in order. */
  private static final class Captured implements KeySink {
    final List<Long> fingerprints = new ArrayList<>();

    @Override
    public int cap() {
      return 1_000;
    }

    @Override
    public Part open(String part, KeyScheme scheme) {
      return new Part() {
        @Override
        public void add(long[] batch, long[] weights) {
          for (long fingerprint : batch) {
            fingerprints.add(fingerprint);
          }
        }

        @Override
        public void commit() {}

        @Override
        public void close() {}
      };
    }
  }

  @Test
  void
      streamed_fingerprints_equal_the_fingerprint_of_the_key_columns_with_awkward_texts_and_nulls() {
    TestPostgres.Database db = TestPostgres.newDatabase("streamed_fingerprint");
    db.execute(
        """
        CREATE TABLE child (code text, part text, n numeric, bad boolean);
        INSERT INTO child VALUES ('a,b', '{x}', 1.50, true), ('say "hi"', 'back\\slash', NULL, true),
          ('NULL', NULL, -2, true), ('', ' lead ', 0, true), ('}{', 'ünï', 3e5, true),
          (NULL, NULL, NULL, true), ('ok', 'ok', 1, false), ('ok', 'fine', 2, NULL);
        """);
    DSLContext context = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
    Map<String, Field<?>> keys = new LinkedHashMap<>();
    keys.put("code", DSL.field(DSL.name("t", "code"), SQLDataType.CLOB));
    keys.put("part", DSL.field(DSL.name("t", "part"), SQLDataType.CLOB));
    keys.put("n", DSL.field(DSL.name("t", "n"), SQLDataType.NUMERIC));
    ViolationScan scan = scanOfBadRows(keys);
    Captured sink = new Captured();

    ScanPartial partial =
        scan.scan(context, DSL.noCondition(), Long.MAX_VALUE, new Tracking(sink, Tracking.FULL));

    List<Long> expected =
        context
            .select(ViolationScan.fingerprint(List.copyOf(keys.values())))
            .from(DSL.table(DSL.name("child")).as("t"))
            .where(DSL.field(DSL.name("t", "bad"), Boolean.class).isTrue())
            .fetch(0, Long.class);
    assertThat(expected).hasSize(6).doesNotHaveDuplicates();
    assertThat(sink.fingerprints).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(partial.violations()).isEqualTo(6);
    assertThat(partial.rowsChecked()).isEqualTo(8);
    List<Long> smallest = expected.stream().sorted().limit(3).toList();
    assertThat(partial.sample().stream().map(ScanPartial.Candidate::fingerprint))
        .containsExactlyElementsOf(smallest);
  }

  @Test
  void a_scan_without_violations_sends_an_empty_key_set_and_still_counts_its_rows() {
    TestPostgres.Database db = TestPostgres.newDatabase("streamed_fingerprint_none");
    db.execute(
        "CREATE TABLE child (code text, bad boolean); INSERT INTO child VALUES ('a', false),"
            + " (NULL, NULL);");
    DSLContext context = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
    ViolationScan scan =
        scanOfBadRows(Map.of("code", DSL.field(DSL.name("t", "code"), SQLDataType.CLOB)));
    Captured sink = new Captured();

    ScanPartial partial =
        scan.scan(context, DSL.noCondition(), Long.MAX_VALUE, new Tracking(sink, Tracking.FULL));

    assertThat(sink.fingerprints).isEmpty();
    assertThat(partial.violations()).isZero();
    assertThat(partial.rowsChecked()).isEqualTo(2);
    assertThat(partial.sample()).isEmpty();
  }

  /**
   * A scan of table {@code child} as {@code t}, whose violating rows are those with {@code bad}.
   */
  private static ViolationScan scanOfBadRows(Map<String, Field<?>> keys) {
    return new ViolationScan(
        List.of("child"),
        DSL.table(DSL.name("child")).as("t"),
        DSL.noCondition(),
        DSL.condition(DSL.field(DSL.name("t", "bad"), Boolean.class)),
        keys,
        3,
        List.of());
  }
}
