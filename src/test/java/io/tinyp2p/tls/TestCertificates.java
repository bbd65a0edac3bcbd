package io.tinyp2p.tls;

import io.tinyp2p.crypto.KeyPair;
import java.time.Duration;
import java.time.Instant;

/** Wrong certificates for the tests of other packages. */
public final class TestCertificates {
  private TestCertificates() {}

  /** A certificate that claims {@code claimed}'s key but was signed by {@code signer}: its signature does not verify. */
  public static TlsCertificate forged(KeyPair claimed, KeyPair signer) {
    Instant now = Instant.now();
    return TlsCertificate.generate(claimed.publicKey().marshal(), signer, now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(1)));
  }

  /** A certificate for {@code identity} that expired a minute ago. */
  public static TlsCertificate expired(KeyPair identity) {
    Instant now = Instant.now();
    return TlsCertificate.generate(identity.publicKey().marshal(), identity, now.minus(Duration.ofDays(2)),
        now.minus(Duration.ofMinutes(1)));
  }
}
