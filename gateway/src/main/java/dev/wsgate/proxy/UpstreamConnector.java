package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.config.UpstreamConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.SslProvider;

/**
 * Opens the upstream leg of a session: TCP (and TLS for {@code wss://}), then the WebSocket handshake, within the
 * upstream connect timeout. The connection runs on the caller's event loop when the caller is on one of wsgate's
 * (Reactor Netty colocates it), so both legs of a session share a thread.
 */
public final class UpstreamConnector {

  private static final Logger log = LoggerFactory.getLogger(UpstreamConnector.class);

  private final HttpClient plain;
  private final HttpClient secure;
  private final Duration timeout;
  private final int maxFrameSize;

  public UpstreamConnector(LoopResources loops, UpstreamConfig config, int maxFrameSize, int highWaterMark) {
    HttpClient base = HttpClient.newConnection()
        .runOn(loops)
        .disableRetry(true)
        .compress(false)
        .followRedirect(false)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(config.connectTimeout().toMillis(),
            Integer.MAX_VALUE))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(highWaterMark / 2, highWaterMark));
    this.plain = base;
    SslProvider.GenericSslContextSpec<?> ssl = Http11SslContextSpec.forClient()
        .configure(builder -> config.caFile().ifPresent(ca -> builder.trustManager(ca.toFile())));
    this.secure = base.secure(spec -> spec.sslContext(ssl));
    this.timeout = config.connectTimeout();
    this.maxFrameSize = maxFrameSize;
  }

  /**
   * Connects and completes the upstream handshake.
   *
   * @param subprotocols the client's subprotocols, comma-separated, or null
   * @param setup        how the upstream leg's pipeline is set up (heartbeat)
   * @return the upstream leg, or an {@link UpstreamFailure}
   */
  public Mono<UpstreamLeg> connect(URI target, HttpHeaders headers, String subprotocols, LegSetup setup) {
    HttpClient client = "wss".equalsIgnoreCase(target.getScheme()) ? secure : plain;
    // The subprotocols travel as a plain header and the answer is checked by UpstreamHandshakeFilter, not by Netty.
    WebsocketClientSpec spec = WebsocketClientSpec.builder()
        .maxFramePayloadLength(maxFrameSize)
        .handlePing(true)
        .build();
    Mono<UpstreamLeg> attempt = Mono.create(sink -> {
      AtomicBoolean settled = new AtomicBoolean();
      UpstreamHandshakeFilter capture = new UpstreamHandshakeFilter(headers.contains(HttpHeaderNames.ORIGIN));
      Disposable subscription = client
          .headers(h -> {
            h.set(headers);
            if (subprotocols != null) {
              h.set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocols);
            }
          })
          .doOnConnected(c -> ProxyPipeline.addLast(c.channel().pipeline(), UpstreamHandshakeFilter.NAME, capture))
          .websocket(spec)
          .uri(target)
          .handle((in, out) -> {
            Connection[] holder = new Connection[1];
            in.withConnection(c -> holder[0] = c);
            Connection connection = holder[0];
            if (!settled.compareAndSet(false, true)) {
              connection.dispose(); // cancelled meanwhile (timeout, or the client left)
              return Mono.empty();
            }
            try {
              if (!capture.chosenIsOffered(subprotocols)) {
                connection.dispose();
                sink.error(new UpstreamFailure(UpstreamFailure.Kind.REJECTED, HttpResponseStatus.BAD_GATEWAY,
                    "upstream " + target + " chose subprotocol " + capture.chosen() + ", which the client did not "
                        + "offer", null));
                return Mono.empty();
              }
              FrameRelayHandler relay = ProxyPipeline.install(connection.channel(), Leg.UPSTREAM, setup);
              sink.success(new UpstreamLeg(connection, capture.chosen(), relay));
            } catch (RuntimeException e) {
              connection.dispose();
              sink.error(e);
              return Mono.empty();
            }
            return connection.onDispose();
          })
          .subscribe(null, error -> {
            if (settled.compareAndSet(false, true)) {
              sink.error(classify(target, error));
            } else {
              log.debug("upstream {}: {}", target, error.toString());
            }
          });
      sink.onCancel(() -> {
        settled.set(true);
        subscription.dispose();
      });
    });
    return attempt.timeout(timeout, Mono.error(() -> new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT,
        HttpResponseStatus.GATEWAY_TIMEOUT, "no WebSocket handshake answer from " + target + " within "
        + dev.wsgate.config.Durations.format(timeout), null)));
  }

  static UpstreamFailure classify(URI target, Throwable error) {
    if (error instanceof UpstreamFailure) {
      return (UpstreamFailure) error;
    }
    if (error instanceof WebSocketClientHandshakeException) {
      WebSocketClientHandshakeException e = (WebSocketClientHandshakeException) error;
      if (e.response() != null) {
        int code = e.response().status().code();
        if (code >= 400 && code <= 599) {
          return new UpstreamFailure(UpstreamFailure.Kind.REJECTED, e.response().status(),
              "upstream " + target + " rejected the handshake: " + e.response().status(), error);
        }
        return new UpstreamFailure(UpstreamFailure.Kind.REJECTED, HttpResponseStatus.BAD_GATEWAY,
            "upstream " + target + " answered the handshake badly (" + e.response().status() + "): "
                + e.getMessage(), error);
      }
      return new UpstreamFailure(UpstreamFailure.Kind.CONNECT, HttpResponseStatus.BAD_GATEWAY,
          "upstream " + target + ": " + e.getMessage(), error);
    }
    if (error instanceof ConnectTimeoutException || error instanceof TimeoutException) {
      return new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT, HttpResponseStatus.GATEWAY_TIMEOUT,
          "upstream " + target + " did not accept the connection in time", error);
    }
    String why = error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
    return new UpstreamFailure(UpstreamFailure.Kind.CONNECT, HttpResponseStatus.BAD_GATEWAY,
        "cannot connect to upstream " + target + ": " + why, error);
  }
}
