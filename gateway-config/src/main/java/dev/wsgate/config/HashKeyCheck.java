package dev.wsgate.config;

import java.util.Optional;

/** A route's {@code hash-key} is there exactly when its {@code balance} is {@code hash}. */
final class HashKeyCheck {
  private HashKeyCheck() {
  }

  static void check(Bound<RouteConfig> route, Problems problems) {
    Bound.Located<Balance> balance = route.located(Schema.BALANCE);
    Bound.Located<Optional<HashKey>> key = route.located(Schema.HASH_KEY);
    if (balance.value() == Balance.HASH && !key.isDefault() && key.value() == null) {
      return; // the key's own error is reported
    }
    if (balance.value() == Balance.HASH && key.isDefault()) {
      problems.add(balance.at(), "hash (expected: a hash-key with it: "
          + HttpTypes.HASH_KEY_EXPECTED + ")");
    } else if (!key.isDefault() && key.value() != null && balance.value() != null
        && balance.value() != Balance.HASH) {
      problems.add(key.at(), key.value().get() + " (expected: balance: hash with a hash-key; balance is "
          + balance.value() + ")");
    }
  }

  /** The balance the route is built with: {@code hash} only with a key (else its error is reported). */
  static Balance balance(Bound<RouteConfig> b) {
    Balance balance = b.get(Schema.BALANCE);
    return balance == Balance.HASH && b.get(Schema.HASH_KEY).isEmpty() ? Balance.ROUND_ROBIN : balance;
  }

  /** The key the route is built with: only with {@code balance: hash}. */
  static Optional<HashKey> hashKey(Bound<RouteConfig> b) {
    return b.get(Schema.BALANCE) == Balance.HASH ? b.get(Schema.HASH_KEY) : Optional.empty();
  }
}
