package io.tinyp2p.node;

import io.tinyp2p.client.Bus;
import io.tinyp2p.client.Failure;
import io.tinyp2p.protocol.kad.DhtException;
import io.tinyp2p.protocol.kad.Kademlia;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The DHT's event-bus commands ({@code <prefix>.dht.put}, {@code .dht.get}, {@code .dht.provide},
 * {@code .dht.providers}; see {@link Bus}), served on the node's loop. Keys and values are
 * given as UTF-8 text ({@code key}, {@code value}) or as base64 of their bytes
 * ({@code keyBase64}, {@code valueBase64}); every bad input is answered with a failure code.
 */
final class DhtCommands {
  /** Providers asked for at most by one {@code dht.providers} command. */
  static final int MAX_COUNT = 100;
  static final int DEFAULT_COUNT = Kademlia.K;

  private DhtCommands() {}

  static void register(EventBus bus, String prefix, Kademlia kad, BooleanSupplier stopping,
      List<MessageConsumer<?>> consumers) {
    command(bus, Bus.dhtPut(prefix), stopping, consumers, body -> {
      byte[] key = bytes(body, "key");
      byte[] value = bytes(body, "value");
      return kad.putValue(key, value).map(n -> keyJson(body).put("peers", n));
    });
    command(bus, Bus.dhtGet(prefix), stopping, consumers, body -> {
      byte[] key = bytes(body, "key");
      return kad.getValue(key).map(value -> {
        JsonObject reply = keyJson(body).put("valueBase64", Base64.getEncoder().encodeToString(value));
        String text = utf8(value);
        return text == null ? reply : reply.put("value", text);
      });
    });
    command(bus, Bus.dhtProvide(prefix), stopping, consumers, body ->
        kad.provide(bytes(body, "key")).map(n -> keyJson(body).put("peers", n)));
    command(bus, Bus.dhtProviders(prefix), stopping, consumers, body -> {
      byte[] key = bytes(body, "key");
      Object count = body.getValue("count", DEFAULT_COUNT);
      if (!(count instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 1 || n.intValue() > MAX_COUNT) {
        throw new DhtException(DhtException.Reason.INVALID, "count must be an integer from 1 to " + MAX_COUNT);
      }
      return kad.findProviders(key, n.intValue()).map(found -> {
        JsonArray providers = new JsonArray();
        for (Kademlia.Provider p : found) {
          providers.add(new JsonObject().put("peerId", p.peer().toBase58())
              .put("addrs", new JsonArray(p.addrs().stream().map(Object::toString).toList())));
        }
        return keyJson(body).put("providers", providers);
      });
    });
  }

  private static void command(EventBus bus, String address, BooleanSupplier stopping, List<MessageConsumer<?>> consumers,
      Function<JsonObject, Future<JsonObject>> action) {
    consumers.add(bus.<Object>consumer(address, msg -> {
      if (!(msg.body() instanceof JsonObject body)) {
        msg.reply(Failure.BAD_REQUEST.exception("the body of " + address + " must be a JSON object"));
        return;
      }
      if (stopping.getAsBoolean()) {
        msg.reply(Failure.NOT_RUNNING.exception("the node is stopping"));
        return;
      }
      Future<JsonObject> result;
      try {
        result = action.apply(body);
      } catch (DhtException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(ar -> reply(msg, ar.succeeded() ? ar.result() : null, ar.cause()));
    }));
  }

  private static void reply(Message<Object> msg, JsonObject result, Throwable error) {
    if (error == null) {
      msg.reply(result);
    } else if (error instanceof DhtException e) {
      msg.reply(failure(e.reason()).exception(e.getMessage()));
    } else {
      msg.reply(Failure.INTERNAL_ERROR.exception(String.valueOf(error)));
    }
  }

  /** The failure code of a DHT failure. */
  static Failure failure(DhtException.Reason reason) {
    return switch (reason) {
      case INVALID -> Failure.BAD_REQUEST;
      case TOO_LARGE -> Failure.REQUEST_TOO_LARGE;
      case STORE_FULL -> Failure.STORE_FULL;
      case NO_PEERS -> Failure.NO_PEERS;
      case NOT_FOUND -> Failure.RECORD_NOT_FOUND;
    };
  }

  /** The reply's {@code key} or {@code keyBase64}: the key as the command gave it. */
  private static JsonObject keyJson(JsonObject body) {
    return body.getValue("key") instanceof String s ? new JsonObject().put("key", s)
        : new JsonObject().put("keyBase64", body.getString("keyBase64"));
  }

  /** {@code name} as UTF-8 text or {@code nameBase64} as base64; exactly one of them. */
  private static byte[] bytes(JsonObject body, String name) {
    Object text = body.getValue(name);
    Object b64 = body.getValue(name + "Base64");
    if ((text == null) == (b64 == null)) {
      throw new DhtException(DhtException.Reason.INVALID, "give one of '" + name + "' (UTF-8 text) and '" + name
          + "Base64' (base64 bytes)");
    }
    if (text != null) {
      if (!(text instanceof String s) || s.isEmpty()) {
        throw new DhtException(DhtException.Reason.INVALID, "'" + name + "' must be a non-empty string");
      }
      return s.getBytes(StandardCharsets.UTF_8);
    }
    if (!(b64 instanceof String s) || s.isEmpty()) {
      throw new DhtException(DhtException.Reason.INVALID, "'" + name + "Base64' must be a non-empty base64 string");
    }
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new DhtException(DhtException.Reason.INVALID, "'" + name + "Base64' is not base64: " + e.getMessage());
    }
  }

  /** The bytes as text when they are valid UTF-8, else null. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
