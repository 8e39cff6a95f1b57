package dev.handoff.cli;

import picocli.CommandLine.Command;

/** {@code handoff demo}: shows the product working end to end. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Shows Handoff at work.")
final class DemoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("demo: not yet");
    }
}
