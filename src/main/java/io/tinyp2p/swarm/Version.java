package io.tinyp2p.swarm;

/** The project's version, from the jar manifest when packaged. */
public final class Version {
  public static final String VERSION = version();

  private Version() {}

  private static String version() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }
}
