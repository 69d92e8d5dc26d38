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
    Class<?> data = Class.forName(PACKAGE + name + "Data");
    Class<?> converter = Class.forName(PACKAGE + name + "DataJsonConverter");
    if (args[0].equals("encode")) {
      JsonNode json = new ObjectMapper().readTree(args.length > 3 ? args[3] : "{}");
      Message message = (Message) converter.getMethod("read", JsonNode.class, short.class).invoke(null, json, version);
      // Message.size/write rather than MessageUtil's helpers, whose names differ
      // between kafka-clients 3.9 and 4.x, so KWIRE_GOLDEN_KAFKA=3.9.x works.
      ObjectSerializationCache cache = new ObjectSerializationCache();
      byte[] out = new byte[message.size(cache, version)];
      message.write(new ByteBufferAccessor(ByteBuffer.wrap(out)), cache, version);
      System.out.println(HexFormat.of().formatHex(out));
    } else {
      byte[] in = HexFormat.of().parseHex(args.length > 3 ? args[3] : "");
      Message message = (Message) data.getConstructor(org.apache.kafka.common.protocol.Readable.class, short.class)
          .newInstance(new ByteBufferAccessor(ByteBuffer.wrap(in)), version);
      JsonNode json = (JsonNode) converter.getMethod("write", data, short.class).invoke(null, message, version);
      System.out.println(json.toString());
    }
  }
}
