package io.integrityauditor.suggest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * English-ish name handling for reference inference: words of snake_case and camelCase names,
 * singular forms of plural table names, and the role words that name a person or the row's own
 * table. Deliberately small: anything it cannot read ends up in the "unmatched" list of the report
 * rather than in a guess.
 */
final class Names {
  private Names() {}

  /**
   * Between words: separators, a lower-case letter or digit followed by a capital ({@code
   * authorId}), the last capital of an acronym ({@code HTTPRequest}), and letters followed by two
   * or more digits ({@code item2024}).
   */
  private static final Pattern WORD_BOUNDARY =
      Pattern.compile(
          "(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9]{2,})"
              + "|[^\\p{L}\\p{N}]+");

  /**
   * A past participle glued to "by", as folded unquoted names are: {@code recommendedby}, {@code
   * createdby}, {@code writtenby} (not {@code hobby} or {@code lobby}).
   */
  private static final Pattern GLUED_BY = Pattern.compile("[a-z]{2,}(?:ed|en)by");

  private static final Pattern DIGITS = Pattern.compile("\\d+");
  private static final Pattern GLUED_DIGITS = Pattern.compile("([a-z]{2,})\\d+");
  private static final Pattern ES_PLURAL = Pattern.compile(".*(ch|sh|x|z|o)es");

  /**
   * Last words of a column naming who or what did something: {@code created_by}, {@code
   * assigned_to}, {@code ship_via}. Only {@code by} and {@code to} also suggest a person.
   */
  static final Set<String> ACTION_ENDINGS = Set.of("by", "to", "via");

  /** Words that end a reference column and name the kind of key it holds. */
  static final Set<String> KEY_WORDS =
      Set.of(
          "id", "uuid", "guid", "uid", "fk", "key", "code", "cd", "no", "nr", "num", "number",
          "ref", "slug", "sku", "sk");

  /**
   * Abbreviated key words and the key column name they stand for: legacy and clinical schemas write
   * {@code code} as {@code cd} (MIMIC's {@code hcpcsevents.hcpcs_cd} -> {@code d_hcpcs.code},
   * {@code dept_cd}, {@code state_cd}).
   */
  static final Map<String, String> KEY_WORD_ABBREVIATIONS = Map.of("cd", "code");

  /**
   * Key words that mean "the parent's identifier", whatever the parent's key column is called;
   * {@code sk} is a warehouse's surrogate key ({@code ss_item_sk} -> {@code item.i_item_sk}).
   */
  static final Set<String> ID_WORDS = Set.of("id", "uuid", "guid", "uid", "fk", "sk");

  /**
   * First words of columns that point at another row of the same table ({@code parent_id}, {@code
   * previous_version_id} is matched by its table word first).
   */
  static final Set<String> SELF_WORDS =
      Set.of(
          "parent",
          "previous",
          "prev",
          "next",
          "original",
          "root",
          "predecessor",
          "successor",
          "ancestor",
          "superseded",
          "replaced",
          "duplicate",
          "merged",
          "forked",
          "cloned",
          "copied",
          "reply",
          "redirect",
          "reversed",
          "reversal");

  /**
   * Two words that name a thing although the second is a person word: a browser's user agent
   * ({@code user_agent_id}, Zitadel's sessions) is software, and its values never were people
   * (newuser22: rejected by the data each time, 3 of 8 rejections).
   */
  static final Set<List<String>> THING_COMPOUNDS = Set.of(List.of("user", "agent"));

  /** Words naming a person in a role, when no table has that name ({@code author_id}). */
  static final Set<String> PERSON_WORDS =
      Set.of(
          "creator",
          // Odoo's create_uid and write_uid on every table
          "create",
          "write",
          "author",
          "owner",
          "assignee",
          "assigner",
          "reporter",
          "approver",
          "reviewer",
          "requester",
          "requestor",
          "sender",
          "recipient",
          "receiver",
          "manager",
          "supervisor",
          "editor",
          "updater",
          "modifier",
          "inviter",
          "referrer",
          "buyer",
          "seller",
          "host",
          "organizer",
          "moderator",
          "agent",
          "operator",
          "actor",
          "initiator",
          "submitter",
          "signer",
          "verifier",
          "mentor",
          "lead",
          "coach",
          "boss",
          "sponsor",
          "maintainer",
          "uploader",
          "publisher",
          "rep",
          "representative",
          "salesperson",
          "subscriber",
          "follower",
          "watcher",
          "voter",
          "candidate",
          "proposer",
          "seconder",
          "granter",
          "grantor",
          "grantee",
          "revoker",
          "resolver",
          "closer",
          "blocker",
          "subject",
          "invitee",
          "participant",
          "attendee",
          "commenter",
          "deleter",
          "admin",
          "administrator");

