package io.tinyp2p.jmh;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tinyp2p.crypto.KeyPair;
import io.tinyp2p.protocol.gossipsub.MessageSigning;
import io.tinyp2p.protocol.gossipsub.pb.RpcProto;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Gossipsub RPC protobuf encoding and parsing, and the StrictSign check of a received
 * message (Ed25519 verification included), on an RPC with one signed 1 KiB message and an
 * IHAVE of 50 message ids.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GossipsubBenchmark {
  static final String TOPIC = "tinyp2p-bench";
  static final int DATA_LENGTH = 1024;
  static final int IHAVE_IDS = 50;

  @State(Scope.Thread)
  public static class Rpc {
    RpcProto.RPC rpc;
    /** The encoding of {@link #rpc}. */
    byte[] encoded;
    /** The published message, as a receiver has it after parsing. */
    RpcProto.Message received;

    @Setup(Level.Trial)
    public void build() throws InvalidProtocolBufferException {
      Random random = new Random(9);
      byte[] data = new byte[DATA_LENGTH];
      random.nextBytes(data);
      KeyPair author = KeyPair.generate();
      RpcProto.Message message = MessageSigning.sign(author, TOPIC, data, 1);

      // IHAVE ids in the default message-id form: binary PeerId || 8-byte seqno
      KeyPair other = KeyPair.generate();
      RpcProto.ControlIHave.Builder ihave = RpcProto.ControlIHave.newBuilder().setTopicID(TOPIC);
      for (int i = 0; i < IHAVE_IDS; i++) {
        ihave.addMessageIDs(ByteString.copyFrom(other.peerId().toBytes())
            .concat(ByteString.copyFrom(MessageSigning.seqnoBytes(1000 + i))));
      }

      rpc = RpcProto.RPC.newBuilder()
          .addPublish(message)
          .setControl(RpcProto.ControlMessage.newBuilder().addIhave(ihave))
          .build();
      encoded = rpc.toByteArray();
      RpcProto.RPC parsed = RpcProto.RPC.parseFrom(encoded);
      if (!parsed.equals(rpc)) {
        throw new IllegalStateException("RPC did not survive a round trip");
      }
      received = parsed.getPublish(0);
      if (MessageSigning.validate(received) != MessageSigning.Result.VALID) {
        throw new IllegalStateException("signed message does not validate");
      }
    }
  }

  /**
   * Writes the RPC to a new array. protobuf-java memoizes a message's size, so this measures
   * the write of an already-built RPC, not the size computation (done once per RPC).
   */
  @Benchmark
  public byte[] encode(Rpc r) {
    return r.rpc.toByteArray();
  }

  @Benchmark
  public RpcProto.RPC parse(Rpc r) throws InvalidProtocolBufferException {
    return RpcProto.RPC.parseFrom(r.encoded);
  }

  /** Field checks, key from the inlined PeerId, re-encoding of the signed bytes, verify. */
  @Benchmark
  public MessageSigning.Result validate(Rpc r) {
    return MessageSigning.validate(r.received);
  }
}
