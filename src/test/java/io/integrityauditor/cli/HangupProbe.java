package io.integrityauditor.cli;

/** A child JVM for {@link HangupTest}: installs serve's SIGHUP handler and waits for signals. */
public final class HangupProbe {
  private HangupProbe() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println(
        "handled=" + ServeCommand.onHangup(() -> System.out.println("reload requested")));
    System.out.println("ready");
    Thread.sleep(120_000);
  }
}
