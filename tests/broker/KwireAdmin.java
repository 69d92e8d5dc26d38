// Topic helper for kafka-broker's `create-topic`, built on kafka-clients only
// (always in the broker's jar set, unlike kafka-tools' TopicCommand), and it
// waits until every partition has a leader so a test can produce at once.
//
//   java -cp '<libs>/*:<classes>' KwireAdmin create-topic BOOTSTRAP NAME PARTITIONS RF [key=value ...]
//
// RF "default" takes the broker's default.replication.factor. An existing
// topic with the same partition count counts as success.
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

public final class KwireAdmin {
    private static final long WAIT_MS = 60_000;

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (ExecutionException e) {
            // The broker's own error message is what a test log needs.
            System.err.println("create-topic failed: " + e.getCause());
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 5 || !args[0].equals("create-topic")) {
            System.err.println("usage: KwireAdmin create-topic BOOTSTRAP NAME PARTITIONS RF [key=value ...]");
            System.exit(2);
        }
        String bootstrap = args[1];
        String name = args[2];
        int partitions = Integer.parseInt(args[3]);
        Optional<Short> rf = args[4].equals("default") ? Optional.empty() : Optional.of(Short.parseShort(args[4]));
        Map<String, String> configs = new HashMap<>();
        for (int i = 5; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("topic config must be key=value: " + args[i]);
                System.exit(2);
            }
            configs.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            try {
                admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), rf).configs(configs)))
                     .all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw e;
                int existing = describe(admin, name).partitions().size();
                if (existing != partitions) {
                    System.err.printf("topic %s already exists with %d partitions, not %d%n", name, existing, partitions);
                    System.exit(1);
                }
                System.err.printf("topic %s already exists%n", name);
            }
            waitForLeaders(admin, name, partitions);
            TopicDescription d = describe(admin, name);
            System.out.printf("topic %s ready: partitions=%d, replication-factor=%d%n",
                              name, partitions, d.partitions().get(0).replicas().size());
        }
    }

    private static TopicDescription describe(Admin admin, String name) throws Exception {
        return admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
    }

    // Creation returns once the controller has the topic; leaders reach the
    // brokers' metadata a little later.
    private static void waitForLeaders(Admin admin, String name, int partitions) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (true) {
            try {
                TopicDescription d = describe(admin, name);
                boolean ready = d.partitions().size() == partitions;
                for (TopicPartitionInfo p : d.partitions()) {
                    ready &= p.leader() != null && !p.leader().isEmpty();
                }
                if (ready) return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
            }
            if (System.currentTimeMillis() > deadline) {
                System.err.printf("topic %s: partitions still without a leader after %d ms%n", name, WAIT_MS);
                System.exit(1);
            }
            Thread.sleep(200);
        }
    }
}
