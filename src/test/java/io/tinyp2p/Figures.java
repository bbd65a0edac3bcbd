package io.tinyp2p;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Figures a test reports (inputs tried, peers refused, p99s, losses): printed, and appended
 * to target/test-figures.txt, which {@code ./run.sh test} shows after the build.
 */
public final class Figures {
  private static final Path FILE = Path.of("target/test-figures.txt");

  private Figures() {}

  public static synchronized void report(String line) {
    System.out.println(line);
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, line + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot write " + FILE + ": " + e.getMessage());
    }
  }
}
