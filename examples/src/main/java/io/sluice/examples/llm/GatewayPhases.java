package io.sluice.examples.llm;

import java.util.Locale;

/*
 * Where the gateway's time goes, for the demo's diagnosis: from the handler's start to the body
 * read on a pool thread, the admission decision, the model's queue (submitted to joining the
 * batch), the step that prefills the prompt and emits the first token, and the whole first-token
 * time on the server. Compared with the client's figures, the difference is the client's own
 * scheduling and the loopback. Reset at each level; a reset racing a record may lose it.
 */
final class GatewayPhases {
  final Histogram toConnector = new Histogram();
  final Histogram toHandler = new Histogram();
  final Histogram toBody = new Histogram();
  final Histogram decision = new Histogram();
  final Histogram modelQueue = new Histogram();
  final Histogram firstStep = new Histogram();
  final Histogram serverTtft = new Histogram();
  final Histogram refusal = new Histogram();

  /** Records an admitted request's first token, on the model's thread. */
  void firstToken(long receivedNanos, Sequence sequence, long nowNanos) {
    long joined = sequence.joinedNanos();
    if (joined != 0) {
      modelQueue.record(joined - sequence.submittedNanos());
      firstStep.record(nowNanos - joined);
    }
    serverTtft.record(nowNanos - receivedNanos);
  }

  /** Forgets everything recorded. */
  void reset() {
    toConnector.reset();
    toHandler.reset();
    toBody.reset();
    decision.reset();
    modelQueue.reset();
    firstStep.reset();
    serverTtft.reset();
    refusal.reset();
  }

  /** Returns p50/p99 of every phase, in milliseconds, on one line. */
  String describe() {
    return String.format(Locale.ROOT, "client send to connector %s, to handler %s, to body %s, "
        + "decision %s, refusal %s (%d); model queue %s, first step %s, server TTFT %s (%d)",
        q(toConnector), q(toHandler),
        q(toBody), q(decision), q(refusal),
        refusal.count(), q(modelQueue), q(firstStep), q(serverTtft), serverTtft.count());
  }

  private static String q(Histogram h) {
    return String.format(Locale.ROOT, "%.1f/%.1f", h.quantileNanos(0.5) / 1e6,
        h.quantileNanos(0.99) / 1e6);
  }
}
