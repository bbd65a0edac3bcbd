package io.tinyp2p.protocol.relay;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.crypto.PeerId;
import io.tinyp2p.crypto.PublicKey;
import io.tinyp2p.protocol.relay.pb.CircuitProto;
import io.tinyp2p.util.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * libp2p's signed envelope (specs RFC 0002): a payload, its type, the signer's public key and a
 * signature over uvarint(len) ‖ domain ‖ uvarint(len) ‖ payload type ‖ uvarint(len) ‖ payload.
 * Here it carries Circuit Relay v2's reservation voucher: domain {@value #VOUCHER_DOMAIN},
 * payload type the multicodec 0x0302.
 */
public final class SignedEnvelope {
  /** The domain a reservation voucher is signed in. */
  public static final String VOUCHER_DOMAIN = "libp2p-relay-rsvp";
  /**
   * The payload type of a reservation voucher: the multicodec 0x0302 as its two bytes
   * {@code 03 02}, the way go-libp2p and js-libp2p write (and check) it, not as a uvarint.
   */
  static final byte[] VOUCHER_TYPE = {0x03, 0x02};

  /** An opened envelope whose signature checked out. */
  public record Opened(PeerId signer, byte[] payloadType, byte[] payload) { }

  private SignedEnvelope() { }

  /** Signs {@code payload} with {@code key} in {@code domain}: the envelope's protobuf bytes. */
  public static byte[] seal(KeyPair key, String domain, byte[] payloadType, byte[] payload) {
    byte[] signature = key.sign(signedBytes(domain, payloadType, payload));
    return CircuitProto.Envelope.newBuilder()
        .setPublicKey(ByteString.copyFrom(key.publicKey().marshal()))
        .setPayloadType(ByteString.copyFrom(payloadType))
        .setPayload(ByteString.copyFrom(payload))
        .setSignature(ByteString.copyFrom(signature))
        .build().toByteArray();
  }

  /**
   * Opens an envelope signed in {@code domain}.
   *
   * @throws IllegalArgumentException if it is malformed or its signature does not verify
   */
  public static Opened open(byte[] envelope, String domain) {
    CircuitProto.Envelope e;
    try {
      e = CircuitProto.Envelope.parseFrom(envelope);
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalArgumentException("malformed envelope: " + ex.getMessage());
    }
    PublicKey key = PublicKey.unmarshal(e.getPublicKey().toByteArray());
    byte[] type = e.getPayloadType().toByteArray();
    byte[] payload = e.getPayload().toByteArray();
    if (!key.verify(signedBytes(domain, type, payload), e.getSignature().toByteArray())) {
      throw new IllegalArgumentException("envelope signature does not verify in domain " + domain);
    }
    return new Opened(key.toPeerId(), type, payload);
  }

  /** A reservation voucher: the relay vouches that it serves {@code peer} until {@code expiration} (Unix seconds). */
  public static byte[] voucher(KeyPair relay, PeerId peer, long expiration) {
    byte[] payload = CircuitProto.Voucher.newBuilder()
        .setRelay(ByteString.copyFrom(relay.peerId().toBytes()))
        .setPeer(ByteString.copyFrom(peer.toBytes()))
        .setExpiration(expiration)
        .build().toByteArray();
    return seal(relay, VOUCHER_DOMAIN, VOUCHER_TYPE, payload);
  }

  /**
   * Opens a reservation voucher and checks it is signed by the relay it names.
   *
   * @throws IllegalArgumentException if it is not a valid voucher
   */
  public static CircuitProto.Voucher openVoucher(byte[] envelope) {
    Opened opened = open(envelope, VOUCHER_DOMAIN);
    if (!java.util.Arrays.equals(opened.payloadType(), VOUCHER_TYPE)) {
      throw new IllegalArgumentException("envelope is not a reservation voucher");
    }
    CircuitProto.Voucher v;
    try {
      v = CircuitProto.Voucher.parseFrom(opened.payload());
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalArgumentException("malformed voucher: " + ex.getMessage());
    }
    if (!PeerId.fromBytes(v.getRelay().toByteArray()).equals(opened.signer())) {
      throw new IllegalArgumentException("voucher names a relay other than its signer");
    }
    return v;
  }

  private static byte[] signedBytes(String domain, byte[] type, byte[] payload) {
    byte[] d = domain.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(d.length + type.length + payload.length + 12);
    for (byte[] field : new byte[][] {d, type, payload}) {
      out.writeBytes(Varint.encode(field.length));
      out.writeBytes(field);
    }
    return out.toByteArray();
  }
}
