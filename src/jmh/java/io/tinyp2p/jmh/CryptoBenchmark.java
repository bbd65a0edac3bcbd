package io.tinyp2p.jmh;

import io.tinyp2p.crypto.ChaChaPoly;
import io.tinyp2p.crypto.Curve25519;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The crypto seams side by side with what they replace. Ed25519 sign and verify of a 1 KiB
 * message and one X25519 agreement: {@code jdk*} through the JDK's providers, {@code bc*}
 * through {@link Curve25519} (BouncyCastle's {@code rfc8032} / {@code rfc7748}); microseconds
 * per operation. {@code seal}: one 65519-byte Noise frame through {@link ChaChaPoly} for each
 * provider ({@code -p aead=jdk,split}), scored in bytes/µs = MB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CryptoBenchmark {
  static final int MESSAGE = 1024;
  static final int FRAME = 65535 - 16;

  byte[] message = new byte[MESSAGE];
  byte[] seed;
  byte[] publicKey;
  byte[] signature;
  PrivateKey jdkPrivate;
  PublicKey jdkPublic;
  byte[] jdkSignature;
  byte[] xPrivate;
  byte[] xPeerPublic;
  PrivateKey jdkXPrivate;
  PublicKey jdkXPeerPublic;
  static final byte[] NO_AD = new byte[0];

  /** One ChaChaPoly of the provider named by the {@code aead} parameter. */
  @State(Scope.Thread)
  public static class Aead {
    @Param({"jdk", "split"})
    public String aead;
    ChaChaPoly cipher;
    final byte[] nonce = new byte[12];
    long counter;
    final byte[] frame = new byte[FRAME + 16];

    @Setup
    public void setUp() {
      byte[] key = new byte[32];
      new Random(5).nextBytes(key);
      cipher = ChaChaPoly.create(aead, key);
    }
  }

  @Setup
  public void setUp() throws GeneralSecurityException {
    new Random(3).nextBytes(message);
    seed = Curve25519.newSeed();
    publicKey = Curve25519.publicKey(seed);
    signature = Curve25519.sign(seed, publicKey, message);
    java.security.KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    jdkPrivate = ed.getPrivate();
    jdkPublic = ed.getPublic();
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(jdkPrivate);
    s.update(message);
    jdkSignature = s.sign();
    xPrivate = Curve25519.newX25519PrivateKey();
    xPeerPublic = Curve25519.x25519PublicKey(Curve25519.newX25519PrivateKey());
    KeyPairGenerator x = KeyPairGenerator.getInstance("X25519");
    x.initialize(NamedParameterSpec.X25519);
    jdkXPrivate = x.generateKeyPair().getPrivate();
    jdkXPeerPublic = x.generateKeyPair().getPublic();
  }

  @Benchmark
  public byte[] bcSign() {
    return Curve25519.sign(seed, publicKey, message);
  }

  @Benchmark
  public boolean bcVerify() {
    return Curve25519.verify(publicKey, message, signature);
  }

  @Benchmark
  public byte[] bcX25519() {
    return Curve25519.x25519(xPrivate, xPeerPublic);
  }

  @Benchmark
  public byte[] jdkSign() throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(jdkPrivate);
    s.update(message);
    return s.sign();
  }

  @Benchmark
  public boolean jdkVerify() throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(jdkPublic);
    s.update(message);
    return s.verify(jdkSignature);
  }

  @Benchmark
  public byte[] jdkX25519() throws GeneralSecurityException {
    KeyAgreement ka = KeyAgreement.getInstance("X25519");
    ka.init(jdkXPrivate);
    ka.doPhase(jdkXPeerPublic, true);
    return ka.generateSecret();
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OperationsPerInvocation(FRAME)
  public int seal(Aead a) {
    a.counter++;
    for (int i = 0; i < 8; i++) {
      a.nonce[4 + i] = (byte) (a.counter >>> (8 * i));
    }
    return a.cipher.seal(a.nonce, NO_AD, a.frame, 0, FRAME, a.frame, 0);
  }
}
