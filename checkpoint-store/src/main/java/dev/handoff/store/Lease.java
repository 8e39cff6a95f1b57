package dev.handoff.store;

/**
 * Who may speak for a VIP, until when.
 *
 * @param vip        the VIP
 * @param owner      the agent holding it
 * @param epoch      grows by one each time the VIP changes owner; writes carry it (fencing)
 * @param expiresAt  when it ends unless renewed, ms since the epoch (the store's clock)
 */
public record Lease(int vip, String owner, long epoch, long expiresAt) {
}
