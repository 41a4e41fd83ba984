package io.sluice.simulator.fleet;

import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.simulator.EventLoop;
import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.SimulationResult.LimitPoint;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;

/*
 * A fleet in virtual time: open-loop Poisson arrivals, a load balancer, N replicas each with its
 * own limiter in front of its own workers, and optionally a downstream all replicas call.
 *
 * A request picked for replica i asks i's limiter; refused, it is answered at once (the balancer
 * may try another replica, `balancerRetries` times); admitted, it waits for one of i's workers in
 * FIFO order, runs the replica's own work, then (with a downstream) waits for a downstream worker
 * in one FIFO shared by every replica and runs its call there while i's worker waits for it, and
 * completes: the worker is freed and the permit released, DROPPED if the request outlived the
 * client's timeout (the client gave up; the work was wasted), SUCCESS otherwise. Goodput counts
 * completions within the latency objective, measured from the client's arrival.
 *
 * Each replica has an OverloadMonitor on the loop's clock, evaluated at the end of every interval
 * (default 10 s, the monitor's default), as a metrics scrape would: its rejection ratio is the
 * refused share an autoscaler would read. Limit, in-flight over limit and busy workers are sampled
 * every 10 ms into the same intervals.
 *
 * Arrivals: one pending arrival at a time; each schedules the next after an exponential gap.
 *
 * Every random draw comes from generators seeded by the seed (arrivals, balancer, each replica's
 * service times, the downstream's): a run is a pure function of its inputs.
 */
/** A simulated fleet; see the comment above. Not thread-safe; each run starts afresh. */
final class FleetSimulation {
  /** How often limit, utilisation and busy workers are sampled: every 10 ms. */
  static final long SAMPLE_NANOS = 10_000_000L;

  private final List<Replica> replicas;
  private final Balancer balancer;
  private final double[] weights;
  private final int balancerRetries;
  private final Downstream downstream;
  private final double arrivalRate;
  private final TreeMap<Long, Double> downstreamSlowdowns;
  private final IntFunction<LimiterFactory> limiters;
  private final long durationNanos;
  private final long warmupNanos;
  private final long intervalNanos;
  private final long objectiveNanos;
  private final long timeoutNanos;
  private final long seed;

  private FleetSimulation(Builder b) {
    this.replicas = List.copyOf(b.replicas);
    this.balancer = b.balancer;
    this.weights = b.weights == null ? null : b.weights.clone();
    this.balancerRetries = b.balancerRetries;
    this.downstream = b.downstream;
    this.arrivalRate = b.arrivalRate;
    this.downstreamSlowdowns = new TreeMap<>(b.downstreamSlowdowns);
    this.limiters = b.limiters;
    this.durationNanos = b.durationNanos;
    this.warmupNanos = b.warmupNanos;
    this.intervalNanos = b.intervalNanos;
    this.objectiveNanos = b.objectiveNanos;
    this.timeoutNanos = b.timeoutNanos;
    this.seed = b.seed;
  }

  /** Returns a builder; replicas, arrival rate and limiters must be set. */
  static Builder newBuilder() {
    return new Builder();
  }

  /** Runs the fleet from time zero and returns what it measured. */
  FleetResult run() {
    return new Run().execute();
  }

  /** One run's mutable state. */
  private final class Run {
    final EventLoop loop = new EventLoop();
    final SplittableRandom arrivalRandom = new SplittableRandom(seed);
    final SplittableRandom balancerRandom = new SplittableRandom(seed * 31 + 11);
    final SplittableRandom downstreamRandom = new SplittableRandom(seed * 131 + 3);
    final Node[] nodes = new Node[replicas.size()];
    final FleetResult.Recorder rec;
    final ArrayDeque<Request> downstreamQueue = new ArrayDeque<>();
    final Runnable arrival = this::arrive;
    int downstreamBusy;
    double downstreamSlowdown = 1;
    int nextRoundRobin;
    final double[] credit = new double[replicas.size()];

    Run() {
      int intervals = (int) Math.max(1, durationNanos / intervalNanos);
      this.rec = new FleetResult.Recorder(replicas.size(), intervals, intervalNanos, warmupNanos,
          durationNanos);
      for (int i = 0; i < nodes.length; i++) {
        nodes[i] = new Node(this, i, replicas.get(i));
      }
    }

