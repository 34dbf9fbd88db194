package brain.bridge;

import static brain.bus.Addresses.*;

import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import java.util.regex.Pattern;

/**
 * What a bridge peer may address at all: workers send to the four worker addresses and receive
 * on their private address; dashboards receive the UI feeds; everyone hears the announcements.
 * The guard ({@link BridgeGuard}) decides the rest frame by frame.
 */
public final class BridgePermits {
  private static final int MAX_HANDLERS_PER_SOCKET = 16;
  private static final int MAX_ADDRESS_LENGTH = 120;

  private BridgePermits() {}

  public static SockJSBridgeOptions options(long pingTimeoutMs, long replyTimeoutMs) {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .setPingTimeout(pingTimeoutMs)
        .setReplyTimeout(replyTimeoutMs)
        .setMaxHandlersPerSocket(MAX_HANDLERS_PER_SOCKET)
        .setMaxAddressLength(MAX_ADDRESS_LENGTH);
    for (String address : new String[] {WORKER_REGISTER, WORKER_HEARTBEAT, WORKER_RESULT, WORKER_FAILURE}) {
      options.addInboundPermitted(new PermittedOptions().setAddress(address));
    }
    options.addOutboundPermitted(new PermittedOptions()
        .setAddressRegex(Pattern.quote(WORKER_PRIVATE_PREFIX) + "[A-Za-z0-9_-]{22}"));
    options.addOutboundPermitted(new PermittedOptions().setAddressRegex(Pattern.quote(UI_PREFIX) + "[a-z-]+"));
    options.addOutboundPermitted(new PermittedOptions().setAddress(WORKER_ANNOUNCE));
    return options;
  }
}
