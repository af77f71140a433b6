package dev.wsgate.config;

/** An enum whose constants are spelt in YAML by a name of their own, such as {@code round-robin}. */
public interface YamlEnum {

  /** The spelling in YAML (and in logs and metrics). */
  String yamlName();
}
