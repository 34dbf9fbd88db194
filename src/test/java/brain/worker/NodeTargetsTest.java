package brain.worker;

import static org.junit.jupiter.api.Assertions.*;

import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The nodes a headless worker tries in turn, from its registration reply and a stopping node's move. */
class NodeTargetsTest {

  @Test
  @DisplayName("after a close the worker tries the next node in turn; alone, the same one")
  void inTurn() {
    NodeTargets targets = new NodeTargets("a.example", 3001, false);
    assertEquals("http://a.example:3001", targets.next().toString(), "no list yet: the node it was given");
    targets.learn(new JsonArray().add("http://a.example:3001").add("https://b.example").add("not a url").add(7));
    assertEquals(2, targets.known().size(), "unusable entries skipped");
    assertEquals(new NodeTargets.Target("b.example", 443, true), targets.next());
    assertEquals("http://a.example:3001", targets.next().toString());
  }

  @Test
  @DisplayName("a node known under another name stays first in turn; an empty list changes nothing")
  void ownAddressKept() {
    NodeTargets targets = new NodeTargets("127.0.0.1", 3001, false);
    targets.learn(new JsonArray());
    assertEquals(1, targets.known().size());
    targets.learn(new JsonArray().add("http://10.0.0.2:3001"));
    assertEquals("http://127.0.0.1:3001", targets.current().toString());
    assertEquals("http://10.0.0.2:3001", targets.next().toString());
  }

  @Test
  @DisplayName("a move goes to the first other node named, the stopping one last; a move naming none stays")
  void move() {
    NodeTargets targets = new NodeTargets("a", 1, false);
    assertEquals("http://a:1", targets.moveTo(new JsonArray()).toString());
    assertEquals("http://b:2", targets.moveTo(new JsonArray().add("http://a:1").add("http://b:2").add("http://c:3")).toString());
    assertEquals("http://c:3", targets.next().toString());
    assertEquals("http://a:1", targets.next().toString(), "the stopped node last: it may come back");
  }
}
