package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading names: words, singular forms, what a column name says, exclusion patterns. */
class NamesTest {

  @Test
  void words_split_snake_kebab_camel_and_pascal_case_with_acronyms() {
    assertThat(Names.words("parent_category_id")).containsExactly("parent", "category", "id");
    assertThat(Names.words("authorId")).containsExactly("author", "id");
    assertThat(Names.words("CustomerID")).containsExactly("customer", "id");
    assertThat(Names.words("HTTPRequestId")).containsExactly("http", "request", "id");
    assertThat(Names.words("order-items")).containsExactly("order", "items");
    assertThat(Names.words("address2")).containsExactly("address2");
    // unquoted names fold to lower case: a past participle glued to "by" is still a role
    assertThat(Names.words("recommendedby")).containsExactly("recommended", "by");
    assertThat(Names.words("WrittenBy")).containsExactly("written", "by");
    assertThat(Names.words("hobby")).containsExactly("hobby");
    assertThat(Names.words("lobby_id")).containsExactly("lobby", "id");
    assertThat(Names.snake("stripeCustomerId")).isEqualTo("stripe_customer_id");
  }

  @Test
  void singular_forms_cover_regular_and_irregular_plurals() {
    assertThat(Names.singulars("categories")).contains("category");
    assertThat(Names.singulars("addresses")).contains("address");
    assertThat(Names.singulars("statuses")).contains("status");
    assertThat(Names.singulars("boxes")).contains("box");
    assertThat(Names.singulars("people")).contains("person");
    assertThat(Names.singulars("salespeople")).contains("salesperson");
    assertThat(Names.singulars("analyses")).contains("analysis");
    assertThat(Names.singulars("movies")).contains("movie");
    assertThat(Names.singulars("status")).containsExactly("status");
    assertThat(Names.singulars("address")).containsExactly("address");
    assertThat(Names.singulars("staff")).containsExactly("staff");
  }

  @Test
  void names_that_differ_only_in_number_style_or_separators_are_the_same_thing() {
    assertThat(Names.sameThing(Names.words("order_items"), Names.words("OrderItem"))).isTrue();
    assertThat(Names.sameThing(Names.words("orderitems"), List.of("order", "item"))).isTrue();
    assertThat(Names.sameThing(Names.words("people"), List.of("person"))).isTrue();
    assertThat(Names.sameThing(Names.words("users"), List.of("user"))).isTrue();
    assertThat(Names.sameThing(Names.words("user_sessions"), List.of("session"))).isFalse();
  }

  @Test
  void a_column_name_gives_the_parent_words_and_the_key_word() {
    ColumnName customer = ColumnName.parse("customer_id");
    assertThat(customer.base()).containsExactly("customer");
    assertThat(customer.keyWord()).contains("id");
    assertThat(customer.shaped()).isTrue();

    ColumnName warehouse = ColumnName.parse("id_warehouse");
    assertThat(warehouse.base()).containsExactly("warehouse");
    assertThat(warehouse.keyWordFirst()).isTrue();

    ColumnName country = ColumnName.parse("country_code");
    assertThat(country.base()).containsExactly("country");
    assertThat(country.identifies()).isFalse();

    ColumnName sku = ColumnName.parse("sku");
    assertThat(sku.shaped()).isFalse();
    assertThat(sku.keyWord()).isEqualTo(Optional.empty());
  }

  @Test
  void qualifiers_that_tell_apart_several_references_to_one_table_are_dropped() {
    assertThat(Names.withoutQualifiers(List.of("site", "a"))).containsExactly("site");
    assertThat(Names.withoutQualifiers(List.of("contact", "primary"))).containsExactly("contact");
    assertThat(Names.withoutQualifiers(List.of("address2"))).containsExactly("address");
    assertThat(Names.withoutQualifiers(List.of("user", "2"))).containsExactly("user");
    assertThat(Names.withoutQualifiers(List.of("customer"))).isEmpty();
    assertThat(Names.withoutQualifiers(List.of("a"))).isEmpty();
  }

  @Test
  void role_names_point_at_people_or_at_the_rows_own_table() {
    assertThat(ColumnName.parse("created_by").personRole()).isTrue();
    assertThat(ColumnName.parse("recommendedby").personRole()).isTrue();
    assertThat(ColumnName.parse("approved_by_id").personRole()).isTrue();
    assertThat(ColumnName.parse("assigned_to").personRole()).isTrue();
    assertThat(ColumnName.parse("authorId").personRole()).isTrue();
    assertThat(ColumnName.parse("ReportsTo").hierarchyRole()).isTrue();
    assertThat(ColumnName.parse("manager_id").hierarchyRole()).isTrue();
    assertThat(ColumnName.parse("owner_id").hierarchyRole()).isFalse();
    assertThat(ColumnName.parse("parent_id").selfRole()).isTrue();
    assertThat(ColumnName.parse("replaced_by").selfRole()).isTrue();
    assertThat(ColumnName.parse("replaced_by").personRole()).isFalse();
    assertThat(ColumnName.parse("in_reply_to_id").selfRole()).isTrue();
    assertThat(ColumnName.parse("previous_owner_id").selfRole()).isFalse();
    assertThat(ColumnName.parse("previous_owner_id").personRole()).isTrue();
    assertThat(ColumnName.parse("customer_id").personRole()).isFalse();
  }

  @Test
  void the_audit_id_keeps_the_column_spelling_without_its_key_word() {
    assertThat(Names.withoutKeyWord("customer_id", ColumnName.parse("customer_id")))
        .isEqualTo("customer");
    assertThat(Names.withoutKeyWord("authorId", ColumnName.parse("authorId"))).isEqualTo("author");
    assertThat(Names.withoutKeyWord("CustomerID", ColumnName.parse("CustomerID")))
        .isEqualTo("Customer");
    assertThat(Names.withoutKeyWord("id_warehouse", ColumnName.parse("id_warehouse")))
        .isEqualTo("warehouse");
    assertThat(Names.withoutKeyWord("created_by", ColumnName.parse("created_by")))
        .isEqualTo("created_by");
  }

  @Test
  void exclusion_patterns_match_names_their_snake_case_and_qualified_names() {
    Exclusions exclusions =
        new Exclusions(List.of("stripe_*", "*_ext_id", "orders.legacy_?ef", "billing.*.crm_id"));
    assertThat(exclusions.match("public", "payments", "stripe_id")).contains("stripe_*");
    assertThat(exclusions.match("public", "payments", "stripeCustomerId")).contains("stripe_*");
    assertThat(exclusions.match("public", "payments", "STRIPE_ID")).contains("stripe_*");
    assertThat(exclusions.match("public", "users", "okta_ext_id")).contains("*_ext_id");
    assertThat(exclusions.match("public", "orders", "legacy_ref")).contains("orders.legacy_?ef");
    assertThat(exclusions.match("billing", "invoices", "crm_id")).contains("billing.*.crm_id");
    assertThat(exclusions.match("public", "invoices", "crm_id")).isEmpty();
    assertThat(exclusions.match("public", "orders", "customer_id")).isEmpty();
  }
}
