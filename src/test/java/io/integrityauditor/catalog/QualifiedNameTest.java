package io.integrityauditor.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QualifiedNameTest {
  @Test
  void a_trailing_control_character_is_rejected_not_trimmed_away() {
    // "orders\0" was audited as orders: trim() strips control characters too
    assertThatThrownBy(() -> QualifiedName.parse("orders\0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name contains a control character (U+0000); remove it");
    assertThatThrownBy(() -> QualifiedName.parse("public.orders\t"))
        .hasMessage("name contains a control character (U+0009); remove it");
    assertThatThrownBy(() -> QualifiedName.parse("\"orders\u001b\""))
        .hasMessage("name contains a control character (U+001B); remove it");
  }

  @Test
  void surrounding_spaces_of_an_unquoted_name_are_still_ignored() {
    assertThat(QualifiedName.parse(" public . orders "))
        .isEqualTo(QualifiedName.of("public", "orders"));
  }
}
