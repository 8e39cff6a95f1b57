package dev.handoff.agent.host;

/**
 * Every move of {@link HostMigrationTest} between hosts that run two event loops each: the
 * connection is frozen on the loop its flow hashes onto, its frames are held and forwarded
 * there, and a VIP's connections leave from, and arrive on, both loops.
 */
class MultiLoopHostMigrationTest extends HostMigrationTest {
    @Override
    int loops() {
        return 2;
    }
}
