package dev.gemma4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded random mutations of a JSON text, for the loaders' fuzz tests: character edits that break
 * the syntax (flips, deletions, duplications, truncation, stray numbers) and tree edits that keep it
 * valid but put hostile values where the loader expects others (huge, negative, fractional or
 * non-finite numbers, wrong types, deep nesting, long strings, missing, renamed or repeated keys).
 * Each mutation also says what it did, for the report.
 */
public final class Mutator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String SYNTAX = "{}[]\",:\\-+.eE0123456789 \n\u0000\u00e9";
    private static final String[] LITERALS = {"99999999999999999999999", "-1", "1e308", "1e400", "-0", "NaN",
        "Infinity", "1.5", "0", "2147483648", "9223372036854775808", "null", "true", "\"\"", "[]", "{}",
        "[".repeat(5000), "{\"a\":".repeat(5000)};

    private final SplittableRandom random;

    public Mutator(long seed) {
        random = new SplittableRandom(seed);
    }

    /** One mutation of {@code text} and its kind. */
    public record Mutation(String kind, String text) {}

    public Mutation mutate(String text) {
        int op = random.nextInt(12);
        if (op < 5) return textEdit(text, op);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (Exception e) {
            return textEdit(text, op % 5);
        }
        if (!(root instanceof ContainerNode<?>)) return textEdit(text, op % 5);
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        JsonNode parent = containers.get(random.nextInt(containers.size()));
        switch (op) {
            case 5, 6, 7 -> {
                String kind = replaceChild(parent);
                return new Mutation(kind, root.toString());
            }
            case 8 -> {
                if (parent instanceof ObjectNode o && !o.isEmpty()) {
                    String key = pickKey(o);
                    o.remove(key);
                    return new Mutation("delete key '" + key + "'", root.toString());
                }
                return new Mutation("unchanged", text);
            }
            case 9 -> {
                if (parent instanceof ObjectNode o && !o.isEmpty()) {
                    String key = pickKey(o);
                    JsonNode v = o.remove(key);
                    o.set(key + "x", v);
                    return new Mutation("rename key '" + key + "'", root.toString());
                }
                return new Mutation("unchanged", text);
            }
            case 10 -> {
                // A key given twice can only be written as text: a tree holds each key once.
                if (parent instanceof ObjectNode o && !o.isEmpty()) {
                    String key = pickKey(o);
                    String entry = JSON.valueToTree(key).toString() + ":" + o.get(key);
                    String s = root.toString();
                    int at = s.indexOf(entry);
                    if (at >= 0) {
                        return new Mutation("repeat key '" + key + "'",
                                s.substring(0, at) + entry + "," + s.substring(at));
                    }
                }
                return new Mutation("unchanged", text);
            }
            default -> {
                if (parent instanceof ArrayNode a) {
                    int copies = 1 + random.nextInt(3);
                    for (int i = 0; i < copies; i++) a.add(hostileValue());
                    return new Mutation("append to an array", root.toString());
                }
                ((ObjectNode) parent).set("fuzz" + random.nextInt(100), hostileValue());
                return new Mutation("add a key", root.toString());
            }
        }
    }

    private Mutation textEdit(String text, int op) {
        if (text.isEmpty()) return new Mutation("unchanged", text);
        int at = random.nextInt(text.length());
        int len = Math.min(text.length() - at, 1 + random.nextInt(24));
        return switch (op) {
            case 0 -> new Mutation("flip a character",
                    text.substring(0, at) + SYNTAX.charAt(random.nextInt(SYNTAX.length())) + text.substring(at + 1));
            case 1 -> new Mutation("delete " + len + " characters", text.substring(0, at) + text.substring(at + len));
            case 2 -> new Mutation("duplicate " + len + " characters",
                    text.substring(0, at + len) + text.substring(at, at + len) + text.substring(at + len));
            case 3 -> new Mutation("truncate", text.substring(0, at));
            default -> new Mutation("insert a literal",
                    text.substring(0, at) + LITERALS[random.nextInt(LITERALS.length)] + text.substring(at));
        };
    }

    private String replaceChild(JsonNode parent) {
        JsonNode value = hostileValue();
        if (parent instanceof ObjectNode o && !o.isEmpty()) {
            String key = pickKey(o);
            o.set(key, value);
            return "set '" + key + "' to " + describe(value);
        }
        if (parent instanceof ArrayNode a && !a.isEmpty()) {
            int i = random.nextInt(a.size());
            a.set(i, value);
            return "set element " + i + " to " + describe(value);
        }
        return "unchanged";
    }

    private JsonNode hostileValue() {
        return switch (random.nextInt(16)) {
            case 0 -> NODES.numberNode(0);
            case 1 -> NODES.numberNode(-1);
            case 2 -> NODES.numberNode(Integer.MAX_VALUE + 1L);
            case 3 -> NODES.numberNode(Long.MAX_VALUE);
            case 4 -> NODES.numberNode(new java.math.BigInteger("99999999999999999999999"));
            case 5 -> NODES.numberNode(1e300);
            case 6 -> NODES.numberNode(0.5);
            case 7 -> NODES.numberNode(1L << (20 + random.nextInt(30)));
            case 8 -> NODES.textNode("");
            case 9 -> NODES.textNode("x".repeat(1 << random.nextInt(21)));
            case 10 -> NODES.nullNode();
            case 11 -> NODES.booleanNode(random.nextBoolean());
            case 12 -> NODES.arrayNode();
            case 13 -> NODES.objectNode();
            case 14 -> {
                JsonNode deep = NODES.numberNode(1);
                int depth = 1 + random.nextInt(900);        // the writer's own nesting limit is 1000
                for (int i = 0; i < depth; i++) deep = NODES.arrayNode().add(deep);
                yield deep;
            }
            default -> {
                ArrayNode a = NODES.arrayNode();
                int n = random.nextInt(1 << random.nextInt(17));
                for (int i = 0; i < n; i++) a.add(random.nextInt(1 << 16));
                yield a;
            }
        };
    }

    private String pickKey(ObjectNode o) {
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : o.properties()) keys.add(e.getKey());
        return keys.get(random.nextInt(keys.size()));
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (node instanceof ContainerNode<?>) {
            out.add(node);
            for (JsonNode child : node) collect(child, out);
        }
    }

    private static String describe(JsonNode v) {
        String s = v.toString();
        return s.length() <= 40 ? s : s.substring(0, 30) + "... (" + s.length() + " characters)";
    }
}
