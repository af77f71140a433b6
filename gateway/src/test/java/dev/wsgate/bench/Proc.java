package dev.wsgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What {@code /proc} tells of a process: CPU time, memory, open files, and the TCP states of its sockets. */
final class Proc {

  /** Clock ticks per second of {@code /proc/PID/stat} (USER_HZ). */
  static final double TICKS_PER_SECOND = 100;

  private static final String[] TCP_STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
      "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

  private Proc() {}

  /** User and system CPU time of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
  static long[] cpuTicks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    } catch (IOException gone) {
      return new long[] {0, 0};
    }
  }

  /**
   * A field of {@code /proc/PID/status} given in kB, such as {@code VmRSS}, in KiB; -1 when the process has gone
   * or the field is missing.
   */
  static long statusKiB(long pid, String field) {
    return kibField(Path.of("/proc/" + pid + "/status"), field);
  }

  /**
   * A field of {@code /proc/PID/smaps_rollup} (Linux 4.14 and later), such as {@code Pss}: the process's resident
   * pages, each shared one divided by the number of processes that map it; in KiB, -1 when unknown.
   */
  static long smapsRollupKiB(long pid, String field) {
    return kibField(Path.of("/proc/" + pid + "/smaps_rollup"), field);
  }

  private static long kibField(Path file, String field) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(field + ":")) {
          String[] f = line.substring(field.length() + 1).trim().split("\\s+");
          return Long.parseLong(f[0]);
        }
      }
    } catch (IOException | NumberFormatException gone) {
      // the process has ended, or the file is not there
    }
    return -1;
  }

  /**
   * Memory the kernel's TCP stack holds for all sockets of the machine, in bytes ({@code mem} pages of the TCP line
   * of {@code /proc/net/sockstat}); -1 when unknown. Compare with {@code /proc/sys/net/ipv4/tcp_mem}.
   */
  static long kernelTcpMemoryBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/net/sockstat"))) {
        if (line.startsWith("TCP:")) {
          String[] f = line.split("\\s+");
          for (int i = 0; i + 1 < f.length; i++) {
            if (f[i].equals("mem")) {
              return Long.parseLong(f[i + 1]) * 4096;
            }
          }
        }
      }
    } catch (IOException | NumberFormatException unknown) {
      // not Linux, or another format
    }
    return -1;
  }

  /**
   * The kernel's TCP counters that tell of trouble on a loopback, which loses nothing by itself: time under global
   * TCP memory pressure (ms), retransmission timeouts, segments dropped for a full receive queue, segments
   * retransmitted. Since boot, for the whole machine ({@code /proc/net/netstat}, {@code /proc/net/snmp}).
   */
  static Map<String, Long> kernelTcpCounters() {
    Map<String, Long> c = new TreeMap<>();
    readCounters("/proc/net/netstat", "TcpExt:", List.of("TCPMemoryPressuresChrono", "TCPTimeouts", "TCPRcvQDrop"),
        c);
    readCounters("/proc/net/snmp", "Tcp:", List.of("RetransSegs"), c);
    return c;
  }

  private static void readCounters(String file, String prefix, List<String> names, Map<String, Long> into) {
    try {
      String[] header = null;
      for (String line : Files.readAllLines(Path.of(file))) {
        if (!line.startsWith(prefix)) {
          continue;
        }
        String[] f = line.trim().split("\\s+");
        if (header == null) {
          header = f;
        } else {
          for (int i = 1; i < f.length && i < header.length; i++) {
            if (names.contains(header[i])) {
              into.put(header[i], Long.parseLong(f[i]));
            }
          }
          return;
        }
      }
    } catch (IOException | NumberFormatException unknown) {
      // not Linux, or another format
    }
  }

  /** The soft limit of open files of a process ({@code Max open files} in /proc/PID/limits); -1 when unknown. */
  static long openFilesLimit(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
        }
      }
    } catch (IOException | NumberFormatException gone) {
      // the process has ended
    }
    return -1;
  }

  /** Entries of {@code /proc/PID/fd}: the process's open files, sockets included. */
  static int openFiles(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    }
  }

  /**
   * The open files of a process by kind: its TCP sockets by state ({@code tcp ESTABLISHED}, {@code tcp CLOSE_WAIT}:
   * the peer has closed and the process has not...), other sockets, pipes, files.
   */
  static Map<String, Integer> openFileKinds(long pid) throws IOException {
    Map<String, String> tcpStateByInode = new HashMap<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path p = Path.of(table);
      if (!Files.exists(p)) {
        continue;
      }
      try (Stream<String> lines = Files.lines(p)) {
        lines.skip(1).forEach(line -> {
          String[] f = line.trim().split("\\s+");
          int st = Integer.parseInt(f[3], 16);
          tcpStateByInode.put(f[9], "tcp " + (st < TCP_STATES.length ? TCP_STATES[st] : f[3]));
        });
      }
    }
    Map<String, Integer> kinds = new TreeMap<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds.forEach(fd -> {
        String kind;
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            kind = tcpStateByInode.getOrDefault(target.substring(8, target.length() - 1), "other socket");
          } else if (target.startsWith("pipe:")) {
            kind = "pipe";
          } else if (target.startsWith("anon_inode:")) {
            kind = target;
          } else {
            kind = "file";
          }
        } catch (IOException closedMeanwhile) {
          return;
        }
        kinds.merge(kind, 1, Integer::sum);
      });
    }
    return kinds;
  }
}