  /** Person roles that usually point at the row's own table when it is a person table. */
  static final Set<String> HIERARCHY_WORDS =
      Set.of(
          "manager",
          "supervisor",
          "mentor",
          "lead",
          "coach",
          "boss",
          "sponsor",
          "referrer",
          "reports",
          "referred",
          "invited");

  /**
   * Singular table names that hold people, in the order a role falls back to them when several
   * exist (most applications attribute actions to users or accounts).
   */
  static final List<String> PERSON_TABLES =
      List.of(
          "user", "account", "person", "member", "employee", "staff", "admin", "profile", "editor");

  private static final Map<String, String> IRREGULAR =
      Map.ofEntries(
          Map.entry("people", "person"),
          Map.entry("persons", "person"),
          Map.entry("men", "man"),
          Map.entry("women", "woman"),
          Map.entry("children", "child"),
          Map.entry("mice", "mouse"),
          Map.entry("geese", "goose"),
          Map.entry("teeth", "tooth"),
          Map.entry("feet", "foot"),
          Map.entry("criteria", "criterion"),
          Map.entry("phenomena", "phenomenon"),
          Map.entry("indices", "index"),
          Map.entry("matrices", "matrix"),
          Map.entry("vertices", "vertex"),
          Map.entry("lives", "life"),
          Map.entry("wives", "wife"),
          Map.entry("knives", "knife"),
          Map.entry("halves", "half"),
          Map.entry("shelves", "shelf"),
          Map.entry("wolves", "wolf"),
          Map.entry("leaves", "leaf"),
          Map.entry("thieves", "thief"),
          Map.entry("data", "datum"),
          Map.entry("media", "medium"));

  /**
   * Trailing words some schemas put on every table name ({@code user_entity}, {@code customer_tbl},
   * {@code airports_data}): a table is also known by its name without them.
   */
  static final Set<String> TABLE_SUFFIXES =
      Set.of("entity", "entities", "tbl", "table", "master", "data");

  /** Words that tell apart several references to one table: {@code primary_contact_id}... */
  static final Set<String> QUALIFIERS =
      Set.of("primary", "secondary", "alt", "alternate", "old", "new", "main", "other", "backup");

  /**
   * The doer of an action, as an English agent noun: {@code ship} -> {@code shipper}, {@code
   * approve} -> {@code approver}, {@code ban} -> {@code banner}, {@code create} -> {@code creator}
   * (several forms; the tables decide).
   */
  static Set<String> agentNouns(String verb) {
    Set<String> nouns = new LinkedHashSet<>();
    if (verb.length() >= 2) {
      nouns.add(verb.endsWith("e") ? verb + "r" : verb + "er");
      nouns.add(verb + verb.charAt(verb.length() - 1) + "er");
      nouns.add(verb.replaceFirst("e$", "") + "or");
    }
    return nouns;
  }

  /** A number or a single letter telling references apart: the 1 of {@code concept_id_1}. */
  static boolean isMark(String word) {
    return word.length() == 1 || DIGITS.matcher(word).matches();
  }

  /**
   * The words without trailing qualifiers ({@code site_a} -> {@code site}, {@code contact_primary}
   * -> {@code contact}, {@code address2} -> {@code address}); empty when there are none.
   */
  static List<String> withoutQualifiers(List<String> words) {
    List<String> plain = new ArrayList<>(words);
    boolean changed = false;
    while (plain.size() > 1) {
      String last = plain.get(plain.size() - 1);
      if (last.length() == 1 || DIGITS.matcher(last).matches() || QUALIFIERS.contains(last)) {
        plain.remove(plain.size() - 1);
        changed = true;
      } else {
        break;
      }
    }
    String last = plain.get(plain.size() - 1);
    Matcher glued = GLUED_DIGITS.matcher(last);
    if (glued.matches()) {
      plain.set(plain.size() - 1, glued.group(1));
      changed = true;
    }
    return changed ? List.copyOf(plain) : List.of();
  }

  /** Words whose plural equals their singular, and -s words that are not plurals. */
  private static final Set<String> INVARIANT =
      Set.of("series", "species", "news", "staff", "sheep", "fish", "equipment", "information");

  /**
   * The position of a table among person tables ({@link #PERSON_TABLES}), from 1, by the last word
   * of its name ({@code auth_user}, {@code app_users}); -1 when it does not hold people.
   */
  static int personRank(List<String> tableWords) {
    if (tableWords.isEmpty()) {
      return -1;
    }
    Set<String> forms = singulars(tableWords.get(tableWords.size() - 1));
    for (int i = 0; i < PERSON_TABLES.size(); i++) {
      if (forms.contains(PERSON_TABLES.get(i))) {
        return i + 1;
      }
    }
    return -1;
  }

