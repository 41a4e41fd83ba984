package io.sluice.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.Limiter;
import io.sluice.http.Route;
import io.sluice.http.RouteTable;
import io.sluice.micrometer.SluiceMeterBinder;

/**
 * Binds the limiter of every admitting route but the default one (bound with its monitor by
 * {@code sluiceMeterBinder}), named by the route's pattern. Bypassed routes have no limiter.
 */
final class RouteMeterBinder implements MeterBinder {
  private final RouteTable<Limiter> routes;

  RouteMeterBinder(RouteTable<Limiter> routes) {
    this.routes = routes;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Limiter fallback = routes.defaultRoute().target();
    for (Route<Limiter> route : routes.routes()) {
      Limiter limiter = route.target();
      if (!route.bypass() && limiter != null && limiter != fallback) {
        SluiceMeterBinder.limiter(route.pattern(), limiter).bindTo(registry);
      }
    }
  }
}
