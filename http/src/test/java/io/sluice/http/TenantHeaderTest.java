package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tenant of every kind of field value: golden keys and partition keys, and the 400s. */
class TenantHeaderTest {
  private final TenantHeader tenants = TenantHeader.newBuilder().build();

  /** The field value a server hands over when a client sends {@code text} in UTF-8. */
  private static String sentInUtf8(String text) {
    return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  @Test
  void aValueIsItsTenantWithoutSurroundingWhitespace() throws MalformedHeaderException {
    Tenant alice = tenants.resolve(" \talice\t ");

    assertThat(alice.key()).isEqualTo("alice");
    assertThat(alice.partitionKey()).isEqualTo(":YWxpY2U=:");
    assertThat(alice).isEqualTo(Tenant.of("alice")).hasSameHashCodeAs(Tenant.of("alice"))
        .hasToString("alice");
    assertThat(tenants.resolve("Acme Corp").displayName()).isEqualTo("Acme Corp");
  }

  @Test
  void aNameSentInUtf8KeepsItsOctets() throws MalformedHeaderException {
    Tenant zoe = tenants.resolve(sentInUtf8("Zoë"));

    assertThat(zoe.octets()).containsExactly(0x5a, 0x6f, 0xc3, 0xab);
    assertThat(zoe.partitionKey()).isEqualTo(":Wm/Dqw==:");
    assertThat(zoe).isEqualTo(Tenant.of("Zoë"));
    assertThat(zoe.displayName()).isEqualTo("Zoë");
    Tenant tokyo = tenants.resolve(sentInUtf8("東京"));
    assertThat(tokyo.partitionKey()).isEqualTo(":5p2x5Lqs:");
    assertThat(tokyo.displayName()).isEqualTo("東京");
  }

  @Test
  void octetsThatAreNotUtf8StayOctetsAndDisplayOneCharacterEach()
      throws MalformedHeaderException {
    Tenant latin1 = tenants.resolve("Jo\u00eb"); // sent as ISO-8859-1: one octet 0xEB

    assertThat(latin1.octets()).containsExactly(0x4a, 0x6f, 0xeb);
    assertThat(latin1.partitionKey()).isEqualTo(":Sm/r:");
    assertThat(latin1).isNotEqualTo(Tenant.of("Joë"));
    assertThat(latin1.displayName()).isEqualTo("Jo\u00eb");
  }

  @Test
  void textAboveU00ffIsEncodedInUtf8Once() throws MalformedHeaderException {
    // A server that decoded the octets as UTF-8 itself hands over text.
    Tenant tokyo = tenants.resolve("東京");

    assertThat(tokyo).isEqualTo(Tenant.of("東京"));
    assertThat(tokyo.partitionKey()).isEqualTo(":5p2x5Lqs:");
  }

  @Test
  void noFieldIsTheAnonymousTenantOrMalformedWhenRequired() throws MalformedHeaderException {
    assertThat(tenants.resolve((String) null)).isEqualTo(Tenant.of("anonymous"))
        .isSameAs(tenants.anonymous());
    assertThat(tenants.resolve(List.of())).isSameAs(tenants.anonymous());
    TenantHeader named = TenantHeader.newBuilder().anonymous("guest").build();
    assertThat(named.resolve((String) null)).isEqualTo(Tenant.of("guest"));

    TenantHeader required = TenantHeader.newBuilder().required().build();
    assertThat(required.anonymous()).isNull();
    assertMalformed(required, null, "missing");
  }

  @Test
  void malformedValuesAreRefusedNamingTheRule() {
    assertMalformed(tenants, "", "empty");
    assertMalformed(tenants, " \t ", "empty");
    assertMalformed(tenants, "alice, bob", "more than one value");
    assertMalformed(tenants, "alice,", "more than one value");
    assertMalformed(tenants, "al\u0000ice", "a control character");
    assertMalformed(tenants, "al\tice", "a control character");
    assertMalformed(tenants, "alice\r\nX-Admin: 1", "a control character");
    assertMalformed(tenants, "del\u007f", "a control character");
    assertMalformed(tenants, "x".repeat(129), "longer than 128 octets");
    assertMalformed(tenants, "x".repeat(1 << 20), "longer than 128 octets");
    assertMalformed(tenants, "東".repeat(50), "longer than 128 octets"); // 150 octets in UTF-8
    assertMalformed(tenants, "a\ud800b\u4e00", "an unpaired surrogate");
  }

  @Test
  void theFieldTwiceIsMalformedWhateverTheValues() throws MalformedHeaderException {
    assertThat(tenants.resolve(List.of("alice"))).isEqualTo(Tenant.of("alice"));
    MalformedHeaderException twice = org.junit.jupiter.api.Assertions.assertThrows(
        MalformedHeaderException.class, () -> tenants.resolve(List.of("alice", "alice")));
    assertThat(twice.fieldName()).isEqualTo("X-Tenant");
    assertThat(twice.problem()).isEqualTo("more than one value");
    assertThat(twice).hasMessage("X-Tenant: more than one value");
    assertThat(twice.getStackTrace()).as("no stack walk for a client's mistake").isEmpty();
  }

  @Test
  void theLimitAndNameAreConfigurable() throws MalformedHeaderException {
    TenantHeader small = TenantHeader.newBuilder().name("X-Api-Key").maxOctets(4).build();

    assertThat(small.resolve("abcd").key()).isEqualTo("abcd");
    assertThat(small.name()).isEqualTo("X-Api-Key");
    assertThat(small.maxOctets()).isEqualTo(4);
    assertMalformed(small, "abcde", "longer than 4 octets");
    assertThatThrownBy(() -> TenantHeader.newBuilder().maxOctets(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxOctets must be in [1, 8192] but was 0");
    assertThatThrownBy(() -> TenantHeader.newBuilder().name("X Tenant"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must be a field name (a token of RFC 9110) but was X Tenant");
    assertThatThrownBy(() -> TenantHeader.newBuilder().anonymous(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be empty");
    assertThatThrownBy(() -> Tenant.of(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be null");
  }

  private static void assertMalformed(TenantHeader header, String value, String problem) {
    assertThatThrownBy(() -> header.resolve(value))
        .as("%.40s", value)
        .isInstanceOf(MalformedHeaderException.class)
        .hasMessage(header.name() + ": " + problem);
  }
}
