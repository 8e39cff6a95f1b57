package dev.handoff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code handoff} command: entry point of every daemon and operator command. */
@Command(name = "handoff", mixinStandardHelpOptions = true, version = "handoff 0.1.0",
        description = {"Passes live TCP connections between hosts and resurrects them after a host dies.",
            "",
            "  agent           run an agent (user-space TCP on an interface, VIPs, handlers)",
            "  conns           list an agent's connections",
            "  move            pass a connection to another agent",
            "  move-vip        pass a VIP with all its connections to another agent",
            "  events          follow an agent's events",
            "  store           run the checkpoint store",
            "  checkpoint      checkpoint one connection now",
            "  resurrect       take a dead agent's VIP by hand (automatic with agent --peers)",
            "  certs           make a cluster's CA and certificates",
            "  demo            see it work (namespaces, curl, moves, a kill -9)",
            "  bench           measure an agent against the kernel",
            "  bench-moves     measure live migration",
            "  bench-failover  measure checkpointing and fail-over",
            "  relay, audit    impair a path; check what a peer sees",
            "",
            "Example: sudo handoff demo --megabytes 16"},
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
        System.exit(new CommandLine(new Handoff()).setUsageHelpAutoWidth(true).execute(args));
    }
}
