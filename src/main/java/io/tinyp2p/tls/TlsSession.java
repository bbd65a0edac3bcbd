package io.tinyp2p.tls;

import io.tinyp2p.crypto.PeerId;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

/**
 * One side of a libp2p TLS handshake on an {@link SSLEngine} (BouncyCastle's JSSE): TLS 1.3 only, our
 * {@link TlsCertificate} presented and the peer's required both ways, the peer's certificate
 * checked by {@link TlsCertificate#verify} during the handshake (a dialer that knows whom it
 * dialed also refuses anyone else there, before it sends its own certificate), no SNI and no
 * session resumption (a fresh context per connection, so each handshake sends certificates).
 *
 * <p>ALPN: the client offers the stream muxers it may inline (libp2p/specs
 * connections/inlined-muxer-negotiation.md) followed by {@value #ALPN_LIBP2P}; the server picks
 * the first offer it supports and refuses a client that offers nothing it knows. When
 * {@value #ALPN_LIBP2P} is the outcome, the muxer is negotiated with multistream-select as usual.
 */
public final class TlsSession {
  /** The security protocol id negotiated with multistream-select. */
  public static final String PROTOCOL_ID = "/tls/1.0.0";
  /** The ALPN protocol of libp2p, last in every client's list. */
  public static final String ALPN_LIBP2P = "libp2p";

  private static final String ALIAS = "libp2p";
  private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
  /**
   * BouncyCastle's JSSE, not the JDK's TLS: the JDK refuses to parse a certificate with an empty
   * issuer name, which js-libp2p (and older go-libp2p) send. Certificates are parsed by
   * BouncyCastle, everything else (ciphers, signatures, key agreement) comes from the JDK.
   */
  private static final java.security.Provider JSSE = new org.bouncycastle.jsse.provider.BouncyCastleJsseProvider(false,
      new JdkCryptoWithBcCertificates());

  /** The JDK's crypto for TLS, with BouncyCastle's X.509 parser. */
  private static final class JdkCryptoWithBcCertificates extends JcaTlsCryptoProvider {
    private final JcaJceHelper helper = new DefaultJcaJceHelper() {
      @Override
      public CertificateFactory createCertificateFactory(String type) throws CertificateException {
        return CertificateFactory.getInstance(type, BC);
      }
    };

    @Override
    public JcaTlsCrypto create(SecureRandom random) {
      return create(random, new SecureRandom());
    }

    @Override
    public JcaTlsCrypto create(SecureRandom keyRandom, SecureRandom nonceRandom) {
      return new JcaTlsCrypto(helper, helper, keyRandom != null ? keyRandom : new SecureRandom(),
          nonceRandom != null ? nonceRandom : new SecureRandom()) { };
    }
  }

  private final SSLEngine engine;
  private final PeerId expectedPeer;
  private PeerId remotePeer;

  private TlsSession(TlsCertificate certificate, boolean client, PeerId expectedPeer, List<String> muxers) {
    this.expectedPeer = expectedPeer;
    try {
      SSLContext context = SSLContext.getInstance("TLSv1.3", JSSE);
      context.init(new KeyManager[] {new OwnKey(certificate)}, new TrustManager[] {new PeerCheck()}, null);
      engine = context.createSSLEngine();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS 1.3 is not available: " + e.getMessage(), e);
    }
    engine.setUseClientMode(client);
    SSLParameters params = engine.getSSLParameters();
    params.setProtocols(new String[] {"TLSv1.3"});
    params.setEndpointIdentificationAlgorithm(null);
    params.setServerNames(List.of());
    if (client) {
      List<String> offer = new ArrayList<>(muxers);
      offer.add(ALPN_LIBP2P);
      params.setApplicationProtocols(offer.toArray(String[]::new));
    } else {
      params.setNeedClientAuth(true);
    }
    engine.setSSLParameters(params);
    if (!client) {
      ((org.bouncycastle.jsse.BCSSLEngine) engine).setBCHandshakeApplicationProtocolSelector((e, offered) -> {
        for (String p : offered) {
          if (p.equals(ALPN_LIBP2P) || muxers.contains(p)) {
            return p;
          }
        }
        return null; // no_application_protocol
      });
    }
  }

  /**
   * A client (dialer) or server (listener) session presenting {@code certificate}.
   *
   * @param expectedPeer the peer a dialer means to reach, or null
   * @param muxers the stream muxers to offer (client) or accept (server) in ALPN; empty: none
   */
  public static TlsSession create(TlsCertificate certificate, boolean client, PeerId expectedPeer,
      List<String> muxers) {
    return new TlsSession(certificate, client, expectedPeer, List.copyOf(muxers));
  }

  /** The engine that runs the handshake and then encrypts and decrypts records. */
  public SSLEngine engine() {
    return engine;
  }

  /** The peer its certificate proved; null before the handshake verified it. */
  public PeerId remotePeer() {
    return remotePeer;
  }

  /** The muxer ALPN settled on, or null when it settled on {@value #ALPN_LIBP2P} (then negotiate one). */
  public String inlinedMuxer() {
    String p = engine.getApplicationProtocol();
    return p == null || p.isEmpty() || p.equals(ALPN_LIBP2P) ? null : p;
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    PeerId peer = TlsCertificate.verify(chain, Instant.now());
    if (expectedPeer != null && !expectedPeer.equals(peer)) {
      throw new CertificateException("TLS handshake reached peer " + peer + ", expected " + expectedPeer);
    }
    remotePeer = peer;
  }

  /**
   * Runs the libp2p checks on the peer's certificate, whichever side it is on. A plain
   * {@link X509TrustManager}: the TLS provider adds its own engine-level checks around it (no
   * endpoint identification is set, so they are the algorithm constraints only).
   */
  private final class PeerCheck implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Presents our one certificate, whatever the peer asks for. */
  /**
   * Presents our one certificate, whatever the peer asks for; a listener may refuse to present
   * it to a handshake ({@link #presentsTo}), which ends that handshake with an alert.
   */
  public static class OwnKey extends X509ExtendedKeyManager {
    private final TlsCertificate certificate;

    public OwnKey(TlsCertificate certificate) {
      this.certificate = certificate;
    }

    /** Whether a listener answers the handshake of {@code engine}; all of them here. */
    protected boolean presentsTo(SSLEngine engine) {
      return true;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return keyType.contains("EC") && presentsTo(engine) ? ALIAS : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return keyType.contains("EC") ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return new X509Certificate[] {certificate.certificate()};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return certificate.privateKey();
    }
  }
}
