package io.sluice.examples.llm;

import io.sluice.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/*
 * One admitted chat completion, from the model's submission to the last byte: it listens to the
 * model (TokenListener), writes the answer to the client (streamed events or one JSON body), and
 * settles the request exactly once (the admission permit released, the quotas reconciled, the
 * tokens charged), whatever ends it: the answer written, the client gone, the server stopping.
 *
 * Writing. Jetty's Response.write is asynchronous and takes one write at a time, while news comes
 * from three threads: the model's (tokens, the end, heartbeats), Jetty's (a write completed or
 * failed, the request failed) and the handler's (the start). Every one of them only records its
 * news in a volatile field and calls signal(); a work-in-progress counter lets exactly one thread
 * at a time run drain(), which compares what is known with what was written and starts the next
 * write if none is pending (a write's completion calls signal() again, so nothing is missed, and
 * a write that completes inside response.write simply makes the running drain loop go round once
 * more). Tokens that arrived while a write was pending go out together in the next write: each
 * is still its own event, as clients expect, but a slow client costs fewer writes.
 *
 * The model's milestone. The first token is the latency the limit learns from: the gateway calls
 * FairShare.sample on it, while the permit stays held until the stream ends; and since the model
 * now knows the prompt's true token count, the permit's cost is corrected to it with
 * FairShare.adjust, for the limit and the key's share (retried at the next tokens if an extra
 * charge finds the limit full).
 */
final class Completion implements TokenListener, Callback {
  private final LlmGateway gateway;
  private final Admission admission;
  private final ChatRequest request;
  private final Response response;
  private final Callback done;
  private final long id;
  private final long created;
  private final String chunkPrefix;
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean settled = new AtomicBoolean();

  /** Set once the model has the request; read by drain and settle. */
  private volatile Sequence sequence;
  private volatile boolean started;
  private volatile int generated;
  private volatile boolean finished;
  private volatile boolean heartbeat;
  private volatile Throwable failure;
  private volatile boolean writing;
  /** Whether the model's true count has been charged (adjust succeeded), model thread only. */
  private boolean costCorrected;

  // drain()'s own state: one thread at a time.
  private int written;
  private boolean lastWriteStarted;
  private boolean responded;

  Completion(LlmGateway gateway, Admission admission, ChatRequest request, Response response,
      Callback done, long id) {
    this.gateway = gateway;
    this.admission = admission;
    this.request = request;
    this.response = response;
    this.done = done;
    this.id = id;
    this.created = System.currentTimeMillis() / 1000;
    this.chunkPrefix = Sse.chunkPrefix(id, created, request.model());
  }

  /** The handler gave the request to the model: headers may go out (for a stream) now. */
  void start(Sequence submitted) {
    sequence = submitted;
    started = true;
    if (settled.get()) {
      submitted.cancel(); // failed before the model had it: settle could not cancel it
    }
    signal();
  }

  /** The model refused the request: nothing was generated; settles it (once). */
  void abandon() {
    settle(Outcome.IGNORED);
  }

  /** The request failed outside a write (Jetty's failure listener): the client is gone. */
  void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    signal();
  }

  @Override
  public void onToken(Sequence s) {
    int n = s.generated();
    if (n == 1) {
      gateway.firstToken(admission, s);
    }
    if (!costCorrected && !settled.get()) {
      costCorrected = gateway.correctCost(admission, s.promptTokens());
    }
    generated = n;
    signal();
  }

  @Override
  public void onFinish(Sequence s) {
    generated = s.generated();
    finished = true;
    signal();
  }

  @Override
  public void onWaiting(Sequence s) {
    heartbeat = true;
    signal();
  }

  @Override
  public void succeeded() {
    if (lastWriteStarted) {
      settle(Outcome.SUCCESS);
      done.succeeded();
      return;
    }
    writing = false;
    signal();
  }

  @Override
  public void failed(Throwable cause) {
    if (lastWriteStarted) {
      settle(generated == 0 ? Outcome.DROPPED : Outcome.IGNORED);
      done.failed(cause);
      return;
    }
    fail(cause);
    writing = false;
    signal();
  }

  @Override
  public InvocationType getInvocationType() {
    return InvocationType.NON_BLOCKING;
  }

  private void signal() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      if (!writing && !responded) {
        drain();
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Runs on one thread at a time; starts at most one write. */
  private void drain() {
    Throwable cause = failure;
    if (cause != null) {
      responded = true;
      settle(generated == 0 ? Outcome.DROPPED : Outcome.IGNORED);
      done.failed(cause);
      return;
    }
    if (!started) {
      return;
    }
    if (request.stream()) {
      drainStream();
    } else if (finished) {
      Sequence s = sequence;
      byte[] body = Sse.completion(id, created, request.model(), s.truncated(),
          s.promptTokens(), generated).getBytes(StandardCharsets.UTF_8);
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      gateway.rateLimitFields(response, admission);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      write(true, body);
    }
  }

  private void drainStream() {
    boolean first = !response.isCommitted();
    if (first) {
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, Sse.EVENT_STREAM);
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      gateway.rateLimitFields(response, admission);
    }
    boolean end = finished; // read before generated: once finished, generated is final
    int upTo = generated;
    StringBuilder out = new StringBuilder((upTo - written) * 190 + (end ? 600 : 0));
    while (written < upTo) {
      Sse.appendToken(out, chunkPrefix, id, ++written);
    }
    if (end) {
      Sequence s = sequence;
      Sse.appendEnd(out, chunkPrefix, s.truncated(), request.includeUsage(), s.promptTokens(),
          written);
    } else if (heartbeat && out.length() == 0 && !first) {
      out.append(Sse.KEEP_ALIVE);
    }
    heartbeat = false;
    if (out.length() > 0 || first) {
      write(end, out.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void write(boolean last, byte[] bytes) {
    writing = true;
    if (last) {
      lastWriteStarted = true;
      responded = true;
    }
    response.write(last, ByteBuffer.wrap(bytes), this);
  }

  /** Releases the admission and reconciles the quotas, once. */
  private void settle(Outcome outcome) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    Sequence s = sequence;
    int tokens = generated;
    if (s != null && !finished) {
      s.cancel();
    }
    // Charged what the model consumed: nothing if it never prefilled the prompt.
    long actual = s == null || tokens == 0 ? 0 : (long) s.promptTokens() + tokens;
    gateway.settle(admission, outcome, actual, finished);
  }

  @Override
  public String toString() {
    return "Completion[" + id + ", " + generated + " tokens" + (finished ? ", finished" : "")
        + (failure != null ? ", failed" : "") + "]";
  }
}
