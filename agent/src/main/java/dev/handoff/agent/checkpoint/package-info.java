/**
 * Continuous checkpointing (issue 5, paper §6): every endpoint and its application's state
 * go to a {@code CheckpointStore} often enough that a survivor can resurrect them, and
 * endpoints acknowledge and send only what a durable checkpoint holds.
 */
package dev.handoff.agent.checkpoint;
