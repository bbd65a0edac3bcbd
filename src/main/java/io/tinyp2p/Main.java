package io.tinyp2p;

public final class Main {
  public static void main(String[] args) {
    System.out.println("tinyp2p");
  }
}
