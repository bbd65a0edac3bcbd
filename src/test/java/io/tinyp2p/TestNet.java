package io.tinyp2p;

import io.tinyp2p.interop.JsPeer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A Vert.x instance with the Java nodes and js peers a test starts on it; closing it stops them
 * all. As a JUnit extension ({@code @RegisterExtension final TestNet net = new TestNet();}) it
 * closes after each test.
 */
public final class TestNet implements AutoCloseable, org.junit.jupiter.api.extension.AfterEachCallback {
  public final Vertx vertx = Vertx.vertx();
  private final List<TestNode> nodes = new ArrayList<>();
  private final List<JsPeer> peers = new ArrayList<>();

  /** A Java node ({@link TestNode#start(Vertx, JsonObject)}). */
  public TestNode java(JsonObject config) {
    TestNode n = TestNode.start(vertx, config);
    nodes.add(n);
    return n;
  }

  /** A js-libp2p peer with these options. */
  public JsPeer js(JsonObject options) {
    JsPeer p = JsPeer.start(options);
    peers.add(p);
    return p;
  }

  @Override
  public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    peers.forEach(JsPeer::close);
    nodes.forEach(TestNode::close);
    TestNode.await(vertx.close());
  }
}
