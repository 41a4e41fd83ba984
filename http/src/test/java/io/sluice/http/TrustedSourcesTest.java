package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/** CIDR blocks against address literals of every form, and the blocks a builder refuses. */
class TrustedSourcesTest {

  @Test
  void ipv4BlocksMatchTheirAddressesOnly() {
    TrustedSources sources = TrustedSources.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12");

    assertThat(sources.contains("10.0.0.0")).isTrue();
    assertThat(sources.contains("10.255.255.255")).isTrue();
    assertThat(sources.contains("11.0.0.0")).isFalse();
    assertThat(sources.contains("9.255.255.255")).isFalse();
    assertThat(sources.contains("192.168.1.7")).isTrue();
    assertThat(sources.contains("192.168.1.8")).isFalse();
    assertThat(sources.contains("172.31.255.255")).isTrue();
    assertThat(sources.contains("172.32.0.0")).isFalse();
    assertThat(sources.blocks()).containsExactly("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12");
  }

  @Test
  void ipv6BlocksMatchEveryTextualFormOfTheirAddresses() {
    TrustedSources sources = TrustedSources.of("2001:db8::/32", "::1/128", "fe80::/10");

    assertThat(sources.contains("2001:db8::1")).isTrue();
    assertThat(sources.contains("2001:DB8:0:0:0:0:0:1")).isTrue();
    assertThat(sources.contains("2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff")).isTrue();
    assertThat(sources.contains("2001:db9::")).isFalse();
    assertThat(sources.contains("::1")).isTrue();
    assertThat(sources.contains("0:0:0:0:0:0:0:1")).as("Java's getHostAddress form").isTrue();
    assertThat(sources.contains("[::1]")).as("bracketed, as in a URI").isTrue();
    assertThat(sources.contains("::2")).isFalse();
    assertThat(sources.contains("fe80::1%eth0")).as("a zone names an interface").isTrue();
    assertThat(sources.contains("fe80:0:0:0:0:0:0:1%2")).isTrue();
    assertThat(sources.contains("fec0::1")).isFalse();
  }

  @Test
  void anIpv4PeerOnADualStackSocketMatchesIpv4Blocks() {
    TrustedSources sources = TrustedSources.of("10.0.0.0/8");

    assertThat(sources.contains("::ffff:10.1.2.3")).isTrue();
    assertThat(sources.contains("0:0:0:0:0:ffff:a01:203")).isTrue();
    assertThat(sources.contains("::ffff:11.1.2.3")).isFalse();
    assertThat(sources.contains("::10.1.2.3")).as("IPv4-compatible is another address")
        .isFalse();
  }

  @Test
  void loopbackNoneAndAny() {
    assertThat(TrustedSources.loopback().contains("127.0.0.1")).isTrue();
    assertThat(TrustedSources.loopback().contains("127.255.0.9")).isTrue();
    assertThat(TrustedSources.loopback().contains("::1")).isTrue();
    assertThat(TrustedSources.loopback().contains("128.0.0.1")).isFalse();
    assertThat(TrustedSources.none().contains("127.0.0.1")).isFalse();
    assertThat(TrustedSources.any().contains("203.0.113.9")).isTrue();
    assertThat(TrustedSources.any().contains((String) null)).isTrue();
    assertThat(TrustedSources.any()).hasToString("TrustedSources[any]");
    assertThat(TrustedSources.of("0.0.0.0/0").contains("203.0.113.9")).isTrue();
    assertThat(TrustedSources.of("0.0.0.0/0").contains("2001:db8::1")).isFalse();
    assertThat(TrustedSources.of("::/0").contains("2001:db8::1")).isTrue();
  }

  @Test
  void textThatIsNoAddressLiteralIsNeverTrusted() {
    TrustedSources all = TrustedSources.of("0.0.0.0/0", "::/0");
    String[] notAddresses = {null, "", "localhost", "10.0.0", "10.0.0.0.1", "10.0.0.256",
        "010.0.0.1", "10.0.0.1 ", " 10.0.0.1", "10..0.1", "1e.0.0.1", "10.0.0.1/8", ":::",
        "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "::g", ":1::", "1::2:",
        "1:2:3:4:5:6:7::8", "::ffff:1.2.3", "::1.2.3.4.5", "::ffff:1.2.3.4:5", "[::1",
        "\u0661.0.0.1", "::\u0661", "1:2:3:4:5:6:1.2.3.4:5"};
    for (String text : notAddresses) {
      assertThat(all.contains(text)).as("%s", text).isFalse();
    }
    assertThat(all.contains("1:2:3:4:5:6:7::")).as("'::' for one group is allowed").isTrue();
    assertThat(all.contains("1:2:3:4:5:6:1.2.3.4")).isTrue();
  }

  @Test
  void inetAddressesMatchLikeTheirText() throws UnknownHostException {
    TrustedSources sources = TrustedSources.of("10.0.0.0/8", "2001:db8::/32");

    assertThat(sources.contains(InetAddress.getByName("10.9.8.7"))).isTrue();
    assertThat(sources.contains(InetAddress.getByName("11.9.8.7"))).isFalse();
    assertThat(sources.contains(InetAddress.getByName("2001:db8::5"))).isTrue();
    assertThat(sources.contains(InetAddress.getByName("2001:db9::5"))).isFalse();
    assertThat(sources.contains((InetAddress) null)).isFalse();
  }

  @Test
  void badBlocksAreNamed() {
    assertThatThrownBy(() -> TrustedSources.of("10.0.0.1/8"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("10.0.0.1/8 has bits set past its prefix length 8: write the network"
            + " address");
    assertThatThrownBy(() -> TrustedSources.of("10.0.0.0/33"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the prefix length of 10.0.0.0/33 must be in [0, 32] but was 33");
    assertThatThrownBy(() -> TrustedSources.of("::/129"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the prefix length of ::/129 must be in [0, 128] but was 129");
    assertThatThrownBy(() -> TrustedSources.of("10.0.0.0/"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was ");
    assertThatThrownBy(() -> TrustedSources.of("10.0.0.0/+8"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was +8");
    assertThatThrownBy(() -> TrustedSources.of("gateway.internal"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("blocks must be IP address literals with an optional /prefix but has"
            + " gateway.internal");
    assertThatThrownBy(() -> TrustedSources.of((String) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("block must not be null");
    assertThatThrownBy(() -> TrustedSources.of((String[]) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("blocks must not be null");
  }
}
