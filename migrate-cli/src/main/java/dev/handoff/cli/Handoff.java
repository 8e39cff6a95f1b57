package dev.handoff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code handoff} command: entry point of every daemon and operator command. */
@Command(name = "handoff", mixinStandardHelpOptions = true, version = "handoff 0.1.0",
        description = {"Passes live TCP connections between hosts and resurrects them after a host dies.",
            "",
            "Commands: agent (run an agent), conns (list its connections), move (pass one to another agent),",
            "move-vip (pass a VIP with all its connections), events (follow an agent's events),",
            "store (run the checkpoint store), checkpoint (force one), resurrect (take a dead agent's VIP by hand),",
            "demo (see it work), bench (measure against the kernel), bench-moves (measure live migration),",
            "bench-failover (measure checkpointing and fail-over), relay (impair a path), certs (a cluster's CA).",
            "Example: handoff demo --megabytes 16"},
        subcommands = {AgentCommand.class, ConnsCommand.class, MoveCommand.class, MoveVipCommand.class, EventsCommand.class, AuditCommand.class, MigrationBenchCommand.class, FailoverBenchCommand.class, StoreCommand.class, CertsCommand.class, CheckpointCommand.class, ResurrectCommand.class,
            DemoCommand.class, BenchCommand.class, RelayCommand.class, ProbeCommand.class})
public final class Handoff implements Runnable {

    /** picocli's view of this command, for printing usage. */
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new Handoff()).execute(args));
    }
}
