package io.sluice.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.http.PriorityHeader;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Admits gRPC calls through a {@link Limiter}, and refuses the rest before their handler runs,
 * with {@code UNAVAILABLE} (overload) or {@code RESOURCE_EXHAUSTED} (a quota) and the
 * {@code grpc-retry-pushback-ms} trailer (see {@link GrpcRefusals}).
 *
 * <pre>{@code
 * Server server = ServerBuilder.forPort(8980)
 *     .addService(ServerInterceptors.intercept(service,
 *         AdmissionServerInterceptor.newBuilder(limiter).build()))
 *     .build();
 * }</pre>
 *
 * <h2>A call and its permit</h2>
 * An admitted call holds one permit (cost 1) until it ends, streaming calls included: until the
 * handler closes it, the client cancels it or its deadline passes, or the handler throws. The
 * permit is released exactly once on every path, with an outcome from the status:
 * <ul>
 *   <li>{@code OK}: {@link Outcome#SUCCESS}, a latency sample;
 *   <li>{@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE}, {@code RESOURCE_EXHAUSTED} (the handler's
 *       downstream timed out or refused it): {@link Outcome#DROPPED}, the limit shrinks;
 *   <li>every other status, and a handler that throws (gRPC closes the call {@code UNKNOWN}):
 *       {@link Outcome#IGNORED};
 *   <li>a call cancelled by its client, at its deadline or not (the server cannot tell which
 *       came first): {@link Outcome#IGNORED}.
 * </ul>
 * {@link Builder#outcome} and {@link Builder#cancelledOutcome} change the mapping. A call whose
 * server streams its response takes its latency sample at its first response message
 * ({@link Limiter#sample}), so that a stream that lasts minutes does not teach the limit that
 * the server is slow; {@link Builder#sampleAtFirstMessage} turns that off.
 *
 * <h2>Which limiter, which priority</h2>
 * Each call goes to the limiter of its full method name ({@code pkg.Service/Method}), else to
 * that of its service, else to the default; a method or service may bypass admission (health
 * checks). Its priority comes from the {@code x-priority} metadata ({@code critical-plus},
 * {@code critical}, {@code sheddable-plus}, {@code sheddable}), read by a {@link PriorityHeader}
 * and believed only from callers that the {@link CallerTrust} trusts: anyone may lower their own
 * priority, nobody untrusted may raise it. Malformed, unknown or repeated values give the default
 * level (or the least important one named): a call is never refused nor failed for its metadata.
 *
 * <h2>Shadow mode</h2>
 * A monitor-only limiter ({@link Limiter#monitorOnly(boolean)}, or {@link #monitorOnly(boolean)}
 * here for all of this interceptor's limiters) counts the calls it would refuse and admits them.
 *
 * <h2>Threads and cost</h2>
 * Immutable once built and thread-safe; one instance serves every call of every service it
 * intercepts. Admitting a call without priority metadata reads the metadata once, takes a permit
 * and allocates one wrapper, the call's (32 bytes), to see its status; the listener that sees it
 * cancelled is reused from a call that ended. gRPC itself allocates about a hundred times more
 * per call. If every status has the same {@link Builder#outcome} and no sample is due at a first
 * message, no call needs its status and none is wrapped: such a call allocates nothing, and its
 * permit is released when gRPC reports it complete (the status sent) rather than at its close.
 * A refusal allocates its status and trailers and never starts the handler.
 */
public final class AdmissionServerInterceptor implements ServerInterceptor {
  private static final ServerCall.Listener<Object> REFUSED = new ServerCall.Listener<>() {};
  private static final Status.Code[] CODES = Status.Code.values();

  private final Target defaultTarget;
  private final Map<String, Target> methods;
  private final Map<String, Target> services;
  private final List<Limiter> limiters;
  private final PriorityHeader priorities;
  private final Metadata.Key<String> priorityKey;
  private final CallerTrust trust;
  private final GrpcRefusals refusals;
  /** The outcome of each status code, by {@link Status.Code#value()}. */
  private final Outcome[] outcomes;
  private final Outcome cancelledOutcome;
  private final boolean sampleAtFirstMessage;
  /**
   * The outcome of every status when they all have the same one, else null: then no call needs
   * its status, and a call without a sample due at its first message is not wrapped.
   */
  final Outcome statusOutcome;
  /** Whether any method or service has a route of its own: if not, every call goes to default. */
  private final boolean routed;
  /** Free listener wrappers, shared by the calls of every route. */
  final ListenerPool listeners = new ListenerPool();

  private AdmissionServerInterceptor(Builder b) {
    this.defaultTarget = new Target(b.defaultLimiter, this);
    this.methods = bind(b.methods, this);
    this.services = bind(b.services, this);
    Set<Limiter> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
    distinct.add(b.defaultLimiter);
    for (Target t : methods.values()) {
      if (t.limiter != null) {
        distinct.add(t.limiter);
      }
    }
    for (Target t : services.values()) {
      if (t.limiter != null) {
        distinct.add(t.limiter);
      }
    }
    this.limiters = List.copyOf(distinct);
    this.priorities = b.priorities;
    this.priorityKey = b.priorityKey;
    this.trust = b.trust;
    this.refusals = b.refusals;
    this.outcomes = b.outcomes.clone();
    this.cancelledOutcome = b.cancelledOutcome;
    this.sampleAtFirstMessage = b.sampleAtFirstMessage;
    this.routed = !methods.isEmpty() || !services.isEmpty();
    this.statusOutcome = Arrays.stream(outcomes).distinct().count() == 1 ? outcomes[0] : null;
  }

  /**
   * Returns a builder whose calls all go to {@code defaultLimiter} until methods or services are
   * given their own.
   */
  public static Builder newBuilder(Limiter defaultLimiter) {
    return new Builder(Checks.notNull("defaultLimiter", defaultLimiter));
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    MethodDescriptor<ReqT, RespT> method = call.getMethodDescriptor();
    Target target = targetOf(method);
    Limiter limiter = target.limiter;
    if (limiter == null) {
      return next.startCall(call, headers);
    }
    long ticket = limiter.tryAcquire(1, priorityOf(call, headers));
    if (Ticket.isRejection(ticket)) {
      refusals.refuse(call, ticket);
      return refused();
    }
    boolean sampleDue = sampleAtFirstMessage && !method.getType().serverSendsOneMessage();
    if (statusOutcome != null && !sampleDue) {
      return admitUnwrapped(call, headers, next, target, ticket);
    }
    AdmittedCall<ReqT, RespT> admitted = new AdmittedCall<>(call, target, ticket, sampleDue);
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(admitted, headers);
    } catch (RuntimeException | Error e) {
      admitted.failed();
      throw e;
    }
    if (listener == null) { // gRPC fails the call; nothing will ever end it here
      admitted.failed();
      return null;
    }
    return admitted.listen(listener);
  }

  /**
   * Starts an admitted call whose status tells nothing (every status has the same outcome, no
   * sample is due at a first message): the handler gets the call itself, and the listener alone
   * holds the permit, released when gRPC reports the call's end.
   */
  private <ReqT, RespT> ServerCall.Listener<ReqT> admitUnwrapped(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next, Target target, long ticket) {
    ServerCall.Listener<ReqT> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException | Error e) {
      target.limiter.release(ticket, statusOutcome);
      throw e;
    }
    if (listener == null) {
      target.limiter.release(ticket, statusOutcome);
      return null;
    }
    return AdmittedCall.holding(listener, target, ticket);
  }

  /**
   * Switches every limiter of this interceptor between monitor-only (shadow mode: count what
   * would be refused, admit it) and enforcing, at run time; see
   * {@link Limiter#monitorOnly(boolean)}. A limiter shared with other guards switches for them
   * too.
   *
   * @throws UnsupportedOperationException if a limiter has no monitor-only mode
   */
  public void monitorOnly(boolean monitorOnly) {
    for (Limiter limiter : limiters) {
      limiter.monitorOnly(monitorOnly);
    }
  }

  /**
   * Returns the limiter of a method ({@code pkg.Service/Method}), as calls to it are routed, or
   * null if the method bypasses admission.
   */
  public Limiter limiterOf(String fullMethodName) {
    Checks.notNull("fullMethodName", fullMethodName);
    Target t = methods.get(fullMethodName);
    if (t == null) {
      String service = MethodDescriptor.extractFullServiceName(fullMethodName);
      t = service == null ? null : services.get(service);
    }
    return (t == null ? defaultTarget : t).limiter;
  }

  /** Returns the refusals this interceptor answers with. */
  public GrpcRefusals refusals() {
    return refusals;
  }

  @Override
  public String toString() {
    return "AdmissionServerInterceptor[methods " + methods.keySet() + ", services "
        + services.keySet() + ", " + priorities + ", " + refusals + ", outcomes "
        + Arrays.toString(outcomes) + ", cancelled " + cancelledOutcome + "]";
  }

  /** Returns the outcome of a call that ended with {@code code}. */
  Outcome outcomeOf(Status.Code code) {
    return outcomes[code.value()];
  }

  /** Returns the outcome of a call that its client cancelled. */
  Outcome cancelledOutcome() {
    return cancelledOutcome;
  }

  private Target targetOf(MethodDescriptor<?, ?> method) {
    if (!routed) {
      return defaultTarget;
    }
    Target t = methods.get(method.getFullMethodName());
    if (t == null) {
      String service = method.getServiceName();
      t = service == null ? null : services.get(service);
    }
    return t == null ? defaultTarget : t;
  }

  private Priority priorityOf(ServerCall<?, ?> call, Metadata headers) {
    if (!headers.containsKey(priorityKey)) {
      return priorities.defaultPriority(); // the common case: no allocation, no trust check
    }
    boolean trusted;
    try {
      trusted = trust.trusts(call, headers);
    } catch (RuntimeException e) {
      trusted = false; // a broken policy must not let a client raise itself, nor fail the call
    }
    return priorities.resolve(headers.getAll(priorityKey), trusted);
  }

  @SuppressWarnings("unchecked") // the listener ignores every message, whatever its type
  private static <ReqT> ServerCall.Listener<ReqT> refused() {
    return (ServerCall.Listener<ReqT>) REFUSED;
  }

  /** Returns {@code routes} with each target bound to {@code policy}, its outcomes. */
  private static Map<String, Target> bind(Map<String, Target> routes,
      AdmissionServerInterceptor policy) {
    Map<String, Target> bound = new HashMap<>();
    routes.forEach((name, t) -> bound.put(name, new Target(t.limiter, policy)));
    return bound;
  }

  /**
   * Where a method's calls go: a limiter, or none to bypass admission, and the interceptor whose
   * outcomes its calls end with. One reference serves an admitted call for both, which keeps the
   * call's wrapper at 32 bytes.
   */
  static final class Target {
    final Limiter limiter;
    final AdmissionServerInterceptor policy;

    Target(Limiter limiter, AdmissionServerInterceptor policy) {
      this.limiter = limiter;
      this.policy = policy;
    }
  }

  /**
   * Configures an {@link AdmissionServerInterceptor}. Every setter checks its argument and throws
   * an {@link IllegalArgumentException} naming it. Not thread-safe.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>limiters</td><td>the default limiter for every method</td></tr>
   *   <tr><td>{@link #priority}</td><td>{@code x-priority}, default level
   *       {@code CRITICAL}, nobody trusted ({@link CallerTrust#none()})</td></tr>
   *   <tr><td>{@link #refusals}</td><td>{@link GrpcRefusals#standard()}: overload
   *       {@code UNAVAILABLE}</td></tr>
   *   <tr><td>{@link #outcome}</td><td>{@code OK} success; {@code DEADLINE_EXCEEDED},
   *       {@code UNAVAILABLE}, {@code RESOURCE_EXHAUSTED} dropped; the rest ignored</td></tr>
   *   <tr><td>{@link #cancelledOutcome}</td><td>{@link Outcome#IGNORED}</td></tr>
   *   <tr><td>{@link #sampleAtFirstMessage}</td><td>true</td></tr>
   * </table>
   */
  public static final class Builder {
    private final Limiter defaultLimiter;
    private final Map<String, Target> methods = new LinkedHashMap<>();
    private final Map<String, Target> services = new LinkedHashMap<>();
    private PriorityHeader priorities = PriorityHeader.newBuilder().build();
    private Metadata.Key<String> priorityKey =
        Metadata.Key.of(PriorityHeader.DEFAULT_NAME, Metadata.ASCII_STRING_MARSHALLER);
    private CallerTrust trust = CallerTrust.none();
    private GrpcRefusals refusals = GrpcRefusals.standard();
    private final Outcome[] outcomes = new Outcome[CODES.length];
    private Outcome cancelledOutcome = Outcome.IGNORED;
    private boolean sampleAtFirstMessage = true;

    private Builder(Limiter defaultLimiter) {
      this.defaultLimiter = defaultLimiter;
      for (Status.Code code : CODES) {
        outcomes[code.value()] = Outcome.IGNORED;
      }
      outcomes[Status.Code.OK.value()] = Outcome.SUCCESS;
      outcomes[Status.Code.DEADLINE_EXCEEDED.value()] = Outcome.DROPPED;
      outcomes[Status.Code.UNAVAILABLE.value()] = Outcome.DROPPED;
      outcomes[Status.Code.RESOURCE_EXHAUSTED.value()] = Outcome.DROPPED;
    }

    /**
     * Sends the calls of one method, by its full name ({@code pkg.Service/Method}), to
     * {@code limiter}; it wins over the method's service.
     */
    public Builder method(String fullMethodName, Limiter limiter) {
      put(methods, "fullMethodName", checkMethod(fullMethodName),
          new Target(Checks.notNull("limiter", limiter), null));
      return this;
    }

    /** Sends the calls of every method of a service ({@code pkg.Service}) to {@code limiter}. */
    public Builder service(String serviceName, Limiter limiter) {
      put(services, "serviceName", checkService(serviceName),
          new Target(Checks.notNull("limiter", limiter), null));
      return this;
    }

    /**
     * Lets the calls of a method ({@code pkg.Service/Method}) or of every method of a service
     * ({@code pkg.Service}) skip admission: never refused, never counted (health checks, which
     * must answer under overload).
     */
    public Builder bypass(String serviceOrMethod) {
      Checks.notNull("serviceOrMethod", serviceOrMethod);
      if (serviceOrMethod.indexOf('/') >= 0) {
        put(methods, "serviceOrMethod", checkMethod(serviceOrMethod), new Target(null, null));
      } else {
        put(services, "serviceOrMethod", checkService(serviceOrMethod), new Target(null, null));
      }
      return this;
    }

    /**
     * Reads each call's priority from the metadata {@code header} names (lower case, as gRPC
     * keys are), believed from callers that {@code trust} trusts; see {@link PriorityHeader} for
     * the values and the rules.
     */
    public Builder priority(PriorityHeader header, CallerTrust trust) {
      Checks.notNull("header", header);
      String key = header.name().toLowerCase(Locale.ROOT);
      if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX) || key.startsWith("grpc-")
          || !key.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
              || c == '-' || c == '_' || c == '.')) {
        throw new IllegalArgumentException("header must name ASCII metadata that gRPC does not"
            + " reserve (letters, digits, - _ . only; no -bin suffix, no grpc- prefix) but was "
            + header.name());
      }
      this.priorities = header;
      this.priorityKey = Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
      this.trust = Checks.notNull("trust", trust);
      return this;
    }

    /** Sets the refusals: {@code GrpcRefusals.overloadCode(RESOURCE_EXHAUSTED)} for example. */
    public Builder refusals(GrpcRefusals refusals) {
      this.refusals = Checks.notNull("refusals", refusals);
      return this;
    }

    /** Sets the outcome of a call that its handler closes with {@code code}. */
    public Builder outcome(Status.Code code, Outcome outcome) {
      Checks.notNull("code", code);
      outcomes[code.value()] = Checks.notNull("outcome", outcome);
      return this;
    }

    /**
     * Sets the outcome of a call that its client cancelled, or whose deadline passed before the
     * handler closed it: {@link Outcome#DROPPED} makes every such call shrink the limit.
     */
    public Builder cancelledOutcome(Outcome outcome) {
      this.cancelledOutcome = Checks.notNull("outcome", outcome);
      return this;
    }

    /**
     * Sets whether a call whose server streams its response takes its latency sample at its
     * first response message (true) or when it ends (false).
     */
    public Builder sampleAtFirstMessage(boolean sample) {
      this.sampleAtFirstMessage = sample;
      return this;
    }

    /** Returns the interceptor. */
    public AdmissionServerInterceptor build() {
      return new AdmissionServerInterceptor(this);
    }

    private static void put(Map<String, Target> map, String param, String name, Target target) {
      if (map.putIfAbsent(name, target) != null) {
        throw new IllegalArgumentException(param + " " + name + " is configured twice");
      }
    }

    private static String checkMethod(String name) {
      Checks.notNull("fullMethodName", name);
      int slash = name.indexOf('/');
      if (slash <= 0 || slash == name.length() - 1 || name.indexOf('/', slash + 1) >= 0) {
        throw new IllegalArgumentException(
            "fullMethodName must be pkg.Service/Method but was " + name);
      }
      return name;
    }

    private static String checkService(String name) {
      Checks.notNull("serviceName", name);
      if (name.isEmpty() || name.indexOf('/') >= 0) {
        throw new IllegalArgumentException(
            "serviceName must be a service name without / but was " + name);
      }
      return name;
    }
  }
}
