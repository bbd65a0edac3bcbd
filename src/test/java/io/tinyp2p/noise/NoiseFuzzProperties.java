package io.tinyp2p.noise;

import io.tinyp2p.crypto.KeyPair;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever bytes arrive, the only failure is a NoiseException. */
class NoiseFuzzProperties {
  private static final KeyPair ALICE = KeyPair.generate();
  private static final KeyPair BOB = KeyPair.generate();

  /** Random bytes of interesting lengths: around every length check, and up to past 65535. */
  @Provide
  Arbitrary<byte[]> junk() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(200),
        Arbitraries.bytes().array(byte[].class).ofMinSize(60).ofMaxSize(100),
        Arbitraries.bytes().array(byte[].class).ofMinSize(65530).ofMaxSize(65540));
  }

  /**
   * Advances an honest pair by {@code steps} messages (0..3), then feeds {@code junk} to
   * the initiator or the responder, whichever {@code toInitiator} says, in turn or not.
   */
  @Property(tries = 500)
  void randomBytesAtAnyStageOnlyRaiseNoiseException(
      @ForAll @IntRange(min = 0, max = 3) int steps,
      @ForAll boolean toInitiator,
      @ForAll("junk") byte[] junk) throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    NoiseHandshake[] order = {alice, bob, alice};
    for (int i = 0; i < steps; i++) {
      (i % 2 == 0 ? bob : alice).readMessage(order[i].writeMessage());
    }
    try {
      (toInitiator ? alice : bob).readMessage(junk);
    } catch (NoiseException expected) {
      // the one allowed failure
    }
  }

  /** A real handshake message with some bytes flipped or cut off. */
  @Property(tries = 300)
  void mutatedMessagesOnlyRaiseNoiseException(
      @ForAll @IntRange(min = 0, max = 2) int message,
      @ForAll @IntRange(min = 0, max = 400) int position,
      @ForAll byte mask,
      @ForAll boolean truncate) throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    NoiseHandshake[] writers = {alice, bob, alice};
    NoiseHandshake[] readers = {bob, alice, bob};
    for (int i = 0; i < message; i++) {
      readers[i].readMessage(writers[i].writeMessage());
    }
    byte[] m = writers[message].writeMessage();
    int at = position % m.length;
    if (truncate) {
      m = Arrays.copyOf(m, at);
    } else {
      m[at] ^= mask;
    }
    try {
      readers[message].readMessage(m); // only if the change left message 1 acceptable
    } catch (NoiseException expected) {
      // fine
    }
  }

  /** Random payloads inside properly encrypted handshake messages: the protobuf path. */
  @Property(tries = 300)
  void randomPayloadsOnlyRaiseNoiseException(@ForAll @Size(max = 300) byte[] payload)
      throws Exception {
    HandshakeState evil = new HandshakeState(false, new byte[0], X25519.generate(), null);
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    evil.readMessage(alice.writeMessage());
    try {
      alice.readMessage(evil.writeMessage(payload));
    } catch (NoiseException expected) {
      // fine
    }
  }

  /** Transport messages: random bytes to a live receive cipher. */
  @Property(tries = 300)
  void randomTransportBytesOnlyRaiseNoiseException(@ForAll("junk") byte[] junk) throws Exception {
    NoiseHandshake alice = NoiseHandshake.initiator(ALICE);
    NoiseHandshake bob = NoiseHandshake.responder(BOB);
    NoiseHandshakeTest.handshake(alice, bob);
    try {
      bob.receiveCipher().decrypt(junk);
    } catch (NoiseException expected) {
      // fine
    }
  }
}
