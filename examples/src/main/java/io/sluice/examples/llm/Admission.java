package io.sluice.examples.llm;

import io.sluice.Priority;

/*
 * What the gateway took for one admitted request, to give back when it ends: the quota
 * reservations, the admission permit (a limiter's permit, or the fair-share gate's), and the cost
 * charged. Written by the handler thread before the
 * request reaches the model (the model's inbox hands it over), then read by whichever thread
 * settles it; units changes on the model's thread only.
 */
final class Admission {
  final ApiKeys.Key key;
  final Priority priority;
  final long requestReservation;
  final long tokenReservation;
  final int maxTokens;
  final int estimatedTokens;
  final long receivedNanos;
  long permit = -1;
  volatile int units;

  Admission(ApiKeys.Key key, Priority priority, long requestReservation, long tokenReservation,
      int maxTokens, int estimatedTokens, long receivedNanos) {
    this.key = key;
    this.priority = priority;
    this.requestReservation = requestReservation;
    this.tokenReservation = tokenReservation;
    this.maxTokens = maxTokens;
    this.estimatedTokens = estimatedTokens;
    this.receivedNanos = receivedNanos;
  }
}
