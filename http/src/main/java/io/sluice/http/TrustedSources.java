package io.sluice.http;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The peers whose request header fields are believed: a set of address blocks in CIDR notation
 * ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, a single {@code 127.0.0.1}). A {@link PriorityHeader}
 * honours a priority only from a peer in the set.
 *
 * <p>The address to check is the peer of the connection, as the server gives it (a servlet's
 * {@code getRemoteAddr()}), never a forwarded address a client can write
 * ({@code X-Forwarded-For}, {@code Forwarded}): behind a proxy, trust the proxy's address, and only
 * if the proxy overwrites the field rather than passing the client's on.
 *
 * <p>IPv4 addresses are compared as their IPv4-mapped IPv6 form ({@code ::ffff:a.b.c.d}), so an
 * IPv4 peer reported by a dual-stack socket as {@code ::ffff:10.1.2.3} matches {@code 10.0.0.0/8}.
 * Text that is not an IP address literal (a host name, garbage) is never trusted: nothing is ever
 * looked up.
 *
 * <p>Immutable and thread-safe. {@link #contains(CharSequence)} parses the text in place and
 * allocates nothing; its cost grows with the number of blocks (a handful, in practice).
 */
public final class TrustedSources {
  /*
   * Design: an address is a 128-bit value held in two longs (hi, lo); IPv4 a.b.c.d is
   * ::ffff:a.b.c.d. A block is (network, mask) pairs in parallel arrays; an address is in a block
   * when (address & mask) == network, half by half. The text parser accumulates 16-bit groups into
   * a 128-bit value by shifting; at "::" it sets the groups so far aside (the head) and starts
   * again, and at the end moves the head up past the groups that "::" stands for. It hands the
   * result to a sink rather than returning it, so that checking a peer allocates no holder for
   * the two halves.
   */

  private static final long MAPPED_IPV4 = 0x0000_ffff_0000_0000L;
  private static final TrustedSources NONE = new TrustedSources(new String[0], false);
  private static final TrustedSources ANY = new TrustedSources(new String[0], true);

  private final String[] blocks;
  private final boolean any;
  private final long[] networkHi;
  private final long[] networkLo;
  private final long[] maskHi;
  private final long[] maskLo;
  /** Created once: {@link #contains(CharSequence)} must not allocate a method reference. */
  private final AddressSink matcher = this::matches;

  private TrustedSources(String[] blocks, boolean any) {
    this.blocks = blocks;
    this.any = any;
    int n = blocks.length;
    this.networkHi = new long[n];
    this.networkLo = new long[n];
    this.maskHi = new long[n];
    this.maskLo = new long[n];
    for (int i = 0; i < n; i++) {
      parseBlock(i, blocks[i]);
    }
  }

  /** Returns the empty set: no peer is trusted (what a {@link PriorityHeader} starts with). */
  public static TrustedSources none() {
    return NONE;
  }

  /**
   * Returns the set of every peer: for a server that only a gateway can reach and that sets or
   * removes the fields itself.
   */
  public static TrustedSources any() {
    return ANY;
  }

  /** Returns the loopback blocks, {@code 127.0.0.0/8} and {@code ::1/128}: peers on this host. */
  public static TrustedSources loopback() {
    return of("127.0.0.0/8", "::1/128");
  }

  /**
   * Returns the set of these blocks: each an IPv4 or IPv6 address literal, optionally followed by
   * {@code /} and a prefix length (an address alone is a single host).
   *
   * @throws IllegalArgumentException naming the block, if one is not an address literal, has a
   *     prefix length out of range, or has bits set past its prefix ({@code 10.0.0.1/8})
   */
  public static TrustedSources of(String... blocks) {
    Checks.notNull("blocks", blocks);
    return new TrustedSources(blocks.clone(), false);
  }

  /** Returns whether the peer whose address literal is {@code address} is trusted (null: no). */
  public boolean contains(CharSequence address) {
    if (any) {
      return true;
    }
    if (address == null || blocks.length == 0) {
      return false;
    }
    int from = 0;
    int to = address.length();
    boolean bracketed = to >= 2 && address.charAt(0) == '[' && address.charAt(to - 1) == ']';
    if (bracketed) {
      from = 1;
      to--;
    }
    int zone = to;
    boolean colon = false;
    for (int i = from; i < zone; i++) {
      char c = address.charAt(i);
      if (c == ':') {
        colon = true;
      } else if (c == '%') {
        zone = i;
      }
    }
    if (zone < to) { // an IPv6 zone: which interface, not which peer; it must still be one
      if (zone + 1 == to || !colon) {
        return false;
      }
      for (int i = zone + 1; i < to; i++) {
        if (!isZoneChar(address.charAt(i))) {
          return false;
        }
      }
    }
    if (!colon) {
      if (bracketed) {
        return false; // brackets belong to IPv6 literals only
      }
      long v4 = parseIpv4(address, from, to);
      return v4 >= 0 && matches(0L, MAPPED_IPV4 | v4);
    }
    return parseIpv6(address, from, zone, matcher);
  }

  /** Returns whether the peer at {@code address} is trusted (null: no). */
  public boolean contains(InetAddress address) {
    if (any) {
      return true;
    }
    if (address == null) {
      return false;
    }
    byte[] octets = address.getAddress();
    if (address instanceof Inet4Address) {
      return matches(0L, MAPPED_IPV4 | (readLong(octets, 0, 4) & 0xffff_ffffL));
    }
    return matches(readLong(octets, 0, 8), readLong(octets, 8, 16));
  }

  /** Returns the blocks, as given. */
  public List<String> blocks() {
    return any ? List.of("any") : List.of(blocks);
  }

  @Override
  public String toString() {
    return "TrustedSources" + (any ? "[any]" : Arrays.toString(blocks));
  }

  private boolean matches(long hi, long lo) {
    for (int i = 0; i < networkHi.length; i++) {
      if ((hi & maskHi[i]) == networkHi[i] && (lo & maskLo[i]) == networkLo[i]) {
        return true;
      }
    }
    return false;
  }

  private void parseBlock(int i, String block) {
    Checks.notNull("block", block);
    int slash = block.indexOf('/');
    int end = slash < 0 ? block.length() : slash;
    List<Long> address = new ArrayList<>(2);
    boolean ipv4 = block.lastIndexOf(':', end) < 0;
    if (!parse(block, 0, end, (hi, lo) -> address.add(hi) && address.add(lo))) {
      throw new IllegalArgumentException(
          "blocks must be IP address literals with an optional /prefix but has " + block);
    }
    int max = ipv4 ? 32 : 128;
    int prefix = max;
    if (slash >= 0) {
      String digits = block.substring(slash + 1);
      prefix = digits.matches("[0-9]{1,3}") ? Integer.parseInt(digits) : -1;
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("the prefix length of " + block + " must be in [0, "
            + max + "] but was " + digits);
      }
    }
    int bits = ipv4 ? 96 + prefix : prefix;
    maskHi[i] = bits >= 64 ? -1L : bits == 0 ? 0L : -1L << (64 - bits);
    maskLo[i] = bits <= 64 ? 0L : bits == 128 ? -1L : -1L << (128 - bits);
    networkHi[i] = address.get(0);
    networkLo[i] = address.get(1);
    if ((networkHi[i] & ~maskHi[i]) != 0 || (networkLo[i] & ~maskLo[i]) != 0) {
      throw new IllegalArgumentException(block + " has bits set past its prefix length "
          + prefix + ": write the network address");
    }
  }

  /** Returns whether {@code c} may be part of an IPv6 zone (an interface name or number). */
  private static boolean isZoneChar(char c) {
    return c < 0x80 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'
        || c == '~');
  }

  private static boolean hasColon(CharSequence s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == ':') {
        return true;
      }
    }
    return false;
  }

  /** Receives a parsed address, in two halves. */
  @FunctionalInterface
  private interface AddressSink {
    boolean accept(long hi, long lo);
  }

  /**
   * Parses an IPv4 (dotted decimal, no leading zeros) or IPv6 literal in {@code s[from, to)} and
   * passes it to {@code sink}; returns false if it is not one, else what the sink returns.
   */
  private static boolean parse(CharSequence s, int from, int to, AddressSink sink) {
    if (!hasColon(s, from, to)) {
      long v4 = parseIpv4(s, from, to);
      return v4 >= 0 && sink.accept(0L, MAPPED_IPV4 | v4);
    }
    return parseIpv6(s, from, to, sink);
  }

  /**
   * Parses the IPv6 literal (RFC 4291, section 2.2: groups, {@code ::}, a dotted IPv4 tail) in
   * {@code s[from, to)}, which holds a colon, and passes it to {@code sink}; returns false if it
   * is not one, else what the sink returns.
   */
  private static boolean parseIpv6(CharSequence s, int from, int to, AddressSink sink) {
    long hi = 0; // the groups since the start, or since "::" once there is one
    long lo = 0;
    int groups = 0;
    long headHi = 0; // the groups before "::"
    long headLo = 0;
    int head = -1; // how many groups precede "::"; -1 while there is none
    int i = from;
    if (to - from >= 2 && s.charAt(i) == ':' && s.charAt(i + 1) == ':') {
      head = 0;
      i += 2;
    } else if (s.charAt(i) == ':') {
      return false;
    }
    while (i < to) {
      int start = i;
      int group = 0;
      for (int d; i < to && i - start <= 4 && s.charAt(i) < 0x80
          && (d = Character.digit(s.charAt(i), 16)) >= 0; i++) {
        group = group << 4 | d;
      }
      if (i < to && s.charAt(i) == '.') { // a dotted IPv4 tail: the last two groups
        long v4 = parseIpv4(s, start, to);
        if (v4 < 0) {
          return false;
        }
        hi = hi << 32 | lo >>> 32;
        lo = lo << 32 | v4;
        groups += 2;
        break;
      }
      if (i == start || i - start > 4) {
        return false;
      }
      hi = hi << 16 | lo >>> 48;
      lo = lo << 16 | group;
      groups++;
      if (i == to) {
        break;
      }
      if (s.charAt(i) != ':' || ++i == to) {
        return false; // not a separator, or a trailing single colon
      }
      if (s.charAt(i) == ':') {
        if (head >= 0) {
          return false; // a second "::"
        }
        head = groups;
        headHi = hi;
        headLo = lo;
        hi = 0;
        lo = 0;
        groups = 0;
        i++;
      }
    }
    if (head < 0) {
      return groups == 8 && sink.accept(hi, lo);
    }
    if (head + groups > 7) {
      return false;
    }
    // Move the head up past the groups "::" stands for; it has head * 16 significant bits.
    int shift = 16 * (8 - head);
    if (shift >= 128) {
      return sink.accept(hi, lo);
    } else if (shift >= 64) {
      return sink.accept(headLo << (shift - 64) | hi, lo);
    }
    return sink.accept((headHi << shift | headLo >>> (64 - shift)) | hi, headLo << shift | lo);
  }

  /** Returns the dotted-decimal IPv4 address in {@code s[from, to)} as 32 bits, or -1. */
  private static long parseIpv4(CharSequence s, int from, int to) {
    long address = 0;
    int parts = 0;
    int i = from;
    while (parts < 4) {
      int start = i;
      int part = 0;
      while (i < to && i - start < 3 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        part = part * 10 + (s.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || part > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return -1; // empty, too large, or a leading zero (which some parsers read as octal)
      }
      address = address << 8 | part;
      parts++;
      if (parts < 4) {
        if (i == to || s.charAt(i) != '.') {
          return -1;
        }
        i++;
      }
    }
    return i == to ? address : -1;
  }

  private static long readLong(byte[] octets, int from, int to) {
    long value = 0;
    for (int i = from; i < to; i++) {
      value = value << 8 | (octets[i] & 0xff);
    }
    return value;
  }
}
