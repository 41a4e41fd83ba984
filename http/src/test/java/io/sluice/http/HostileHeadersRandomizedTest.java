package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Priority;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The parsers against random hostile input (huge, repeated, malformed, non-ASCII, control
 * characters, lone surrogates), each checked against an independent reading of its documented
 * rules. Seeds are fixed, so a failure replays.
 */
class HostileHeadersRandomizedTest {
  private static final String[] PIECES = {"critical", "sheddable", "-plus", "_PLUS", "Critical",
      "SHEDDABLE", "plus", "-", "_", ",", ", ", " ", "\t", "\u0000", "\r\n", "\u007f", "é",
      "東京", "\ud83d\ude00", "\ud800", "\udc00", "\u017f", "\u212a", "alice", "x", "%2c", "\""};

  private static final Pattern TRIM = Pattern.compile("^[ \t]+|[ \t]+$");

  private static String hostile(Random random) {
    StringBuilder s = new StringBuilder();
    int pieces = random.nextInt(8);
    for (int i = 0; i < pieces; i++) {
      s.append(PIECES[random.nextInt(PIECES.length)]);
    }
    if (random.nextInt(200) == 0) {
      s.append("x".repeat(random.nextInt(100_000)));
    }
    return s.toString();
  }

  // ------------------------------------------------------------------------------ priority

  private static final Pattern[] LEVEL_NAMES = {
      Pattern.compile("(?i)critical[-_]plus"), Pattern.compile("(?i)critical"),
      Pattern.compile("(?i)sheddable[-_]plus"), Pattern.compile("(?i)sheddable")};

  /** The documented rules, written plainly: split, trim, match ASCII case-insensitively. */
  private static Priority reference(List<String> lines, boolean trusted, Priority byDefault,
      boolean mayLower) {
    List<String> values = values(lines);
    int largest = -1;
    for (String value : values) {
      for (int level = 0; level < LEVEL_NAMES.length; level++) {
        if (LEVEL_NAMES[level].matcher(value).matches()) {
          largest = Math.max(largest, level);
        }
      }
    }
    if (largest < 0) {
      return byDefault;
    }
    int asked = values.size() == 1 ? largest : Math.max(largest, byDefault.ordinal());
    if (trusted || (mayLower && asked > byDefault.ordinal())) {
      return Priority.values()[asked];
    }
    return byDefault;
  }

  /** The field's values: its lines split at commas, trimmed, empty elements left out. */
  private static List<String> values(List<String> lines) {
    List<String> values = new ArrayList<>();
    for (String line : lines) {
      for (String member : line.split(",", -1)) {
        String trimmed = TRIM.matcher(member).replaceAll("");
        if (!trimmed.isEmpty()) {
          values.add(trimmed);
        }
      }
    }
    return values;
  }

  @Test
  void priorityFieldsResolveAsTheRulesSayAndUntrustedOnesNeverRise() {
    Random random = new Random(7);
    for (int n = 0; n < 20_000; n++) {
      Priority byDefault = Priority.values()[random.nextInt(Priority.LEVELS)];
      boolean mayLower = random.nextBoolean();
      PriorityHeader header = PriorityHeader.newBuilder().defaultPriority(byDefault)
          .untrustedMayLower(mayLower).build();
      List<String> lines = new ArrayList<>();
      for (int k = random.nextInt(3) + 1; k > 0; k--) {
        lines.add(hostile(random));
      }
      boolean trusted = random.nextBoolean();

      Priority resolved = lines.size() == 1 ? header.resolve(lines.get(0), trusted)
          : header.resolve(lines, trusted);

      assertThat(resolved).as("%.60s", lines)
          .isEqualTo(reference(lines, trusted, byDefault, mayLower));
      if (!trusted) {
        assertThat(resolved.ordinal()).as("untrusted never above the default")
            .isGreaterThanOrEqualTo(byDefault.ordinal());
      }
      if (values(lines).size() > 1) {
        assertThat(resolved.ordinal()).as("repeated never above the default")
            .isGreaterThanOrEqualTo(byDefault.ordinal());
      }
    }
  }

  // -------------------------------------------------------------------------------- tenant

