/**
 * Applications: the {@link dev.handoff.agent.app.Handler} SPI (event-driven on the
 * connection's loop, with snapshot/restore of its state for moves and checkpoints), the
 * bundled handlers (static files over HTTP/1.1, echo, stream) and the blocking
 * {@link dev.handoff.agent.app.TcpSocket} API for ordinary Java code.
 */
package dev.handoff.agent.app;
