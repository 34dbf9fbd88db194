package brain.bridge;

import static brain.bus.Addresses.*;

import brain.auth.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Map;

/**
 * Who is behind a dashboard's socket. The dashboard signs in with a token that the server keeps
 * in an HttpOnly cookie; the browser sends it with the socket's handshake, so the bridge checks
 * it once when the socket opens and again every few seconds (a token revoked from the command
 * line stops working there too), and at once when the API revokes one. Feeds that carry job
 * details reach only signed-in sockets, and a requestor's socket only its own jobs; the public
 * feeds (health, workers, leaderboard) and the workers' addresses stay open to anyone.
 */
public final class DashboardAuth {
  /** How often the tokens of signed-in sockets are checked again. */
  static final long RECHECK_MS = 5_000;

  /** A socket's handshake waits for its sign-in: never long (it opens anonymous if the check is slow). */
  private static final io.vertx.core.eventbus.DeliveryOptions VERIFY_WITHIN =
      new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000);

  private final Vertx vertx;

  DashboardAuth(Vertx vertx) {
    this.vertx = vertx;
  }

  /** The feeds that carry job details. */
  static boolean isPrivateFeed(String address) {
    return UI_JOBS.equals(address) || UI_TIMELINE.equals(address);
  }

  /** Where {@link #keepSessionCookie} leaves the cookie's value in the handshake's context. */
  private static final String SESSION_KEY = "brain.session";

  /**
   * A router handler before the SockJS one: SockJS strips every cookie from the request it
   * upgrades, so the session cookie is copied into the routing context first.
   */
  public static void keepSessionCookie(io.vertx.ext.web.RoutingContext ctx) {
    io.vertx.core.http.Cookie session = ctx.request().getCookie(Tokens.COOKIE);
    if (session != null) {
      ctx.put(SESSION_KEY, session.getValue());
    }
    ctx.next();
  }

  /**
   * Starts signing the peer in if its handshake carried a session cookie; the outcome (signed
   * in or anonymous) is the peer's {@code signedIn} future, which registrations of private
   * feeds wait for. The socket itself opens at once: its first frames are not held back.
   */
  void signIn(SockJSSocket socket, PeerState peer) {
    io.vertx.ext.web.RoutingContext handshake = socket.routingContext();
    String token = handshake == null ? null : handshake.get(SESSION_KEY);
    if (!Tokens.plausible(token)) {
      return;
    }
    peer.signedIn = verify(token).onSuccess(user -> {
      peer.token = token;
      peer.user = user;
    }).<Void>mapEmpty().otherwiseEmpty();
  }

  /** Whether a message of a private feed may go to this peer: the job's submitter or an admin. */
  static boolean mayReceive(PeerState peer, JsonObject raw) {
    JsonObject user = peer.user;
    if (user == null) {
      return false;
    }
    if (Tokens.ADMIN.equals(user.getString("role"))) {
      return true;
    }
    Object body = raw == null ? null : raw.getValue("body");
    return body instanceof JsonObject job && user.getString("name").equals(job.getString("submittedBy"));
  }

  /** Re-checks every signed-in socket; those whose token no longer works are closed. */
  void recheck(Map<SockJSSocket, PeerState> peers) {
    peers.forEach((socket, peer) -> {
      if (peer.token != null) {
        // Only a definite "no" signs it out: a slow answer under load is not a revocation.
        verify(peer.token).onFailure(err -> {
          if (err instanceof io.vertx.core.eventbus.ReplyException reply && reply.failureCode() == 401) {
            signOut(socket, peer);
          }
        });
      }
    });
  }

  /** A token was revoked through the API: its sockets are closed now. */
  void revoked(Map<SockJSSocket, PeerState> peers, String name) {
    peers.forEach((socket, peer) -> {
      JsonObject user = peer.user;
      if (user != null && name != null && name.equals(user.getString("name"))) {
        signOut(socket, peer);
      }
    });
  }

  private static void signOut(SockJSSocket socket, PeerState peer) {
    peer.user = null;
    peer.token = null;
    socket.close(); // the dashboard reconnects, as the public view
  }

  private Future<JsonObject> verify(String token) {
    return vertx.eventBus().<JsonObject>request(AUTH_VERIFY, new JsonObject().put("token", token), VERIFY_WITHIN)
        .map(Message::body);
  }

  /** The value of the session cookie in a Cookie header, or null. */
  static String cookie(String header) {
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).trim().equals(Tokens.COOKIE)) {
        return part.substring(eq + 1).trim();
      }
    }
    return null;
  }
}
