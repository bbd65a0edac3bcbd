package io.tinyp2p.attack;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.Figures;
import io.tinyp2p.TestNode;
import io.tinyp2p.client.P2pClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API under the load a careless client or an attacker puts on it, against a node
 * process with a 256 MiB heap: huge bodies (streamed and declared), multipart uploads, slow
 * {@code /events} clients during a burst of large broadcasts, slowloris. Throughout, a probe
 * asks {@code /healthz} every 200 ms; each row ends with the heap after a full GC within
 * 64 MiB of its quiet level and every probe answered within 2 s.
 */
class HttpAttackIT {
  static final long HEAP_SLACK = 64L << 20;
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  /** 40 bodies of 60 MiB streamed at once (no length), and 10 multipart uploads of 20 MB. */
  @Test
  void hugeBodiesAndUploads() throws Exception {
    try (NodeProcess node = NodeProcess.start("http-bodies", new JsonObject()); Probe probe = new Probe(node)) {
      long quiet = node.heapAfterGc();
      Map<String, Integer> outcomes = new ConcurrentHashMap<>();
      List<Thread> posters = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        posters.add(Thread.ofVirtual().start(() -> outcomes.merge(streamBody(node.httpPort(), 60 << 20), 1, Integer::sum)));
      }
      String boundary = "----tinyp2p-upload";
      for (int i = 0; i < 10; i++) {
        posters.add(Thread.ofVirtual().start(() -> outcomes.merge("upload " + upload(node.httpPort(), boundary, 20_000_000), 1,
            Integer::sum)));
      }
      for (Thread t : posters) {
        t.join(60_000);
      }
      long heap = node.heapAfterGc();
      boolean uploadsDir = Files.exists(node.workDir().resolve("file-uploads"));
      JsonObject http = node.status(Duration.ofSeconds(10)).getJsonObject("http");
      Figures.report(String.format("http bodies: 40 streamed bodies of 60 MiB and 10 uploads of 20 MB: %s; bodyTooLarge %d; "
          + "upload folder: %s; heap after GC quiet %d MiB, after %d MiB; /healthz %s",
          new TreeMap<>(outcomes), http.getLong("bodyTooLarge"), uploadsDir, quiet >> 20, heap >> 20, probe));
      assertAll(
          () -> assertTrue(node.alive(), "the node died: " + node.exitReason()),
          () -> assertFalse(uploadsDir, "an upload folder appeared in the node's directory"),
          () -> assertEquals(50, http.getLong("bodyTooLarge"), "bodies refused: " + outcomes),
          () -> assertFalse(outcomes.keySet().stream().anyMatch(k -> k.contains("HTTP 2")), "a body was taken: " + outcomes),
          () -> assertTrue(heap >= 0 && heap - quiet <= HEAP_SLACK, "heap after GC " + (heap >> 20) + " MiB, quiet " + (quiet >> 20)),
          probe::assertResponsive);
    }
  }

  /** Writes a chunked POST of {@code size} bytes as fast as the node takes it; what came of it. */
  private static String streamBody(int port, long size) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port));
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /broadcast/block HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      try {
        for (long sent = 0; sent < size; sent += chunk.length) {
          out.write(head);
          out.write(chunk);
          out.write(new byte[] {'\r', '\n'});
        }
      } catch (IOException e) {
        // the node closed it past the limit: its answer may still be readable
      }
      return statusOf(s.getInputStream());
    } catch (IOException e) {
      return "closed (" + e.getClass().getSimpleName() + ")";
    }
  }

  /** A multipart upload as curl -F sends it (with its length). */
  private static String upload(int port, String boundary, int size) {
    byte[] part = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] end = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port));
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /broadcast/block HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: multipart/form-data; boundary="
          + boundary + "\r\nContent-Length: " + (part.length + size + end.length) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      try {
        out.write(part);
        byte[] chunk = new byte[64 * 1024];
        for (int sent = 0; sent < size; sent += chunk.length) {
          out.write(chunk, 0, Math.min(chunk.length, size - sent));
        }
        out.write(end);
      } catch (IOException e) {
        // refused before the end
      }
      return statusOf(s.getInputStream());
    } catch (IOException e) {
      return "closed (" + e.getClass().getSimpleName() + ")";
    }
  }

  private static String statusOf(InputStream in) {
    try {
      byte[] line = new byte[12];
      int n = in.readNBytes(line, 0, 12);
      return n == 12 ? "HTTP " + new String(line, 9, 3, StandardCharsets.ISO_8859_1) : "closed without an answer";
    } catch (IOException e) {
      return "closed (" + e.getClass().getSimpleName() + ")";
    }
  }

  /**
   * 300 /events clients that never read while a peer publishes 100 broadcasts of 900 KB the
   * node receives: the events carry previews, the clients over http.maxEventClients are
   * refused, and none of it stays in the heap.
   */
  @Test
  void slowEventClientsDuringLargeBroadcasts() throws Exception {
    JsonObject topics = new JsonObject().put("pubsubTopics", new JsonArray().add("block"))
        .put("gossipsub", new JsonObject().put("heartbeatMs", 200));
    Vertx vertx = Vertx.vertx();
    List<Socket> clients = new ArrayList<>();
    try (NodeProcess node = NodeProcess.start("http-events", topics); Probe probe = new Probe(node);
         TestNode publisher = TestNode.start(vertx, topics.copy().put("busPrefix", "http-events-publisher")
             .put("bootNode", node.addr().toString()))) {
      long quiet = node.heapAfterGc();
      AtomicInteger refused = new AtomicInteger();
      Socket reader = new Socket(); // one client that does read: what an event carries
      reader.connect(new InetSocketAddress("127.0.0.1", node.httpPort()));
      reader.setSoTimeout(60_000);
      reader.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + node.httpPort() + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      clients.add(reader);
      java.util.concurrent.CompletableFuture<JsonObject> firstEvent = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<String> streaming = new java.util.concurrent.CompletableFuture<>();
      Thread.ofVirtual().start(() -> readEvents(reader, streaming, firstEvent));
      // the reader must hold its place before the silent clients come: which of many requests
      // read in one event-loop turn the server handles first is not the order they connected in
      assertEquals("HTTP/1.1 200 OK", streaming.get(10, TimeUnit.SECONDS), "the reading /events client's status line");
      for (int i = 0; i < 299; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", node.httpPort()));
        s.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + node.httpPort() + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        clients.add(s); // never read
      }
      P2pClient client = new P2pClient(vertx, "http-events-publisher");
      awaitMesh(client);
      byte[] payload = new byte[900_000];
      java.util.Arrays.fill(payload, (byte) 'b');
      // one after the other, each once the node delivered the one before (a burst of 90 MB
      // would overflow what gossipsub queues for a peer, and test that instead)
      long delivered = 0;
      for (int i = 0; i < 100; i++) {
        payload[0] = (byte) ('0' + i % 10); // each one a new message
        payload[1] = (byte) ('0' + i / 10);
        TestNode.await(client.broadcast("block", Buffer.buffer(payload)));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (delivered <= i && System.nanoTime() < deadline) {
          HonestPeer.sleep(20);
          delivered = node.status(Duration.ofSeconds(10)).getJsonObject("gossipsub").getJsonObject("counters")
              .getLong("delivered", 0L);
        }
      }
      long heap = node.heapAfterGc(); // the slow clients still connected
      JsonObject event = firstEvent.get(10, TimeUnit.SECONDS);
      JsonObject http = node.status(Duration.ofSeconds(10)).getJsonObject("http");
      refused.set(http.getInteger("eventClientsRefused"));
      Figures.report(String.format("http events: 300 /events clients that never read, 100 broadcasts of 900 KB delivered %d: "
          + "%d clients streaming, %d refused (maxEventClients), %d dropped for falling behind; an event carries %d bytes of "
          + "data (size %d); heap after GC quiet %d MiB, after %d MiB; /healthz %s", delivered, http.getInteger("eventClients"),
          refused.get(), http.getLong("eventClientsDropped"), event.getString("data").length(), event.getInteger("size"),
          quiet >> 20, heap >> 20, probe));
      final long got = delivered;
      assertAll(
          () -> assertTrue(node.alive(), "the node died: " + node.exitReason()),
          () -> assertEquals(100, got, "broadcasts the node delivered"),
          () -> assertTrue(http.getInteger("eventClients") <= 64, "event clients: " + http),
          () -> assertTrue(event.getString("data").length() <= 1024 && event.getBoolean("truncated"), "event: " + event),
          () -> assertEquals(900_000, event.getInteger("size")),
          () -> assertTrue(refused.get() >= 236, "event clients refused: " + http),
          () -> assertTrue(heap >= 0 && heap - quiet <= HEAP_SLACK, "heap after GC " + (heap >> 20) + " MiB, quiet " + (quiet >> 20)),
          probe::assertResponsive);
    } finally {
      for (Socket s : clients) {
        s.close();
      }
      TestNode.await(vertx.close());
    }
  }

  /**
   * Reads an /events stream to its end; {@code status} gets the response's status line once the
   * stream's opening comment came, {@code first} its first {@code message} event.
   */
  private static void readEvents(Socket socket, java.util.concurrent.CompletableFuture<String> status,
                                 java.util.concurrent.CompletableFuture<JsonObject> first) {
    try {
      java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      boolean message = false;
      String statusLine = null;
      for (String line; (line = lines.readLine()) != null; ) {
        if (statusLine == null) {
          statusLine = line;
          if (!line.startsWith("HTTP/1.1 200")) {
            status.complete(line);
          }
        } else if (line.startsWith(":")) {
          status.complete(statusLine);
        } else if (line.equals("event: message")) {
          message = true;
        } else if (message && line.startsWith("data: ")) {
          first.complete(new JsonObject(line.substring(6)));
          message = false;
        }
      }
      status.complete(String.valueOf(statusLine));
      first.completeExceptionally(new IOException("the /events stream ended without a message event"));
    } catch (IOException e) {
      status.completeExceptionally(e);
      first.completeExceptionally(e);
    }
  }

  private static void awaitMesh(P2pClient client) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonObject status = TestNode.await(client.status());
      Integer peers = status.getJsonObject("gossipsub").getJsonObject("topicPeers").getInteger("block", 0);
      if (peers > 0) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "the publisher never saw the node in \"block\"");
      HonestPeer.sleep(100);
    }
  }

  /** 500 connections that send their headers a byte every half second: each is closed after http.headerTimeout. */
  @Test
  void slowloris() throws Exception {
    int timeout = 2;
    try (NodeProcess node = NodeProcess.start("http-slowloris", new JsonObject()
        .put("http", new JsonObject().put("headerTimeout", timeout))); Probe probe = new Probe(node)) {
      long quiet = node.heapAfterGc();
      List<Socket> sockets = new CopyOnWriteArrayList<>();
      List<Double> closedAfter = new CopyOnWriteArrayList<>();
      AtomicBoolean trickling = new AtomicBoolean(true);
      List<Thread> readers = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", node.httpPort()));
        s.setSoTimeout(30_000);
        s.getOutputStream().write("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
        sockets.add(s);
        long opened = System.nanoTime();
        readers.add(Thread.ofVirtual().start(() -> {
          try {
            s.getInputStream().read();
          } catch (IOException e) {
            // reset: closed too
          }
          closedAfter.add((System.nanoTime() - opened) / 1e9);
        }));
      }
      Thread trickle = Thread.ofVirtual().start(() -> {
        while (trickling.get()) {
          for (Socket s : sockets) {
            try {
              s.getOutputStream().write('x');
            } catch (IOException e) {
              sockets.remove(s);
            }
          }
          HonestPeer.sleep(500);
        }
      });
      for (Thread r : readers) {
        r.join(TimeUnit.SECONDS.toMillis(timeout + 20));
      }
      trickling.set(false);
      trickle.join(5_000);
      long heap = node.heapAfterGc();
      double latest = closedAfter.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
      JsonObject http = node.status(Duration.ofSeconds(10)).getJsonObject("http");
      Figures.report(String.format("http slowloris: 500 connections sending a header byte every 500 ms: %d closed by the node, "
          + "the last after %.1f s (headerTimeout %d s), headerTimeouts %d; heap after GC quiet %d MiB, after %d MiB; /healthz %s",
          closedAfter.size(), latest, timeout, http.getLong("headerTimeouts"), quiet >> 20, heap >> 20, probe));
      for (Socket s : sockets) {
        s.close();
      }
      assertAll(
          () -> assertTrue(node.alive(), "the node died: " + node.exitReason()),
          () -> assertEquals(500, closedAfter.size(), "connections closed by the node"),
          () -> assertTrue(latest <= timeout + 3, "the last one was closed after " + latest + " s"),
          () -> assertTrue(heap >= 0 && heap - quiet <= HEAP_SLACK, "heap after GC " + (heap >> 20) + " MiB, quiet " + (quiet >> 20)),
          probe::assertResponsive);
    }
  }

  /** Asks /healthz every 200 ms on a wall-clock schedule; records how long each answer took. */
  static final class Probe implements AutoCloseable {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
    private final List<Double> millis = new CopyOnWriteArrayList<>();
    private final AtomicInteger failed = new AtomicInteger();
    private final java.util.concurrent.ScheduledExecutorService ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    private final URI uri;

    Probe(NodeProcess node) {
      uri = URI.create("http://127.0.0.1:" + node.httpPort() + "/healthz");
      ticker.scheduleAtFixedRate(this::tick, 0, 200, TimeUnit.MILLISECONDS);
    }

    private void tick() {
      long start = System.nanoTime();
      http.sendAsync(HttpRequest.newBuilder(uri).timeout(PROBE_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> {
            if (e != null || r.statusCode() != 200) {
              failed.incrementAndGet();
            } else {
              millis.add((System.nanoTime() - start) / 1e6);
            }
          });
    }

    void assertResponsive() {
      assertEquals(0, failed.get(), "/healthz probes unanswered within " + PROBE_TIMEOUT.toSeconds() + " s: " + this);
    }

    @Override
    public String toString() {
      double[] all = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return all.length == 0 ? failed.get() + " failed, none answered"
          : String.format("%d answered (p50 %.1f ms, max %.1f ms), %d failed", all.length, all[all.length / 2],
              all[all.length - 1], failed.get());
    }

    @Override
    public void close() {
      ticker.shutdownNow();
    }
  }
}
