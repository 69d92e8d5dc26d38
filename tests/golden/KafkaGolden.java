// Golden vectors from Kafka's own encoders: serializes a message given as
// JSON (the field names of Kafka's message schemas, e.g. "groupId") with the
// generated classes in kafka-clients, or decodes bytes back to that JSON.
// kwire's codec tests paste the hex it prints, so they are checked against an
// independent implementation rather than against our own reading of the
// schema. Run through ./kafka-golden, which finds the jars.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public final class KafkaGolden {
  private static final String PACKAGE = "org.apache.kafka.common.message.";

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || !(args[0].equals("encode") || args[0].equals("decode"))) {
      System.err.println("usage: kafka-golden encode MESSAGE VERSION JSON | decode MESSAGE VERSION HEX");
      System.exit(2);
    }
    String name = args[1];  // e.g. JoinGroupRequest, ConsumerProtocolSubscription
    short version = Short.parseShort(args[2]);
    // Request/response classes end in "Data"; the "data" schemas
    // (ConsumerProtocolSubscription, ConsumerProtocolAssignment, ...) do not,
    // and travel with an int16 version prefix (MessageUtil.toVersionPrefixedBytes,
    // as ConsumerProtocol writes them into JoinGroup/SyncGroup), so their hex
    // includes it and decode reads the version from the bytes.
    boolean prefixed = false;
    Class<?> data;
    try {
      data = Class.forName(PACKAGE + name + "Data");
    } catch (ClassNotFoundException e) {
      data = Class.forName(PACKAGE + name);
      prefixed = true;
    }
    Class<?> converter = Class.forName(data.getName() + "JsonConverter");
    if (args[0].equals("encode")) {
      JsonNode json = new ObjectMapper().readTree(args.length > 3 ? args[3] : "{}");
      Message message = (Message) converter.getMethod("read", JsonNode.class, short.class).invoke(null, json, version);
      // Message.size/write rather than MessageUtil's helpers, whose names differ
      // between kafka-clients 3.9 and 4.x, so KWIRE_GOLDEN_KAFKA=3.9.x works.
      // Version-prefixed data (ConsumerProtocol*) starts with its int16 version.
      ObjectSerializationCache cache = new ObjectSerializationCache();
      int prefix = prefixed ? 2 : 0;
      byte[] out = new byte[prefix + message.size(cache, version)];
      ByteBuffer buffer = ByteBuffer.wrap(out);
      if (prefixed) buffer.putShort(version);
      message.write(new ByteBufferAccessor(buffer), cache, version);
      System.out.println(HexFormat.of().formatHex(out));
    } else {
      ByteBuffer in = ByteBuffer.wrap(HexFormat.of().parseHex(args.length > 3 ? args[3] : ""));
      if (prefixed) version = in.getShort();
      Message message = (Message) data.getConstructor(org.apache.kafka.common.protocol.Readable.class, short.class)
          .newInstance(new ByteBufferAccessor(in), version);
      JsonNode json = (JsonNode) converter.getMethod("write", data, short.class).invoke(null, message, version);
      System.out.println(json.toString());
    }
  }
}
