package dev.gemma4j.cuda;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much device memory the engine may allocate for itself (weights, cuBLAS workspace,
 * activations, KV caches): a number of bytes, or all the memory the device reports free once the
 * CUDA context exists, less {@link #ALL_FREE_RESERVE}.
 *
 * <p>Text forms ({@link #parse}): {@code all}, or a number with a unit: {@code 18GiB},
 * {@code 500MiB}, {@code 20GB}, {@code 1.5GiB}. Binary units (KiB, MiB, GiB, TiB) are powers of 1024,
 * decimal units (KB, MB, GB, TB) powers of 1000, B is bytes; units are case-insensitive and may be
 * separated from the number by spaces.
 *
 * @param bytes the budget, or -1 for all free memory
 */
public record DeviceBudget(long bytes) {
    /**
     * Left unallocated when the budget is all free memory: the driver allocates outside the engine's
     * own buffers after the plan is made (kernel local memory, cuBLAS state, 2 MiB allocation
     * granularity), and an allocation of exactly the free amount fails.
     */
    public static final long ALL_FREE_RESERVE = 256L << 20;

    private static final Pattern AMOUNT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]*)");
    private static final String FORMS = "'all' or a number with a unit: B, KB, MB, GB, TB (powers of 1000) or "
            + "KiB, MiB, GiB, TiB (powers of 1024), for example 18GiB, 500MiB, 20GB";

    /** @throws IllegalArgumentException when bytes is neither -1 nor positive */
    public DeviceBudget {
        if (bytes != -1 && bytes <= 0) {
            throw new IllegalArgumentException("a device memory budget must be positive, found " + bytes + " bytes");
        }
    }

    /** All free device memory, less {@link #ALL_FREE_RESERVE}. */
    public static DeviceBudget allFree() {
        return new DeviceBudget(-1);
    }

    public static DeviceBudget ofBytes(long bytes) {
        return new DeviceBudget(bytes);
    }

    /**
     * Parses a budget as the command line gives it.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static DeviceBudget parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty device memory budget; expected " + FORMS);
        }
        String t = text.strip();
        if (t.equalsIgnoreCase("all")) return allFree();
        Matcher m = AMOUNT.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("device memory budget '" + text + "' is not understood; expected " + FORMS);
        }
        String unit = m.group(2);
        if (unit.isEmpty()) {
            throw new IllegalArgumentException("device memory budget '" + text + "' has no unit; expected " + FORMS);
        }
        long multiplier = switch (unit.toLowerCase(Locale.ROOT)) {
            case "b" -> 1L;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            default -> throw new IllegalArgumentException("device memory budget '" + text + "' has the unknown unit '"
                    + unit + "'; expected " + FORMS);
        };
        BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(multiplier))
                .setScale(0, RoundingMode.FLOOR);
        if (value.compareTo(BigDecimal.valueOf(1L << 50)) > 0) {
            throw new IllegalArgumentException("device memory budget '" + text + "' exceeds 1 PiB");
        }
        if (value.signum() == 0) {
            throw new IllegalArgumentException("device memory budget '" + text + "' is zero bytes");
        }
        return new DeviceBudget(value.longValueExact());
    }

    public boolean isAllFree() {
        return bytes == -1;
    }

    /**
     * The budget in bytes on a device that reports {@code freeBytes} free.
     *
     * @throws IllegalArgumentException when all free memory is asked for and it is no more than the reserve
     */
    public long resolve(long freeBytes) {
        if (!isAllFree()) return bytes;
        long usable = freeBytes - ALL_FREE_RESERVE;
        if (usable <= 0) {
            throw new IllegalArgumentException("the device reports " + Bytes.format(freeBytes) + " free, no more than the "
                    + Bytes.format(ALL_FREE_RESERVE) + " left to the driver; nothing is left for gemma4j");
        }
        return usable;
    }

    @Override
    public String toString() {
        return isAllFree() ? "all free memory" : Bytes.format(bytes);
    }
}