  @Test
  void tenantFieldsAreATenantOrMalformedAndNothingElse() {
    Random random = new Random(11);
    TenantHeader header = TenantHeader.newBuilder().maxOctets(64).build();
    int accepted = 0;
    int refused = 0;
    for (int n = 0; n < 20_000; n++) {
      String value = hostile(random);
      String trimmed = TRIM.matcher(value).replaceAll("");
      boolean valid = !trimmed.isEmpty() && trimmed.chars().noneMatch(
          c -> c == ',' || c < 0x20 || c == 0x7f);
      byte[] octets = null;
      if (valid) {
        boolean text = trimmed.chars().anyMatch(c -> c > 0xff);
        boolean unpaired = trimmed.codePoints().anyMatch(c -> c >= 0xd800 && c <= 0xdfff);
        valid = !(text && unpaired);
        octets = text ? trimmed.getBytes(StandardCharsets.UTF_8)
            : trimmed.getBytes(StandardCharsets.ISO_8859_1);
        valid = valid && octets.length <= 64 && (text || trimmed.length() <= 64);
      }
      try {
        Tenant tenant = header.resolve(value);
        assertThat(valid).as("accepted %.60s", value).isTrue();
        assertThat(tenant.octets()).isEqualTo(octets);
        assertThat(tenant.partitionKey()).isEqualTo(StructuredFields.byteSequence(octets));
        accepted++;
      } catch (MalformedHeaderException e) {
        assertThat(valid).as("refused %.60s: %s", value, e.getMessage()).isFalse();
        assertThat(e.fieldName()).isEqualTo("X-Tenant");
        refused++;
      }
    }
    assertThat(accepted).as("the input covers both outcomes").isGreaterThan(1000);
    assertThat(refused).isGreaterThan(1000);
  }

  // ------------------------------------------------------------------------ trusted sources

  @Test
  void addressLiteralsMatchLikeTheirInetAddressAndAPrefixComparison()
      throws UnknownHostException {
    Random random = new Random(5);
    for (int n = 0; n < 2_000; n++) {
      boolean v4 = random.nextBoolean();
      byte[] network = new byte[v4 ? 4 : 16];
      random.nextBytes(network);
      int prefix = random.nextInt(network.length * 8 + 1);
      clearPast(network, prefix);
      String block = InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
      TrustedSources sources = TrustedSources.of(block);
      for (int k = 0; k < 20; k++) {
        byte[] address = network.clone();
        // Flip a random bit, often inside the prefix, often past it.
        int bit = random.nextInt(address.length * 8);
        if (random.nextBoolean()) {
          address[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        }
        InetAddress inet = InetAddress.getByAddress(address);
        boolean expected = samePrefix(network, address, prefix);
        assertThat(sources.contains(inet)).as("%s in %s", inet, block).isEqualTo(expected);
        assertThat(sources.contains(inet.getHostAddress())).as("%s in %s", inet, block)
            .isEqualTo(expected);
        if (!v4) {
          assertThat(sources.contains(compressed(address))).as("%s in %s", compressed(address),
              block).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void garbageIsNeverTrustedAndNeverThrows() {
    TrustedSources all = TrustedSources.of("0.0.0.0/0", "::/0");
    Random random = new Random(3);
    String alphabet = "0123456789abcdefABCDEF:.[]%/ \u0661\u00e9eth_";
    for (int n = 0; n < 100_000; n++) {
      StringBuilder s = new StringBuilder();
      for (int k = random.nextInt(45); k > 0; k--) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String text = s.toString();
      boolean trusted = all.contains(text);
      if (trusted) {
        assertThat(isLiteral(text)).as(text).isTrue();
      }
    }
  }

  /** Whether the JDK reads {@code text} as an IP address literal (no lookup: literals only). */
  private static boolean isLiteral(String text) {
    String t = text.startsWith("[") && text.endsWith("]")
        ? text.substring(1, text.length() - 1) : text;
    int zone = t.indexOf('%');
    if (zone >= 0 && (t.indexOf(':') < 0 || zone == t.length() - 1
        || !t.substring(zone + 1).matches("[A-Za-z0-9._~-]+"))) {
      return false;
    }
    String address = zone >= 0 ? t.substring(0, zone) : t;
    if (address.isEmpty() || (t != text && address.indexOf(':') < 0)
        || !address.chars().allMatch(c -> c < 0x80 && (Character.digit(c, 16) >= 0
        || c == ':' || c == '.'))) {
      return false;
    }
    try {
      InetAddress.getByName(address);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void clearPast(byte[] octets, int prefix) {
    for (int bit = prefix; bit < octets.length * 8; bit++) {
      octets[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
  }

  private static boolean samePrefix(byte[] a, byte[] b, int prefix) {
    int shift = a.length * 8 - prefix;
    return new BigInteger(1, a).shiftRight(shift).equals(new BigInteger(1, b).shiftRight(shift));
  }

  /** Returns the RFC 5952 form: the longest run of zero groups as "::", lowercase hex. */
  private static String compressed(byte[] address) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = (address[2 * i] & 0xff) << 8 | (address[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; i++) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLength - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(groups[i]));
    }
    return s.toString();
  }
}
