// Starts a standalone Apache Solr 9 on 127.0.0.1:<port>/solr with the given
// solr home, using the embedded Jetty runner from solr-test-framework.
//
// Run in Java 11+ source-launcher mode (no compile step), e.g.:
//   java -cp "$(cat classpath.txt)" deploy/solr/Launcher.java <solrHome> <port>
// deploy/services/solr.sh does this; the classpath comes from deploy/solr/pom.xml.
// deploy/services/solrcloud.sh starts SolrCloud nodes with it: a solr home
// whose solr.xml has a <solrcloud> section (deploy/solr/solr-cloud.xml) and
// -DzkHost=... on the java command line.
//
// Binding: JettySolrRunner (9.10.1) always sets its connector host to
// "127.0.0.1" (see JettySolrRunner#init), so Solr is reachable from this
// machine only; there is nothing to configure for that.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class Launcher {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: Launcher <solrHome> <port>");
      System.exit(2);
    }
    Path solrHome = Path.of(args[0]).toAbsolutePath().normalize();
    int port = Integer.parseInt(args[1]);
    if (!Files.isRegularFile(solrHome.resolve("solr.xml"))) {
      System.err.println("Launcher: no solr.xml in " + solrHome);
      System.exit(2);
    }

    JettyConfig config =
        JettyConfig.builder()
            .setPort(port)
            .setContext("/solr")
            .withPortRetryTime(0) // port taken: fail at once instead of retrying for 60 s
            .stopAtShutdown(false) // our own shutdown hook below stops Solr and Jetty
            .build();
    JettySolrRunner solr = new JettySolrRunner(solrHome.toString(), config);

    // SIGTERM / SIGINT: close the cores (commits, releases index locks), then Jetty.
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("Launcher: stopping Solr");
                  try {
                    solr.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                  stopped.countDown();
                  System.out.println("Launcher: Solr stopped");
                },
                "solr-shutdown"));

    try {
      solr.start(); // returns once the cores have been loaded (or failed to)
    } catch (Exception e) {
      System.err.println("Launcher: Solr failed to start on port " + port + ": " + e);
      e.printStackTrace();
      System.exit(1);
    }
    System.out.println("Launcher: Solr " + org.apache.solr.client.api.util.SolrVersion.LATEST
        + " listening on " + solr.getBaseUrl() + " (solr home " + solrHome + ")");

    stopped.await(); // block the main thread until the shutdown hook has run
  }
}
