package dev.wsgate.server;

import dev.wsgate.config.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.NonBlocking;
import reactor.netty.resources.LoopResources;

/**
 * wsgate's event loops on the transport {@code server.transport} names. Reactor Netty's own {@link LoopResources}
 * cannot be told which native transport to use: once Netty's io_uring library is on the class path it takes
 * io_uring wherever it loads, epoll otherwise. These are the same loops as
 * {@code LoopResources.create(prefix, selectors, workers, true)} (daemon threads {@code prefix-<transport>-n} that
 * Reactor counts as non-blocking, an acceptor group of its own, clients colocated with the caller's loop), on
 * {@link MultiThreadIoEventLoopGroup}s with the chosen {@code IoHandler}, and the channel classes that go with it.
 */
final class TransportLoops implements LoopResources {

  /**
   * What {@code auto} tries, in order: the first that loads. Epoll first: on this project's measurements (README,
   * Performance) io_uring relays no faster, and slower while wsgate holds a reader back (auto-read off).
   */
  static final List<Transport> AUTO_ORDER = List.of(Transport.EPOLL, Transport.IO_URING, Transport.NIO);

  private final String prefix;
  private final Transport transport;
  private final int selectors;
  private final int workers;
  private final Map<Class<? extends Channel>, Supplier<? extends Channel>> channels;
  private final Map<Class<? extends Channel>, Class<? extends Channel>> channelClasses;
  private final Object lock = new Object();
  private final AtomicBoolean disposed = new AtomicBoolean();
  private EventLoopGroup workerGroup;
  private EventLoopGroup selectGroup;
  private EventLoopGroup clientGroup;

  private TransportLoops(String prefix, Transport transport, int selectors, int workers) {
    this.prefix = prefix;
    this.transport = transport;
    this.selectors = selectors;
    this.workers = workers;
    switch (transport) {
      case IO_URING -> {
        channels = Map.of(SocketChannel.class, IoUringSocketChannel::new,
            ServerSocketChannel.class, IoUringServerSocketChannel::new,
            DatagramChannel.class, IoUringDatagramChannel::new);
        channelClasses = Map.of(SocketChannel.class, IoUringSocketChannel.class,
            ServerSocketChannel.class, IoUringServerSocketChannel.class,
            DatagramChannel.class, IoUringDatagramChannel.class);
      }
      case EPOLL -> {
        channels = Map.of(SocketChannel.class, EpollSocketChannel::new,
            ServerSocketChannel.class, EpollServerSocketChannel::new,
            DatagramChannel.class, EpollDatagramChannel::new);
        channelClasses = Map.of(SocketChannel.class, EpollSocketChannel.class,
            ServerSocketChannel.class, EpollServerSocketChannel.class,
            DatagramChannel.class, EpollDatagramChannel.class);
      }
      case NIO -> {
        channels = Map.of(SocketChannel.class, NioSocketChannel::new,
            ServerSocketChannel.class, NioServerSocketChannel::new,
            DatagramChannel.class, NioDatagramChannel::new);
        channelClasses = Map.of(SocketChannel.class, NioSocketChannel.class,
            ServerSocketChannel.class, NioServerSocketChannel.class,
            DatagramChannel.class, NioDatagramChannel.class);
      }
      default -> throw new IllegalArgumentException("not a transport to run: " + transport);
    }
  }

  /**
   * Loops on {@code asked}, or for {@code auto} on the first of {@link #AUTO_ORDER} that loads.
   *
   * @param selectors threads that accept connections, apart from the workers
   * @param workers   threads that run connections
   * @throws GatewayStartException when the transport asked for does not load here (one line, with Netty's reason)
   */
  static TransportLoops create(String prefix, Transport asked, int selectors, int workers) {
    return new TransportLoops(prefix, resolve(asked), selectors, workers);
  }

  /** The transport {@code asked} runs on here: itself if it loads, the first that loads for {@code auto}. */
  static Transport resolve(Transport asked) {
    return resolve(asked, TransportLoops::unavailabilityCause);
  }

  /** {@link #resolve(Transport)}, with why each transport cannot load (null when it can) given. */
  static Transport resolve(Transport asked, Function<Transport, Throwable> unavailability) {
    if (asked == Transport.AUTO) {
      return AUTO_ORDER.stream().filter(t -> unavailability.apply(t) == null).findFirst()
          .orElseThrow(() -> new IllegalStateException("no transport loads here, not even nio"));
    }
    Throwable cause = unavailability.apply(asked);
    if (cause != null) {
      throw new GatewayStartException("server.transport: " + asked + " cannot load here: " + describe(cause),
          cause);
    }
    return asked;
  }

