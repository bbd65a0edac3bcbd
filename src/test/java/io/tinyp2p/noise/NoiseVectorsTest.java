package io.tinyp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The cacophony test vector for Noise_XX_25519_ChaChaPoly_SHA256 (as shipped in the
 * cacophony and snow test suites): fixed keys, prologue "John Galt", three handshake
 * messages and three transport messages, byte for byte. This pins the whole Noise layer
 * (MixHash, MixKey, EncryptAndHash, token order, Split, nonces) below the libp2p payloads.
 */
class NoiseVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  private static final String[][] MESSAGES = { // payload, ciphertext; senders alternate
    {"4c756477696720766f6e204d69736573",
        "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
            + "4c756477696720766f6e204d69736573"},
    {"4d757272617920526f746862617264",
        "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ff"
            + "ce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ff"
            + "e09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"},
    {"462e20412e20486179656b",
        "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89"
            + "be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
    {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
    {"4a65616e2d426170746973746520536179",
        "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
    {"457567656e2042f6686d20766f6e2042617765726b",
        "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"},
  };

  @Test
  void cacophonyXX() throws Exception {
    byte[] prologue = hex("4a6f686e2047616c74"); // "John Galt"
    HandshakeState initiator = new HandshakeState(true, prologue,
        X25519.fromPrivate(hex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1")),
        X25519.fromPrivate(hex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a")));
    HandshakeState responder = new HandshakeState(false, prologue,
        X25519.fromPrivate(hex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893")),
        X25519.fromPrivate(hex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b")));

    for (int i = 0; i < 3; i++) {
      HandshakeState writer = i % 2 == 0 ? initiator : responder;
      HandshakeState reader = i % 2 == 0 ? responder : initiator;
      byte[] payload = hex(MESSAGES[i][0]);
      byte[] message = writer.writeMessage(payload);
      assertArrayEquals(hex(MESSAGES[i][1]), message, "handshake message " + (i + 1));
      assertArrayEquals(payload, reader.readMessage(message));
    }
    byte[] hash = hex("c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e");
    assertArrayEquals(hash, initiator.handshakeHash());
    assertArrayEquals(hash, responder.handshakeHash());

    for (int i = 3; i < MESSAGES.length; i++) {
      int direction = i % 2 == 0 ? 0 : 1; // Split()'s first cipher is initiator -> responder
      byte[] payload = hex(MESSAGES[i][0]);
      byte[] message = (i % 2 == 0 ? initiator : responder).split()[direction].encrypt(payload);
      assertArrayEquals(hex(MESSAGES[i][1]), message, "transport message " + (i + 1));
      assertArrayEquals(payload,
          (i % 2 == 0 ? responder : initiator).split()[direction].decrypt(message));
    }
  }
}
