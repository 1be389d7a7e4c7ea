package dev.gemma4j.model;

/** How far back a layer's queries see: every earlier position, or the last {@code sliding_window} of them. */
public enum AttentionKind {
    FULL("full_attention"),
    SLIDING("sliding_attention");

    private final String key;

    AttentionKind(String key) {
        this.key = key;
    }

    /** The name config.json's {@code layer_types} list uses. */
    public String key() {
        return key;
    }

    /** The kind {@code layer_types} calls {@code key}, or null. */
    static AttentionKind ofKey(String key) {
        for (AttentionKind k : values()) if (k.key.equals(key)) return k;
        return null;
    }
}