  /** Why {@code t} cannot load here, or null when it can. */
  static Throwable unavailabilityCause(Transport t) {
    return switch (t) {
      case IO_URING -> IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
      case EPOLL -> Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
      case NIO, AUTO -> null;
    };
  }

  /**
   * The transport of any loops: this class's, or Reactor Netty's own (whatever native transport it picked), told
   * by the group it serves with.
   */
  static Transport of(LoopResources loops) {
    if (loops instanceof TransportLoops) {
      return ((TransportLoops) loops).transport;
    }
    EventLoopGroup group = loops.onServer(LoopResources.DEFAULT_NATIVE);
    if (group instanceof IoEventLoopGroup) {
      IoEventLoopGroup io = (IoEventLoopGroup) group;
      if (io.isCompatible(IoUringIoHandle.class)) {
        return Transport.IO_URING;
      }
      if (io.isCompatible(EpollIoHandle.class)) {
        return Transport.EPOLL;
      }
    }
    return Transport.NIO;
  }

  Transport transport() {
    return transport;
  }

  // ------------------------------------------------------------------------------------------ LoopResources

  @Override
  public EventLoopGroup onServer(boolean useNative) {
    synchronized (lock) {
      checkRunning();
      if (workerGroup == null) {
        workerGroup = group(workers, prefix + "-" + transport);
      }
      return workerGroup;
    }
  }

  @Override
  public EventLoopGroup onServerSelect(boolean useNative) {
    if (selectors <= 0) {
      return onServer(useNative);
    }
    synchronized (lock) {
      checkRunning();
      if (selectGroup == null) {
        selectGroup = group(selectors, prefix + "-select-" + transport);
      }
      return selectGroup;
    }
  }

  /** The workers, colocated: a connection opened from one of them stays on it (both legs of a session). */
  @Override
  public EventLoopGroup onClient(boolean useNative) {
    EventLoopGroup server = onServer(useNative);
    synchronized (lock) {
      if (clientGroup == null) {
        clientGroup = LoopResources.colocate(server);
      }
      return clientGroup;
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
    Supplier<? extends Channel> channel = channels.get(type);
    return channel != null ? (C) channel.get() : LoopResources.super.onChannel(type, group);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <C extends Channel> Class<? extends C> onChannelClass(Class<C> type, EventLoopGroup group) {
    Class<? extends Channel> c = channelClasses.get(type);
    return c != null ? (Class<? extends C>) c : LoopResources.super.onChannelClass(type, group);
  }

  @Override
  public boolean daemon() {
    return true;
  }

  @Override
  public boolean isDisposed() {
    return disposed.get();
  }

  @Override
  public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
    return Mono.defer(() -> {
      List<EventLoopGroup> groups = new ArrayList<>();
      synchronized (lock) {
        disposed.set(true);
        if (workerGroup != null) {
          groups.add(workerGroup);
        }
        if (selectGroup != null) {
          groups.add(selectGroup);
        }
      }
      List<Mono<Void>> done = new ArrayList<>();
      for (EventLoopGroup g : groups) {
        if (!g.isShuttingDown()) {
          g.shutdownGracefully(quietPeriod.toMillis(), timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        done.add(Mono.create(sink -> g.terminationFuture().addListener(f -> sink.success())));
      }
      return Mono.when(done);
    });
  }

  @Override
  public String toString() {
    return "TransportLoops{" + prefix + ", " + transport + ", " + selectors + " selectors, " + workers
        + " workers}";
  }

  // ------------------------------------------------------------------------------------------ helpers

  private void checkRunning() {
    if (disposed.get()) {
      throw new IllegalStateException(this + " is disposed");
    }
  }

  private EventLoopGroup group(int threads, String name) {
    return new MultiThreadIoEventLoopGroup(threads, threads(name), handlers());
  }

  private IoHandlerFactory handlers() {
    return switch (transport) {
      case IO_URING -> IoUringIoHandler.newFactory();
      case EPOLL -> EpollIoHandler.newFactory();
      default -> NioIoHandler.newFactory();
    };
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new LoopThread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Reactor refuses to block on these ({@code block()} on an event loop fails at once rather than hang it). */
  private static final class LoopThread extends FastThreadLocalThread implements NonBlocking {
    LoopThread(Runnable r, String name) {
      super(r, name);
    }
  }

  /** Netty's reason on one line: its message, and the root cause's when that says more. */
  static String describe(Throwable cause) {
    String top = cause.getMessage() != null ? cause.getMessage() : cause.toString();
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String line = root != cause && root.getMessage() != null && !top.contains(root.getMessage())
        ? top + " (" + root.getMessage() + ")" : top;
    return line.replaceAll("\\s*\\R\\s*", " ");
  }
}
