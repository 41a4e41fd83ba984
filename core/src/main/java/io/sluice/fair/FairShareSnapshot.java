package io.sluice.fair;

/**
 * What a {@link FairShare} gate holds and has counted, read by {@link FairShare#snapshot()}. Its
 * limiter (the global limit, refusals by reason) is read separately, with
 * {@code gate.limiter().snapshot()}. Counts are cumulative since the gate was built and read one
 * after the other, not at one instant. Immutable.
 *
 * @param tenants the tenants tracked when the snapshot was read, in {@code [0, maxTenants]}
 * @param maxTenants the most tenants tracked at once
 * @param activeWeight the total weight of the tenants whose work held units
 * @param fairShareRejections requests refused with {@code FAIR_SHARE}
 * @param overflowAdmissions admissions accounted to the overflow tenant (the table was full)
 * @param evictions idle tenants evicted
 * @param invalidReleases releases ignored: second releases, rejections and foreign tickets
 */
public record FairShareSnapshot(
    int tenants,
    int maxTenants,
    long activeWeight,
    long fairShareRejections,
    long overflowAdmissions,
    long evictions,
    long invalidReleases) {}
