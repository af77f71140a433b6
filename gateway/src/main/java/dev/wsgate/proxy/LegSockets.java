package dev.wsgate.proxy;

import dev.wsgate.config.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import reactor.netty.http.server.HttpServer;

/**
 * The kernel options of both legs' sockets, in one place. They bound what the kernel holds per connection, so that
 * what wsgate holds for a peer is in its own buffers, bounded by the write-buffer high-water mark and visible:
 * <ul>
 *   <li>{@code TCP_NOTSENT_LOWAT} (Linux, epoll and io_uring: each has its own option for it; NIO has none): the
 *       kernel keeps at most {@value #NOT_SENT_LOW_WATER_MARK} bytes a peer has not been sent yet. Without it the
 *       kernel grows a socket's send buffer to megabytes for a slow reader, which costs kernel memory per session
 *       and hides the peer's progress from wsgate: a heartbeat ping then queues behind megabytes the peer has not
 *       read, and a live slow reader looks silent. With it, a peer taking what is queued for it shows as progress in
 *       wsgate's outbound buffer, which the heartbeat counts as life. It does not cap throughput: what is in flight
 *       is the congestion and receive windows' business.</li>
 *   <li>{@code SO_RCVBUF} of {@value #RECEIVE_BUFFER} bytes (the kernel doubles it for its bookkeeping): while wsgate
 *       does not read a leg (backpressure), its peer can fill this much of kernel memory and no more. Left to its
 *       auto-tuning, Linux lets a receive buffer grow to {@code net.ipv4.tcp_rmem}'s maximum (32 MiB on the
 *       development machine), so a few hundred peers flooding toward slow readers put the whole host under TCP
 *       memory pressure (the churn soak saw 1.4 GiB, dropped segments and retransmission timeouts long enough to
 *       evict live peers). The price: one connection receives at most about this much per round trip (some
 *       2.5 MB/s from a client 50 ms away; inside a data centre, far more than wsgate relays).</li>
 *   <li>One receive-buffer allocator for every connection ({@code RCVBUF_ALLOCATOR}): {@link LegReads}, Netty's
 *       adaptive sizing of each read by the last ones, with its state in the connection's handle; the allocator
 *       itself holds only settings, so all connections share one instead of an object each.</li>
 * </ul>
 */
public final class LegSockets {

  /** Unsent bytes the kernel keeps per socket: 16 KiB, as recommended for HTTP/2 servers. */
  static final long NOT_SENT_LOW_WATER_MARK = 16 * 1024;

  /** Receive buffer per socket, as set (the kernel doubles it): 128 KiB. */
  static final int RECEIVE_BUFFER = 128 * 1024;

  /** The receive-buffer allocator, one for all connections. */
  private static final RecvByteBufAllocator READS = new LegReads();

  private LegSockets() {
  }

  /** The client listener, with the options on the connections it accepts, where the transport has them. */
  public static HttpServer clientLeg(HttpServer server, Transport transport) {
    // On the listening socket: an accepted connection takes it before its window is negotiated.
    HttpServer s = server.option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS);
    ChannelOption<Long> lowat = notSentLowat(transport);
    return lowat != null ? s.childOption(lowat, NOT_SENT_LOW_WATER_MARK) : s;
  }

  /** An upstream connection, with its options where the transport has them. */
  static Bootstrap upstreamLeg(Bootstrap bootstrap, Transport transport) {
    Bootstrap b = bootstrap.option(ChannelOption.SO_RCVBUF, RECEIVE_BUFFER)
        .option(ChannelOption.RCVBUF_ALLOCATOR, READS);
    ChannelOption<Long> lowat = notSentLowat(transport);
    return lowat != null ? b.option(lowat, NOT_SENT_LOW_WATER_MARK) : b;
  }

  /** Each native transport has an option of its own (a channel ignores, with a warning, another's). */
  private static ChannelOption<Long> notSentLowat(Transport transport) {
    return switch (transport) {
      case EPOLL -> EpollChannelOption.TCP_NOTSENT_LOWAT;
      case IO_URING -> IoUringChannelOption.TCP_NOTSENT_LOWAT;
      case NIO -> null;
      case AUTO -> throw new IllegalArgumentException("auto is not a transport loops run on");
    };
  }
}
