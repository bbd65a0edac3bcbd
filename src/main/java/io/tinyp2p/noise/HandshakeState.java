package io.tinyp2p.noise;

import java.util.Arrays;

/**
 * Noise's HandshakeState for the XX pattern with 25519, ChaChaPoly and SHA256, and nothing
 * libp2p-specific: payloads are opaque bytes, the prologue is a parameter. {@link
 * NoiseHandshake} puts the libp2p payloads on top.
 *
 * <pre>
 * XX:
 *   -> e
 *   <- e, ee, s, es
 *   -> s, se
 * </pre>
 *
 * After any NoiseException the state is unusable: every later call fails.
 */
final class HandshakeState {
  static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";

  private static final int DH_LENGTH = X25519.KEY_LENGTH;
  /** An encrypted static key: 32 bytes and a tag (k is always set when XX sends s). */
  private static final int ENCRYPTED_KEY_LENGTH = DH_LENGTH + CipherState.TAG_LENGTH;

  private final boolean initiator;
  private final SymmetricState symmetric;
  private final X25519.KeyPair s;
  private X25519.KeyPair e; // generated when "e" is written, unless given (test vectors)
  private byte[] re;
  private byte[] rs;
  /** Index of the next handshake message (0, 1, 2); 3 when complete. */
  private int message;
  private boolean failed;
  private CipherState[] split;

  /**
   * Initialize(): the protocol name, then MixHash(prologue). No pre-messages in XX.
   *
   * @param ephemeral a fixed ephemeral key for test vectors, or null for a fresh one
   */
  HandshakeState(
      boolean initiator, byte[] prologue, X25519.KeyPair staticKey, X25519.KeyPair ephemeral) {
    this.initiator = initiator;
    this.symmetric = new SymmetricState(PROTOCOL_NAME);
    this.symmetric.mixHash(prologue);
    this.s = staticKey;
    this.e = ephemeral;
  }

  boolean isInitiator() {
    return initiator;
  }

  /** Whether the next step is ours to write (messages 0 and 2 are the initiator's). */
  boolean isWriteTurn() {
    return message < 3 && (message % 2 == 0) == initiator;
  }

  boolean isComplete() {
    return message == 3;
  }

  /** Index of the next handshake message (0, 1, 2), or 3 when complete. */
  int messageIndex() {
    return message;
  }

  X25519.KeyPair localStatic() {
    return s;
  }

  /** The peer's static public key as received (known after message 2 or 3). */
  byte[] remoteStatic() {
    return rs == null ? null : rs.clone();
  }

  byte[] handshakeHash() {
    return symmetric.handshakeHash();
  }

  /** The Split() results: [0] encrypts initiator to responder, [1] the other way. */
  CipherState[] split() {
    if (split == null) {
      throw new IllegalStateException("handshake not complete");
    }
    return split;
  }

  /** WriteMessage(payload): the next handshake message, without the length prefix. */
  byte[] writeMessage(byte[] payload) throws NoiseException {
    checkUsable();
    try {
      if (!isWriteTurn()) {
        throw outOfOrder("write");
      }
      byte[] out = switch (message) {
        case 0 -> writeMessage1(payload);
        case 1 -> writeMessage2(payload);
        default -> writeMessage3(payload);
      };
      if (out.length > CipherState.MAX_MESSAGE_LENGTH) {
        throw new NoiseException(
            "Noise handshake message of " + out.length + " bytes exceeds 65535 (payload too big)");
      }
      message++;
      return out;
    } catch (NoiseException | RuntimeException ex) {
      failed = true;
      throw ex;
    }
  }

  /** ReadMessage(message): consumes the peer's handshake message, returns its payload. */
  byte[] readMessage(byte[] msg) throws NoiseException {
    checkUsable();
    try {
      if (isComplete() || isWriteTurn()) {
        throw outOfOrder("read");
      }
      if (msg.length > CipherState.MAX_MESSAGE_LENGTH) {
        throw new NoiseException(
            "Noise handshake message of " + msg.length + " bytes exceeds 65535");
      }
      byte[] payload = switch (message) {
        case 0 -> readMessage1(msg);
        case 1 -> readMessage2(msg);
        default -> readMessage3(msg);
      };
      message++;
      return payload;
    } catch (NoiseException | RuntimeException ex) {
      failed = true;
      throw ex;
    }
  }

