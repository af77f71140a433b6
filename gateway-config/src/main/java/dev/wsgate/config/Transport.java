package dev.wsgate.config;

/** The network transport wsgate's event loops run on ({@code server.transport}). */
public enum Transport implements YamlEnum {
  /** The first that loads of epoll, io_uring, nio (the gateway's {@code TransportLoops.AUTO_ORDER}). */
  AUTO("auto"),
  /** Linux io_uring (Netty's native library; a kernel, and a seccomp profile, that allow io_uring). */
  IO_URING("io_uring"),
  /** Linux epoll (Netty's native library). */
  EPOLL("epoll"),
  /** Java NIO: everywhere, without native code. */
  NIO("nio");

  private final String yamlName;

  Transport(String yamlName) {
    this.yamlName = yamlName;
  }

  @Override
  public String yamlName() {
    return yamlName;
  }

  @Override
  public String toString() {
    return yamlName;
  }
}
