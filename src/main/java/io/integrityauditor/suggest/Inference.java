package io.integrityauditor.suggest;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.ColumnType;
import io.integrityauditor.catalog.Constraint;
import io.integrityauditor.catalog.IndexInfo;
import io.integrityauditor.catalog.TableInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds candidate references by name and type alone, from the catalog (no query runs here): for
 * each column not covered by a foreign key, the tables its name points at and the unique key it
 * would reference there. Data evidence then decides between them (see {@link Evidence}).
 */
final class Inference {
  /** Evidence is measured for at most this many parents per column (bounded cost). */
  static final int MAX_CANDIDATES = 6;

  /**
   * Words too generic to find a table by the end of its name alone: {@code status_id} finds {@code
   * task_statuses} only from a table whose name shares a word with it ({@code tasks}).
   */
  private static final Set<String> GENERIC_WORDS =
      Set.of(
          "status",
          "type",
          "kind",
          "state",
          "category",
          "level",
          "group",
          "mode",
          "priority",
          "reason",
          "source",
          "tag",
          "step",
          "phase",
          "item",
          "line",
          "detail",
          "option",
          "value",
          "attribute");

  /**
   * Last words of a table that holds a variant of another table's rows: a raw import, an archive, a
   * history or staging copy ({@code release_raw} beside {@code release}).
   */
  private static final Set<String> VARIANT_WORDS =
      Set.of(
          "raw",
          "archive",
          "archived",
          "history",
          "staging",
          "tmp",
          "temp",
          "backup",
          "draft",
          "snapshot",
          "shadow");

  /** A column named just so, without a key word, counts something: no reference. */
  private static final Set<String> COUNTER_WORDS =
      Set.of("version", "revision", "sequence", "position", "count", "counter");

  /** Unique columns too generic to match by name alone ({@code SAME_KEY} tier). */
  private static final Set<String> GENERIC_KEYS =
      Set.of(
          "id",
          "uuid",
          "guid",
          "code",
          "name",
          "key",
          "slug",
          "email",
          "title",
          "number",
          "no",
          "handle",
          "username",
          "login",
          "token",
          "hash",
          "path",
          "url",
          "sequence",
          "position",
          "version",
          "label",
          "value",
          "type",
          "status",
          "sort_order",
          "external_id");

  /** A column of a table and the candidates of the strongest tier that has any. */
  record Group(Side column, ColumnName name, Tier tier, List<Candidate> candidates) {
    Group {
      candidates = List.copyOf(candidates);
    }
  }

  /** A declared foreign key, with its sides when the referenced table is readable. */
  record EnforcedKey(
      TableInfo child, Constraint constraint, Optional<Side> from, Optional<Side> to) {
    boolean typesDiffer() {
      if (from.isEmpty() || to.isEmpty()) {
        return false;
      }
      for (int i = 0; i < from.get().columns().size(); i++) {
        if (!from.get().columns().get(i).type().sameAs(to.get().columns().get(i).type())) {
          return true;
        }
      }
      return false;
    }
  }

  /** A reference-shaped column skipped because it matches an exclusion pattern. */
  record Excluded(Side column, String pattern) {}

  /** A column that looks like a reference but has no candidate, and why. */
  record Unmatched(Side column, String reason) {}

  /**
   * Rails' polymorphic reference: {@code id} ({@code record_id}) points at the table that {@code
   * type} ({@code record_type}) names on each row; which tables is read from the data.
   */
  record PolymorphicPair(Side id, ColumnInfo type, ColumnName name) {}

  static final String NO_TABLE = "no table with a unique key is named like it";

  /** Everything found by name. */
  record Inferred(
      List<Group> groups,
      List<EnforcedKey> enforced,
      List<Excluded> excluded,
      List<Unmatched> unmatched,
      List<PolymorphicPair> polymorphic) {
    Inferred {
      groups = List.copyOf(groups);
      enforced = List.copyOf(enforced);
      excluded = List.copyOf(excluded);
      unmatched = List.copyOf(unmatched);
      polymorphic = List.copyOf(polymorphic);
    }
  }

  /**
   * A table's name, read once: its words, the singular forms of the whole name, and of each proper
   * suffix by length ({@code workflow_stages} -> 1: {@code stage, stages}).
   */
  private record TableName(
      List<String> words,
      Set<String> forms,
      Map<Integer, Set<String>> suffixes,
      Set<String> wordForms) {
    static TableName of(TableInfo table) {
      List<String> words = Names.words(table.id().name());
      Map<Integer, Set<String>> suffixes = new HashMap<>();
      // a second version of a table keeps its number: ttrss_filters2 is known as filters too
      List<List<String>> spellings = new ArrayList<>();
      spellings.add(words);
      Matcher versioned = VERSIONED.matcher(words.get(words.size() - 1));
      if (versioned.matches()) {
        List<String> unversioned = new ArrayList<>(words.subList(0, words.size() - 1));
        unversioned.add(versioned.group(1));
        spellings.add(unversioned);
      }
      for (List<String> spelling : spellings) {
        for (int k = 1; k < spelling.size(); k++) {
          suffixes
              .computeIfAbsent(k, x -> new HashSet<>())
              .addAll(Names.forms(spelling.subList(spelling.size() - k, spelling.size())));
        }
      }
      int n = words.size();
      if (n >= 2 && Names.TABLE_SUFFIXES.contains(words.get(n - 1))) {
        // user_entity is known as user at the same tier as auth_user: by a part of its name
        List<String> stem = words.subList(0, n - 1);
        suffixes.computeIfAbsent(stem.size(), k -> new HashSet<>()).addAll(Names.forms(stem));
      }
      Set<String> wordForms = new HashSet<>();
      Set<String> forms = new HashSet<>();
      for (List<String> spelling : spellings) {
        spelling.forEach(w -> wordForms.addAll(Names.singulars(w)));
        forms.addAll(Names.forms(spelling));
      }
      return new TableName(words, forms, suffixes, wordForms);
    }
  }

  /** A word with a version number glued to it: {@code filters2}, {@code labels2}. */
  private static final Pattern VERSIONED = Pattern.compile("([a-z]{3,})[0-9]");

  private final Catalog catalog;
  private final List<TableInfo> tables;
  private final Exclusions exclusions;
  private final Map<TableInfo, TableName> names = new IdentityHashMap<>();

  /** Tables by each singular form of their whole name, and of the end of it by word count. */
  private final Map<String, List<TableInfo>> byName = new HashMap<>();

  private final Map<Integer, Map<String, List<TableInfo>>> byEnding = new HashMap<>();

  /**
   * Tables by their name without a structural suffix ({@link Names#TABLE_SUFFIXES}): {@code
   * airports_data} by {@code airport}, for names without a key word ({@code departure_airport}).
   */
  private final Map<String, List<TableInfo>> byStem = new HashMap<>();

  /** How many tables start with each first word: {@code auth} in {@code auth_group}, ... */
  private final Map<String, Integer> firstWords = new HashMap<>();

  /** Tables by the singular forms of their name without its last word: gpx_files by gpx. */
  private final Map<String, List<TableInfo>> byStart = new HashMap<>();

  private final List<TableInfo> personTables = new ArrayList<>();
  private final Map<TableInfo, List<List<String>>> keys = new IdentityHashMap<>();

  /** Tables by the (lower-case) name of their single-column unique keys, for the same-key tier. */
  private final Map<String, List<TableInfo>> uniqueColumns = new HashMap<>();

  /**
   * Tables by their name without the namespace that starts at least half of the tables' names:
   * {@code ttrss_feeds} by {@code feed}, {@code ttrss_filter_types} by {@code filter_type}.
   */
  private final Map<String, List<TableInfo>> byUnprefixed = new HashMap<>();

  Inference(Catalog catalog, SuggestSettings settings) {
    this.catalog = catalog;
    this.tables = selectedTables(catalog, settings.schemas());
    this.exclusions = new Exclusions(settings.excludes());
    for (TableInfo table : tables) {
      TableName name = TableName.of(table);
      names.put(table, name);
      for (String form : name.forms()) {
        byName.computeIfAbsent(form, k -> new ArrayList<>()).add(table);
      }
      name.suffixes()
          .forEach(
              (length, forms) ->
                  forms.forEach(
                      form ->
                          byEnding
                              .computeIfAbsent(length, k -> new HashMap<>())
                              .computeIfAbsent(form, k -> new ArrayList<>())
                              .add(table)));
      if (name.words().size() >= 2) {
        List<String> start = name.words().subList(0, name.words().size() - 1);
        for (String form : Names.forms(start)) {
          byStart.computeIfAbsent(form, k -> new ArrayList<>()).add(table);
          if (Names.TABLE_SUFFIXES.contains(name.words().get(name.words().size() - 1))) {
            byStem.computeIfAbsent(form, k -> new ArrayList<>()).add(table);
          }
        }
      }
      if (Names.personRank(name.words()) > 0) {
        personTables.add(table);
      }
      if (name.words().size() >= 2) {
        firstWords.merge(name.words().get(0), 1, Integer::sum);
      }
      keys.put(table, uniqueKeys(table));
      for (List<String> key : keys.get(table)) {
        if (key.size() == 1) {
          uniqueColumns.computeIfAbsent(lower(key.get(0)), k -> new ArrayList<>()).add(table);
        }
      }
    }
    for (TableInfo table : tables) {
      List<String> words = names.get(table).words();
      // the application's own namespace, on at least half of the tables (ttrss_ on all of Tiny
      // Tiny RSS's), not a family of a few tables (Keycloak's resource_policy, resource_scope)
      if (words.size() >= 2
          && namespace(words.get(0))
          && 2 * firstWords.get(words.get(0)) >= tables.size()) {
        List<String> rest = new ArrayList<>(words.subList(1, words.size()));
        Set<String> forms = new HashSet<>(Names.forms(rest));
        Matcher versioned = VERSIONED.matcher(rest.get(rest.size() - 1));
        if (versioned.matches()) {
          rest.set(rest.size() - 1, versioned.group(1));
          forms.addAll(Names.forms(rest));
        }
        forms.forEach(f -> byUnprefixed.computeIfAbsent(f, k -> new ArrayList<>()).add(table));
      }
    }
  }

  /**
   * The first word of at least three tables' names, naming none itself: {@code ttrss}, {@code
   * auth}.
   */
  private boolean namespace(String word) {
    return firstWords.getOrDefault(word, 0) >= 3 && named(List.of(word)).isEmpty();
  }

  /**
   * A table named by an application's namespace and one word: {@code auth_group}, {@code
   * res_partner}; the namespace starts the names of at least three tables and names none itself
   * (unlike {@code task} in {@code task_statuses} beside {@code tasks}).
   */
  private boolean namespaced(TableInfo table) {
    List<String> words = names.get(table).words();
    return words.size() == 2 && namespace(words.get(0));
  }

