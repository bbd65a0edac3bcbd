package io.tinyp2p;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.swarm.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** What `package` built: a library jar without the runnable node's pieces, its sources and javadoc, the fat jar. */
class ArtifactsIT {
  static final Path TARGET = Path.of("target");

  static List<String> entries(String classifier) throws IOException {
    Path jar = TARGET.resolve("tinyp2p-" + Version.VERSION + (classifier.isEmpty() ? "" : "-" + classifier) + ".jar");
    assertTrue(Files.isRegularFile(jar), jar + " was not built");
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.stream().map(e -> e.getName()).toList();
    }
  }

  @Test
  void theLibraryJarCarriesNoLoggingConfigurationAndNoBenchmark() throws IOException {
    List<String> library = entries("");
    assertTrue(library.contains("io/tinyp2p/client/P2pOptions.class"));
    assertFalse(library.contains("logback.xml"), "the library jar must leave logging to the application");
    assertTrue(library.stream().noneMatch(e -> e.startsWith("io/tinyp2p/bench/")), "benchmark classes in the library jar");
    assertTrue(library.stream().noneMatch(e -> e.startsWith("ch/qos/") || e.startsWith("com/hazelcast/")));
  }

  @Test
  void sourcesAndJavadocJarsAreBuilt() throws IOException {
    assertTrue(entries("sources").contains("io/tinyp2p/client/P2pOptions.java"));
    assertTrue(entries("javadoc").contains("io/tinyp2p/client/P2pOptions.html"));
  }

  @Test
  void theFatJarIsTheRunnableNode() throws IOException {
    List<String> fat = entries("fat");
    assertTrue(fat.contains("logback.xml"), "the runnable node's logging configuration");
    assertTrue(fat.contains("io/vertx/launcher/application/VertxApplication.class"));
    assertTrue(fat.contains("io/vertx/ext/web/Router.class"));
    assertTrue(fat.stream().noneMatch(e -> e.startsWith("io/tinyp2p/bench/")), "benchmark classes in the fat jar");
  }
}
