package io.tinyp2p.noise;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.noise.pb.NoiseProto.NoiseExtensions;
import io.tinyp2p.noise.pb.NoiseProto.NoiseHandshakePayload;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The libp2p Noise handshake (libp2p/specs noise/README.md) as a pure state machine:
 * Noise_XX_25519_ChaChaPoly_SHA256, empty prologue, and each side's libp2p identity proven by
 * a signed payload in messages 2 and 3.
 *
 * <p>Initiator: {@code writeMessage()}, {@code readMessage(m2)}, {@code writeMessage()}.
 * Responder: {@code readMessage(m1)}, {@code writeMessage()}, {@code readMessage(m3)}. The
 * messages exclude the 2-byte big-endian length prefix that the transport adds. Once {@link
 * #isComplete()}, the remote identity and the two transport {@link CipherState}s are
 * available. After any {@link NoiseException} the handshake is dead: close the connection.
 * Not thread-safe.
 */
public final class NoiseHandshake {
  /** The protocol id negotiated with multistream-select. */
  public static final String PROTOCOL_ID = "/noise";
  /** Largest handshake or transport message, without the 2-byte length prefix. */
  public static final int MAX_MESSAGE_LENGTH = CipherState.MAX_MESSAGE_LENGTH;
  /** Largest plaintext per transport message. */
  public static final int MAX_PLAINTEXT_LENGTH = CipherState.MAX_PLAINTEXT_LENGTH;

  /** What the identity key signs, followed by the 32-byte static X25519 public key. */
  static final byte[] STATIC_KEY_SIGNATURE_PREFIX =
      "noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8);

  private static final byte[] EMPTY = new byte[0];

  private final KeyPair identity;
  private final List<String> streamMuxers;
  private final HandshakeState state;

  private PeerId expectedRemotePeer;
  private PublicKey remoteIdentity;
  private PeerId remotePeerId;
  private List<String> remoteStreamMuxers;
  /** Set by any NoiseException, including a payload refused after the Noise state advanced. */
  private boolean failed;

  NoiseHandshake(
      boolean initiator, KeyPair identity, List<String> streamMuxers, X25519.KeyPair staticKey) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.streamMuxers = List.copyOf(streamMuxers);
    // empty prologue; libp2p allows a fresh static key per session
    this.state = new HandshakeState(initiator, EMPTY, staticKey, null);
  }

  /** The dialer's side, with a fresh static X25519 key and no extensions. */
  public static NoiseHandshake initiator(KeyPair identity) {
    return initiator(identity, List.of());
  }

  /**
   * The dialer's side, advertising {@code streamMuxers} (e.g. "/yamux/1.0.0") in the
   * extensions of message 3; an empty list sends no extensions.
   */
  public static NoiseHandshake initiator(KeyPair identity, List<String> streamMuxers) {
    return new NoiseHandshake(true, identity, streamMuxers, X25519.generate());
  }

  /** The listener's side, with a fresh static X25519 key and no extensions. */
  public static NoiseHandshake responder(KeyPair identity) {
    return responder(identity, List.of());
  }

  /** The listener's side, advertising {@code streamMuxers} in message 2's extensions. */
  public static NoiseHandshake responder(KeyPair identity, List<String> streamMuxers) {
    return new NoiseHandshake(false, identity, streamMuxers, X25519.generate());
  }

  /**
   * Requires the peer to prove this identity, as a dialer that knows whom it dialed should:
   * reading the peer's identity message (2 for the initiator, 3 for the responder) then
   * fails with a NoiseException for any other peer, so the initiator never sends its own
   * identity to the wrong one. Call before that message arrives.
   *
   * @return this
   */
  public NoiseHandshake expectRemotePeer(PeerId peer) {
    this.expectedRemotePeer = Objects.requireNonNull(peer, "peer");
    return this;
  }

  public boolean isInitiator() {
    return state.isInitiator();
  }

  /** Whether the next call must be {@link #writeMessage()} (else {@link #readMessage}). */
  public boolean isWriteTurn() {
    return state.isWriteTurn();
  }

  /** Whether the handshake finished and the peer's identity checked out. */
  public boolean isComplete() {
    return state.isComplete() && !failed;
  }

  /**
   * The next handshake message to send: message 1 (initiator) is the ephemeral key with an
   * empty payload; messages 2 and 3 carry our signed identity payload.
   *
   * @throws NoiseException if it is not our turn to write, the handshake already failed, or
   *     the peer's ephemeral key is a low-order point
   */
  public byte[] writeMessage() throws NoiseException {
    checkNotFailed();
    try {
      // message 1 is sent before any key is agreed: no identity or extensions in it
      byte[] payload = state.messageIndex() == 0 || !state.isWriteTurn() ? EMPTY : ownPayload();
      return state.writeMessage(payload);
    } catch (NoiseException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /**
   * Consumes the peer's next handshake message. For messages 2 and 3, checks that the
   * payload's identity key signed the static key the peer used in this handshake.
   *
   * @throws NoiseException naming the problem: out of order, too short or long, failed
   *     decryption, bad X25519 key, malformed payload, missing or unsupported identity key,
   *     bad signature
   */
  public void readMessage(byte[] message) throws NoiseException {
    Objects.requireNonNull(message, "message");
    checkNotFailed();
    try {
      boolean identityMessage = state.messageIndex() > 0;
      byte[] payload = state.readMessage(message);
      if (identityMessage) {
        // message 2 or 3: the Noise state now holds the peer's static key rs
        acceptRemotePayload(payload);
      }
      // message 1's payload is empty by the spec; whatever it holds is ignored
    } catch (NoiseException | RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  /** The peer's libp2p identity key. */
  public PublicKey remoteIdentity() {
    requireComplete();
    return remoteIdentity;
  }

  public PeerId remotePeerId() {
    requireComplete();
    return remotePeerId;
  }

  /** The stream muxers the peer listed in its extensions; empty if it sent none. */
  public List<String> remoteStreamMuxers() {
    requireComplete();
    return remoteStreamMuxers;
  }

  /** Encrypts what we send: Split()'s first CipherState for the initiator, else the second. */
  public CipherState sendCipher() {
    requireComplete();
    return state.split()[isInitiator() ? 0 : 1];
  }

  /** Decrypts what we receive. */
  public CipherState receiveCipher() {
    requireComplete();
    return state.split()[isInitiator() ? 1 : 0];
  }

  /** The final handshake hash h, identical on both sides (usable for channel binding). */
  public byte[] handshakeHash() {
    requireComplete();
    return state.handshakeHash();
  }

  private byte[] ownPayload() {
    byte[] signature = identity.sign(signedData(state.localStatic().publicKey()));
    NoiseHandshakePayload.Builder payload = NoiseHandshakePayload.newBuilder()
        .setIdentityKey(ByteString.copyFrom(identity.publicKey().marshal()))
        .setIdentitySig(ByteString.copyFrom(signature));
    if (!streamMuxers.isEmpty()) {
      payload.setExtensions(NoiseExtensions.newBuilder().addAllStreamMuxers(streamMuxers));
    }
    return payload.build().toByteArray();
  }

  private void acceptRemotePayload(byte[] bytes) throws NoiseException {
    NoiseHandshakePayload payload;
    try {
      payload = NoiseHandshakePayload.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new NoiseException("malformed Noise handshake payload: " + e.getMessage(), e);
    }
    if (!payload.hasIdentityKey() || payload.getIdentityKey().isEmpty()) {
      throw new NoiseException("Noise handshake payload has no identity key");
    }
    if (!payload.hasIdentitySig() || payload.getIdentitySig().isEmpty()) {
      throw new NoiseException("Noise handshake payload has no identity signature");
    }
    PublicKey key;
    try {
      // refuses malformed keys and types other than Ed25519
      key = PublicKey.unmarshal(payload.getIdentityKey().toByteArray());
    } catch (IllegalArgumentException e) {
      throw new NoiseException("bad identity key in Noise handshake payload: " + e.getMessage(), e);
    }
    byte[] signed = signedData(state.remoteStatic());
    if (!key.verify(signed, payload.getIdentitySig().toByteArray())) {
      throw new NoiseException(
          "identity signature in Noise handshake payload does not match the static key of "
              + key.toPeerId() + " (or is malformed)");
    }
    PeerId peerId = key.toPeerId();
    if (expectedRemotePeer != null && !expectedRemotePeer.equals(peerId)) {
      throw new NoiseException(
          "Noise handshake reached peer " + peerId + ", expected " + expectedRemotePeer);
    }
    remoteIdentity = key;
    remotePeerId = peerId;
    // early data, handed out only once the handshake is complete
    remoteStreamMuxers = List.copyOf(payload.getExtensions().getStreamMuxersList());
  }

  /** "noise-libp2p-static-key:" || the 32-byte static X25519 key as sent on the wire. */
  private static byte[] signedData(byte[] staticKey) {
    byte[] data = new byte[STATIC_KEY_SIGNATURE_PREFIX.length + staticKey.length];
    System.arraycopy(STATIC_KEY_SIGNATURE_PREFIX, 0, data, 0, STATIC_KEY_SIGNATURE_PREFIX.length);
    System.arraycopy(staticKey, 0, data, STATIC_KEY_SIGNATURE_PREFIX.length, staticKey.length);
    return data;
  }

  private void checkNotFailed() throws NoiseException {
    if (failed) {
      throw new NoiseException("Noise handshake already failed");
    }
  }

  private void requireComplete() {
    if (!isComplete()) {
      throw new IllegalStateException("Noise handshake is not complete");
    }
  }
}
