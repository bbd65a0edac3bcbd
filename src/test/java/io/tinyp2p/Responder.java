package io.tinyp2p;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

/**
 * The responder behaviour the request-response tests expect of any peer, Java or js: echo;
 * "fail" → error response; "never" → no answer; "big:N" → N bytes of 'x'.
 */
public final class Responder {
  private Responder() {}

  public static Future<Buffer> answer(String peer, Buffer request) {
    String text = request.length() < 64 ? request.toString() : "";
    if (text.equals("fail")) {
      return Future.failedFuture("asked to fail");
    }
    if (text.equals("never")) {
      return Promise.<Buffer>promise().future();
    }
    if (text.startsWith("big:")) {
      int n = Integer.parseInt(text.substring(4));
      byte[] body = new byte[n];
      java.util.Arrays.fill(body, (byte) 'x');
      return Future.succeededFuture(Buffer.buffer(body));
    }
    return Future.succeededFuture(request);
  }
}
