package dev.gemma4j.server;

/**
 * A request the server refuses, answered as OpenAI's API answers errors:
 * {@code {"error": {"message", "type", "param", "code"}}} with an HTTP status.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 for a field of the request: what was expected and what was found. */
    static ApiError badField(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", message);
    }
}
