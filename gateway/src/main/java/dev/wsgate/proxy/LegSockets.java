package dev.wsgate.proxy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * The kernel options of both legs' sockets, in one place.
 *
 * <p>{@code TCP_NOTSENT_LOWAT} (Linux, epoll): the kernel keeps at most {@value #NOT_SENT_LOW_WATER_MARK} bytes a
 * peer has not been sent yet; what wsgate has to send beyond that waits in its own outbound buffer, where the
 * write-buffer high-water mark bounds it. Without it the kernel grows a socket's send buffer to megabytes for a slow
 * reader, which costs kernel memory per session and hides the peer's progress from wsgate: a heartbeat ping then
 * queues behind megabytes the peer has not read, and a live slow reader looks silent. With it, a peer taking what is
 * queued for it shows as progress in wsgate's outbound buffer, which the heartbeat counts as life. Throughput is
 * not capped by it: what is in flight is the congestion and receive windows' business, not this mark's.
 */
public final class LegSockets {

  /** Unsent bytes the kernel keeps per socket: 16 KiB, as recommended for HTTP/2 servers. */
  static final long NOT_SENT_LOW_WATER_MARK = 16 * 1024;

  private LegSockets() {
  }

  /** The client listener, with the options on the connections it accepts, where the platform has them. */
  public static HttpServer clientLeg(HttpServer server) {
    return Epoll.isAvailable() ? server.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, NOT_SENT_LOW_WATER_MARK)
        : server;
  }

  /** The upstream connector, with the options on its connections, where the platform has them. */
  static HttpClient upstreamLeg(HttpClient client) {
    return Epoll.isAvailable() ? client.option(EpollChannelOption.TCP_NOTSENT_LOWAT, NOT_SENT_LOW_WATER_MARK)
        : client;
  }
}
