package brain.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;

/**
 * The id of this node: the cluster manager's node id when clustered, {@code "local"} otherwise.
 * The bridge stamps it on what workers send ({@link brain.bus.Addresses#HEADER_NODE}), the
 * scheduler counts chunks by it, and health lists nodes by it.
 */
public final class NodeId {
  public static final String LOCAL = "local";

  private NodeId() {}

  public static String of(Vertx vertx) {
    if (vertx instanceof VertxInternal internal && internal.isClustered() && internal.clusterManager() != null) {
      return internal.clusterManager().getNodeId();
    }
    return LOCAL;
  }
}
