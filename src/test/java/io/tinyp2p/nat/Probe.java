package io.tinyp2p.nat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny network probe that runs inside a lab host (its own JVM, JDK classes only) to check the NATs
 * without the node: one command per stdin line, one reply per stdout line. Ports are bound with
 * SO_REUSEPORT so that one local port can listen and dial out at once, as hole punching needs.
 *
 * <pre>
 * udp-bind PORT                      → ok
 * udp-send LOCALPORT IP PORT TEXT    → ok
 * udp-recv LOCALPORT TIMEOUTMS       → from IP:PORT TEXT | none
 * tcp-listen PORT                    → ok        (accepts in the background, keeps the sockets)
 * tcp-connect LOCALPORT IP PORT MS   → connected LOCALIP:PORT | failed REASON   (LOCALPORT 0: any)
 * tcp-accepted PORT                  → accepted IP:PORT,IP:PORT,...
 * </pre>
 * Ends when stdin ends.
 */
public final class Probe {
  private static final Map<Integer, DatagramSocket> UDP = new ConcurrentHashMap<>();
  private static final Map<Integer, List<String>> ACCEPTED = new ConcurrentHashMap<>();
  private static final List<Socket> KEPT = new CopyOnWriteArrayList<>();

  private Probe() {}

  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("ready");
    System.out.flush();
    String line;
    while ((line = in.readLine()) != null) {
      String reply;
      try {
        reply = handle(line.trim().split(" ", 5));
      } catch (Exception e) {
        reply = "error " + e;
      }
      System.out.println(reply.replace('\n', ' '));
      System.out.flush();
    }
    System.exit(0);
  }

  private static String handle(String[] c) throws IOException {
    switch (c[0]) {
      case "udp-bind" -> {
        DatagramSocket s = new DatagramSocket(null);
        s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        s.bind(new InetSocketAddress(Integer.parseInt(c[1])));
        UDP.put(Integer.parseInt(c[1]), s);
        return "ok";
      }
      case "udp-send" -> {
        byte[] text = c[4].getBytes(StandardCharsets.UTF_8);
        UDP.get(Integer.parseInt(c[1])).send(new DatagramPacket(text, text.length,
            new InetSocketAddress(c[2], Integer.parseInt(c[3]))));
        return "ok";
      }
      case "udp-recv" -> {
        DatagramSocket s = UDP.get(Integer.parseInt(c[1]));
        s.setSoTimeout(Integer.parseInt(c[2]));
        DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
        try {
          s.receive(p);
        } catch (SocketTimeoutException e) {
          return "none";
        }
        return "from " + p.getAddress().getHostAddress() + ":" + p.getPort() + " "
            + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
      }
      case "tcp-listen" -> {
        int port = Integer.parseInt(c[1]);
        ServerSocket server = new ServerSocket();
        server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(new InetSocketAddress(port));
        List<String> accepted = new CopyOnWriteArrayList<>();
        ACCEPTED.put(port, accepted);
        Thread t = new Thread(() -> {
          while (true) {
            try {
              Socket s = server.accept();
              KEPT.add(s);
              accepted.add(s.getInetAddress().getHostAddress() + ":" + s.getPort());
            } catch (IOException e) {
              return;
            }
          }
        }, "accept-" + port);
        t.setDaemon(true);
        t.start();
        return "ok";
      }
      case "tcp-connect" -> {
        int local = Integer.parseInt(c[1]);
        Socket s = new Socket();
        s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(local));
        try {
          s.connect(new InetSocketAddress(c[2], Integer.parseInt(c[3])), Integer.parseInt(c[4]));
        } catch (IOException e) {
          s.close();
          return "failed " + e.getMessage();
        }
        KEPT.add(s);
        return "connected " + s.getLocalAddress().getHostAddress() + ":" + s.getLocalPort();
      }
      case "tcp-accepted" -> {
        return "accepted " + String.join(",", ACCEPTED.getOrDefault(Integer.parseInt(c[1]), new ArrayList<>()));
      }
      default -> {
        return "error unknown command " + c[0];
      }
    }
  }
}
