package dev.wsgate.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HeapInfoTest {

  @Test
  void g1() {
    assertThat(HeapInfo.usedBytes("""
        12066:
         garbage-first heap   total 262144K, used 11878K [0x0000000687400000, 0x0000000800000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
         Metaspace       used 21457K, committed 21760K, reserved 1114112K
        """)).isEqualTo(11878L * 1024);
  }

  @Test
  void serialSumsItsGenerations() {
    assertThat(HeapInfo.usedBytes("""
        12470:
         def new generation   total 116160K, used 20659K [0x0000000687400000, 0x000000068f200000)
          eden space 103296K,  20% used [0x0000000687400000, 0x000000068882ce98, 0x000000068d8e0000)
          from space 12864K,   0% used [0x000000068d8e0000, 0x000000068d8e0000, 0x000000068e570000)
         tenured generation   total 258048K, used 1000K [0x00000006d2000000, 0x00000006e1c00000)
         Metaspace       used 9000K, committed 9216K, reserved 1056768K
        """)).isEqualTo((20659L + 1000) * 1024);
  }

  @Test
  void shenandoah() {
    assertThat(HeapInfo.usedBytes("""
        12431:
        Shenandoah Heap
         6028M max, 6028M soft max, 378M committed, 20480K used
         3014 x 2048K regions
        """)).isEqualTo(20480L * 1024);
  }

  @Test
  void noFigureFailsNamingTheText() {
    assertThatThrownBy(() -> HeapInfo.usedBytes("12:\n Metaspace used 1K, committed 2K\n"))
        .hasMessageContaining("Metaspace used 1K");
  }
}
