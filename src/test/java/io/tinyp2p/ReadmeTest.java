package io.tinyp2p;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README shows the embedding example that the build compiles and runs (src/it/embed), as it is. */
class ReadmeTest {
  @Test
  void theEmbeddingExampleIsTheOneTheBuildRuns() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String example = Files.readString(Path.of("src/it/embed/src/main/java/example/Embed.java"));
    String shown = example.substring(example.indexOf("import "));
    assertTrue(readme.contains("```java\n" + shown + "```"),
        "README.md must show src/it/embed/src/main/java/example/Embed.java from its imports on, as it is");
  }
}
