package io.integrityauditor.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed YAML value that remembers where it was written, so that every configuration error can
 * name the file and line. Built by {@link YamlTree}; read through {@link Fields}.
 */
public sealed interface Node {
  Location location();

  /** A short, user-facing name of the node's shape, for "expected X, found Y" messages. */
  String shape();

  /**
   * The same tree with every {@code ${name}} in its string values replaced by {@code
   * variables.get(name)} (locations kept, so errors still point at the line written).
   */
  static Node substitute(Node node, Map<String, String> variables) {
    if (node instanceof MapNode map) {
      Map<String, Entry> entries = new LinkedHashMap<>();
      map.entries()
          .forEach(
              (key, entry) ->
                  entries.put(
                      key,
                      new Entry(
                          entry.key(), entry.keyLocation(), substitute(entry.value(), variables))));
      return new MapNode(map.location(), entries);
    }
    if (node instanceof ListNode list) {
      return new ListNode(
          list.location(), list.items().stream().map(i -> substitute(i, variables)).toList());
    }
    ScalarNode scalar = (ScalarNode) node;
    if (scalar.type() != ScalarType.STRING || scalar.text() == null) {
      return scalar;
    }
    String text = scalar.text();
    for (Map.Entry<String, String> variable : variables.entrySet()) {
      text = text.replace("${" + variable.getKey() + "}", variable.getValue());
    }
    return new ScalarNode(scalar.location(), text, scalar.type());
  }

  /** A mapping; keys keep their order and their own location. */
  record MapNode(Location location, Map<String, Entry> entries) implements Node {
    public MapNode {
      entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    @Override
    public String shape() {
      return "a mapping";
    }
  }

  /** One {@code key: value} pair of a mapping. */
  record Entry(String key, Location keyLocation, Node value) {}

  /** A sequence. */
  record ListNode(Location location, List<Node> items) implements Node {
    public ListNode {
      items = List.copyOf(items);
    }

    @Override
    public String shape() {
      return "a list";
    }
  }

  /**
   * A scalar. {@code text} is the value as written (null for YAML null); {@code type} tells how
   * YAML resolved it, so "expected a number" can be told apart from a quoted "5".
   */
  record ScalarNode(Location location, String text, ScalarType type) implements Node {
    @Override
    public String shape() {
      return switch (type) {
        case NULL -> "nothing (null)";
        case STRING -> "a string";
        case INTEGER, DECIMAL -> "a number";
        case BOOLEAN -> "a boolean";
      };
    }

    public boolean isNull() {
      return type == ScalarType.NULL;
    }
  }

  /** How YAML resolved a plain scalar. */
  enum ScalarType {
    NULL,
    STRING,
    INTEGER,
    DECIMAL,
    BOOLEAN
  }
}
