package dev.gemma4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.gemma4j.Home;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Encode throughput of gemma4j's Gemma tokenizer and of Hugging Face {@code tokenizers} (through
 * DJL) on the same English prose, one thread each. Run by {@code scripts/bench-tokenizer.sh}.
 * Arguments: {@code [megabytes of text, default 3] [timed runs, default 5]}.
 *
 * <p>Two shapes: the whole text as one string, and the same text as one call per paragraph
 * (about 600 bytes each, the size of a prompt). MB/s counts UTF-8 bytes of input (10^6 bytes).
 * Both tokenizers must produce the same ids, or the program stops with an error.
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    /** Paragraphs the benchmark text is assembled from. */
    private static final String[] PARAGRAPHS = {
        "The committee met on Tuesday morning to review the proposed changes to the city's transportation plan. "
                + "Several members raised concerns about the cost of extending the light-rail line to the eastern "
                + "suburbs, while others argued that the long-term benefits would outweigh the initial investment. "
                + "After three hours of debate, the chair called for a vote, and the motion passed by a narrow margin.",
        "When Margaret first arrived in the village, she found the old house in a state of quiet disrepair. The "
                + "shutters hung loose from their hinges, ivy had crept across the kitchen windows, and the garden was "
                + "a tangle of brambles and forgotten roses. Still, there was something about the place that made her "
                + "want to stay, a sense that it had been waiting for someone to notice it again.",
        "Photosynthesis is the process by which green plants, algae, and some bacteria convert light energy into "
                + "chemical energy. During this process, carbon dioxide and water are transformed into glucose and "
                + "oxygen. The reactions take place mainly in the chloroplasts, where the pigment chlorophyll absorbs "
                + "light most strongly in the blue and red parts of the spectrum.",
        "The company reported quarterly revenue of $4.2 billion, an increase of 12 percent compared with the same "
                + "period last year. Operating margins improved slightly, helped by lower shipping costs and a stronger "
                + "performance in the services division. Analysts had expected weaker results, and the shares rose "
                + "nearly 6 percent in early trading.",
        "It had rained for most of the night, and by dawn the river had risen almost to the top of its banks. "
                + "Farmers along the valley moved their animals to higher ground, and the school in the lower town "
                + "closed for the day. By noon the clouds began to break, and a pale sun appeared over the hills.",
        "To install the software, download the latest release from the project's website and unpack the archive "
                + "into a directory of your choice. Then open a terminal, change into that directory, and run the setup "
                + "script. If you see an error about missing permissions, try running the script again with "
                + "administrator rights, or ask your system administrator for help.",
        "Historians have long debated the causes of the empire's decline. Some point to economic pressures, such as "
                + "rising taxes and a shrinking supply of silver, while others emphasize political instability and "
                + "the frequent changes of rulers. More recent work has drawn attention to climate, disease, and the "
                + "movements of peoples along the frontiers.",
        "\"I don't think we should wait any longer,\" said Thomas, looking out of the window at the darkening sky. "
                + "\"If we leave now, we can reach the station before the last train.\" His sister hesitated, then "
                + "picked up her coat and followed him to the door. Neither of them noticed the letter lying on the "
                + "table by the stairs.",
        "A balanced diet includes a variety of foods from each of the main groups: vegetables and fruit, whole "
                + "grains, protein foods, and dairy or its alternatives. Drinking enough water is just as important, "
                + "especially in hot weather or during exercise. Most adults need between seven and nine hours of "
                + "sleep each night to stay healthy.",
        "The museum's new exhibition brings together more than two hundred works from collections across Europe "
                + "and North America. Visitors can follow the artist's career from her early sketches, made while she "
                + "was still a student, to the large canvases of her final years. The show runs until the end of "
                + "September and is expected to attract record crowds.",
        "In mathematics, a prime number is a natural number greater than one that has no positive divisors other "
                + "than one and itself. The first few primes are 2, 3, 5, 7, 11, and 13. Euclid proved more than two "
                + "thousand years ago that there are infinitely many primes, and his argument is still taught in "
                + "schools today.",
        "The team spent the summer testing the new design in the wind tunnel at the university. Each model was "
                + "measured at several speeds, and the results were compared with computer simulations. The "
                + "differences were small but consistent, which suggested that the simulations had underestimated "
                + "the drag caused by the rough surface of the wing.",
        "Our hotel was a short walk from the old harbour, where fishing boats still come in every morning with "
                + "their catch. In the evenings we ate at a small restaurant on the square, watching children play "
                + "football while their parents talked over coffee. On the last day we took the ferry to the island "
                + "and climbed the path to the lighthouse.",
        "Please note that the library will be closed on Monday for the public holiday. Books that are due on that "
                + "day may be returned on Tuesday without a fine. The reading room on the second floor will reopen "
                + "next month after renovation, and the new study spaces can be booked online from the first of June.",
        "The experiment was repeated five times, and the average temperature at which the solution changed colour "
                + "was recorded. In every trial, the change occurred between 61 and 63 degrees Celsius. These results "
                + "agree well with the values reported in earlier studies, although the margin of error in our "
                + "measurements was somewhat larger.",
        "Learning a new language takes patience. At first, even simple conversations can feel exhausting, and it is "
                + "easy to become discouraged. But with regular practice, reading a little every day, listening to "
                + "native speakers, and not being afraid to make mistakes, most learners find that their confidence "
                + "grows faster than they expected.",
    };

    private static final String[] NAMES = {"Alice", "Benjamin", "Clara", "Daniel", "Eleanor", "Francis", "Grace", "Henry",
        "Isabel", "James", "Katherine", "Leonard", "Miriam", "Nathaniel", "Olivia", "Patrick"};
    private static final String[] PLACES = {"Lisbon", "Manchester", "Toronto", "Melbourne", "Edinburgh", "Chicago",
        "Dublin", "Wellington", "Cape Town", "Vancouver", "Bristol", "Boston"};

    /** English prose of at least {@code bytes} UTF-8 bytes, the same for the same arguments. */
    static List<String> prose(int bytes, long seed) {
        Random random = new Random(seed);
        List<String> paragraphs = new ArrayList<>();
        int total = 0;
        int chapter = 1;
        while (total < bytes) {
            String p;
            if (paragraphs.size() % 40 == 0) {
                p = "Chapter " + chapter++ + ": " + NAMES[random.nextInt(NAMES.length)] + " in "
                        + PLACES[random.nextInt(PLACES.length)];
            } else {
                p = PARAGRAPHS[random.nextInt(PARAGRAPHS.length)];
                if (random.nextInt(3) == 0) {
                    p = NAMES[random.nextInt(NAMES.length)] + " wrote from " + PLACES[random.nextInt(PLACES.length)] + " on "
                            + (1 + random.nextInt(28)) + " March " + (1900 + random.nextInt(125)) + ". " + p;
                }
            }
            paragraphs.add(p);
            total += p.getBytes(StandardCharsets.UTF_8).length + 2;
        }
        return paragraphs;
    }

    private record Timing(double bestSeconds, double medianSeconds) {}

    private static Timing time(int runs, Runnable work) {
        double[] seconds = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            work.run();
            seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        return new Timing(seconds[0], seconds[runs / 2]);
    }

    private static int[] ints(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    public static void main(String[] args) throws IOException {
        int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path json = Home.gemmaTokenizerJson();

        long t0 = System.nanoTime();
        GemmaTokenizer gemma = GemmaTokenizer.load(json);
        double gemmaLoad = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(json).optAddSpecialTokens(false)
                .optTruncation(false).optPadding(false).build();
        double hfLoad = (System.nanoTime() - t0) / 1e6;

        List<String> paragraphs = prose(megabytes * 1_000_000, 20240221L);
        String text = String.join("\n\n", paragraphs);
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        long paragraphBytes = paragraphs.stream().mapToLong(p -> p.getBytes(StandardCharsets.UTF_8).length).sum();

        Function<String, int[]> ours = gemma::encode;
        Function<String, int[]> theirs = s -> ints(hf.encode(s, false, false).getIds());

        int[] expected = theirs.apply(text);
        int[] actual = ours.apply(text);
        if (!Arrays.equals(expected, actual)) {
            int at = Arrays.mismatch(expected, actual);
            throw new IllegalStateException("ids differ at position " + at + " of " + expected.length + ": huggingface "
                    + Arrays.toString(Arrays.copyOfRange(expected, at, Math.min(at + 10, expected.length))) + ", gemma4j "
                    + Arrays.toString(Arrays.copyOfRange(actual, at, Math.min(at + 10, actual.length))));
        }
        for (String p : paragraphs) {
            if (!Arrays.equals(theirs.apply(p), ours.apply(p))) throw new IllegalStateException("ids differ for paragraph: " + p);
        }

        // Warm-up: the JIT compiles the hot paths, and gemma4j's word cache fills as it would in a server.
        for (int i = 0; i < 3; i++) {
            ours.apply(text);
            theirs.apply(text);
        }
        Timing oursWhole = time(runs, () -> ours.apply(text));
        Timing theirsWhole = time(runs, () -> theirs.apply(text));
        Timing oursParagraphs = time(runs, () -> paragraphs.forEach(ours::apply));
        Timing theirsParagraphs = time(runs, () -> paragraphs.forEach(theirs::apply));

        System.out.printf("Gemma tokenizer encode throughput, %s, %d runs after 3 warm-up runs, one thread%n", json, runs);
        System.out.printf("text: %.2f MB UTF-8 of English prose, %d paragraphs, %d ids (identical for both)%n",
                bytes / 1e6, paragraphs.size(), actual.length);
        System.out.printf("load: gemma4j %.0f ms, huggingface (DJL) %.0f ms%n%n", gemmaLoad, hfLoad);
        System.out.printf("%-22s %-16s %12s %12s %14s%n", "input", "tokenizer", "best MB/s", "median MB/s", "median Mtok/s");
        row("one string", "gemma4j", bytes, actual.length, oursWhole);
        row("one string", "huggingface (DJL)", bytes, actual.length, theirsWhole);
        int paragraphIds = paragraphs.stream().mapToInt(p -> ours.apply(p).length).sum();
        row("one call / paragraph", "gemma4j", paragraphBytes, paragraphIds, oursParagraphs);
        row("one call / paragraph", "huggingface (DJL)", paragraphBytes, paragraphIds, theirsParagraphs);
        hf.close();
    }

    private static void row(String input, String tokenizer, long bytes, long ids, Timing t) {
        System.out.printf("%-22s %-16s %12.1f %12.1f %14.2f%n", input, tokenizer, bytes / 1e6 / t.bestSeconds(),
                bytes / 1e6 / t.medianSeconds(), ids / 1e6 / t.medianSeconds());
    }
}