    FleetResult execute() {
      downstreamSlowdowns.forEach((at, f) -> loop.at(at, () -> downstreamSlowdown = f));
      for (long t = SAMPLE_NANOS; t <= durationNanos; t += SAMPLE_NANOS) {
        loop.at(t, this::sample);
      }
      for (int k = 1; k <= rec.intervals; k++) {
        loop.at(k * intervalNanos, this::endInterval);
      }
      scheduleNextArrival(0);
      loop.runUntil(durationNanos);
      for (Node n : nodes) {
        rec.limits.add(n.limits);
      }
      return rec.result();
    }

    void arrive() {
      long now = loop.nanos();
      rec.arrival(now);
      attempt(now, pick(-1), 0);
      scheduleNextArrival(now);
    }

    void attempt(long now, int replica, int retry) {
      Node node = nodes[replica];
      rec.sent(now, replica);
      long ticket = node.limiter.tryAcquire();
      if (Ticket.isPermit(ticket)) {
        node.admit(new Request(node, now, ticket), now);
        return;
      }
      rec.rejected(now, replica);
      if (retry < balancerRetries && nodes.length > 1) {
        attempt(now, pick(replica), retry + 1);
      } else {
        rec.refused(now);
      }
    }

    /** Picks a replica, never {@code exclude} (-1: any). */
    int pick(int exclude) {
      int n = nodes.length;
      return switch (balancer) {
        case ROUND_ROBIN -> weights == null ? roundRobin(exclude) : weightedRoundRobin(exclude);
        case RANDOM -> drawOther(exclude, -1);
        case LEAST_OUTSTANDING -> {
          int start = balancerRandom.nextInt(n);
          int best = -1;
          for (int k = 0; k < n; k++) {
            int i = start + k < n ? start + k : start + k - n;
            if (i != exclude && (best < 0 || load(i) < load(best))) {
              best = i;
            }
          }
          yield best;
        }
        case TWO_CHOICES -> {
          int a = drawOther(exclude, -1);
          int b = n - (exclude < 0 ? 0 : 1) < 2 ? a : drawOther(exclude, a);
          yield nodes[b].outstanding < nodes[a].outstanding ? b : a;
        }
      };
    }

    int roundRobin(int exclude) {
      int i = nextRoundRobin;
      nextRoundRobin = (i + 1) % nodes.length;
      if (i == exclude) {
        i = nextRoundRobin;
        nextRoundRobin = (i + 1) % nodes.length;
      }
      return i;
    }

    /**
     * nginx's smooth weighted round robin: every pick adds each replica's weight to its credit and
     * takes the replica with the most credit, which pays the sum of the weights; over any run of
     * picks each replica's share follows its weight, spread out rather than in bursts.
     */
    int weightedRoundRobin(int exclude) {
      int best = -1;
      double total = 0;
      for (int i = 0; i < nodes.length; i++) {
        credit[i] += weights[i];
        total += weights[i];
        if (i != exclude && (best < 0 || credit[i] > credit[best])) {
          best = i;
        }
      }
      credit[best] -= total;
      return best;
    }

    /** The balancer's view of replica {@code i}: outstanding requests, over its weight if any. */
    double load(int i) {
      return weights == null ? nodes[i].outstanding : nodes[i].outstanding / weights[i];
    }

    /** Draws a replica uniformly among those that are neither {@code x} nor {@code y}. */
    int drawOther(int x, int y) {
      int low = Math.min(x, y);
      int high = Math.max(x, y);
      int excluded = (low >= 0 ? 1 : 0) + (high >= 0 && high != low ? 1 : 0);
      int i = balancerRandom.nextInt(nodes.length - excluded);
      if (low >= 0 && i >= low) {
        i++;
      }
      if (high >= 0 && high != low && i >= high) {
        i++;
      }
      return i;
    }

    void toDownstream(Request r, long now) {
      if (downstreamBusy < downstream.workers()) {
        startDownstream(r, now);
      } else {
        downstreamQueue.add(r);
      }
    }

    void startDownstream(Request r, long now) {
      downstreamBusy++;
      r.phase = Request.DOWNSTREAM;
      rec.downstreamWait(now, now - r.localDoneNanos);
      long service = (long) (downstream.service().sampleNanos(downstreamRandom)
          * downstreamSlowdown);
      loop.at(now + Math.max(1L, service), r);
    }

    void downstreamDone(Request r, long now) {
      downstreamBusy--;
      if (!downstreamQueue.isEmpty()) {
        startDownstream(downstreamQueue.poll(), now);
      }
      r.node.complete(r, now);
    }

    void sample() {
      long now = loop.nanos();
      for (Node n : nodes) {
        int limit = n.limiter.limit();
        rec.sample(now, n.index, limit, (double) n.limiter.inFlight() / limit,
            (double) n.busy / n.workers);
      }
      if (downstream != null) {
        rec.sampleDownstream(now, (double) downstreamBusy / downstream.workers(),
            downstreamQueue.size());
      }
    }

