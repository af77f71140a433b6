package dev.wsgate.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** A YAML node together with the path that reached it, such as {@code routes[2].upstreams[0]}. */
record At(Node node, String path) {

  At child(String key, Node value) {
    return new At(value, path.isEmpty() ? key : path + "." + key);
  }

  At element(int index, Node value) {
    return new At(value, path + "[" + index + "]");
  }

  int line() {
    return node.getStartMark().getLine() + 1;
  }

  int column() {
    return node.getStartMark().getColumn() + 1;
  }

  boolean isNull() {
    return node instanceof ScalarNode && node.getTag().equals(Tag.NULL);
  }

  /** What the node is, for messages: {@code a list}, {@code a mapping}, {@code no value}, or the scalar itself. */
  String describe() {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    if (isNull()) {
      return "no value";
    }
    return ((ScalarNode) node).getValue();
  }
}
