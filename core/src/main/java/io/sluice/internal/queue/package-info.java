/**
 * Internal: the bounded lock-free ring that guards use as the inbox of their admission queues. Not
 * exported by the module and not part of the API; it may change without notice.
 *
 * <p>{@link io.sluice.internal.queue.MpmcRing} is a bounded multi-producer multi-consumer FIFO
 * after Dmitry Vyukov's array queue: one sequence number per slot tells producers and consumers
 * whose turn the slot is, so each operation is one compare-and-set on its index plus a release
 * store.
 */
package io.sluice.internal.queue;
