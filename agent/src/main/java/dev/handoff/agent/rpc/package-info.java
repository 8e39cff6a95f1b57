/**
 * gRPC services of an agent: the control API for orchestrators and operators, and the
 * agent-to-agent import of moved connections. Services take a {@code ServerBuilder} and
 * clients a {@code Channel} factory, so tests run them in process; every client call
 * carries a deadline.
 */
package dev.handoff.agent.rpc;
