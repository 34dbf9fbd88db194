package brain.http;

import brain.model.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI router's validation failures as the API's 400 {@code {"error": "..."}}, in words
 * a person reads: which parameter, what it must be (from the document's schema), what came.
 * vertx-openapi's own messages ("The value of query parameter limit is invalid. Reason: ...")
 * name the parameter; the rule is read back from the document.
 */
final class ValidationErrors {
  private static final Pattern PARAMETER = Pattern.compile("(path|query|header|cookie) parameter ([^ .]+)");

  private ValidationErrors() {}

  /** A failure handler of one operation's route: a validation failure is a 400, anything else goes on. */
  static void handle(RoutingContext ctx, Operation operation, JsonObject document) {
    // The router fails the route with an HttpException(400) around the validator's exception.
    Throwable cause = ctx.failure() instanceof HttpException http ? http.getCause() : ctx.failure();
    if (!(cause instanceof ValidatorException failure) || ctx.response().ended()) {
      ctx.next();
      return;
    }
    HttpReplies.failure(ctx, refusal(ctx, operation, document, failure));
  }

  /** A 400 naming the parameter and its rule; a path parameter outside its enum names no resource: 404. */
  static ApiError refusal(RoutingContext ctx, Operation operation, JsonObject document, ValidatorException failure) {
    Matcher named = PARAMETER.matcher(failure.getMessage() == null ? "" : failure.getMessage());
    if (!named.find()) {
      return ApiError.badRequest(body(ctx, operation, document, failure));
    }
    String in = named.group(1);
    String name = named.group(2);
    Parameter parameter = operation.getParameters().stream()
        .filter(p -> p.getName().equalsIgnoreCase(name) && p.getIn().name().equalsIgnoreCase(in)).findFirst().orElse(null);
    String value = switch (in) {
      case "path" -> ctx.pathParam(name);
      case "header" -> ctx.request().getHeader(name);
      case "cookie" -> ctx.request().getCookie(name) == null ? null : ctx.request().getCookie(name).getValue();
      default -> ctx.request().getParam(name);
    };
    if (failure.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER || value == null) {
      return ApiError.badRequest(name + " is required (a " + in + " parameter)");
    }
    JsonObject schema = parameter == null ? new JsonObject()
        : resolve(document, parameter.getOpenAPIModel().getJsonObject("schema", new JsonObject()));
    String description = parameter == null ? null : parameter.getOpenAPIModel().getString("description");
    if (in.equals("path") && schema.getJsonArray("enum") != null && description != null) {
      return ApiError.notFound(description + ", not '" + shorten(value) + "'");
    }
    return ApiError.badRequest(rule(name, value, schema, description, failure));
  }

  private static String shorten(String value) {
    return value.length() > 80 ? value.substring(0, 80) + "…" : value;
  }

  /** What the schema asks that the value is not. */
  private static String rule(String name, String value, JsonObject schema, String description, ValidatorException failure) {
    String shown = shorten(value);
    if ("integer".equals(schema.getValue("type"))) {
      long number;
      try {
        number = Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        return name + " must be a whole number, got \"" + shown + "\"";
      }
      Long min = schema.getLong("minimum");
      Long max = schema.getLong("maximum");
      if ((min != null && number < min) || (max != null && number > max)) {
        return name + (max == null ? " must be at least " + min : min == null ? " must be at most " + max
            : " must be between " + min + " and " + max) + ", got " + number;
      }
    }
    if (schema.getJsonArray("enum") != null) {
      return name + " must be one of " + schema.getJsonArray("enum").encode() + ", got \"" + shown + "\"";
    }
    if (schema.getString("pattern") != null) {
      // "a job id" → "'x!' is not a job id": the parameter's description names what it is.
      if (description != null && description.toLowerCase(Locale.ROOT).matches("an? .*")) {
        return "'" + shown + "' is not " + description.replaceAll(" \\(.*", "");
      }
      return name + " must match " + schema.getString("pattern") + ", got \"" + shown + "\"";
    }
    return name + " is not valid: " + reason(failure);
  }

  private static String body(RoutingContext ctx, Operation operation, JsonObject document, ValidatorException failure) {
    if (ctx.body() == null || ctx.body().length() <= 0) {
      return "the body is empty; this call takes a JSON object";
    }
    String reason = reason(failure);
    if (reason.contains("can't be decoded") || reason.contains("Expected object")) {
      return "the body is not a JSON object: " + (reason.contains("can't be decoded") ? "it cannot be read as JSON"
          : reason.replace("#: ", ""));
    }
    String field = field(failure);
    JsonObject schema = resolve(document, operation.getOpenAPIModel().getJsonObject("requestBody", new JsonObject())
        .getJsonObject("content", new JsonObject()).getJsonObject("application/json", new JsonObject())
        .getJsonObject("schema", new JsonObject()));
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    Matcher required = Pattern.compile("required property \"([^\"]+)\"").matcher(reason);
    if (required.find()) {
      return required.group(1) + " is required";
    }
    if (field != null && reason.contains("additional properties")) {
      return "unknown field '" + field + "'; this call takes " + String.join(", ", properties.fieldNames());
    }
    if (field != null && properties.getValue(field) instanceof JsonObject property) {
      Object value = ctx.body().asJsonObject().getValue(field);
      return rule(field, String.valueOf(value), resolve(document, property), null, failure);
    }
    return "the body is not what this call takes: " + reason.replace("#/", "").replace("#: ", "");
  }

  /** The top-level field a body failure is about ("#/role" → role), or null. */
  private static String field(ValidatorException failure) {
    if (failure instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      OutputUnit unit = schema.getOutputUnit();
      OutputUnit first = unit.getErrors() == null || unit.getErrors().isEmpty() ? unit : unit.getErrors().get(0);
      String location = first.getInstanceLocation();
      if (location != null && location.startsWith("#/") && location.length() > 2) {
        return location.substring(2).split("/")[0];
      }
    }
    return null;
  }

  /** The schema's first complaint, with where in the value it is ("/role: ..."). */
  private static String reason(ValidatorException failure) {
    if (failure instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      OutputUnit unit = schema.getOutputUnit();
      OutputUnit first = unit.getErrors() == null || unit.getErrors().isEmpty() ? unit : unit.getErrors().get(0);
      String where = first.getInstanceLocation() == null || first.getInstanceLocation().isEmpty() ? ""
          : first.getInstanceLocation() + ": ";
      if (first.getError() != null) {
        return where + first.getError();
      }
    }
    String message = failure.getMessage() == null ? "invalid" : failure.getMessage();
    int reason = message.indexOf("Reason: ");
    return reason < 0 ? message : message.substring(reason + 8);
  }

  /** A local {@code $ref} ('#/components/schemas/X') replaced by what it names. */
  private static JsonObject resolve(JsonObject document, JsonObject schema) {
    if (schema.getJsonArray("allOf") != null && schema.getJsonArray("allOf").size() == 1) {
      return resolve(document, schema.getJsonArray("allOf").getJsonObject(0));
    }
    String ref = schema.getString("$ref");
    if (ref == null || !ref.startsWith("#/")) {
      return schema;
    }
    Object node = document;
    for (String part : ref.substring(2).split("/")) {
      node = node instanceof JsonObject object ? object.getValue(part) : null;
    }
    return node instanceof JsonObject target ? resolve(document, target) : schema;
  }
}
