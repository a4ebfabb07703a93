package io.integrityauditor.suggest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a column's name says about the row it may point at.
 *
 * @param name the column name as stored
 * @param base the words naming the parent: {@code customer} in {@code customer_id}, {@code
 *     lead_user} in {@code lead_user_id}, {@code created_by} in {@code created_by}
 * @param keyWord the key word ({@code id}, {@code uuid}, {@code code}, ...), if the name has one
 * @param keyWordFirst the key word leads ({@code id_customer}, {@code fkCustomer})
 * @param shaped the name looks like a reference (a key word, or a {@code _by}/{@code _to} role)
 */
record ColumnName(
    String name,
    List<String> base,
    Optional<String> keyWord,
    boolean keyWordFirst,
    boolean shaped) {

  ColumnName {
    base = List.copyOf(base);
  }

  static ColumnName parse(String name) {
    List<String> words = Names.words(name);
    int n = words.size();
    if (n >= 2 && Names.KEY_WORDS.contains(words.get(n - 1))) {
      List<String> base = words.subList(0, n - 1);
      if (base.size() >= 2 && base.get(base.size() - 1).equals("ptr")) {
        // Django's multi-table inheritance: page_ptr_id is the parent model's row
        // (wagtailcore_page)
        base = base.subList(0, base.size() - 1);
      }
      return new ColumnName(name, base, Optional.of(words.get(n - 1)), false, true);
    }
    if (n >= 3 && Names.KEY_WORDS.contains(words.get(n - 2)) && Names.isMark(words.get(n - 1))) {
      // concept_id_1, concept_id_2 (OMOP): the key word, then a number or letter telling the two
      // references apart; the words before the key word name the parent
      return new ColumnName(
          name, words.subList(0, n - 2), Optional.of(words.get(n - 2)), false, true);
    }
    if (n >= 2 && (words.get(0).equals("id") || words.get(0).equals("fk"))) {
      return new ColumnName(name, words.subList(1, n), Optional.of(words.get(0)), true, true);
    }
    boolean role = n >= 2 && Names.ACTION_ENDINGS.contains(words.get(n - 1));
    return new ColumnName(name, words, Optional.empty(), false, role);
  }

  /** The key word means "the parent's identifier" (or there is none, as in {@code created_by}). */
  boolean identifies() {
    return keyWord.map(Names.ID_WORDS::contains).orElse(true);
  }

  /**
   * The doer of the action the name describes, as a noun: {@code ship_via} -> {@code shipper},
   * {@code approved_by} -> {@code approver}; several English forms, the tables decide.
   */
  List<List<String>> agents() {
    int n = base.size();
    if (n < 2 || !Names.ACTION_ENDINGS.contains(base.get(n - 1))) {
      return List.of();
    }
    String verb = base.get(n - 2);
    Set<String> nouns = new LinkedHashSet<>();
    for (String stem :
        new String[] {verb, verb.replaceFirst("e?d$", ""), verb.replaceFirst("d$", "")}) {
      nouns.addAll(Names.agentNouns(stem));
    }
    List<List<String>> agents = new ArrayList<>();
    for (String noun : nouns) {
      List<String> words = new ArrayList<>(base.subList(0, n - 2));
      words.add(noun);
      agents.add(List.copyOf(words));
    }
    return agents;
  }

  /** {@code created_by}, {@code assigned_to}, {@code approved_by_id} (not {@code ship_via}). */
  boolean actionRole() {
    String last = base.isEmpty() ? "" : base.get(base.size() - 1);
    return base.size() >= 2 && (last.equals("by") || last.equals("to"));
  }

  /**
   * The row's own table: {@code parent_id}, {@code replaced_by}, {@code in_reply_to_id}; unless a
   * person is named too ({@code previous_owner_id} is a person).
   */
  boolean selfRole() {
    if (!shaped) {
      // parent, previous: the word alone
      return base.size() == 1 && Names.SELF_WORDS.contains(base.get(0));
    }
    return base.stream().anyMatch(Names.SELF_WORDS::contains)
        && base.stream().noneMatch(Names.PERSON_WORDS::contains);
  }

  /**
   * A person: {@code author_id}, {@code created_by}, {@code reports_to}, a message's {@code
   * from_id} and {@code to_id}; without a key word, a person noun and at most a qualifier ({@code
   * owner}, {@code seconder_1}).
   */
  boolean personRole() {
    if (selfRole()) {
      return false;
    }
    if (!shaped) {
      List<String> plain = Names.withoutQualifiers(base);
      List<String> noun = plain.isEmpty() ? base : plain;
      return noun.size() == 1 && Names.PERSON_WORDS.contains(noun.get(0));
    }
    if (keyWord.isPresent() && base.size() == 1 && SENDER_RECIPIENT.contains(base.get(0))) {
      // a message's from_id and to_id: its sender and recipient
      return true;
    }
    for (int i = 0; i < base.size(); i++) {
      if (Names.PERSON_WORDS.contains(base.get(i))
          && !(i > 0 && Names.THING_COMPOUNDS.contains(List.of(base.get(i - 1), base.get(i))))) {
        return true;
      }
    }
    return actionRole();
  }

  private static final Set<String> SENDER_RECIPIENT = Set.of("from", "to");

  /** A person above or beside the row's own person: {@code manager_id}, {@code reports_to}. */
  boolean hierarchyRole() {
    return personRole() && base.stream().anyMatch(Names.HIERARCHY_WORDS::contains);
  }
}
