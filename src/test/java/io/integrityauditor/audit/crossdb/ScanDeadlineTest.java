package io.integrityauditor.audit.crossdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ScanDeadlineTest {

  @Test
  void a_scan_past_its_deadline_is_a_timeout_with_postgresqls_cancel_code_and_the_audits_timeout()
      throws Exception {
    // a 30 s scan whose end has just passed
    ScanDeadline deadline = new ScanDeadline(System.nanoTime() - 1, Duration.ofSeconds(30));

    assertThatThrownBy(deadline::check)
        .isInstanceOf(SQLTimeoutException.class)
        .hasMessage("the cross-database scan did not finish within the audit's timeout of 30 s")
        .extracting(e -> ((SQLTimeoutException) e).getSQLState())
        .isEqualTo("57014");
  }

  @Test
  void a_scan_within_its_deadline_goes_on() throws Exception {
    ScanDeadline deadline = ScanDeadline.after(Duration.ofHours(1));

    deadline.check();

    assertThat(deadline.timeout()).isEqualTo(Duration.ofHours(1));
  }
}
