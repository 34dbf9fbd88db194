package brain.model;

/**
 * A refusal a person can act on: an HTTP-like status (4xx for the caller's mistakes, 503 when
 * the grid cannot take work now) and a sentence saying what is wrong. Travels on the event bus
 * as a reply failure with the status as failure code.
 */
public final class ApiError extends RuntimeException {
  private final int status;

  public ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message);
  }

  public static ApiError conflict(String message) {
    return new ApiError(409, message);
  }

  public int status() {
    return status;
  }
}
