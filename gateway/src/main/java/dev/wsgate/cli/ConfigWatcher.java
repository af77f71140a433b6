package dev.wsgate.cli;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when the content of the configuration file changes. It watches the file's directory, not the file, so
 * that editors that replace the file and Kubernetes, which swaps a ConfigMap's symbolic links, are both seen; events
 * are debounced, and a callback happens only when the bytes really changed.
 */
final class ConfigWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
  /** Changes closer together than this are one change: editors write a file in several steps. */
  static final long DEBOUNCE_MILLIS = 300;

  private final Path file;
  private final Runnable onChange;
  private final WatchService watch;
  private final Thread thread;
  private byte[] digest;

  ConfigWatcher(Path file, Runnable onChange) throws IOException {
    this.file = file.toAbsolutePath();
    this.onChange = onChange;
    this.digest = digest();
    this.watch = FileSystems.getDefault().newWatchService();
    this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    this.thread = new Thread(this::loop, "wsgate-config-watch");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void loop() {
    try {
      while (true) {
        WatchKey key = watch.take();
        // Debounce: collect what else arrives shortly after, then look at the file once.
        for (WatchKey more = key; more != null; more = watch.poll(DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS)) {
          more.pollEvents();
          more.reset();
        }
        byte[] now = digest();
        if (now != null && !Arrays.equals(now, digest)) {
          digest = now;
          log.info("{} changed: reloading", file);
          onChange.run();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException stopped) {
      // closed
    }
  }

  /** The digest of the file's bytes, or null while it cannot be read (in the middle of a replacement). */
  private byte[] digest() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    } catch (IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    watch.close();
    thread.interrupt();
  }
}
