/**
 * A Jakarta Servlet 6 filter in front of an application: {@link io.sluice.servlet.SluiceFilter},
 * built once, admits each request through the {@link io.sluice.Limiter} of its route, reads its
 * priority under a trust policy and its cost, writes refusals without calling the application, and
 * releases each permit exactly once with the {@link io.sluice.Outcome} that an
 * {@link io.sluice.servlet.OutcomeMapping} gives the way the request ended.
 *
 * <p>Every type is immutable and thread-safe except the filter's builder.
 */
package io.sluice.servlet;
