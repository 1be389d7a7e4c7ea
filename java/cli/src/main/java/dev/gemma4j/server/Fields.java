package dev.gemma4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Typed reads of a JSON request's fields; a field of the wrong type is a 400 naming it and what it holds. */
final class Fields {
    private final JsonNode body;

    Fields(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiError.badField(null, "the request body must be a JSON object, found "
                    + (body == null ? "nothing" : kind(body)));
        }
        this.body = body;
    }

    JsonNode node(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String name) {
        return node(name) != null;
    }

    String string(String name, String fallback) {
        JsonNode n = node(name);
        if (n == null) return fallback;
        if (!n.isTextual()) throw wrongType(name, "a string", n);
        return n.asText();
    }

    String requiredString(String name) {
        String s = string(name, null);
        if (s == null) throw ApiError.badField(name, "'" + name + "' is required: expected a string, found none");
        return s;
    }

    boolean bool(String name, boolean fallback) {
        JsonNode n = node(name);
        if (n == null) return fallback;
        if (!n.isBoolean()) throw wrongType(name, "true or false", n);
        return n.asBoolean();
    }

    /** An integer in [min, max]; absent gives the fallback. */
    Integer integer(String name, Integer fallback, long min, long max) {
        JsonNode n = node(name);
        if (n == null) return fallback;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(name, "an integer", n);
        long v = n.asLong();
        if (v < min || v > max) {
            throw ApiError.badField(name, "'" + name + "' must be in [" + min + ", " + max + "], found " + v);
        }
        return (int) v;
    }

    Long longValue(String name, Long fallback) {
        JsonNode n = node(name);
        if (n == null) return fallback;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(name, "an integer", n);
        return n.asLong();
    }

    /** A number as a double, for a range check by the caller; absent gives the fallback. */
    double number(String name, double fallback) {
        JsonNode n = node(name);
        if (n == null) return fallback;
        if (!n.isNumber()) throw wrongType(name, "a number", n);
        return n.asDouble();
    }

    /** OpenAI's {@code stop}: a string or an array of at most 4 strings. */
    List<String> stop() {
        JsonNode n = node("stop");
        List<String> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isTextual()) {
            out.add(n.asText());
        } else if (n.isArray()) {
            for (JsonNode s : n) {
                if (!s.isTextual()) throw wrongType("stop", "a string or an array of strings", n);
                out.add(s.asText());
            }
            if (out.size() > 4) throw ApiError.badField("stop", "'stop' takes at most 4 strings, found " + out.size());
        } else {
            throw wrongType("stop", "a string or an array of strings", n);
        }
        for (String s : out) {
            if (s.isEmpty()) throw ApiError.badField("stop", "'stop' strings must not be empty");
        }
        return out;
    }

    static ApiError wrongType(String name, String expected, JsonNode found) {
        return ApiError.badField(name, "'" + name + "' must be " + expected + ", found " + kind(found));
    }

    static String kind(JsonNode n) {
        String text = n.toString();
        return n.getNodeType().name().toLowerCase() + " " + (text.length() > 60 ? text.substring(0, 60) + "…" : text);
    }
}