  // -> e
  private byte[] writeMessage1(byte[] payload) throws NoiseException {
    byte[] ePub = writeE();
    return concat(ePub, symmetric.encryptAndHash(payload)); // no key yet: payload in clear
  }

  // <- e, ee, s, es
  private byte[] writeMessage2(byte[] payload) throws NoiseException {
    byte[] ePub = writeE();
    symmetric.mixKey(X25519.dh(e.privateKey(), re)); // ee
    byte[] sCipher = symmetric.encryptAndHash(s.publicKey()); // s
    symmetric.mixKey(X25519.dh(s.privateKey(), re)); // es (responder: DH(s, re))
    return concat(ePub, sCipher, symmetric.encryptAndHash(payload));
  }

  // -> s, se
  private byte[] writeMessage3(byte[] payload) throws NoiseException {
    byte[] sCipher = symmetric.encryptAndHash(s.publicKey()); // s
    symmetric.mixKey(X25519.dh(s.privateKey(), re)); // se (initiator: DH(s, re))
    byte[] out = concat(sCipher, symmetric.encryptAndHash(payload));
    split = symmetric.split();
    return out;
  }

  // -> e (as responder)
  private byte[] readMessage1(byte[] msg) throws NoiseException {
    requireLength(msg, DH_LENGTH, "1 (e)");
    readE(msg);
    return symmetric.decryptAndHash(Arrays.copyOfRange(msg, DH_LENGTH, msg.length));
  }

  // <- e, ee, s, es (as initiator)
  private byte[] readMessage2(byte[] msg) throws NoiseException {
    requireLength(msg, DH_LENGTH + ENCRYPTED_KEY_LENGTH + CipherState.TAG_LENGTH,
        "2 (e, ee, s, es, payload)");
    readE(msg);
    symmetric.mixKey(X25519.dh(e.privateKey(), re)); // ee
    int end = DH_LENGTH + ENCRYPTED_KEY_LENGTH;
    rs = symmetric.decryptAndHash(Arrays.copyOfRange(msg, DH_LENGTH, end)); // s
    symmetric.mixKey(X25519.dh(e.privateKey(), rs)); // es (initiator: DH(e, rs))
    return symmetric.decryptAndHash(Arrays.copyOfRange(msg, end, msg.length));
  }

  // -> s, se (as responder)
  private byte[] readMessage3(byte[] msg) throws NoiseException {
    requireLength(msg, ENCRYPTED_KEY_LENGTH + CipherState.TAG_LENGTH, "3 (s, se, payload)");
    rs = symmetric.decryptAndHash(Arrays.copyOfRange(msg, 0, ENCRYPTED_KEY_LENGTH)); // s
    symmetric.mixKey(X25519.dh(e.privateKey(), rs)); // se (responder: DH(e, rs))
    byte[] payload =
        symmetric.decryptAndHash(Arrays.copyOfRange(msg, ENCRYPTED_KEY_LENGTH, msg.length));
    split = symmetric.split();
    return payload;
  }

  /** Token "e" when writing: a fresh ephemeral key, sent in clear, then MixHash(e.public). */
  private byte[] writeE() {
    if (e == null) {
      e = X25519.generate();
    }
    symmetric.mixHash(e.publicKey());
    return e.publicKey();
  }

  /** Token "e" when reading: re = the first 32 bytes, then MixHash(re). */
  private void readE(byte[] msg) {
    re = Arrays.copyOfRange(msg, 0, DH_LENGTH);
    symmetric.mixHash(re);
  }

  private NoiseException outOfOrder(String attempted) {
    String role = initiator ? "initiator" : "responder";
    if (isComplete()) {
      return new NoiseException("Noise handshake out of order: complete, nothing left to " + attempted);
    }
    String expected = attempted.equals("read") ? "write" : "read";
    return new NoiseException("Noise handshake out of order: the " + role + " must " + expected
        + " message " + (message + 1) + " of 3, not " + attempted + " it");
  }

  private void checkUsable() throws NoiseException {
    if (failed) {
      throw new NoiseException("Noise handshake already failed");
    }
  }

  private static void requireLength(byte[] msg, int min, String which) throws NoiseException {
    if (msg.length < min) {
      throw new NoiseException(
          "Noise handshake message " + which + " too short: " + msg.length + " bytes, need at least "
              + min);
    }
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] p : parts) {
      length += p.length;
    }
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