  /** A plural word ({@code languages}): a column so named holds several values, not a reference. */
  static boolean plural(String word) {
    return singulars(word).size() > 1 && !word.endsWith("ss");
  }

  /** Lower-case words of snake_case, kebab-case, camelCase and PascalCase names. */
  static List<String> words(String name) {
    return Arrays.stream(WORD_BOUNDARY.split(name))
        .filter(w -> !w.isEmpty())
        .map(w -> w.toLowerCase(Locale.ROOT))
        .flatMap(
            w ->
                GLUED_BY.matcher(w).matches()
                    ? Stream.of(w.substring(0, w.length() - 2), "by")
                    : Stream.of(w))
        .toList();
  }

  /**
   * {@code abbreviation} is an abbreviation of the longer {@code word}: the same first letter, then
   * its letters in order ({@code dept} of {@code departments}, {@code emp} of {@code employees},
   * {@code pub} of {@code publishers}).
   */
  static boolean abbreviates(String abbreviation, String word) {
    if (abbreviation.length() < 2
        || abbreviation.length() >= word.length()
        || abbreviation.charAt(0) != word.charAt(0)) {
      return false;
    }
    int at = 1;
    for (int i = 1; i < abbreviation.length(); i++) {
      at = word.indexOf(abbreviation.charAt(i), at) + 1;
      if (at == 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code snake_case} of any name, for glob matching: {@code stripeCustomerId} -> ... */
  static String snake(String name) {
    return String.join("_", words(name));
  }

  /**
   * The possible singular forms of a word (the word itself included). Several forms rather than one
   * guess: {@code movies} may be {@code movie} or {@code movy}, and both sides of a comparison go
   * through here, so a wrong extra form costs nothing while a missing one loses a match.
   */
  static Set<String> singulars(String word) {
    Set<String> forms = new LinkedHashSet<>();
    forms.add(word);
    if (INVARIANT.contains(word) || word.length() < 3) {
      return forms;
    }
    for (Map.Entry<String, String> irregular : IRREGULAR.entrySet()) {
      if (word.endsWith(irregular.getKey())) {
        forms.add(
            word.substring(0, word.length() - irregular.getKey().length()) + irregular.getValue());
      }
    }
    if (word.endsWith("ies") && word.length() > 4) {
      forms.add(word.substring(0, word.length() - 3) + "y");
    }
    if (word.endsWith("ses") && word.length() > 4) {
      // statuses, addresses, buses, analyses
      forms.add(word.substring(0, word.length() - 2));
      if (word.endsWith("yses")) {
        forms.add(word.substring(0, word.length() - 2) + "is");
      }
    }
    if (ES_PLURAL.matcher(word).matches() && word.length() > 4) {
      forms.add(word.substring(0, word.length() - 2));
    }
    if (word.endsWith("s")
        && !word.endsWith("ss")
        && !word.endsWith("us")
        && !word.endsWith("is")) {
      forms.add(word.substring(0, word.length() - 1));
    }
    return forms;
  }

  /**
   * The concatenated singular forms of a multi-word name: {@code [order, items]} gives {@code
   * orderitems, orderitem}, so {@code order_items}, {@code OrderItem} and {@code orderitems} meet.
   */
  static Set<String> forms(List<String> words) {
    if (words.isEmpty()) {
      return Set.of();
    }
    String prefix = String.join("", words.subList(0, words.size() - 1));
    Set<String> forms = new LinkedHashSet<>();
    for (String last : singulars(words.get(words.size() - 1))) {
      forms.add(prefix + last);
    }
    // a single-word table may glue its words together: "orderitems"
    return forms;
  }

  /** Whether two names have a singular form in common. */
  static boolean sameThing(List<String> a, List<String> b) {
    Set<String> left = forms(a);
    for (String form : forms(b)) {
      if (left.contains(form)) {
        return true;
      }
    }
    return false;
  }

  /** Removes the key word from the end (or start) of a column name, keeping its spelling. */
  static String withoutKeyWord(String column, ColumnName parsed) {
    String stripped = column;
    if (parsed.keyWord().isPresent() && parsed.keyWordFirst()) {
      stripped = column.replaceFirst("(?i)^" + parsed.keyWord().get() + "[_\\-]?", "");
    } else if (parsed.keyWord().isPresent()) {
      stripped = column.replaceFirst("(?i)[_\\-]?" + parsed.keyWord().get() + "$", "");
    }
    return stripped.isEmpty() ? column : stripped;
  }
}
