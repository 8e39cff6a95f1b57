/**
 * The ICI (Internal Connection Information, tcpcp paper §4): engine state to and from the
 * {@code handoff.v1.Ici} protobuf message, and the validation of every field before an
 * ICI is used. A rejected ICI changes nothing.
 */
package dev.handoff.agent.ici;
