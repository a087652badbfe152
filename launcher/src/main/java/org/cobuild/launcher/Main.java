package org.cobuild.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.graphdb.Result;

/**
 * Runs a Neo4j 5.26 Community DBMS as a plain local process with the Bolt connector open.
 *
 * <p>Arguments: {@code --home DIR} (store and logs), {@code --bolt HOST:PORT}, any number of
 * {@code --conf key=value} (raw Neo4j settings such as {@code db.transaction.timeout=30s}).
 * The password for the single {@code neo4j} user comes from the environment variable
 * {@code COBUILD_NEO4J_PASSWORD}; it is set at every start so the store and the
 * configuration can never disagree. Without it, authentication is off (loopback only).
 *
 * <p>Prints {@code READY bolt://HOST:PORT} once the default database accepts transactions,
 * and shuts the DBMS down cleanly on SIGTERM/SIGINT (JVM shutdown hook).
 */
public final class Main {
    // Start-up's own transactions (first Cypher compile on a busy machine can take seconds)
    // must not be cut short by a db.transaction.timeout meant for clients' queries.
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(2);
    private Main() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path home = Path.of("neo4j-data");
        String bolt = "127.0.0.1:7687";
        Map<String, String> raw = new HashMap<>();
        // Netty's graceful Bolt shutdown idles 5 s by default (up to 15 s); a local process
        // with no clients left has nothing to wait for.
        raw.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");
        raw.put("internal.dbms.bolt.netty_server_shutdown_timeout", "3");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = Path.of(args[++i]);
                case "--bolt" -> bolt = args[++i];
                case "--conf" -> {
                    String pair = args[++i];
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--conf takes key=value, got " + pair);
                    }
                    raw.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        int colon = bolt.lastIndexOf(':');
        String host = bolt.substring(0, colon);
        int port = Integer.parseInt(bolt.substring(colon + 1));
        String password = System.getenv("COBUILD_NEO4J_PASSWORD");
        boolean auth = password != null && !password.isEmpty();

        Files.createDirectories(home);
        // The builder takes raw settings only from a properties file, so the --conf pairs go there.
        Path conf = home.resolve("cobuild-neo4j.conf");
        StringBuilder lines = new StringBuilder();
        raw.forEach((key, value) -> lines.append(key).append('=').append(value).append('\n'));
        Files.writeString(conf, lines.toString(), StandardCharsets.UTF_8);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home.toAbsolutePath())
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("STOPPING");
            dbms.shutdown();
            stopped.countDown();
            System.out.println("STOPPED");
        }, "cobuild-neo4j-shutdown"));

        if (auth) {
            // Embedded transactions run with full rights, so the password is (re)set here
            // instead of through neo4j-admin, which this process does not ship.
            try {
                dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password), Result::resultAsString, STARTUP_TIMEOUT);
            } catch (QueryExecutionException e) {
                // Neo4j refuses to "change" a password to itself: the store already agrees.
                if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                    dbms.shutdown();
                    throw e;
                }
            }
        }
        // The default database is ready once a transaction runs on it.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally(
                "RETURN 1", Map.of(), Result::resultAsString, STARTUP_TIMEOUT);

        Path pidFile = home.resolve("cobuild-neo4j.pid");
        Files.writeString(pidFile, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
        System.out.println("READY bolt://" + host + ":" + port);
        System.out.flush();
        stopped.await();
    }
}