    void endInterval() {
      long now = loop.nanos();
      for (Node n : nodes) {
        rec.monitored(now, n.index, n.monitor.evaluate().rejectionRatio());
      }
    }

    void scheduleNextArrival(long now) {
      double gapNanos = -Math.log(1.0 - arrivalRandom.nextDouble()) / arrivalRate * 1e9;
      long next = now + Math.max(1L, (long) Math.min(gapNanos, 1e17));
      if (next <= durationNanos) {
        loop.at(next, arrival);
      }
    }
  }

  /** One replica's state in a run: its limiter, monitor, workers and FIFO queue. */
  private final class Node {
    final Run run;
    final int index;
    final int workers;
    final Replica spec;
    final Limiter limiter;
    final OverloadMonitor monitor;
    final SplittableRandom random;
    final ArrayDeque<Request> queue = new ArrayDeque<>();
    final List<LimitPoint> limits = new ArrayList<>();
    final double slowdown;
    int busy;
    int outstanding;

    Node(Run run, int index, Replica spec) {
      this.run = run;
      this.index = index;
      this.spec = spec;
      this.workers = spec.workers();
      this.slowdown = spec.slowdown();
      this.random = new SplittableRandom(seed * 1_000_003L + 7919L * (index + 1));
      LimitListener recorder = (window, limit) -> limits.add(new LimitPoint(run.loop.nanos(),
          limit));
      LimiterFactory factory = limiters.apply(index);
      this.limiter = factory.create(run.loop.clock(), recorder);
      if (limiter == null) {
        throw new IllegalArgumentException("the limiter factory of replica " + index
            + " returned null");
      }
      limits.add(new LimitPoint(0, limiter.limit()));
      this.monitor = OverloadMonitor.newBuilder(limiter).clock(run.loop.clock())
          .interval(Duration.ofNanos(intervalNanos)).build();
    }

    void admit(Request r, long now) {
      outstanding++;
      if (busy < workers) {
        start(r, now);
      } else {
        queue.add(r);
      }
    }

    void start(Request r, long now) {
      busy++;
      long service = (long) (spec.service().sampleNanos(random) * slowdown);
      run.loop.at(now + Math.max(1L, service), r);
    }

    void localDone(Request r, long now) {
      if (downstream == null) {
        complete(r, now);
      } else {
        r.localDoneNanos = now;
        run.toDownstream(r, now);
      }
    }

    void complete(Request r, long now) {
      busy--;
      outstanding--;
      long rtt = now - r.arrivalNanos;
      limiter.release(r.ticket, rtt > timeoutNanos ? Outcome.DROPPED : Outcome.SUCCESS);
      run.rec.completed(now, index, rtt, rtt <= objectiveNanos);
      if (!queue.isEmpty()) {
        start(queue.poll(), now);
      }
    }
  }

  /** An admitted request; it runs when its current phase of service ends. */
  private static final class Request implements Runnable {
    static final int LOCAL = 0;
    static final int DOWNSTREAM = 1;
    final Node node;
    final long arrivalNanos;
    final long ticket;
    long localDoneNanos;
    int phase = LOCAL;

    Request(Node node, long arrivalNanos, long ticket) {
      this.node = node;
      this.arrivalNanos = arrivalNanos;
      this.ticket = ticket;
    }

    @Override
    public void run() {
      long now = node.run.loop.nanos();
      if (phase == LOCAL) {
        node.localDone(this, now);
      } else {
        node.run.downstreamDone(this, now);
      }
    }
  }

  /** Configures a {@link FleetSimulation}; each setter checks its argument. */
  static final class Builder {
    private final List<Replica> replicas = new ArrayList<>();
    private Balancer balancer = Balancer.ROUND_ROBIN;
    private double[] weights;
    private int balancerRetries;
    private Downstream downstream;
    private double arrivalRate;
    private final TreeMap<Long, Double> downstreamSlowdowns = new TreeMap<>();
    private IntFunction<LimiterFactory> limiters;
    private long durationNanos = Duration.ofSeconds(30).toNanos();
    private long warmupNanos = Duration.ofSeconds(5).toNanos();
    private long intervalNanos = Duration.ofSeconds(10).toNanos();
    private long objectiveNanos = Long.MAX_VALUE;
    private long timeoutNanos = Long.MAX_VALUE;
    private long seed = 1;

    private Builder() {}