  /**
   * A generic key column name, however it is spelled: {@code id}, {@code NAME_} (Camunda's trailing
   * underscores), {@code sortOrder}.
   */
  private static boolean genericKey(String column) {
    return GENERIC_KEYS.contains(String.join("_", Names.words(column)));
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /**
   * Tables and partitioned tables of the selected schemas; partitions are part of their partitioned
   * table, views hold no data of their own, and names with control characters cannot be written
   * into an audit file.
   */
  static List<TableInfo> selectedTables(Catalog catalog, List<String> schemas) {
    return catalog.allTables().stream()
        .filter(
            t -> t.kind() == TableInfo.Kind.TABLE || t.kind() == TableInfo.Kind.PARTITIONED_TABLE)
        .filter(t -> !t.isPartition())
        .filter(
            t ->
                schemas.isEmpty()
                    || schemas.stream().anyMatch(s -> s.equalsIgnoreCase(t.id().schema())))
        .filter(t -> printable(t.id().schema()) && printable(t.id().name()))
        .toList();
  }

  private static boolean printable(String name) {
    return name.chars().noneMatch(Character::isISOControl);
  }

  Inferred run() {
    List<Group> groups = new ArrayList<>();
    List<EnforcedKey> enforced = new ArrayList<>();
    List<Excluded> excluded = new ArrayList<>();
    List<Unmatched> unmatched = new ArrayList<>();
    List<PolymorphicPair> polymorphic = new ArrayList<>();
    for (TableInfo table : tables) {
      Set<String> covered = new HashSet<>(inheritedColumns(table));
      for (Constraint fk : table.foreignKeys()) {
        covered.addAll(fk.columns());
        enforced.add(enforced(table, fk));
      }
      for (ColumnInfo column : table.columns()) {
        if (covered.contains(column.name()) || !printable(column.name())) {
          continue;
        }
        ColumnName name = unglued(ColumnName.parse(column.name()));
        Side side = new Side(table, List.of(column));
        Optional<String> pattern =
            exclusions.match(table.id().schema(), table.id().name(), column.name());
        if (pattern.isPresent()) {
          if (name.shaped()) {
            excluded.add(new Excluded(side, pattern.get()));
          }
          continue;
        }
        if (!eligible(column.type())) {
          if (name.shaped() && !namesItsOwnTable(table, name)) {
            // bytea ids (Temporal's namespace_id): listed, so no reference-shaped column is lost
            unmatched.add(
                new Unmatched(
                    side,
                    "stored as "
                        + column.type().baseName()
                        + ", not a type a single-column reference is compared as (integers,"
                        + " numerics, strings, uuids)"));
          }
          continue;
        }
        Optional<Group> extended = extension(table, column, name);
        if (extended.isPresent()) {
          groups.add(extended.get());
          continue;
        }
        if (isOwnKey(table, column, name)) {
          // a subtype keyed by its parent's name, without a key word: country_area.area -> area,
          // link_text_attribute_type.attribute_type -> link_attribute_type (names say so: data
          // then decides, as for any candidate)
          if (!name.shaped()) {
            bare(table, column, name).ifPresent(groups::add);
          }
          continue;
        }
        if (inCompositeOwnKey(table, column, name)) {
          unmatched.add(
              new Unmatched(
                  side,
                  "part of its own table's primary key and named after the table: the row's own"
                      + " identifier"));
          continue;
        }
        Optional<ColumnInfo> kind = polymorphicType(table, name);
        if (kind.isPresent()) {
          polymorphic.add(new PolymorphicPair(side, kind.get(), name));
          continue;
        }
        Optional<Group> group =
            subtype(table, column, name)
                .or(() -> numberedMember(table, column, name))
                .or(() -> letteredMember(table, column, name))
                .or(() -> group(table, column, name));
        if (group.isPresent()) {
          groups.add(group.get());
        } else if (letteredLinkTable(table)) {
          unmatched.add(
              new Unmatched(
                  side,
                  "a column A or B of a many-to-many table (Prisma's implicit _AToB: A points at"
                      + " the first table its name lists, B at the second), but the name does not"
                      + " list two tables with a single-column primary key (a relation named by"
                      + " hand, as @relation(\"Name\")): write the two audits by hand"));
        } else if (name.shaped()) {
          // every reference-shaped column is accounted for, a proposal or a reason: a reviewer
          // cannot tell a column the tool never looked at from one it found nothing for
          unmatched.add(
              new Unmatched(
                  side,
                  ownPrimaryKey(table, column)
                      ? "its own table's primary key: the row's own identifier"
                      : namesItsOwnTable(table, name)
                          ? "named after its own table: the row's own identifier or number, not"
                              + " a reference"
                          : whyNoCandidate(table, name)));
        }
      }
    }
    List<Group> found = withoutSecondHalves(carriedKeys(prefixedKeys(compositeKeys(groups))));
    Set<ColumnInfo> grouped = Collections.newSetFromMap(new IdentityHashMap<>());
    found.forEach(g -> grouped.addAll(g.candidates().get(0).child().columns()));
    unmatched.removeIf(u -> grouped.contains(u.column().columns().get(0)));
    return new Inferred(found, enforced, excluded, unmatched, polymorphic);
  }

  /**
   * A child that carries another table's whole composite primary key, by the same column names and
   * comparable types, references it: Quartz's {@code qrtz_simple_triggers(sched_name, trigger_name,
   * trigger_group)} -> {@code qrtz_triggers}, Temporal's {@code activity_info_maps (shard_id,
   * namespace_id, workflow_id, run_id, schedule_id)} -> {@code executions(shard_id, namespace_id,
   * workflow_id, run_id)}. No key word says so; the shared key does. Not for a key with a generic
   * column ({@code (tenant_id, id)} is every table's key in a multi-tenant schema). When the key
   * sits inside the child's own primary key, it must lead it, in order (a nested key: {@code
   * qrtz_triggers}' key holds {@code (sched_name, trigger_group)} of {@code
   * qrtz_paused_trigger_grps} but not as its start); when it is the child's whole key, the child
   * extends the parent by name ({@code qrtz_simple_triggers} of {@code qrtz_triggers}, not {@code
   * qrtz_cron_triggers}). A parent named like the child plus a word is a kind of the child, not its
   * parent ({@code current_executions} for {@code executions}). A key inside a larger one found for
   * the same child is that one seen partly; of several parents keyed alike, the one sharing most
   * words with the child, if only one does. A key made only of references to other tables is an
   * association's ({@code diary_entry_subscriptions(user_id, diary_entry_id)}): a table holding the
   * same pair does not point at it.
   */
  private List<Group> carriedKeys(List<Group> groups) {
    Set<String> known = new HashSet<>();
    groups.forEach(g -> g.candidates().forEach(c -> known.add(c.describe())));
    // columns found to reference another table: a key made only of them is an association's
    Map<TableInfo, Set<String>> references = new IdentityHashMap<>();
    for (Group g : groups) {
      for (Candidate c : g.candidates()) {
        if (c.parent().table() != c.child().table()) {
          c.child()
              .columns()
              .forEach(
                  x ->
                      references
                          .computeIfAbsent(c.child().table(), k -> new HashSet<>())
                          .add(x.name()));
        }
      }
    }
    List<Group> result = new ArrayList<>(groups);
    List<TableInfo> keyed =
        tables.stream()
            .filter(t -> t.primaryKey().map(pk -> pk.columns().size() >= 2).orElse(false))
            .toList();
    for (TableInfo child : keyed.isEmpty() ? List.<TableInfo>of() : tables) {
      Set<String> inherited = inheritedColumns(child);
      List<Candidate> found = new ArrayList<>();
      for (TableInfo parent : keyed) {
        if (parent != child) {
          carriedKey(child, parent, inherited).ifPresent(found::add);
        }
      }
      for (Candidate candidate : found) {
        Set<ColumnInfo> columns = new HashSet<>(candidate.child().columns());
        boolean inLarger =
            found.stream()
                .anyMatch(
                    o ->
                        o.child().columns().size() > columns.size()
                            && o.child().columns().containsAll(columns));
        List<Candidate> alike =
            found.stream().filter(o -> new HashSet<>(o.child().columns()).equals(columns)).toList();
        int best = alike.stream().mapToInt(Candidate::affinity).max().orElse(0);
        boolean chosen =
            alike.size() == 1
                || (candidate.affinity() == best
                    && alike.stream().filter(o -> o.affinity() == best).count() == 1);
        // diary_comments(user_id, diary_entry_id) is no reference to diary_entry_subscriptions,
        // whose key is two references: an association holds its pairs, not the other way round
        boolean association =
            references
                .getOrDefault(candidate.parent().table(), Set.of())
                .containsAll(candidate.parent().columnNames());
        if (inLarger || !chosen || association || !known.add(candidate.describe())) {
          continue;
        }
        ColumnInfo first = candidate.child().columns().get(0);
        result.add(
            new Group(
                new Side(child, List.of(first)),
                ColumnName.parse(first.name()),
                Tier.CARRIED_KEY,
                List.of(candidate)));
      }
    }
    return result;
  }

  /** The singular forms of the words of a table's name, without an application's namespace. */
  private Set<String> ownWords(TableInfo table) {
    Set<String> forms = new HashSet<>();
    for (String word : names.get(table).words()) {
      if (!namespace(word)) {
        forms.addAll(Names.singulars(word));
      }
    }
    return forms;
  }

  /** Whether {@code table} carries the whole composite primary key of {@code other} by name. */
  private boolean carriesKeyOf(TableInfo table, TableInfo other) {
    return table != other && carriedKey(table, other, inheritedColumns(table)).isPresent();
  }

  private Optional<Candidate> carriedKey(TableInfo child, TableInfo parent, Set<String> inherited) {
    List<String> key = parent.primaryKey().map(pk -> pk.columns()).orElse(List.of());
    if (key.size() < 2 || key.stream().anyMatch(Inference::genericKey)) {
      return Optional.empty();
    }
    List<ColumnInfo> childColumns = new ArrayList<>();
    List<ColumnInfo> parentColumns = new ArrayList<>();
    for (String part : key) {
      Optional<ColumnInfo> held = child.column(part);
      ColumnInfo parentColumn = parent.column(part).orElseThrow();
      if (held.isEmpty()
          || inherited.contains(held.get().name())
          || !held.get().type().comparableWith(parentColumn.type())) {
        return Optional.empty();
      }
      childColumns.add(held.get());
      parentColumns.add(parentColumn);
    }
    List<String> childWords = names.get(child).words();
    List<String> parentWords = names.get(parent).words();
    if (parentWords.size() > childWords.size()
        && parentWords
            .subList(parentWords.size() - childWords.size(), parentWords.size())
            .equals(childWords)) {
      return Optional.empty();
    }
    List<String> own = child.primaryKey().map(pk -> pk.columns()).orElse(List.of());
    List<String> held = childColumns.stream().map(ColumnInfo::name).toList();
    if (!own.containsAll(held)) {
      // held outside the child's own key: the names must say which table, by a word the child's
      // name shares with the parent's (current_executions, executions) or that a carried column
      // has of it (job_name, job_group of qrtz_job_details); an application's namespace says
      // nothing (ttrss_user_entries(owner_uid, ref_id) is no reference to ttrss_ai_summary_queue)
      Set<String> parentForms = ownWords(parent);
      boolean named =
          !Collections.disjoint(parentForms, ownWords(child))
              || held.stream()
                  .flatMap(h -> Names.words(h).stream())
                  .anyMatch(w -> !Collections.disjoint(Names.singulars(w), parentForms));
      if (!named) {
        return Optional.empty();
      }
    } else {
      boolean extendsByName =
          names.get(child).wordForms().containsAll(names.get(parent).wordForms())
              && childWords.size() > parentWords.size();
      boolean leads = own.size() > held.size() && own.subList(0, held.size()).equals(held);
      if (own.size() == held.size() ? !extendsByName : !leads) {
        return Optional.empty();
      }
    }
    if (coveredByForeignKey(child, childColumns)) {
      return Optional.empty();
    }
    return Optional.of(
        ranked(
            new Side(child, childColumns), new Side(parent, parentColumns), Tier.CARRIED_KEY, 0));
  }

  /**
   * The columns an {@code INHERITS} child has from its examined parent: the parent's audit reads
   * the child's rows too ({@code SELECT ... FROM favorites} includes {@code favorites_0} .. {@code
   * favorites_99}), so they are no candidates of their own (a hundred copies of each of the
   * parent's audits otherwise); the child's own columns are.
   */
  private Set<String> inheritedColumns(TableInfo table) {
    Optional<TableInfo> parent =
        table.inheritsFrom().flatMap(catalog::table).filter(tables::contains);
    if (parent.isEmpty()) {
      return Set.of();
    }
    Set<String> inherited = new HashSet<>();
    for (ColumnInfo column : table.columns()) {
      if (parent.get().column(column.name()).isPresent()) {
        inherited.add(column.name());
      }
    }
    return inherited;
  }

  /**
   * Schemas whose columns carry their table's short prefix ({@code useracct.u_id}, {@code
   * item.i_u_id}, {@code district.d_w_id} in TPC-C): a reference is the child's prefix followed by
   * the parent's key column name, {@code useracct.u_r_id} -> {@code region.r_id}. Each column of a
   * unique key of a prefixed parent is matched by a child column named {@code <child prefix>_<key
   * column>} ({@code ia_i_id} -> {@code i_id}), or, for a key column that is itself a reference
   * ({@code item.i_u_id}), by the child's column for the same thing ({@code ia_u_id}); at least one
   * by the full name. {@code item_attribute(ia_i_id, ia_u_id)} -> {@code item(i_id, i_u_id)},
   * {@code customer(c_w_id, c_d_id)} -> {@code district(d_w_id, d_id)}. A match inside a larger one
   * is the same reference seen partly ({@code new_order(no_w_id, no_d_id)} is in {@code (no_w_id,
   * no_d_id, no_o_id)} -> {@code oorder}) and is left out. These replace what the other tiers found
   * for the columns: the names say exactly which key.
   */
  private List<Group> prefixedKeys(List<Group> groups) {
    Map<TableInfo, String> prefixes = new IdentityHashMap<>();
    for (TableInfo table : tables) {
      // an abbreviation, not a word of the table's own name (tags.tag_name is ordinary naming),
      // unless it is one word of a longer name that every column carries: TPC-DS's
      // web_site(web_site_sk, web_open_date_sk, ...)
      columnPrefix(table)
          .filter(
              p ->
                  !names.get(table).wordForms().contains(p)
                      || (names.get(table).words().size() >= 2
                          && table.columns().stream()
                              .allMatch(c -> lower(c.name()).startsWith(p + "_"))))
          .ifPresent(p -> prefixes.put(table, p));
    }
    if (prefixes.size() < 2) {
      return groups;
    }
    Map<ColumnInfo, Group> replacing = new IdentityHashMap<>();
    Set<ColumnInfo> taken = Collections.newSetFromMap(new IdentityHashMap<>());
    for (TableInfo child : tables) {
      String prefix = prefixes.get(child);
      if (prefix == null) {
        continue;
      }
      Set<String> covered = new HashSet<>();
      child.foreignKeys().forEach(fk -> covered.addAll(fk.columns()));
      List<ColumnInfo> free =
          child.columns().stream()
              .filter(c -> !covered.contains(c.name()) && eligible(c.type()))
              .filter(
                  c -> exclusions.match(child.id().schema(), child.id().name(), c.name()).isEmpty())
              .toList();
      List<Candidate> found = new ArrayList<>();
      for (TableInfo parent : tables) {
        String parentPrefix = prefixes.get(parent);
        if (parent == child || parentPrefix == null || parentPrefix.equals(prefix)) {
          continue;
        }
        for (List<String> key : keys.get(parent)) {
          PrefixedPair pair = new PrefixedPair(child, prefix, free, parent, parentPrefix, key);
          List<Candidate> named = namedKeyReferences(pair);
          if (!named.isEmpty()) {
            found.addAll(named);
          } else {
            prefixedKey(pair).ifPresent(found::add);
          }
        }
      }
      // the largest first; one inside a larger one, or sharing its columns, is left out
      found.sort(Comparator.comparingInt((Candidate c) -> -c.child().columns().size()));
      List<Candidate> kept = new ArrayList<>();
      for (Candidate candidate : found) {
        boolean ambiguous =
            found.stream()
                .anyMatch(
                    o ->
                        o != candidate
                            && o.child().columns().equals(candidate.child().columns())
                            && o.parent().table() != candidate.parent().table());
        if (ambiguous
            || kept.stream()
                .anyMatch(
                    k -> !Collections.disjoint(k.child().columns(), candidate.child().columns()))) {
          continue;
        }
        kept.add(candidate);
      }
      for (Candidate candidate : kept) {
        ColumnInfo first = candidate.child().columns().get(0);
        replacing.put(
            first,
            new Group(
                new Side(child, List.of(first)),
                ColumnName.parse(first.name()),
                Tier.PREFIXED_KEY,
                List.of(candidate)));
        taken.addAll(candidate.child().columns());
      }
    }
    if (replacing.isEmpty()) {
      return groups;
    }
    List<Group> result = new ArrayList<>();
    for (Group group : groups) {
      boolean overlaps =
          group.candidates().stream()
              .flatMap(c -> c.child().columns().stream())
              .anyMatch(taken::contains);
      if (!overlaps && !taken.contains(group.column().columns().get(0))) {
        result.add(group);
      }
    }
    result.addAll(replacing.values());
    result.sort(
        Comparator.comparing((Group g) -> g.column().table().id())
            .thenComparingInt(
                g -> g.column().table().columns().indexOf(g.column().columns().get(0))));
    return result;
  }

  /**
   * A child and a parent, both with table prefixes ({@code ss_}, {@code d_}), and one of the
   * parent's keys: what the two prefixed-key rules look at.
   *
   * @param free the child's columns not in a declared foreign key and not excluded
   */
  private record PrefixedPair(
      TableInfo child,
      String prefix,
      List<ColumnInfo> free,
      TableInfo parent,
      String parentPrefix,
      List<String> key) {}

  private Optional<Candidate> prefixedKey(PrefixedPair pair) {
    List<ColumnInfo> childColumns = new ArrayList<>();
    List<ColumnInfo> parentColumns = new ArrayList<>();
    boolean anchored = false;
    for (String part : pair.key()) {
      String keyName = lower(part);
      if (!keyName.startsWith(pair.parentPrefix() + "_")) {
        return Optional.empty();
      }
      String keyRest = keyName.substring(pair.parentPrefix().length() + 1);
      ColumnInfo parentColumn = pair.parent().column(part).orElseThrow();
      ColumnInfo match = null;
      boolean full = false;
      for (ColumnInfo c : pair.free()) {
        String rest = unprefixed(c, pair.prefix());
        if (rest.equals(keyName) && !childColumns.contains(c)) {
          match = c;
          full = true;
          break;
        }
      }
      // TPC-H glues the key word to the table's name after each table's own prefix: customer's
      // c_nationkey -> nation.n_nationkey, orders' o_custkey -> customer.c_custkey; the rest
      // names the thing, unlike a bare id (c_id is customer's own key, not district's d_id)
      boolean namesTheThing = keyRest.contains("_") || gluedKeyName(keyRest);
      if (match == null && namesTheThing) {
        for (ColumnInfo c : pair.free()) {
          if (unprefixed(c, pair.prefix()).equals(keyRest) && !childColumns.contains(c)) {
            match = c;
            full = gluedKeyName(keyRest);
            break;
          }
        }
      }
      if (match == null || !match.type().comparableWith(parentColumn.type())) {
        return Optional.empty();
      }
      anchored |= full;
      childColumns.add(match);
      parentColumns.add(parentColumn);
    }
    if (!anchored) {
      return Optional.empty();
    }
    return Optional.of(
        ranked(
            new Side(pair.child(), childColumns),
            new Side(pair.parent(), parentColumns),
            Tier.PREFIXED_KEY,
            0));
  }

  /**
   * TPC-DS names a single-column key after the thing it identifies ({@code i_item_sk}, {@code
   * cd_demo_sk}, {@code ca_address_sk}), and each reference after its role and that thing, in the
   * child's prefix: {@code ss_item_sk}, {@code ss_sold_date_sk} -> {@code date_dim.d_date_sk},
   * {@code c_current_addr_sk} -> {@code customer_address.ca_address_sk} (the last word shortened),
   * {@code ws_bill_cdemo_sk} -> {@code customer_demographics.cd_demo_sk} (the parent's prefix glued
   * to its thing). Every such column of the child is a reference of its own; none when the key's
   * rest is a bare key word or a short reference of its own ({@code d_w_id}: TPC-C's composite keys
   * above).
   */
  private List<Candidate> namedKeyReferences(PrefixedPair pair) {
    if (pair.key().size() != 1) {
      return List.of();
    }
    String keyName = lower(pair.key().get(0));
    if (!keyName.startsWith(pair.parentPrefix() + "_")) {
      return List.of();
    }
    List<String> keyWords = Names.words(keyName.substring(pair.parentPrefix().length() + 1));
    int k = keyWords.size();
    if (k < 2
        || !Names.ID_WORDS.contains(keyWords.get(k - 1))
        || keyWords.get(0).length() < 3
        || !keyWords.get(0).chars().allMatch(Character::isLetter)) {
      return List.of();
    }
    List<String> thing = keyWords.subList(0, k - 1);
    ColumnInfo parentColumn = pair.parent().column(pair.key().get(0)).orElseThrow();
    List<String> own = pair.child().primaryKey().map(pk -> pk.columns()).orElse(List.of());
    List<Candidate> found = new ArrayList<>();
    for (ColumnInfo c : pair.free()) {
      String rest = unprefixed(c, pair.prefix());
      if (rest.isEmpty()
          || own.equals(List.of(c.name()))
          || !c.type().comparableWith(parentColumn.type())) {
        // the child's own single-column key is its identifier (customer_demographics.cd_demo_sk
        // is no household_demographics.hd_demo_sk)
        continue;
      }
      List<String> words = Names.words(rest);
      int n = words.size();
      if (n < k || !words.get(n - 1).equals(keyWords.get(k - 1))) {
        continue;
      }
      if (namesTheThing(words.subList(n - k, n - 1), thing, pair.parentPrefix())) {
        found.add(
            ranked(
                new Side(pair.child(), List.of(c)),
                new Side(pair.parent(), List.of(parentColumn)),
                Tier.PREFIXED_KEY,
                0));
      }
    }
    return found;
  }

  /**
   * The child's words name the parent key's thing: the same words, the last one shortened to at
   * least four letters ({@code addr} for {@code address}), or the first one glued to the parent's
   * prefix ({@code cdemo}: {@code cd} and {@code demo} sharing the {@code d}, {@code hdemo}).
   */
  private static boolean namesTheThing(List<String> words, List<String> thing, String prefix) {
    for (int i = 0; i < thing.size(); i++) {
      String w = words.get(i);
      String t = thing.get(i);
      boolean same = w.equals(t);
      boolean shortened = i == thing.size() - 1 && w.length() >= 4 && t.startsWith(w);
      boolean glued =
          i == 0
              && (w.equals(prefix + t)
                  || (prefix.length() >= 2
                      && t.charAt(0) == prefix.charAt(prefix.length() - 1)
                      && w.equals(prefix.substring(0, prefix.length() - 1) + t)));
      if (!same && !shortened && !glued) {
        return false;
      }
    }
    return true;
  }

  /**
   * A name with a key word glued to its end after a word of at least three letters: {@code
   * nationkey}, {@code custkey}, {@code orderid}; not a bare key word ({@code key}, {@code id}).
   */
  static boolean gluedKeyName(String name) {
    for (String keyWord : List.of("key", "id")) {
      if (name.endsWith(keyWord)
          && name.length() >= keyWord.length() + 3
          && name.chars().allMatch(Character::isLetter)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code ia_i_id} without the prefix {@code ia}: {@code i_id}; empty if it has no such prefix.
   */
  private static String unprefixed(ColumnInfo column, String prefix) {
    String name = lower(column.name());
    return name.startsWith(prefix + "_") ? name.substring(prefix.length() + 1) : "";
  }

  /**
   * The short prefix most of a table's columns start with ({@code ua} in {@code ua_id, ua_u_id,
   * ua_name}), at most four letters, on at least two thirds of its columns and on every column of
   * its primary key; none for ordinary tables ({@code project_id, project_name}: {@code project} is
   * longer).
   */
  private static Optional<String> columnPrefix(TableInfo table) {
    Map<String, Integer> counts = new HashMap<>();
    for (ColumnInfo column : table.columns()) {
      String name = lower(column.name());
      int cut = name.indexOf('_');
      if (cut > 0) {
        counts.merge(name.substring(0, cut), 1, Integer::sum);
      }
    }
    int n = table.columns().size();
    return counts.entrySet().stream()
        .filter(e -> e.getKey().length() <= 4 && e.getKey().chars().allMatch(Character::isLetter))
        .filter(e -> e.getValue() >= 2 && 3 * e.getValue() >= 2 * n)
        .filter(
            e ->
                table
                    .primaryKey()
                    .map(
                        pk ->
                            pk.columns().stream()
                                .allMatch(c -> lower(c).startsWith(e.getKey() + "_")))
                    .orElse(true))
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /**
   * {@code personphone.businessentityid} -> {@code person.businessentityid}: when several tables
   * are keyed by a single column of this column's (not generic) name, a supertype and its subtypes
   * ({@code businessentity}, {@code person}, {@code employee}, {@code salesperson}), the reference
   * points at the one the child's own name starts or ends with (the longest such name), not at the
   * root the column names. A child named after none of them keeps the usual tiers.
   */
  private Optional<Group> subtype(TableInfo child, ColumnInfo column, ColumnName name) {
    if (genericKey(column.name())) {
      return Optional.empty();
    }
    List<TableInfo> family = new ArrayList<>();
    for (TableInfo table : tables) {
      Optional<ColumnInfo> key =
          table
              .primaryKey()
              .filter(pk -> pk.columns().size() == 1)
              .flatMap(pk -> table.column(pk.columns().get(0)));
      if (key.isPresent()
          && key.get().name().equalsIgnoreCase(column.name())
          && key.get().type().comparableWith(column.type())) {
        family.add(table);
      }
    }
    if (family.size() < 2) {
      return Optional.empty();
    }
    String own = String.join("", names.get(child).words());
    TableInfo best = null;
    int longest = 0;
    for (TableInfo member : family) {
      if (member == child) {
        continue;
      }
      for (String form : names.get(member).forms()) {
        if (form.length() > longest
            && own.length() > form.length()
            && (own.startsWith(form) || own.endsWith(form))) {
          best = member;
          longest = form.length();
        }
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    ColumnInfo key = best.column(best.primaryKey().orElseThrow().columns().get(0)).orElseThrow();
    Candidate candidate =
        ranked(new Side(child, List.of(column)), new Side(best, List.of(key)), Tier.SUBTYPE, 0);
    return Optional.of(group(child, column, name, Tier.SUBTYPE, List.of(candidate)));
  }

  /**
   * {@code boarding_passes(ticket_no, flight_id)} -> {@code ticket_flights(ticket_no, flight_id)}:
   * two reference columns of a table that together hold the whole two-column primary key of an
   * association table, one named after the two tables its key columns point at ({@code ticket} +
   * {@code flights}, {@code specialoffer} + {@code product}), are one composite reference to it. It
   * replaces the two single-column references (the association's own references imply them). Not
   * for a variant of the association ({@code artist_tag_raw} holds the same references as {@code
   * artist_tag}), nor for another association of the same two tables (which one points at which is
   * not in the names).
   */
  private List<Group> compositeKeys(List<Group> groups) {
    Map<TableInfo, Map<String, Group>> byColumn = new IdentityHashMap<>();
    for (Group group : groups) {
      if (group.column().columns().size() == 1) {
        byColumn
            .computeIfAbsent(group.column().table(), k -> new HashMap<>())
            .put(group.column().columns().get(0).name(), group);
      }
    }
    Map<Group, Group> replaced = new IdentityHashMap<>();
    Set<Group> dropped = Collections.newSetFromMap(new IdentityHashMap<>());
    for (TableInfo child : tables) {
      Map<String, Group> columns = byColumn.getOrDefault(child, Map.of());
      if (columns.size() < 2) {
        continue;
      }
      List<Candidate> found = new ArrayList<>();
      for (TableInfo parent : tables) {
        compositeKey(child, columns, parent, byColumn).ifPresent(found::add);
      }
      if (found.size() != 1) {
        continue;
      }
      Candidate candidate = found.get(0);
      Group first = columns.get(candidate.child().columns().get(0).name());
      replaced.put(
          first, new Group(first.column(), first.name(), Tier.COMPOSITE_KEY, List.of(candidate)));
      dropped.add(columns.get(candidate.child().columns().get(1).name()));
    }
    List<Group> result = new ArrayList<>();
    for (Group group : groups) {
      if (!dropped.contains(group)) {
        result.add(replaced.getOrDefault(group, group));
      }
    }
    return result;
  }

  private Optional<Candidate> compositeKey(
      TableInfo child,
      Map<String, Group> columns,
      TableInfo parent,
      Map<TableInfo, Map<String, Group>> byColumn) {
    List<String> key = parent.primaryKey().map(pk -> pk.columns()).orElse(List.of());
    if (parent == child || key.size() != 2) {
      return Optional.empty();
    }
    List<ColumnInfo> childColumns = new ArrayList<>();
    List<ColumnInfo> parentColumns = new ArrayList<>();
    List<TableInfo> targets = new ArrayList<>();
    for (String part : key) {
      Group own = byColumn.getOrDefault(parent, Map.of()).get(part);
      Group held = columns.get(part);
      ColumnInfo parentColumn = parent.column(part).orElseThrow();
      if (own == null
          || own.candidates().isEmpty()
          || held == null
          || !held.column().columns().get(0).type().comparableWith(parentColumn.type())) {
        return Optional.empty();
      }
      childColumns.add(held.column().columns().get(0));
      parentColumns.add(parentColumn);
      targets.add(own.candidates().get(0).parent().table());
    }
    if (!namedAfter(parent, targets)) {
      return Optional.empty();
    }
    List<String> childWords = names.get(child).words();
    List<String> parentWords = names.get(parent).words();
    boolean variant =
        childWords.size() > parentWords.size()
            && childWords.subList(0, parentWords.size()).equals(parentWords)
            && childWords.subList(parentWords.size(), childWords.size()).stream()
                .anyMatch(VARIANT_WORDS::contains);
    if (variant || namedAfter(child, targets)) {
      return Optional.empty();
    }
    return Optional.of(
        ranked(
            new Side(child, childColumns), new Side(parent, parentColumns), Tier.COMPOSITE_KEY, 0));
  }

  /** {@code ticket_flights} is named after {@code tickets} and {@code flights}, in either order. */
  private boolean namedAfter(TableInfo table, List<TableInfo> targets) {
    if (targets.size() != 2 || targets.contains(table)) {
      return false;
    }
    Set<String> own = names.get(table).forms();
    Set<String> a = Names.forms(names.get(targets.get(0)).words());
    Set<String> b = Names.forms(names.get(targets.get(1)).words());
    for (String x : a) {
      for (String y : b) {
        if (own.contains(x + y) || own.contains(y + x)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Key words that end folded PascalCase names: {@code SalesPersonID} is stored {@code
   * salespersonid}.
   */
  private static final List<String> GLUED_KEY_WORDS = List.of("id", "uid", "code");

  /**
   * A name folded to one lower-case word, read as a table name and its key word when a table is
   * named so: {@code salespersonid} -> {@code salesperson} + {@code id}, {@code tocurrencycode} ->
   * {@code to currency} + {@code code}, {@code billtoaddressid} -> {@code billto address} + {@code
   * id} (a role prefix glued before a table's name, the longest name first). Unchanged otherwise:
   * {@code paid} or {@code postcode} name no table.
   */
  private ColumnName unglued(ColumnName name) {
    if (name.shaped() || name.base().size() != 1) {
      return name;
    }
    String word = name.base().get(0);
    for (String key : GLUED_KEY_WORDS) {
      if (!word.endsWith(key) || word.length() - key.length() < 3) {
        continue;
      }
      String stem = word.substring(0, word.length() - key.length());
      if (!named(List.of(stem)).isEmpty()) {
        return new ColumnName(name.name(), List.of(stem), Optional.of(key), false, true);
      }
      for (int i = 2; i <= stem.length() - 3; i++) {
        if (!named(List.of(stem.substring(i))).isEmpty()) {
          return new ColumnName(
              name.name(),
              List.of(stem.substring(0, i), stem.substring(i)),
              Optional.of(key),
              false,
              true);
        }
      }
    }
    return name;
  }

  private EnforcedKey enforced(TableInfo table, Constraint fk) {
    Optional<Side> from = side(table, fk.columns());
    Optional<Side> to =
        fk.referencedTable()
            .flatMap(catalog::table)
            .flatMap(parent -> side(parent, fk.referencedColumns()));
    return new EnforcedKey(table, fk, from, to);
  }

  private static Optional<Side> side(TableInfo table, List<String> columns) {
    List<ColumnInfo> found = new ArrayList<>();
    for (String name : columns) {
      Optional<ColumnInfo> column = table.column(name);
      if (column.isEmpty()) {
        return Optional.empty();
      }
      found.add(column.get());
    }
    return Optional.of(new Side(table, found));
  }

  /** Types a reference is stored as: integers, exact numbers, strings and uuids. */
  static boolean eligible(ColumnType type) {
    return type.isInteger()
        || type.baseName().equals("numeric")
        || type.isString()
        || type.baseName().equals("uuid");
  }

  /** {@code users.user_id} as the primary key of {@code users} is the key, not a reference. */
  private boolean isOwnKey(TableInfo table, ColumnInfo column, ColumnName name) {
    boolean primary =
        table
            .primaryKey()
            .map(pk -> pk.columns().size() == 1 && pk.columns().get(0).equals(column.name()))
            .orElse(false);
    return primary
        && (namesItsOwnTable(table, name)
            || namesItsOwnTableAfterPrefix(table, name)
            || abbreviatesItsOwnTable(table, name));
  }

  /**
   * {@code publishers.pub_id}, {@code departments.dept_no}: an abbreviation of the table's name.
   */
  private boolean abbreviatesItsOwnTable(TableInfo table, ColumnName name) {
    List<String> words = names.get(table).words();
    return name.shaped()
        && name.base().size() == 1
        && words.size() == 1
        && Names.abbreviates(name.base().get(0), words.get(0));
  }

  /**
   * TPC-DS's {@code catalog_page.cp_catalog_page_sk}: the table's name after the short prefix every
   * column of the table carries (not {@code web_page}'s {@code page} after a role {@code catalog}).
   */
  private boolean namesItsOwnTableAfterPrefix(TableInfo table, ColumnName name) {
    List<String> base = name.base();
    return base.size() >= 2
        && columnPrefix(table).filter(p -> p.equals(base.get(0))).isPresent()
        && sameName(table, base.subList(1, base.size()));
  }

  /**
   * Last words of a table that extends another one row for row, sharing its key: {@code
   * artist_meta}, {@code order_details} keyed like {@code orders}.
   */
  private static final Set<String> EXTENSION_WORDS =
      Set.of("meta", "metadata", "extra", "extension", "ext", "detail", "details", "info");

  /**
   * {@code artist_meta.id} -> {@code artist.id}: the single-column primary key of a table named
   * like another plus an extension word, with the same type as that table's primary key.
   */
  private Optional<Group> extension(TableInfo table, ColumnInfo column, ColumnName name) {
    List<String> words = names.get(table).words();
    boolean key =
        table.primaryKey().map(pk -> pk.columns().equals(List.of(column.name()))).orElse(false);
    if (key) {
      Optional<Group> counterpart = counterpart(table, column, name);
      if (counterpart.isPresent()) {
        return counterpart;
      }
    }
    if (!key || words.size() < 2 || !EXTENSION_WORDS.contains(words.get(words.size() - 1))) {
      return Optional.empty();
    }
    List<Candidate> parents = new ArrayList<>();
    for (TableInfo parent : named(words.subList(0, words.size() - 1))) {
      Optional<ColumnInfo> parentKey =
          parent
              .primaryKey()
              .filter(pk -> pk.columns().size() == 1)
              .flatMap(pk -> parent.column(pk.columns().get(0)));
      if (parent != table
          && parentKey.isPresent()
          && parentKey.get().type().sameAs(column.type())) {
        parents.add(
            ranked(
                new Side(table, List.of(column)),
                new Side(parent, List.of(parentKey.get())),
                Tier.EXTENSION,
                0));
      }
    }
    return parents.isEmpty()
        ? Optional.empty()
        : Optional.of(group(table, column, name, Tier.EXTENSION, parents));
  }

  /**
   * {@code public.users.id} -> {@code auth.users.id}: a table of the search path keyed like the one
   * table of the same name in a schema outside it (a platform's or another module's), by a
   * single-column primary key of the same name and type, extends that table row for row (Supabase's
   * profiles beside {@code auth.users}). Tables of the same name inside the search path, or in
   * several other schemas, say nothing about which extends which.
   */
  private Optional<Group> counterpart(TableInfo table, ColumnInfo column, ColumnName name) {
    List<String> searchPath = catalog.searchPath();
    if (!searchPath.contains(table.id().schema())) {
      return Optional.empty();
    }
    List<Candidate> found = new ArrayList<>();
    for (TableInfo other : tables) {
      if (other == table || !other.id().name().equalsIgnoreCase(table.id().name())) {
        continue;
      }
      if (searchPath.contains(other.id().schema())) {
        return Optional.empty();
      }
      Optional<ColumnInfo> otherKey =
          other
              .primaryKey()
              .filter(pk -> pk.columns().size() == 1)
              .flatMap(pk -> other.column(pk.columns().get(0)));
      if (otherKey.isPresent()
          && otherKey.get().name().equalsIgnoreCase(column.name())
          && otherKey.get().type().sameAs(column.type())) {
        found.add(
            ranked(
                new Side(table, List.of(column)),
                new Side(other, List.of(otherKey.get())),
                Tier.EXTENSION,
                0));
      }
    }
    return found.size() == 1
        ? Optional.of(group(table, column, name, Tier.EXTENSION, found))
        : Optional.empty();
  }

  /**
   * {@code nodes.node_id} in a primary key {@code (node_id, version)}: the row's own identifier (a
   * history table's), named after its own table. Only the whole name counts here: {@code
   * user_roles.role_id} in {@code (user_id, role_id)} points at {@code roles}.
   */
  private boolean inCompositeOwnKey(TableInfo table, ColumnInfo column, ColumnName name) {
    boolean inKey =
        table
            .primaryKey()
            .map(pk -> pk.columns().size() > 1 && pk.columns().contains(column.name()))
            .orElse(false);
    return inKey && name.shaped() && !name.base().isEmpty() && sameName(table, name.base());
  }

  /**
   * Rails' polymorphic references: {@code record_id} beside {@code record_type}, which names the
   * table of each row: a class name, so a string (an integer {@code filter_type} beside {@code
   * filter_id} is a reference of its own, to a table of types).
   */
  private static Optional<ColumnInfo> polymorphicType(TableInfo table, ColumnName name) {
    if (name.keyWord().isEmpty() || name.keyWordFirst() || name.base().isEmpty()) {
      return Optional.empty();
    }
    List<String> typeWords = new ArrayList<>(name.base());
    typeWords.add("type");
    return table.columns().stream()
        .filter(c -> Names.words(c.name()).equals(typeWords) && c.type().isString())
        .findFirst();
  }

  /**
   * The parent a polymorphic reference's type value names: a class name as Rails stores it ({@code
   * Post}, {@code BlogPost}, {@code Admin::User}) or a table name ({@code posts}), read as words
   * and found like a table name; a namespaced class falls back to its last part ({@code
   * Admin::User} -> {@code users} when there is no {@code admin_users}). Only a natively comparable
   * single-column primary key; empty when no table, or more than one, fits.
   */
  Optional<Candidate> polymorphicParent(PolymorphicPair pair, String typeValue) {
    List<String> parts = List.of(typeValue.split("::"));
    List<List<String>> tries = new ArrayList<>();
    tries.add(Names.words(String.join("_", parts)));
    if (parts.size() > 1) {
      tries.add(Names.words(parts.get(parts.size() - 1)));
    }
    TableInfo child = pair.id().table();
    ColumnInfo column = pair.id().columns().get(0);
    for (List<String> words : tries) {
      if (words.isEmpty()) {
        continue;
      }
      List<Candidate> found = new ArrayList<>();
      for (TableInfo parent : named(words)) {
        candidate(child, column, pair.name(), parent, Tier.POLYMORPHIC, 0)
            .filter(Inference::comparablePrimaryKey)
            .ifPresent(found::add);
      }
      if (!found.isEmpty()) {
        // one schema's table first, as for any reference
        found.sort(NAME_ORDER);
        return found.size() > 1 && found.get(1).schemaDistance() == found.get(0).schemaDistance()
            ? Optional.empty()
            : Optional.of(found.get(0));
      }
    }
    return Optional.empty();
  }

  /**
   * The name is the table's own ({@code payment.payment_id}), or the end of it ({@code
   * us_states.state_id}, {@code auth_user.user_id}), or has no words but the key word.
   */
  private boolean namesItsOwnTable(TableInfo table, ColumnName name) {
    Set<String> suffix = names.get(table).suffixes().get(name.base().size());
    return name.base().isEmpty()
        || sameName(table, name.base())
        || (suffix != null && !Collections.disjoint(suffix, Names.forms(name.base())));
  }

  /** A name ending in one digit: {@code entity0}, {@code member_2}. */
  private static final Pattern NUMBERED = Pattern.compile("(.*?)_?([0-9])");

  private static boolean ownPrimaryKey(TableInfo table, ColumnInfo column) {
    return table.primaryKey().filter(pk -> pk.columns().equals(List.of(column.name()))).isPresent();
  }

  /** Exactly two columns, {@code A} and {@code B}: Prisma's implicit many-to-many table. */
  private static boolean letteredLinkTable(TableInfo table) {
    return table.columns().stream()
        .map(c -> lower(c.name()))
        .sorted()
        .toList()
        .equals(List.of("a", "b"));
  }

  /**
   * {@code _CategoryToPost("A", "B")}: Prisma's implicit many-to-many table lists the two models it
   * links, joined by {@code To}, and names its columns by their place in the name: {@code A} ->
   * {@code Category}'s key, {@code B} -> {@code Post}'s. Only when exactly one split of the name at
   * a {@code to} names a table on each side.
   */
  private Optional<Group> letteredMember(TableInfo table, ColumnInfo column, ColumnName name) {
    if (!letteredLinkTable(table)) {
      return Optional.empty();
    }
    int place = lower(column.name()).equals("a") ? 0 : 1;
    List<String> words = names.get(table).words();
    List<List<TableInfo>> split = null;
    for (int i = 1; i + 1 < words.size(); i++) {
      if (!words.get(i).equals("to")) {
        continue;
      }
      List<TableInfo> first = named(words.subList(0, i));
      List<TableInfo> second = named(words.subList(i + 1, words.size()));
      if (first.isEmpty() || second.isEmpty()) {
        continue;
      }
      if (split != null) {
        return Optional.empty();
      }
      split = List.of(first, second);
    }
    if (split == null) {
      return Optional.empty();
    }
    return member(table, column, name, split.get(place), Tier.LETTERED_MEMBER);
  }

  /**
   * The group of a member column of a link table ({@link #letteredMember}, {@link
   * #numberedMember}): its candidates among the tables its place names, keyed by a primary key the
   * column can be compared with.
   */
  private Optional<Group> member(
      TableInfo table, ColumnInfo column, ColumnName name, List<TableInfo> named, Tier tier) {
    List<Candidate> parents = new ArrayList<>();
    for (TableInfo parent : named) {
      candidate(table, column, name, parent, tier, 0)
          .filter(Inference::comparablePrimaryKey)
          .ifPresent(parents::add);
    }
    return parents.isEmpty()
        ? Optional.empty()
        : Optional.of(group(table, column, name, tier, parents));
  }

  /**
   * {@code l_area_artist.entity0} -> {@code area}, {@code entity1} -> {@code artist}: a table with
   * n columns named alike but for their last digit, whose name ends in the names of exactly n
   * tables (after any leading words), points at those tables in that order. Only when the shared
   * stem names no table ({@code tag1}, {@code tag2} find {@code tag} by name) and the table's name
   * splits into tables in one way only.
   */
  private Optional<Group> numberedMember(TableInfo table, ColumnInfo column, ColumnName name) {
    Matcher own = NUMBERED.matcher(lower(column.name()));
    if (!own.matches() || own.group(1).isEmpty()) {
      return Optional.empty();
    }
    List<String> stem = Names.words(own.group(1));
    if (stem.isEmpty()
        || !named(stem).isEmpty()
        // concept_id_1 names its table itself (ColumnName reads the key word before the number)
        || Names.KEY_WORDS.contains(stem.get(stem.size() - 1))) {
      return Optional.empty();
    }
    List<Integer> numbers = new ArrayList<>();
    for (ColumnInfo other : table.columns()) {
      Matcher m = NUMBERED.matcher(lower(other.name()));
      if (m.matches() && Names.words(m.group(1)).equals(stem)) {
        numbers.add(Integer.parseInt(m.group(2)));
      }
    }
    Collections.sort(numbers);
    for (int i = 1; i < numbers.size(); i++) {
      if (numbers.get(i) != numbers.get(i - 1) + 1) {
        return Optional.empty();
      }
    }
    if (numbers.size() < 2) {
      return Optional.empty();
    }
    List<String> words = names.get(table).words();
    for (int start = 0; start < words.size(); start++) {
      List<List<List<String>>> splits = new ArrayList<>();
      splitIntoTables(
          words.subList(start, words.size()), numbers.size(), new ArrayList<>(), splits);
      if (splits.size() > 1) {
        return Optional.empty();
      }
      if (splits.size() == 1) {
        List<String> member = splits.get(0).get(numbers.indexOf(Integer.parseInt(own.group(2))));
        return member(table, column, name, named(member), Tier.NUMBERED_MEMBER);
      }
    }
    return Optional.empty();
  }

  /** Every way of reading {@code words} as exactly {@code n} table names, added to {@code out}. */
  private void splitIntoTables(
      List<String> words, int n, List<List<String>> prefix, List<List<List<String>>> out) {
    if (n == 0) {
      if (words.isEmpty()) {
        out.add(List.copyOf(prefix));
      }
      return;
    }
    for (int end = 1; end <= words.size() - (n - 1); end++) {
      List<String> part = words.subList(0, end);
      if (!named(part).isEmpty()) {
        prefix.add(List.copyOf(part));
        splitIntoTables(words.subList(end, words.size()), n - 1, prefix, out);
        prefix.remove(prefix.size() - 1);
      }
    }
  }

  /** Tables whose name is {@code words}, in any singular or plural form; in catalog order. */
  /**
   * The tables found by the words, else by the words glued into one ({@code proc def} -> {@code
   * procdef}), as a table's name may spell them.
   */
  private static List<TableInfo> orGlued(
      List<TableInfo> found,
      List<String> words,
      java.util.function.Function<List<String>, List<TableInfo>> lookUp) {
    if (!found.isEmpty() || words.size() < 2) {
      return found;
    }
    return lookUp.apply(List.of(String.join("", words)));
  }

  private List<TableInfo> named(List<String> words) {
    return lookUp(byName, words);
  }

  /** Tables whose name ends with {@code words} after at least one more word. */
  private List<TableInfo> endingIn(List<String> words) {
    return lookUp(byEnding.getOrDefault(words.size(), Map.of()), words);
  }

  private static List<TableInfo> lookUp(Map<String, List<TableInfo>> index, List<String> words) {
    Set<TableInfo> found = Collections.newSetFromMap(new IdentityHashMap<>());
    List<TableInfo> ordered = new ArrayList<>();
    for (String form : Names.forms(words)) {
      for (TableInfo table : index.getOrDefault(form, List.of())) {
        if (found.add(table)) {
          ordered.add(table);
        }
      }
    }
    ordered.sort(Comparator.comparing(TableInfo::id));
    return ordered;
  }

  /**
   * Why a reference-shaped column got no candidate: no table is named like it, or the table it
   * names is keyed by several columns the child does not all have ({@code executions.namespace_id}
   * names {@code namespaces}, keyed by {@code (partition_id, id)}).
   */
  private String whyNoCandidate(TableInfo child, ColumnName name) {
    for (TableInfo parent : named(name.base())) {
      if (parent == child) {
        continue;
      }
      for (List<String> key : keys.get(parent)) {
        List<String> missing = key.stream().filter(k -> child.column(k).isEmpty()).toList();
        if (key.size() >= 2 && !missing.isEmpty()) {
          return "names "
              + parent.id()
              + ", keyed by ("
              + String.join(", ", key)
              + "); this table has no "
              + String.join(", ", missing)
              + ": write the audit with the columns that pair with it";
        }
      }
    }
    return NO_TABLE;
  }

  private boolean sameName(TableInfo table, List<String> words) {
    return !Collections.disjoint(names.get(table).forms(), Names.forms(words));
  }

  /**
   * The column names the doer of the action its table records: {@code bans.banner_id}, {@code
   * reports.reporter_id}, {@code votes.voter_id}, {@code flags.flagger_id} (a person).
   */
  private boolean doerOfItsTable(TableInfo table, ColumnName name) {
    if (!name.shaped() || name.base().size() != 1 || !name.identifies()) {
      return false;
    }
    List<String> own = names.get(table).words();
    return Names.singulars(own.get(own.size() - 1)).stream()
        .anyMatch(action -> Names.agentNouns(action).contains(name.base().get(0)));
  }

  /** The candidates of the strongest tier that yields any, best first. */
  private Optional<Group> group(TableInfo child, ColumnInfo column, ColumnName name) {
    List<String> base = name.base();
    if (name.shaped() && !base.isEmpty()) {
      // proc_def_id_ -> act_re_procdef: the table's name glues the words the column separates
      List<Candidate> exact = new ArrayList<>();
      for (TableInfo parent : orGlued(named(base), base, this::named)) {
        if (parent != child) {
          candidate(child, column, name, parent, Tier.TABLE_NAME, 0).ifPresent(exact::add);
        }
      }
      if (!exact.isEmpty()) {
        return Optional.of(group(child, column, name, Tier.TABLE_NAME, exact));
      }
      // billing_address_id -> addresses; parent_task_id -> tasks (its own table)
      for (int i = 1; i < base.size(); i++) {
        List<String> rest = base.subList(i, base.size());
        if (rest.size() == 1 && Names.ACTION_ENDINGS.contains(rest.get(0))) {
          break;
        }
        List<Candidate> stripped = new ArrayList<>();
        for (TableInfo parent : named(rest)) {
          candidate(child, column, name, parent, Tier.ROLE_PREFIX, 0).ifPresent(stripped::add);
        }
        if (!stripped.isEmpty()) {
          return Optional.of(group(child, column, name, Tier.ROLE_PREFIX, stripped));
        }
      }
      // link_plans.site_a_id -> sites; address2_id -> addresses
      List<String> plain = Names.withoutQualifiers(base);
      if (!plain.isEmpty()) {
        List<Candidate> qualified = new ArrayList<>();
        for (TableInfo parent : named(plain)) {
          candidate(child, column, name, parent, Tier.QUALIFIED, 0).ifPresent(qualified::add);
        }
        if (!qualified.isEmpty()) {
          return Optional.of(group(child, column, name, Tier.QUALIFIED, qualified));
        }
      }
      // artist_gid_redirect.new_id -> artist: a bare qualifier points at the table the row's own
      // table is named after (the longest such name)
      if (base.size() == 1 && Names.QUALIFIERS.contains(base.get(0))) {
        List<String> own = names.get(child).words();
        for (int k = own.size() - 1; k >= 1; k--) {
          List<Candidate> owner = new ArrayList<>();
          for (TableInfo parent : named(own.subList(0, k))) {
            if (parent != child) {
              candidate(child, column, name, parent, Tier.OWNER_PREFIX, 0).ifPresent(owner::add);
            }
          }
          if (!owner.isEmpty()) {
            return Optional.of(group(child, column, name, Tier.OWNER_PREFIX, owner));
          }
        }
      }
      List<Candidate> suffixed = new ArrayList<>();
      boolean generic = base.size() == 1 && GENERIC_WORDS.contains(base.get(0));
      // pub_id -> publishers.pub_id, dept_no -> departments.dept_no, not pub_info or dept_emp,
      // whose names start or end with the word: the word abbreviates a one-word table's name whose
      // whole primary key is the column's very name (schemas that name each key after their table)
      if (!generic && base.size() == 1 && base.get(0).length() >= 2) {
        List<Candidate> abbreviated = new ArrayList<>();
        for (TableInfo parent : tables) {
          List<String> words = names.get(parent).words();
          if (parent != child
              && words.size() == 1
              && Names.abbreviates(base.get(0), words.get(0))
              && parent
                  .primaryKey()
                  .filter(pk -> pk.columns().size() == 1)
                  .filter(pk -> pk.columns().get(0).equalsIgnoreCase(column.name()))
                  .isPresent()) {
            candidate(child, column, name, parent, Tier.TABLE_PREFIX, 0)
                .ifPresent(abbreviated::add);
          }
        }
        if (!abbreviated.isEmpty()) {
          return Optional.of(group(child, column, name, Tier.TABLE_PREFIX, abbreviated));
        }
      }
      for (TableInfo parent : orGlued(endingIn(base), base, this::endingIn)) {
        if (parent != child) {
          candidate(child, column, name, parent, Tier.TABLE_SUFFIX, 0)
              // orders.status_id is not about task_statuses; tasks.status_id is; any table's
              // group_id is about auth_group (an application's namespace and the word alone)
              .filter(c -> !generic || c.affinity() > 0 || namespaced(c.parent().table()))
              .ifPresent(suffixed::add);
        }
      }
      // user_id -> user_entity, not federated_user: a table named exactly like the column plus a
      // structural suffix is that entity; another table merely ending in the word is a kind of it
      List<Candidate> entity =
          suffixed.stream().filter(c -> lookUp(byStem, base).contains(c.parent().table())).toList();
      if (!entity.isEmpty()
          && entity.stream().mapToInt(Candidate::schemaDistance).min().getAsInt()
              <= suffixed.stream().mapToInt(Candidate::schemaDistance).min().getAsInt()) {
        return Optional.of(group(child, column, name, Tier.TABLE_SUFFIX, entity));
      }
      // feed_id -> ttrss_feeds, not ttrss_archived_feeds: the table named by the column after
      // the application's namespace is the entity; the others are kinds of it
      List<Candidate> unprefixed =
          suffixed.stream()
              .filter(c -> lookUp(byUnprefixed, base).contains(c.parent().table()))
              .toList();
      if (!unprefixed.isEmpty()) {
        return Optional.of(group(child, column, name, Tier.TABLE_SUFFIX, unprefixed));
      }
      if (!suffixed.isEmpty()) {
        return Optional.of(group(child, column, name, Tier.TABLE_SUFFIX, suffixed));
      }
      // root_page_id -> wagtailcore_page, uploaded_by_user_id -> auth_user: the role prefix
      // before the end of a table's name (before the self and person roles: the column says which
      // table)
      for (int i = 1; i < base.size(); i++) {
        List<String> rest = base.subList(i, base.size());
        if (rest.size() == 1 && Names.ACTION_ENDINGS.contains(rest.get(0))) {
          break;
        }
        boolean genericRest = rest.size() == 1 && GENERIC_WORDS.contains(rest.get(0));
        List<Candidate> stripped = new ArrayList<>();
        // its own table too: act_ru_incident.cause_incident_id_ (as parent_task_id by its name)
        for (TableInfo parent : endingIn(rest)) {
          candidate(child, column, name, parent, Tier.ROLE_PREFIX_SUFFIX, 0)
              .filter(c -> !genericRest || c.affinity() > 0 || parent == child)
              .ifPresent(stripped::add);
        }
        // Synapse's refresh_tokens.next_token_id: a self word before the end of its own table's
        // name is the next of its own kind, not a row of access_tokens, whose name ends alike
        if (name.selfRole() && stripped.stream().anyMatch(c -> c.parent().table() == child)) {
          stripped.removeIf(c -> c.parent().table() != child);
        }
        if (!stripped.isEmpty()) {
          return Optional.of(group(child, column, name, Tier.ROLE_PREFIX_SUFFIX, stripped));
        }
      }
      // an abbreviated name: gpx_id -> gpx_files (not for a generic word: type_id is no
      // abbreviation of type_definitions; nor for a word that points back at its own table:
      // Philomena's images.duplicate_id is an image, not a row of duplicate_reports)
      boolean selfWordOnly = base.size() == 1 && Names.SELF_WORDS.contains(base.get(0));
      if (!generic && !selfWordOnly) {
        List<Candidate> prefixed = new ArrayList<>();
        for (TableInfo parent : lookUp(byStart, base)) {
          if (parent != child) {
            candidate(child, column, name, parent, Tier.TABLE_PREFIX, 0).ifPresent(prefixed::add);
          }
        }
        if (!prefixed.isEmpty()) {
          return Optional.of(group(child, column, name, Tier.TABLE_PREFIX, prefixed));
        }
      }
    }
    // ship_via -> shippers, approved_by -> approvers: the doer of the action, as a table
    List<Candidate> agents = new ArrayList<>();
    for (List<String> agent : name.agents()) {
      for (TableInfo parent : named(agent)) {
        if (parent != child) {
          candidate(child, column, name, parent, Tier.AGENT, 0).ifPresent(agents::add);
        }
      }
    }
    if (!agents.isEmpty()) {
      return Optional.of(group(child, column, name, Tier.AGENT, agents));
    }
    if (!name.shaped() && !base.isEmpty() && !Names.plural(base.get(base.size() - 1))) {
      Optional<Group> bare = bare(child, column, name);
      if (bare.isPresent()) {
        return bare;
      }
    }
    // without a key word (parent, seconder_1, owner), only a natively comparable primary key
    boolean bare = !name.shaped();
    if (name.selfRole() && (name.shaped() || bare)) {
      Optional<Candidate> group =
          name.base().equals(List.of("parent"))
              ? groupOf(child)
                  .flatMap(g -> candidate(child, column, name, g, Tier.GROUP, 0))
                  .filter(Inference::comparablePrimaryKey)
              : Optional.empty();
      if (group.isPresent()) {
        return Optional.of(group(child, column, name, Tier.GROUP, List.of(group.get())));
      }
      Optional<Candidate> self =
          candidate(child, column, name, child, Tier.SELF, 0)
              .filter(c -> !bare || comparablePrimaryKey(c));
      if (self.isPresent()) {
        return Optional.of(group(child, column, name, Tier.SELF, List.of(self.get())));
      }
    }
    if (name.personRole() || doerOfItsTable(child, name)) {
      List<Candidate> people = new ArrayList<>();
      // owner_uid, create_uid: the key word says "user id", so a table of users when there is one
      List<TableInfo> persons =
          name.keyWord().filter("uid"::equals).isPresent()
                  && personTables.stream().anyMatch(t -> names.get(t).wordForms().contains("user"))
              ? personTables.stream()
                  .filter(t -> names.get(t).wordForms().contains("user"))
                  .toList()
              : personTables;
      for (TableInfo parent : persons) {
        int rank = personRank(parent);
        if (parent == child) {
          rank = name.hierarchyRole() ? 0 : rank;
        }
        candidate(child, column, name, parent, Tier.PERSON, rank)
            .filter(c -> !bare || comparablePrimaryKey(c))
            .ifPresent(people::add);
      }
      if (!people.isEmpty()) {
        return Optional.of(group(child, column, name, Tier.PERSON, people));
      }
    }
    List<Candidate> sameKey = sameKey(child, column);
    if (sameKey.isEmpty()) {
      sameKey = sameKeyAfterRole(child, column, name);
    }
    if (!sameKey.isEmpty()) {
      return Optional.of(group(child, column, name, Tier.SAME_KEY, sameKey));
    }
    return Optional.empty();
  }

  /**
   * A unique column's (not generic) name after role words: USDA's {@code nut_data.ref_ndb_no} ->
   * {@code food_desc.ndb_no} (the food a missing value was computed from), as {@code
   * billing_address_id} is an address.
   */
  private List<Candidate> sameKeyAfterRole(TableInfo child, ColumnInfo column, ColumnName name) {
    List<Candidate> found = new ArrayList<>();
    if (!name.shaped() || name.keyWord().isEmpty() || name.keyWordFirst()) {
      return found;
    }
    List<String> base = name.base();
    for (int i = 1; i < base.size() && found.isEmpty(); i++) {
      String rest = String.join("_", base.subList(i, base.size())) + "_" + name.keyWord().get();
      if (genericKey(rest) || base.get(i).length() < 3) {
        // a letter is another table's prefix (TPC-C's ol_supply_w_id is a stock's warehouse, in
        // a composite reference), not the name of a thing
        continue;
      }
      for (TableInfo parent : uniqueColumns.getOrDefault(rest, List.of())) {
        parent.columns().stream()
            .filter(c -> lower(c.name()).equals(rest))
            .findFirst()
            .map(
                key ->
                    ranked(
                        new Side(child, List.of(column)),
                        new Side(parent, List.of(key)),
                        Tier.SAME_KEY,
                        0))
            .filter(Candidate::comparable)
            .ifPresent(found::add);
      }
    }
    return found;
  }

  /**
   * Other tables with a unique column of this column's (not generic) name: {@code order_items.sku}
   * -> {@code products.sku}; none when the column is unique in its own table (its own identifier).
   */
  private List<Candidate> sameKey(TableInfo child, ColumnInfo column) {
    List<Candidate> sameKey = new ArrayList<>();
    if (genericKey(column.name()) || child.isUniqueOn(List.of(column.name()))) {
      return sameKey;
    }
    if (everyRowHas(column.name())) {
      // AdventureWorks' rowguid: on most tables, unique in one (production.document); a column of
      // every row, not a reference to that one table
      return sameKey;
    }
    for (TableInfo parent : uniqueColumns.getOrDefault(lower(column.name()), List.of())) {
      if (parent == child) {
        continue;
      }
      ColumnInfo key =
          parent.columns().stream()
              .filter(c -> c.name().equalsIgnoreCase(column.name()))
              .findFirst()
              .orElseThrow();
      Candidate same =
          ranked(
              new Side(child, List.of(column)), new Side(parent, List.of(key)), Tier.SAME_KEY, 0);
      if (same.comparable()) {
        sameKey.add(same);
      }
    }
    return sameKey;
  }

  /** Tables that have a column of each (lower-case) name. */
  private Map<String, Integer> columnCounts;

  /**
   * The name is a column of at least five tables while unique in at most one of them, and not as
   * its primary key: a column of every row ({@code rowguid}), not a natural key.
   */
  private boolean everyRowHas(String column) {
    if (columnCounts == null) {
      columnCounts = new HashMap<>();
      for (TableInfo table : tables) {
        table.columns().forEach(c -> columnCounts.merge(lower(c.name()), 1, Integer::sum));
      }
    }
    List<TableInfo> unique = uniqueColumns.getOrDefault(lower(column), List.of());
    return columnCounts.getOrDefault(lower(column), 0) >= 5
        && unique.size() <= 1
        && unique.stream()
            .noneMatch(
                t ->
                    t.primaryKey()
                        .map(
                            pk ->
                                pk.columns().size() == 1
                                    && pk.columns().get(0).equalsIgnoreCase(column))
                        .orElse(false));
  }

  /**
   * A column named like a table without a key word: {@code keycloak_role.client} -> {@code
   * client.id}; after the row's own table name ({@code area.type} -> {@code area_type}); after a
   * role prefix ({@code begin_area} -> {@code area}); before a qualifier ({@code area_2}); after
   * the start of the row's own table name ({@code editor_collection_area.collection} -> {@code
   * editor_collection}). Only natively comparable primary keys, so a country name in {@code
   * country} is not measured against a table of country codes.
   */
  private Optional<Group> bare(TableInfo child, ColumnInfo column, ColumnName name) {
    List<String> base = name.base();
    if (base.size() == 1 && COUNTER_WORDS.contains(base.get(0))) {
      // notes.version is the note's version number, not a row of note_versions
      return Optional.empty();
    }
    List<List<String>> tries = new ArrayList<>();
    tries.add(base);
    List<String> own = names.get(child).words();
    for (String singular : Names.singulars(own.get(own.size() - 1))) {
      List<String> prefixed = new ArrayList<>(own.subList(0, own.size() - 1));
      prefixed.add(singular);
      prefixed.addAll(base);
      tries.add(prefixed);
    }
    if (base.size() == 2 && !Names.plural(base.get(0))) {
      // one role word: begin_area, end_area (not units_on_order: a quantity, not an order)
      tries.add(base.subList(1, 2));
    }
    List<String> plain = Names.withoutQualifiers(base);
    if (!plain.isEmpty()) {
      tries.add(plain);
    }
    // tables of one family share the start of their names: editor_collection_area.collection ->
    // editor_collection, link_attribute.attribute_type -> link_attribute_type (longest start first)
    for (int k = own.size() - 1; k >= 1; k--) {
      List<String> family = new ArrayList<>(own.subList(0, k));
      family.addAll(base);
      tries.add(family);
    }
    // tables that are variants of others (cdtoc_raw, release_raw) point at the same variant:
    // cdtoc_raw.release -> release_raw, measured with release (shared words rank it first; data
    // still decides between the two); not when the column names the table the row is about
    // (release_tag_raw.release: raw tags of a release)
    String variant = own.get(own.size() - 1);
    List<String> sibling = new ArrayList<>(base);
    sibling.add(variant);
    List<String> about = own.subList(0, own.size() - 1);
    boolean ofVariant =
        own.size() >= 2
            && VARIANT_WORDS.contains(variant)
            && !base.contains(variant)
            && !(about.size() >= base.size()
                && Names.sameThing(about.subList(0, base.size()), base));
    for (List<String> words : tries) {
      List<Candidate> bare = new ArrayList<>();
      List<TableInfo> parents = new ArrayList<>(named(words));
      if (parents.isEmpty()) {
        // flights.departure_airport -> airports_data: the table's name without its suffix
        parents.addAll(lookUp(byStem, words));
      }
      if (parents.isEmpty()) {
        // ttrss_filters2_rules.filter_type -> ttrss_filter_types: without the namespace
        parents.addAll(lookUp(byUnprefixed, words));
      }
      if (words == base && ofVariant) {
        parents.addAll(named(sibling));
      }
      for (TableInfo parent : parents) {
        if (parent != child) {
          candidate(child, column, name, parent, Tier.BARE_NAME, 0)
              .filter(Inference::comparablePrimaryKey)
              .ifPresent(bare::add);
        }
      }
      if (!bare.isEmpty()) {
        // side tables keyed by the same name are measured too, so the file shows the entity won
        // on evidence; it wins by tier even when a side table still has rows it lost
        bare.addAll(sameKey(child, column));
        return Optional.of(group(child, column, name, Tier.BARE_NAME, bare));
      }
    }
    return Optional.empty();
  }

  private static boolean comparablePrimaryKey(Candidate c) {
    return c.comparable()
        && c.parent()
            .table()
            .primaryKey()
            .map(pk -> pk.columns().equals(c.parent().columnNames()))
            .orElse(false);
  }

  private Group group(
      TableInfo child, ColumnInfo column, ColumnName name, Tier tier, List<Candidate> found) {
    List<Candidate> sorted = found.stream().sorted(NAME_ORDER).limit(MAX_CANDIDATES).toList();
    return new Group(new Side(child, List.of(column)), name, tier, sorted);
  }

  /**
   * Naming strength: the tier (a group mixes two only when a table named like the column competes
   * with side tables), same schema, shared words, person rank, then by name.
   */
  static final Comparator<Candidate> NAME_ORDER =
      Comparator.comparing(Candidate::tier)
          .thenComparingInt(Candidate::schemaDistance)
          .thenComparing(Comparator.comparingInt(Candidate::affinity).reversed())
          .thenComparingInt(Candidate::rank)
          .thenComparing(c -> c.parent().table().id())
          .thenComparing(c -> c.parent().columnNames().toString());

  /**
   * The position of a table among person tables, from 2; -1 when it does not hold people. A table
   * named by the person word alone ({@code editor}) ranks just above one whose name merely ends in
   * it ({@code editor_subscribe_editor}, a table about people, not of them).
   */
  private int personRank(TableInfo table) {
    List<String> words = names.get(table).words();
    int rank = Names.personRank(words);
    return rank < 0 ? rank : 2 * rank + (words.size() > 1 ? 1 : 0);
  }

  /**
   * The key of {@code parent} that {@code column} would reference: a unique column named like the
   * child column, or like its key word, or {@code <table>_<key word>}, or (for id-like names) the
   * primary key. A comparable type is preferred; an incomparable one is kept so it can be reported
   * as a type-alignment finding. When the key column is unique only together with other columns
   * that the child also has by name ({@code (tenant_id, id)}), the reference is composite.
   */
  private Optional<Candidate> candidate(
      TableInfo child, ColumnInfo column, ColumnName name, TableInfo parent, Tier tier, int rank) {
    return keyOf(child, column, name, parent, tier, rank)
        .filter(c -> !PART_OF_NAME.contains(tier) || !holdsTheSameReference(c, column))
        // executions.next_event_id is no reference to buffered_events, which carries the whole
        // key of executions: that table is the child's child
        .filter(c -> !PART_OF_NAME.contains(tier) || !carriesKeyOf(parent, child));
  }

  /**
   * The table of the child's schema named like the child plus "group" ({@code
   * guacamole_connection_group} for {@code guacamole_connection}): a row of a tree of groups hangs
   * from a group, not from a row of its own kind.
   */
  private Optional<TableInfo> groupOf(TableInfo child) {
    List<String> words = names.get(child).words();
    return tables.stream()
        .filter(t -> t != child && t.id().schema().equals(child.id().schema()))
        .filter(
            t -> {
              List<String> other = names.get(t).words();
              return other.size() == words.size() + 1
                  && other.subList(0, words.size()).equals(words)
                  && Names.singulars(other.get(words.size())).contains("group");
            })
        .findFirst();
  }

  /** Tiers that find a table by a part of its name only. */
  private static final Set<Tier> PART_OF_NAME =
      Set.of(Tier.TABLE_SUFFIX, Tier.ROLE_PREFIX_SUFFIX, Tier.TABLE_PREFIX);

  /**
   * The parent, found by a part of its name, has a column of the child column's name outside the
   * key it would reference: a sibling holding the same reference, not its target. {@code group_id}
   * points at {@code auth_group}, not at the join tables {@code auth_user_groups(id, user_id,
   * group_id)} or {@code ..._restriction_groups} whose names end in "groups" too (a composite key
   * that includes the column is the target itself). Not for a table named like the column or a
   * person role: {@code res_users} has its own {@code create_uid}, as every Odoo table does.
   */
  private static boolean holdsTheSameReference(Candidate candidate, ColumnInfo column) {
    TableInfo parent = candidate.parent().table();
    if (parent == candidate.child().table()) {
      return false;
    }
    return parent.columns().stream()
        .anyMatch(
            c ->
                c.name().equalsIgnoreCase(column.name())
                    && candidate.parent().columnNames().stream()
                        .noneMatch(k -> k.equalsIgnoreCase(c.name())));
  }

  private Optional<Candidate> keyOf(
      TableInfo child, ColumnInfo column, ColumnName name, TableInfo parent, Tier tier, int rank) {
    List<List<String>> keys = this.keys.get(parent);
    if (keys.isEmpty()) {
      return Optional.empty();
    }
    List<String> preferred = new ArrayList<>(preferredKeyColumns(column, name, parent));
    // Synapse's users has no primary key, only a unique name (@alice:example.org): an id-like
    // name (room_memberships.user_id) points at a table's one single-column unique key when the
    // table has no primary key to prefer
    List<List<String>> singleKeys = keys.stream().filter(k -> k.size() == 1).toList();
    if (name.identifies() && parent.primaryKey().isEmpty() && singleKeys.size() == 1) {
      String only = singleKeys.get(0).get(0);
      if (!preferred.contains(only)) {
        preferred.add(only);
      }
    }
    Side childSide = new Side(child, List.of(column));
    List<Candidate> singles = new ArrayList<>();
    for (String key : preferred) {
      if (keys.contains(List.of(key)) && !(parent == child && key.equals(column.name()))) {
        Side parentSide = new Side(parent, List.of(parent.column(key).orElseThrow()));
        singles.add(ranked(childSide, parentSide, tier, rank));
      }
    }
    if (name.identifies()) {
      // a uuid reference to a table keyed by bigint may mean its unique uuid column
      for (List<String> key : keys) {
        ColumnInfo keyColumn = parent.column(key.get(0)).orElseThrow();
        if (key.size() == 1
            && keyColumn.type().sameAs(column.type())
            && !(parent == child && keyColumn.name().equals(column.name()))
            && lower(keyColumn.name()).endsWith("id")) {
          singles.add(ranked(childSide, new Side(parent, List.of(keyColumn)), tier, rank));
        }
      }
    }
    for (Candidate single : singles) {
      if (single.comparable()) {
        return Optional.of(single);
      }
    }
    Optional<Candidate> composite =
        composite(child, column, name, preferred, parent, keys, tier, rank);
    if (composite.isPresent()) {
      return composite;
    }
    return singles.stream().findFirst();
  }

  /** Column names of {@code parent} the reference may point at, most likely first. */
  private static List<String> preferredKeyColumns(
      ColumnInfo column, ColumnName name, TableInfo parent) {
    Set<String> preferred = new LinkedHashSet<>();
    List<String> parentWords = Names.words(parent.id().name());
    for (ColumnInfo candidate : parent.columns()) {
      if (candidate.name().equalsIgnoreCase(column.name())) {
        preferred.add(candidate.name());
      }
    }
    // order_date_key -> dim_date.date_key, parent_account_key -> dim_account.account_key: the
    // parent's key is named like the column without its role words
    if (name.keyWord().isPresent() && !name.keyWordFirst()) {
      List<String> words = Names.words(column.name());
      for (int i = 1; i + 2 <= words.size(); i++) {
        List<String> tail = words.subList(i, words.size());
        for (ColumnInfo candidate : parent.columns()) {
          if (Names.words(candidate.name()).equals(tail)) {
            preferred.add(candidate.name());
          }
        }
      }
    }
    Optional<String> keyWord = name.keyWord().or(() -> Optional.of("id"));
    String unabbreviated = Names.KEY_WORD_ABBREVIATIONS.getOrDefault(keyWord.get(), keyWord.get());
    for (ColumnInfo candidate : parent.columns()) {
      List<String> words = Names.words(candidate.name());
      if (words.equals(List.of(keyWord.get())) || words.equals(List.of(unabbreviated))) {
        preferred.add(candidate.name());
      }
    }
    for (ColumnInfo candidate : parent.columns()) {
      List<String> words = Names.words(candidate.name());
      int n = words.size();
      if (n >= 2
          && (words.get(n - 1).equals(keyWord.get()) || words.get(0).equals(keyWord.get()))
          && (Names.sameThing(words.subList(0, n - 1), parentWords)
              || Names.sameThing(words.subList(1, n), parentWords))) {
        preferred.add(candidate.name());
      }
    }
    // unitmeasurecode in unitmeasure: the table's name and the key word, folded to one word
    Set<String> glued = new HashSet<>();
    Names.forms(parentWords).forEach(form -> glued.add(form + keyWord.get()));
    for (ColumnInfo candidate : parent.columns()) {
      if (glued.contains(lower(candidate.name()))) {
        preferred.add(candidate.name());
      }
    }
    if (name.identifies()) {
      parent
          .primaryKey()
          .filter(pk -> pk.columns().size() == 1)
          .ifPresent(pk -> preferred.add(pk.columns().get(0)));
    }
    return List.copyOf(preferred);
  }

  /**
   * {@code tasks.project_id} -> {@code projects(organization_id, id)} when {@code id} is unique
   * only per organization and {@code tasks} has {@code organization_id} too. A child column named
   * after the reference and then the parent's key column wins over one of the same name: Prisma's
   * {@code Order(accountId, accountUserId)} -> {@code Account(id, userId)}, though {@code Order}
   * has a {@code userId} of its own (the order's user, not necessarily the account's).
   */
  private Optional<Candidate> composite(
      TableInfo child,
      ColumnInfo column,
      ColumnName name,
      List<String> preferred,
      TableInfo parent,
      List<List<String>> keys,
      Tier tier,
      int rank) {
    for (String keyColumn : preferred) {
      for (List<String> key : keys) {
        if (key.size() < 2 || !key.contains(keyColumn)) {
          continue;
        }
        List<ColumnInfo> childColumns = new ArrayList<>();
        List<ColumnInfo> parentColumns = new ArrayList<>();
        for (String part : key) {
          ColumnInfo parentColumn = parent.column(part).orElseThrow();
          Optional<ColumnInfo> childColumn =
              part.equals(keyColumn)
                  ? Optional.of(column)
                  : namedAfterTheReference(child, column, name, part)
                      .or(
                          () ->
                              child.columns().stream()
                                  .filter(c -> c.name().equals(part))
                                  .findFirst());
          if (childColumn.isEmpty()
              || !childColumn.get().type().comparableWith(parentColumn.type())) {
            childColumns = null;
            break;
          }
          childColumns.add(childColumn.get());
          parentColumns.add(parentColumn);
        }
        if (childColumns != null
            && !(parent == child && childColumns.equals(parentColumns))
            && childColumns.stream().distinct().count() == childColumns.size()
            && !coveredByForeignKey(child, childColumns)) {
          return Optional.of(
              ranked(new Side(child, childColumns), new Side(parent, parentColumns), tier, rank));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Without the groups of columns that exist only to complete another column's composite reference:
   * {@code Order.accountUserId}, named {@code account} + {@code userId} after {@code
   * Order(accountId, accountUserId) -> Account(id, userId)}, is that reference's second half, not a
   * reference to {@code User} of its own (the composite's proposal or rejection names it).
   */
  private static List<Group> withoutSecondHalves(List<Group> groups) {
    Set<ColumnInfo> halves = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Group g : groups) {
      ColumnInfo own = g.column().columns().get(0);
      for (Candidate c : g.candidates()) {
        List<ColumnInfo> columns = c.child().columns();
        for (int i = 0; columns.size() >= 2 && i < columns.size(); i++) {
          ColumnInfo part = columns.get(i);
          String key = c.parent().columns().get(i).name();
          if (part != own
              && namedAfterTheReference(c.child().table(), own, g.name(), key)
                  .filter(found -> found == part)
                  .isPresent()) {
            halves.add(part);
          }
        }
      }
    }
    return groups.stream()
        .filter(
            g -> g.column().columns().size() != 1 || !halves.contains(g.column().columns().get(0)))
        .toList();
  }

  /**
   * The child's column named like the reference's words followed by the parent's key column {@code
   * part}: {@code account} + {@code userId} = {@code accountUserId}, {@code account_user_id}.
   */
  private static Optional<ColumnInfo> namedAfterTheReference(
      TableInfo child, ColumnInfo column, ColumnName name, String part) {
    if (name.keyWord().isEmpty() || name.keyWordFirst() || name.base().isEmpty()) {
      return Optional.empty();
    }
    List<String> words = new ArrayList<>(name.base());
    words.addAll(Names.words(part));
    return child.columns().stream()
        .filter(c -> c != column && Names.words(c.name()).equals(words))
        .findFirst();
  }

  private static boolean coveredByForeignKey(TableInfo child, List<ColumnInfo> columns) {
    Set<String> names = new HashSet<>(columns.stream().map(ColumnInfo::name).toList());
    return child.foreignKeys().stream().anyMatch(fk -> new HashSet<>(fk.columns()).equals(names));
  }

  private Candidate ranked(Side child, Side parent, Tier tier, int rank) {
    return new Candidate(
        child,
        parent,
        tier,
        schemaDistance(child.table(), parent.table()),
        affinity(child, parent),
        rank);
  }

  private int schemaDistance(TableInfo child, TableInfo parent) {
    if (child.id().schema().equals(parent.id().schema())) {
      return 0;
    }
    return catalog.searchPath().contains(parent.id().schema()) ? 1 : 2;
  }

  /** Words of the parent's name that also occur in the child's: task_types for tasks.type_id. */
  private int affinity(Side child, Side parent) {
    if (child.table() == parent.table()) {
      return 0;
    }
    Set<String> childForms = names.get(child.table()).wordForms();
    int shared = 0;
    for (String word : names.get(parent.table()).words()) {
      if (!Collections.disjoint(Names.singulars(word), childForms)) {
        shared++;
      }
    }
    return shared;
  }

  /**
   * Column lists rows are unique on, in key order: the primary key, unique constraints, and unique
   * indexes without predicate or expressions. Only these can be the parent side of a reference.
   */
  static List<List<String>> uniqueKeys(TableInfo table) {
    Set<Set<String>> seen = new HashSet<>();
    List<List<String>> keys = new ArrayList<>();
    table.primaryKey().ifPresent(pk -> addKey(pk.columns(), seen, keys));
    for (Constraint constraint : table.constraints()) {
      if (constraint.type() == Constraint.Type.UNIQUE) {
        addKey(constraint.columns(), seen, keys);
      }
    }
    for (IndexInfo index : table.indexes()) {
      if (index.unique() && !index.partial() && !index.columns().isEmpty()) {
        addKey(index.columns(), seen, keys);
      }
    }
    return keys;
  }

  private static void addKey(List<String> columns, Set<Set<String>> seen, List<List<String>> keys) {
    if (!columns.isEmpty() && seen.add(Set.copyOf(columns))) {
      keys.add(List.copyOf(columns));
    }
  }
}
