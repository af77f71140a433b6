package dev.wsgate.config;

/**
 * permessage-deflate (RFC 7692) on one leg of one route, every override applied.
 *
 * @param enabled         false: wsgate neither offers nor accepts compression on this leg
 * @param contextTakeover where wsgate itself compresses or inflates on this leg: true keeps its zlib contexts between
 *                        messages (better ratio, some hundreds of KiB per session); false frees them after each
 *                        message and asks the peer to do alike
 * @param maxWindowBits   where wsgate inflates: the largest LZ77 window (2^bits bytes) the peer may compress with
 * @param maxMessageSize  where wsgate inflates: the largest message, inflated, it takes from the peer (1009 past it)
 */
public record CompressionSettings(boolean enabled, boolean contextTakeover, int maxWindowBits, int maxMessageSize) {

  public static CompressionSettings defaults() {
    return Schema.COMPRESSION_LEG.defaults();
  }
}
