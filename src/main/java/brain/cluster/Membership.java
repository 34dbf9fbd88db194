package brain.cluster;

import brain.bus.Addresses;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Watches Hazelcast's member list: logs it whenever it changes, and publishes
 * {@link Addresses#CLUSTER_NODE_LEFT} on this node when a member leaves (died or stopped).
 * A listener of its own on the Hazelcast instance: Vert.x's {@code ClusterManager.nodeListener}
 * stays Vert.x's (the event bus needs it). The member's UUID is the Vert.x node id.
 */
final class Membership implements MembershipListener {
  private static final System.Logger LOG = System.getLogger(Membership.class.getName());
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final UUID registration;

  private Membership(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.registration = hazelcast.getCluster().addMembershipListener(this);
  }

  /** Starts watching; null when this Vertx is not clustered on Hazelcast (a single node). */
  static Membership watch(Vertx vertx) {
    if (vertx instanceof VertxInternal internal && internal.isClustered()
        && internal.clusterManager() instanceof HazelcastClusterManager manager && manager.getHazelcastInstance() != null) {
      Membership membership = new Membership(vertx, manager.getHazelcastInstance());
      LOG.log(System.Logger.Level.INFO, "cluster members: " + membership.members());
      return membership;
    }
    return null;
  }

  /** The member attribute in which vertx-hazelcast keeps each member's Vert.x node id. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  void close() {
    try {
      hazelcast.getCluster().removeMembershipListener(registration);
    } catch (RuntimeException e) {
      // Hazelcast already shut down (the node is stopping): nothing to remove.
    }
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.log(System.Logger.Level.INFO, "cluster member joined: " + describe(event.getMember()) + "; members: " + members(event));
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String nodeId = nodeId(event.getMember());
    LOG.log(System.Logger.Level.INFO, "cluster member left: " + describe(event.getMember()) + "; members: " + members(event));
    vertx.eventBus().publish(Addresses.CLUSTER_NODE_LEFT, new JsonObject().put("nodeId", nodeId), LOCAL);
  }

  private String members() {
    return hazelcast.getCluster().getMembers().stream().map(Membership::describe).collect(Collectors.joining(", ", "[", "]"));
  }

  private static String members(MembershipEvent event) {
    return event.getMembers().stream().map(Membership::describe).collect(Collectors.joining(", ", "[", "]"));
  }

  /**
   * The Vert.x node id of a member ({@link NodeId}, what the bridge stamps on workers' messages):
   * Vert.x keeps it in a member attribute; it is not Hazelcast's member UUID.
   */
  static String nodeId(Member member) {
    String id = member.getAttribute(VERTX_NODE_ID);
    return id != null ? id : member.getUuid().toString();
  }

  private static String describe(Member member) {
    return nodeId(member) + " " + member.getAddress().getHost() + ":" + member.getAddress().getPort()
        + (member.localMember() ? " (this node)" : "");
  }
}
