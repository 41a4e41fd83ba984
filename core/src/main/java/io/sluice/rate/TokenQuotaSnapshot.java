package io.sluice.rate;

/**
 * What a {@link TokenQuota} holds at one moment, read by {@link TokenQuota#snapshot()}: its table
 * of keys, its reservations, and what reconciliation and the two bounds cost. Counts are cumulative
 * since the quota was built (subtract an earlier snapshot for an interval) and read one after the
 * other, not at one instant. It is also the quota's {@link KeyedRateLimiterSnapshot}: the keys of
 * its table and their counts. Immutable.
 *
 * @param burst the configured burst of every key's bucket: the largest estimate admitted
 * @param maxKeys the most keys tracked at once
 * @param keys the keys tracked when the snapshot was read
 * @param evictions idle keys evicted
 * @param rejectedNewKeys admissions of new keys refused because the table was full
 * @param maxPending the most reservations held at once
 * @param pending the reservations not yet reconciled when the snapshot was read
 * @param rejectedForPending admissions refused because {@code maxPending} reservations were held
 * @param invalidReconciliations reconciliations refused: second ones, rejections, foreign tickets
 * @param forgivenDebt the total debt forgiven: beyond one burst, or for a key the full table could
 *     not track
 */
public record TokenQuotaSnapshot(
    int burst,
    int maxKeys,
    int keys,
    long evictions,
    long rejectedNewKeys,
    int maxPending,
    long pending,
    long rejectedForPending,
    long invalidReconciliations,
    long forgivenDebt) implements KeyedRateLimiterSnapshot {}
