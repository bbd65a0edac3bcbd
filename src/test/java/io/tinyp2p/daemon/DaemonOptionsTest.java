package io.tinyp2p.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.multiaddr.Multiaddr;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's command line, in p2pd's flag syntax, and the messages for what it refuses. */
class DaemonOptionsTest {

  static DaemonOptions parse(String... args) throws DaemonOptions.UsageException {
    return DaemonOptions.parse(List.of(args));
  }

  static String refusal(String... args) {
    return assertThrows(DaemonOptions.UsageException.class, () -> parse(args)).getMessage();
  }

  @Test
  void defaults() throws Exception {
    DaemonOptions o = parse();
    assertEquals(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"), o.listen());
    assertEquals(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), o.hostAddrs());
    assertFalse(o.dht());
    assertFalse(o.pubsub());
    assertEquals("gossipsub", o.pubsubRouter());
    assertEquals(List.of("noise", "tls"), o.security());
  }

  @Test
  void goFlagSyntax() throws Exception {
    DaemonOptions o = parse("-listen", "/ip4/127.0.0.1/tcp/4000", "--hostAddrs=/ip4/127.0.0.1/tcp/0,/ip6/::1/tcp/0",
        "-dht", "-pubsub=true", "-pubsubRouter", "floodsub", "-security=tls", "-id", "key.bin");
    assertEquals(4000, o.listen().tcpPort());
    assertEquals(2, o.hostAddrs().size());
    assertTrue(o.dht());
    assertTrue(o.pubsub());
    assertEquals("floodsub", o.pubsubRouter());
    assertEquals(List.of("tls"), o.security());
    assertEquals(Path.of("key.bin"), o.idFile());
    assertEquals(List.of(), parse("-noListen").hostAddrs());
    assertTrue(parse("-relayService").relayService());
    assertFalse(o.relayService());
    assertFalse(parse("-dht=false").dht());
  }

  @Test
  void refusalsNameTheFlag() {
    assertTrue(refusal("-bogus").contains("unknown flag -bogus"));
    assertTrue(refusal("-listen").contains("-listen needs a value"));
    assertTrue(refusal("-listen", "/unix/tmp/p2pd.sock").contains("unix sockets are not supported"));
    assertTrue(refusal("-hostAddrs", "nonsense").contains("-hostAddrs: 'nonsense' is not a multiaddr"));
    assertTrue(refusal("-hostAddrs", "/ip4/127.0.0.1/udp/1").contains("not a TCP or QUIC listen address"));
    assertTrue(refusal("-pubsubRouter", "randomsub").contains("use gossipsub or floodsub"));
    assertTrue(refusal("-security", "plaintext").contains("'plaintext' is not offered"));
    assertTrue(refusal("-dht=maybe").contains("takes true or false"));
    assertTrue(refusal("-dht", "-dht").contains("given twice"));
    assertTrue(refusal("stray").contains("unexpected argument 'stray'"));
    assertTrue(refusal("-bootstrapPeers", "/ip4/127.0.0.1/tcp/1").contains("does not end in /p2p/"));
  }

  @Test
  void keyFiles(@TempDir Path dir) throws Exception {
    Path rsa = dir.resolve("rsa.key");
    Files.write(rsa, new byte[] {0x08, 0x00, 0x12, 0x01, 0x00}); // PrivateKey{Type=RSA, Data=0x00}
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(2, Daemon.run(List.of("-id", rsa.toString()), System.out, errStream));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("only Ed25519"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, Daemon.run(List.of("-id", dir.resolve("missing.key").toString()), System.out, errStream));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot read"), err.toString(StandardCharsets.UTF_8));
    err.reset();
    assertEquals(2, Daemon.run(List.of("-nope"), System.out, errStream));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown flag -nope"));
    // a key as the interop suite stores them (seed, public key, public key) is read
    KeyPair key = KeyPair.generate();
    Path ed = dir.resolve("ed.key");
    Files.write(ed, key.marshalPrivate());
    assertEquals(key.peerId(), KeyPair.unmarshalPrivate(Files.readAllBytes(ed)).peerId());
  }
}