    /** Sets the replicas, in the balancer's order. */
    Builder replicas(List<Replica> fleet) {
      if (fleet == null || fleet.isEmpty() || fleet.size() > 1024) {
        throw new IllegalArgumentException("replicas must hold 1 to 1024 replicas but was "
            + (fleet == null ? null : fleet.size()));
      }
      replicas.clear();
      replicas.addAll(fleet);
      return this;
    }

    /** Sets the balancer; default round robin. */
    Builder balancer(Balancer b) {
      this.balancer = Checks.notNull("balancer", b);
      return this;
    }

    /**
     * Weights the balancer by {@code perReplica} (positive, one per replica): round robin sends
     * each replica a share of requests in proportion to its weight (nginx's {@code weight}), least
     * outstanding compares outstanding requests over weight (HAProxy's {@code leastconn} with
     * weights). Default: unweighted.
     */
    Builder weights(double[] perReplica) {
      Checks.notNull("weights", perReplica);
      for (double w : perReplica) {
        Checks.inOpenClosed("weight", w, 0, 1e6);
      }
      this.weights = perReplica.clone();
      return this;
    }

    /** Sets how many other replicas the balancer tries after a refusal, in [0, 3]; default 0. */
    Builder balancerRetries(int retries) {
      this.balancerRetries = Checks.inRange("balancerRetries", retries, 0, 3);
      return this;
    }

    /** Makes every request call {@code d} after its replica's own work. */
    Builder downstream(Downstream d) {
      this.downstream = Checks.notNull("downstream", d);
      return this;
    }

    /** Sets the fleet's arrival rate, in (0, 1e8] requests per second. */
    Builder arrivalRate(double perSecond) {
      this.arrivalRate = Checks.inOpenClosed("arrivalRate", perSecond, 0, 1e8);
      return this;
    }

    /**
     * Multiplies the downstream's service times by {@code factor}, in [1, 1000], from {@code at}
     * on; 1 restores its speed.
     */
    Builder downstreamSlowdownAt(Duration at, double factor) {
      downstreamSlowdowns.put(Checks.nanos("at", at), Checks.inRange("factor", factor, 1, 1e3));
      return this;
    }

    /** Sets the factory of each replica's limiter, by replica index. */
    Builder limiters(IntFunction<LimiterFactory> perReplica) {
      this.limiters = Checks.notNull("limiters", perReplica);
      return this;
    }

    /** Sets one factory for every replica's limiter. */
    Builder limiter(LimiterFactory factory) {
      Checks.notNull("limiter", factory);
      return limiters(i -> factory);
    }

    /** Sets the run's length, warm-up included; default 30 s. */
    Builder duration(Duration d) {
      this.durationNanos = Checks.nanos("duration", d);
      return this;
    }

    /** Sets the start of the run left out of the totals; default 5 s. */
    Builder warmup(Duration d) {
      this.warmupNanos = Checks.nanos("warmup", d);
      return this;
    }

    /** Sets the overload monitors' interval and the signals' resolution; default 10 s. */
    Builder interval(Duration d) {
      this.intervalNanos = Checks.nanos("interval", d);
      return this;
    }

    /** Sets the latency objective of goodput; default: every completion counts. */
    Builder latencyObjective(Duration d) {
      this.objectiveNanos = Checks.nanos("latencyObjective", d);
      return this;
    }

    /** Sets the client timeout: later completions are released as DROPPED; default none. */
    Builder timeout(Duration d) {
      this.timeoutNanos = Checks.nanos("timeout", d);
      return this;
    }

    /** Sets the seed of every random draw; default 1. */
    Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** Builds the simulation; fails if a required setting is missing or inconsistent. */
    FleetSimulation build() {
      if (replicas.isEmpty()) {
        throw new IllegalArgumentException("replicas must be set");
      }
      Checks.inOpenClosed("arrivalRate", arrivalRate, 0, 1e8);
      Checks.notNull("limiters", limiters);
      Checks.inRange("warmup (below duration)", warmupNanos, 0L, durationNanos - 1);
      Checks.inRange("interval (within duration)", intervalNanos, SAMPLE_NANOS, durationNanos);
      if (weights != null) {
        Checks.inRange("weights (one per replica)", weights.length, replicas.size(),
            replicas.size());
        if (balancer != Balancer.ROUND_ROBIN && balancer != Balancer.LEAST_OUTSTANDING) {
          throw new IllegalArgumentException("weights apply to round robin and least outstanding"
              + " but the balancer was " + balancer);
        }
      }
      if (!downstreamSlowdowns.isEmpty()) {
        Checks.notNull("downstream (slowed down)", downstream);
      }
      return new FleetSimulation(this);
    }
  }
}
