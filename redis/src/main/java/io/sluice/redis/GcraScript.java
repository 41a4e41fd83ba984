package io.sluice.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/*
 * The QuotaStore step (see QuotaStore) as a Redis Lua script, run with EVALSHA (EVAL when the
 * server answers NOSCRIPT, which also caches it again). Redis runs a script atomically, so
 * contending nodes never retry: one round trip per step, however hot the key.
 *
 * Numbers. Redis's Lua has only doubles, exact for integers below 2^53. Epoch nanoseconds (about
 * 1.7e18) are not, so a bucket is stored as an anchor (seconds and nanoseconds, each exact) and the
 * TAT in scaled units since that anchor; every step re-anchors at its own `now` when `now` is past
 * the anchor, so the stored TAT is always in [0, tau] and rel = now - anchor stays small whenever
 * it matters. Quota keeps tau <= 2^51, so base + max * T <= 2 * tau stays below 2^53 and every sum,
 * product and division below is exact (floor and ceil of a quotient of integers below 2^53 are
 * exact in double arithmetic). Where rel is so large that rel * P is not exact, the bucket is full
 * (or, with a clock far behind the anchor, the step refuses), and the comparison is still right.
 *
 * The refusal's wait is ceil((base + min*T - tau)/P) - rel: subtracting whole nanoseconds after the
 * division is exact, so it equals core's ceil(excess / unitsPerNano) to the nanosecond.
 *
 * Clock. ARGV[6], ARGV[7] carry a shared clock's reading (seconds, nanoseconds); without them the
 * script reads Redis's TIME (microseconds), allowed because Redis 5 and later replicate a script's
 * effects, not the script. A clock that steps back behind the anchor keeps the anchor (no
 * re-anchoring), so a step back only makes the bucket stricter until time catches up.
 *
 * Memory. The value is one short string "anchorSeconds anchorNanos tat" with PX = the time until
 * the bucket is full, rounded up to the millisecond: a key disappears once it is full again, which
 * changes no decision because a missing bucket is full.
 */
final class GcraScript {
  static final String SOURCE = String.join("\n",
      "local p = tonumber(ARGV[1])",
      "local q = tonumber(ARGV[2])",
      "local tau = tonumber(ARGV[3])",
      "local min = tonumber(ARGV[4])",
      "local max = tonumber(ARGV[5])",
      "local sec, nsec",
      "if ARGV[6] then",
      "  sec = tonumber(ARGV[6])",
      "  nsec = tonumber(ARGV[7])",
      "else",
      "  local t = redis.call('TIME')",
      "  sec = tonumber(t[1])",
      "  nsec = tonumber(t[2]) * 1000",
      "end",
      "local asec, ansec, base, rel = sec, nsec, 0, 0",
      "local v = redis.call('GET', KEYS[1])",
      "if v then",
      "  local a, b, c = string.match(v, '^(%-?%d+) (%d+) (%d+)$')",
      "  if a then",
      "    asec, ansec, base = tonumber(a), tonumber(b), tonumber(c)",
      "    rel = (sec - asec) * 1000000000 + (nsec - ansec)",
      "    if rel * p >= base then",
      "      asec, ansec, base, rel = sec, nsec, 0, 0",
      "    end",
      "  end",
      "end",
      "local now = rel * p",
      "local available = math.floor((now + tau - base) / q)",
      "if max == 0 then",
      "  if available < 0 then return 0 end",
      "  return available",
      "end",
      "if available < min then",
      "  return rel - math.ceil((base + min * q - tau) / p)",
      "end",
      "local granted = available",
      "if granted > max then granted = max end",
      "local tat = base + granted * q",
      "local ahead",
      "if rel > 0 then",
      "  tat = tat - now",
      "  asec, ansec = sec, nsec",
      "  ahead = math.ceil(tat / p)",
      "else",
      "  ahead = math.ceil(tat / p) - rel",
      "end",
      "redis.call('SET', KEYS[1], string.format('%.0f %.0f %.0f', asec, ansec, tat),",
      "    'PX', math.ceil(ahead / 1000000))",
      "return granted");

  static final String SHA1 = sha1(SOURCE);

  private GcraScript() {}

  private static String sha1(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder(40);
      for (byte b : digest) {
        hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }
}
