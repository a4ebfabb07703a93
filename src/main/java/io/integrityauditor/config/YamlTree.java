package io.integrityauditor.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.integrityauditor.config.Node.Entry;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import io.integrityauditor.config.Node.ScalarType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses YAML into {@link Node}s with line numbers, using Jackson's streaming YAML parser (a tree
 * built by Jackson's databind would lose the locations). Rejects what silently loses data:
 * duplicate keys, several documents in one file, files too large to be configuration.
 */
public final class YamlTree {
  /** Configuration files are small; anything bigger is a mistake or an attack. */
  static final long MAX_FILE_BYTES = 1024 * 1024;

  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();
  // one of SnakeYAML's marks: a sentence, then "in 'reader', line 5, column 4:"
  private static final Pattern MARK =
      Pattern.compile("(?m)^(\\S[^\\n]*)\\n in '[^']*', line (\\d+), column \\d+:");

  private final Path file;

  private YamlTree(Path file) {
    this.file = file;
  }

  /** Reads and parses {@code file}; every failure is a {@link ConfigException} naming the file. */
  public static Node parse(Path file) {
    Location fileLocation = Location.of(file, 0);
    String text;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw problem(
            fileLocation,
            "file is larger than " + MAX_FILE_BYTES / 1024 + " KiB; split it into several files");
      }
      text = utf8(file, Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw problem(fileLocation, "file does not exist");
    } catch (IOException e) {
      throw problem(fileLocation, "cannot read file: " + e.getMessage());
    }
    return new YamlTree(file).parseText(text);
  }

  /** Decodes UTF-8, naming the line of the first byte that is not. */
  private static String utf8(Path file, byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult result =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(in, out, true);
    if (result.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw problem(
          Location.of(file, line),
          "not valid UTF-8 text (byte " + (in.position() + 1) + "); save the file as UTF-8");
    }
    out.flip();
    return out.toString();
  }

  private Node parseText(String text) {
    JsonParser current = null;
    try (JsonParser parser = FACTORY.createParser(text)) {
      current = parser;
      JsonToken first = parser.nextToken();
      if (first == null) {
        return new ScalarNode(Location.of(file, 1), null, ScalarType.NULL);
      }
      Node root = read(parser, first, "a value");
      if (parser.nextToken() != null) {
        throw problem(
            at(parser.currentTokenLocation()),
            "a second YAML document ('---') is not supported; use one document per file");
      }
      return root;
    } catch (JsonProcessingException e) {
      // Some limits (nesting depth) report no location; the parser still knows where it is.
      JsonLocation where =
          e.getLocation() != null || current == null ? e.getLocation() : current.currentLocation();
      throw invalid(at(where), e.getOriginalMessage(), text.split("\n", -1).length);
    } catch (IOException e) {
      throw problem(Location.of(file, 0), "cannot read YAML: " + e.getMessage());
    }
  }

  /**
   * @param what how a problem names the value: {@code key 'child'}, {@code a list item}
   */
  private Node read(JsonParser parser, JsonToken token, String what) throws IOException {
    Location location = at(parser.currentTokenLocation());
    rejectTag(parser, location);
    if (token.isScalarValue()) {
      rejectControlCharacters(parser.getText(), what, location);
    }
    return switch (token) {
      case START_OBJECT -> readMap(parser, location);
      case START_ARRAY -> readList(parser, location);
      case VALUE_NULL -> new ScalarNode(location, null, ScalarType.NULL);
      case VALUE_TRUE, VALUE_FALSE ->
          new ScalarNode(location, parser.getText(), ScalarType.BOOLEAN);
      case VALUE_NUMBER_INT -> new ScalarNode(location, parser.getText(), ScalarType.INTEGER);
      case VALUE_NUMBER_FLOAT -> new ScalarNode(location, parser.getText(), ScalarType.DECIMAL);
      case VALUE_STRING -> new ScalarNode(location, parser.getText(), ScalarType.STRING);
      default -> throw problem(location, "unsupported YAML value (" + token + ")");
    };
  }

  private MapNode readMap(JsonParser parser, Location location) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    JsonToken token;
    while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      Location keyLocation = at(parser.currentTokenLocation());
      rejectTag(parser, keyLocation);
      rejectControlCharacters(key, "the key", keyLocation);
      Node value = read(parser, parser.nextToken(), "key '" + key + "'");
      Entry previous = entries.put(key, new Entry(key, keyLocation, value));
      if (previous != null) {
        throw problem(
            keyLocation,
            "key '"
                + key
                + "' appears twice in the same mapping (first at line "
                + previous.keyLocation().line()
                + "); remove one");
      }
    }
    expectEnd(token, JsonToken.END_OBJECT, parser);
    return new MapNode(location, entries);
  }

  private ListNode readList(JsonParser parser, Location location) throws IOException {
    List<Node> items = new ArrayList<>();
    JsonToken token;
    while ((token = parser.nextToken()) != JsonToken.END_ARRAY && token != null) {
      items.add(read(parser, token, "a list item"));
    }
    expectEnd(token, JsonToken.END_ARRAY, parser);
    return new ListNode(location, items);
  }

  /**
   * Explicit tags ({@code !!java.lang.Runtime}, {@code !custom}) ask a YAML loader to build types;
   * this one never does, and ignoring them silently would hide what the author meant.
   */
  private static void rejectTag(JsonParser parser, Location location) throws IOException {
    Object tag = parser.getTypeId();
    if (tag != null) {
      // the parser resolves "!!x" to the standard prefix and drops the "!" of local tags
      String written = String.valueOf(tag).replaceFirst("^tag:yaml\\.org,2002:", "!");
      throw problem(
          location,
          "YAML tags are not supported (found '!"
              + written
              + "'); remove the tag, and quote the value if it must stay text");
    }
  }

  /**
   * Configuration text is matched against catalogs, printed, logged and stored: no control
   * characters (a NUL would be cut or refused by PostgreSQL, an escape sequence replayed into a
   * terminal). Line breaks and tabs are fine, e.g. in SQL.
   */
  private static void rejectControlCharacters(String text, String what, Location location) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t') {
        throw problem(
            location,
            String.format(
                Locale.ROOT,
                "%s contains the control character U+%04X (character %d); remove it",
                what,
                (int) c,
                i + 1));
      }
    }
  }

  private void expectEnd(JsonToken token, JsonToken expected, JsonParser parser) {
    if (token != expected) {
      throw problem(at(parser.currentTokenLocation()), "unexpected end of YAML");
    }
  }

  private Location at(JsonLocation location) {
    return Location.of(file, location == null ? 0 : Math.max(1, location.getLineNr()));
  }

  /**
   * SnakeYAML says what it was parsing, where that started, what it found and where: "while parsing
   * a block collection / in 'reader', line 3 / expected <block end>, but found '<block mapping
   * start>' / in 'reader', line 5". The problem and its line come first (the parser's own location
   * can be lines before it); a child key one space short of its siblings, or a key without a space
   * after its colon, is the usual cause.
   */
  private ConfigException invalid(Location location, String message, int lastLine) {
    Matcher marks = MARK.matcher(message == null ? "" : message);
    List<String> texts = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    while (marks.find()) {
      texts.add(marks.group(1).trim());
      lines.add(Integer.parseInt(marks.group(2)));
    }
    if (texts.size() < 2) {
      return problem(location, "invalid YAML: " + firstLine(message));
    }
    // at the end of the text (an unclosed '['), the problem's line is past it: name the start
    int line = lines.get(1) < lastLine ? lines.get(1) : lines.get(0);
    return problem(
        Location.of(file, line),
        "invalid YAML: "
            + texts.get(1)
            + " ("
            + texts.get(0)
            + " that starts at line "
            + lines.get(0)
            + "); check the indentation of line "
            + line
            + " against the lines above it, and that every key's ':' is followed by a space");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "syntax error";
    }
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).trim();
  }

  private static ConfigException problem(Location location, String message) {
    return new ConfigException(new ConfigProblem(location, null, null, message));
  }
}
