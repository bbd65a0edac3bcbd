package io.tinyp2p.nat;

import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * A JVM that builds a small lab (a public host, a NAT, a host behind it with its management link),
 * prints {@code built <namespace prefix> <link prefix>} and waits for stdin to end: NatLabIT kills it
 * to see what the shutdown hook and the next lab clean up.
 */
public final class LabInChildJvm {
  private LabInChildJvm() {}

  public static void main(String[] args) throws Exception {
    NetLab lab = NetLab.create();
    lab.publicHost("pub");
    Host h = lab.nat("nat", NetLab.NatType.PORT_RESTRICTED).host("priv");
    h.managementIp();
    System.out.println("built " + lab.namespacePrefix() + " " + lab.linkPrefix());
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in)).readLine();
    lab.close();
  }
}
