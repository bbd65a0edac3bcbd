package io.tinyp2p.jmh;

import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.noise.CipherState;
import io.tinyp2p.noise.NoiseException;
import io.tinyp2p.noise.NoiseHandshake;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Noise transport encryption of full frames: {@link CipherState} against the bare JDK
 * ChaCha20-Poly1305 cipher it wraps, on the largest plaintext one Noise message carries
 * (65519 bytes).
 *
 * <p>Every benchmark counts one operation per plaintext byte and reports per microsecond, so
 * the score (printed as "ops/us") reads as MB/s (10^6 bytes per second).
 *
 * <p>Decryption must see ciphertexts under the receiver's next nonce, which a {@link
 * CipherState} cannot rewind; so the decrypt benchmarks seal the next frame in a
 * per-invocation setup that is not timed. At ~0.1 ms per frame, the per-invocation
 * time-stamping JMH then adds is far below the noise.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class NoiseBenchmark {
  /** The largest plaintext of one Noise transport message. */
  static final int FRAME = CipherState.MAX_PLAINTEXT_LENGTH;

  /** Both ends of a real Noise XX session between two fresh identities. */
  @State(Scope.Thread)
  public static class Session {
    /** The initiator's sending cipher. */
    CipherState send;
    /** The responder's receiving cipher: it decrypts what {@link #send} encrypts. */
    CipherState receive;
    final byte[] plaintext = new byte[FRAME];
    final byte[] wire = new byte[FRAME + CipherState.TAG_LENGTH];
    final byte[] decrypted = new byte[FRAME];

    @Setup(Level.Trial)
    public void handshake() throws NoiseException {
      new Random(7).nextBytes(plaintext);
      NoiseHandshake initiator = NoiseHandshake.initiator(KeyPair.generate());
      NoiseHandshake responder = NoiseHandshake.responder(KeyPair.generate());
      // XX: initiator write/read/write, responder read/write/read
      responder.readMessage(initiator.writeMessage());
      initiator.readMessage(responder.writeMessage());
      responder.readMessage(initiator.writeMessage());
      send = initiator.sendCipher();
      receive = responder.receiveCipher();

      // the pair must really match: one round trip before anything is measured
      send.encrypt(plaintext, 0, FRAME, wire, 0);
      receive.decrypt(wire, 0, wire.length, decrypted, 0);
      if (!Arrays.equals(plaintext, decrypted)) {
        throw new IllegalStateException("Noise round trip corrupted the frame");
      }
    }
  }

  /**
   * A session whose sender seals the next frame before each call of {@link #decrypt}
   * (untimed). A subclass rather than a second state injected into the setup: JMH 1.37 hands
   * such a setup a different Session instance, keyed by another handshake.
   */
  @State(Scope.Thread)
  public static class Receiving extends Session {
    @Setup(Level.Invocation)
    public void sealNext() throws NoiseException {
      send.encrypt(plaintext, 0, FRAME, wire, 0);
    }
  }

  /** The bare JDK AEAD, used the way CipherState uses it: one init per message. */
  @State(Scope.Thread)
  public static class Jdk {
    final SecretKeySpec key;
    final Cipher sealer;
    final Cipher opener;
    /** 0x00000000 || LE64(counter), the Noise nonce layout. */
    final byte[] nonce = new byte[12];
    long counter;
    final byte[] plaintext = new byte[FRAME];
    final byte[] wire = new byte[FRAME + CipherState.TAG_LENGTH];
    final byte[] decrypted = new byte[FRAME];

    public Jdk() {
      byte[] k = new byte[32];
      Random random = new Random(11);
      random.nextBytes(k);
      random.nextBytes(plaintext);
      key = new SecretKeySpec(k, "ChaCha20");
      try {
        sealer = Cipher.getInstance("ChaCha20-Poly1305");
        opener = Cipher.getInstance("ChaCha20-Poly1305");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Advances the nonce: the JDK refuses to encrypt twice under one key and nonce. */
    void nextNonce() {
      counter++;
      for (int i = 0; i < 8; i++) {
        nonce[4 + i] = (byte) (counter >>> (8 * i));
      }
    }

    int seal() throws GeneralSecurityException {
      nextNonce();
      sealer.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
      return sealer.doFinal(plaintext, 0, FRAME, wire, 0);
    }

    /** Opens {@link #wire} under the current nonce (the one the last seal used). */
    int open() throws GeneralSecurityException {
      opener.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
      return opener.doFinal(wire, 0, wire.length, decrypted, 0);
    }
  }

  /** Seals the frame {@link #jdkDecrypt} opens next (untimed), as {@link Receiving} does. */
  @State(Scope.Thread)
  public static class JdkReceiving extends Jdk {
    @Setup(Level.Invocation)
    public void sealNext() throws GeneralSecurityException {
      seal();
    }
  }

  @Benchmark
  @OperationsPerInvocation(FRAME)
  public int encrypt(Session s) throws NoiseException {
    return s.send.encrypt(s.plaintext, 0, FRAME, s.wire, 0);
  }

  @Benchmark
  @OperationsPerInvocation(FRAME)
  public int decrypt(Receiving s) throws NoiseException {
    return s.receive.decrypt(s.wire, 0, s.wire.length, s.decrypted, 0);
  }

  @Benchmark
  @OperationsPerInvocation(FRAME)
  public int jdkEncrypt(Jdk jdk) throws GeneralSecurityException {
    return jdk.seal();
  }

  @Benchmark
  @OperationsPerInvocation(FRAME)
  public int jdkDecrypt(JdkReceiving jdk) throws GeneralSecurityException {
    return jdk.open();
  }
}
