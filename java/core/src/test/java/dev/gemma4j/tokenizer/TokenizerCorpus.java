package dev.gemma4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Strings for tokenizer parity: hand-written samples of many scripts, code, whitespace and
 * control-token look-alikes, plus strings generated from them and from random code points with a
 * seeded generator. Every string is well-formed UTF-16 (no unpaired surrogates).
 */
final class TokenizerCorpus {
    private TokenizerCorpus() {}

    static final List<String> PROSE = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Hello, world!",
            "It was the best of times, it was the worst of times.",
            "Don't panic: the answer is 42, isn't it?",
            "She said, \"I'll be there at 7:30 p.m.\" — and she was.",
            "e-mail: first.last+tag@example.com, URL: https://example.org/path?q=1&r=two#frag",
            "Mr. O'Neill paid $1,234.56 (about €1.100) on 2024-03-15T10:20:30Z.",
            "naïve café résumé coöperate façade jalapeño Ångström Øresund Straße",
            "Wörter über Äpfel, Öl und Übermut; größer, schön, fußläufig.",
            "¿Dónde está la biblioteca? ¡Aquí! Él comió piñas y jamón.",
            "Ça va? L'été dernier, nous étions à Besançon.",
            "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.",
            "Türkçe: ığdır, şeker, çiçek, İstanbul, ölçü.",
            "Tiếng Việt có nhiều dấu: Hà Nội, Đà Nẵng, thành phố Hồ Chí Minh.",
            "Съешь же ещё этих мягких французских булок, да выпей чаю.",
            "Україна, Київ; Ґанок, їжак, є, ще.",
            "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Αθήνα, Ελλάδα.",
            "Γειά σου Κόσμε! ἀρχή ᾧ ὅτι",
            "مرحبا بالعالم! هذه جملة باللغة العربية، مع أرقام ١٢٣٤٥.",
            "السَّلَامُ عَلَيْكُمْ وَرَحْمَةُ اللهِ",
            "שלום עולם! זה משפט בעברית עם ניקוד: שָׁלוֹם.",
            "नमस्ते दुनिया! यह हिंदी में एक वाक्य है। संख्याएँ: १२३४५",
            "ক্ষুধার্ত বাঘ বনে ঘুরে বেড়ায়।",
            "தமிழ் ஒரு பழமையான மொழி.",
            "你好，世界！这是一个中文句子，包含标点符号。",
            "中华人民共和国成立于1949年10月1日。",
            "東京都は日本の首都であり、人口は約1400万人です。",
            "ひらがな、カタカナ、漢字を混ぜた文章：ｱｲｳｴｵ（半角カナ）",
            "안녕하세요, 세계! 한국어 문장입니다. 서울특별시",
            "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ สวัสดีครับ",
            "ສະບາຍດີ ພາສາລາວ",
            "Հայերեն լեզու, Երևան",
            "ქართული ენა, თბილისი",
            "አማርኛ ቋንቋ፣ አዲስ አበባ።",
            "ᐃᓄᒃᑎᑐᑦ ᑎᑎᕋᐅᓯᖅ",
            "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ　１２３",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉 𝟙𝟚𝟛",
            "Ｈｅｌｌｏ　ｗｏｒｌｄ！",
            "ﬁnance ﬂower ﬀ ﬃ — ligatures",
            "ℌ℮ℓℓ◎ ™ © ® ℃ № ℡ Ω ℧",
            "½ ¼ ¾ ⅓ ⅔ ⅛ x² y³ H₂O E=mc²",
            "∀x∈ℝ: x²≥0 ⇒ √(x²)=|x|; ∑_{i=1}^{n} i = n(n+1)/2; ∫₀^∞ e^{-x} dx = 1",
            "αβγδεζηθικλμνξοπρστυφχψω ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
            "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̯̹ͥ t̶̡̛e̴͙͒x̸̧̛t̷̢̛",
            "e\u0301 vs \u00e9; a\u0308 vs \u00e4; n\u0303 vs \u00f1",
            "\u1100\u1161\u11a8 (jamo) vs \uac01",
            "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffjoiner",
            "right\u200fto\u200eleft \u202eoverride\u202c mark",
            "soft\u00adhyphen and non\u00a0breaking\u2007figure\u202fnarrow",
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.");

    static final List<String> EMOJI = List.of(
            "😀😃😄😁😆😅😂🤣🥲☺️😊",
            "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿",
            "👩‍💻 👨‍👩‍👧‍👦 🧑‍🤝‍🧑 👩‍❤️‍💋‍👨 🏳️‍🌈 🏴‍☠️",
            "🇺🇸 🇬🇧 🇯🇵 🇩🇪 🇫🇷 🇧🇷 🇮🇳 🇨🇳 🇺🇦 🇪🇺",
            "🏴󠁧󠁢󠁥󠁮󠁧󠁿 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
            "1️⃣ 2️⃣ #️⃣ *️⃣ 🔟",
            "❤️ ♥ ❤ 💔 ❣️ 💕",
            "🦀🐍☕🐘🦫🪿🫠🫡🩷🛜",
            "I ❤️ NY 🗽 and 🍕 at 🕛!",
            "🧪🧬🔬🔭📡🛰️🚀🌌",
            "👁️‍🗨️ 🐕‍🦺 🐈‍⬛ 🐻‍❄️ ❤️‍🔥 ❤️‍🩹 😮‍💨 😵‍💫",
            "🫱🏼‍🫲🏾 🧑🏿‍🦯 🧔🏻‍♀️");

    static final List<String> CODE = List.of(
            """
            public final class Main {
                public static void main(String[] args) {
                    System.out.println("Hello, " + args.length + " args");
                    for (int i = 0; i < 10; i++) { sum += i * i; }
                }
            }
            """,
            """
            def fib(n: int) -> int:
                \"\"\"Return the n-th Fibonacci number.\"\"\"
                a, b = 0, 1
                for _ in range(n):
                    a, b = b, a + b
                return a

            if __name__ == "__main__":
                print([fib(i) for i in range(20)])
            """,
            "{\"name\": \"gemma\", \"vocab_size\": 256000, \"layers\": [18, 28], \"tied\": true, \"eps\": 1e-6, \"nested\": {\"a\": null}}",
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Test &amp; demo</title></head>\n"
                    + "<body>\n  <div class=\"x\" id='y'>Hello&nbsp;<b>world</b></div>\n  <script>let a = 1 < 2 && 3 > 2;</script>\n</body>\n</html>",
            "SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total > 100 GROUP BY u.id;",
            "#include <stdio.h>\nint main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
            "fn main() { let v: Vec<u32> = (0..10).map(|x| x * 2).collect(); println!(\"{:?}\", v); }",
            "const f = async (x) => { await fetch(`/api/${x}`); return x ?? 0; };",
            "$ ls -la | grep '^d' | awk '{print $9}' > dirs.txt 2>&1 && echo \"done\"",
            "regex: ^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$",
            "x = [[1, 2], [3, 4]]\ny = {k: v for k, v in zip('abc', range(3))}\n\n\n# comment\n",
            "    indented with four spaces\n\tindented with a tab\n        eight spaces\n\t\ttwo tabs",
            "diff --git a/f.txt b/f.txt\n@@ -1,3 +1,3 @@\n-old line\n+new line\n context",
            "| col1 | col2 |\n|------|------|\n| a    | b    |\n",
            "# Title\n\n## Subtitle\n\n* item one\n* item two\n\n```java\nint x = 1;\n```\n",
            "a_b_c __init__ ___triple___ snake_case_name CamelCaseName kebab-case-name SCREAMING_CASE");

    static final List<String> WHITESPACE = List.of(
            "", " ", "  ", "   ", "    ", "        ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r",
            " \n ", "\t \t", " leading", "trailing ", "  both  ", "\nnewline first", "newline last\n",
            "a  b   c    d     e", "a\tb\t\tc", "line1\r\nline2\r\nline3", "mixed \t\n\r\n whitespace",
            "\u3000ideographic\u3000space", "nbsp\u00a0nbsp", "\u2003em\u2002en\u2009thin\u200ahair",
            "\u000b\u000c vertical tab and form feed", "\u0085next line\u2028line sep\u2029para sep",
            " ".repeat(31), " ".repeat(32), " ".repeat(100), "\t".repeat(40), "\n".repeat(40), "▁", "▁▁ ▁", "▁word",
            "word▁", "a▁b c");

    static final List<String> NUMBERS = List.of(
            "0", "7", "42", "123", "2024", "12345", "1234567890", "3.14159265358979323846",
            "1,000,000", "1.000.000,00", "-17", "+3", "1e10", "6.022e23", "0x1F", "0b1010", "007",
            "99999999999999999999999999999999999999", "10^9+7", "1/3", "12:34:56", "192.168.0.1",
            "+1 (555) 123-4567", "ISBN 978-3-16-148410-0", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "０１２３４５６７８９",
            "①②③ ⑴⑵⑶ ⅠⅡⅢⅣ", "1st 2nd 3rd 4th", "v1.2.3-rc.1+build.5");

    static final List<String> CONTROL_LIKE = List.of(
            "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "<2mass>", "[@BOS@]",
            "<unused0>", "<unused98>", "<0x41>", "<0x0A>", "<0xZZ>", "<0x>", "<start_of_turn", "start_of_turn>",
            "< start_of_turn>", "<start_of_turn >", "<START_OF_TURN>", "<<bos>>", "<bos><bos>", "<bos> <eos>",
            "<bos>\n<eos>", "text<bos>text", "<bos>text<eos>", " <bos> ", "<eos><pad><unk><bos>", "<bo<bos>s>",
            "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n",
            "<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>\n",
            "<end_of_turn><start_of_turn>", "<start_of_image>", "<end_of_image>", "</s>", "<s>", "[INST]", "<|endoftext|>",
            "<table>", "<h1>", "</code>", "<br/>", "<pad ", "<unk>>", "<<unk>", "<eos", "eos>");

    /** Builds the corpus; the same seed gives the same strings. */
    static List<String> build(long seed) {
        Random random = new Random(seed);
        List<String> corpus = new ArrayList<>();
        corpus.addAll(PROSE);
        corpus.addAll(EMOJI);
        corpus.addAll(CODE);
        corpus.addAll(WHITESPACE);
        corpus.addAll(NUMBERS);
        corpus.addAll(CONTROL_LIKE);
        List<String> fragments = new ArrayList<>(corpus);
        fragments.removeIf(String::isEmpty);

        // Joins of fragments with whitespace, punctuation and control-token separators.
        String[] separators = {" ", "  ", "\t", "\n", "\r\n", "", " \n ", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>",
                ". ", ", ", " - ", "\u3000", "\u00a0", "<pad>", "<unk>", "▁"};
        for (int i = 0; i < 700; i++) {
            StringBuilder s = new StringBuilder();
            int parts = 1 + random.nextInt(4);
            for (int p = 0; p < parts; p++) {
                if (p > 0 || random.nextInt(4) == 0) s.append(separators[random.nextInt(separators.length)]);
                String f = fragments.get(random.nextInt(fragments.size()));
                s.append(random.nextBoolean() ? f : slice(f, random));
            }
            if (random.nextInt(4) == 0) s.append(separators[random.nextInt(separators.length)]);
            corpus.add(s.toString());
        }

        // Numbers: digit runs of every length up to 40, with separators and signs.
        for (int i = 0; i < 200; i++) {
            StringBuilder s = new StringBuilder();
            if (random.nextInt(5) == 0) s.append(random.nextBoolean() ? '-' : '+');
            int digits = 1 + random.nextInt(40);
            for (int d = 0; d < digits; d++) {
                s.append((char) ('0' + random.nextInt(10)));
                if (random.nextInt(12) == 0) s.append(",._ ".charAt(random.nextInt(4)));
            }
            if (random.nextInt(3) == 0) s.insert(0, "total ");
            corpus.add(s.toString());
        }

        // Whitespace runs mixed with short words.
        String[] spaces = {" ", "\t", "\n", "\r\n", "\r", "\u3000", "\u00a0", "\u2009", "\u000b"};
        String[] words = {"a", "the", "word", "x1", "ok", "日本", "мир", "λ", "🙂", "if", "{", "}"};
        for (int i = 0; i < 200; i++) {
            StringBuilder s = new StringBuilder();
            int parts = 1 + random.nextInt(8);
            for (int p = 0; p < parts; p++) {
                int run = random.nextInt(6);
                for (int r = 0; r < run; r++) s.append(spaces[random.nextInt(spaces.length)]);
                if (random.nextInt(4) != 0) s.append(words[random.nextInt(words.length)]);
            }
            corpus.add(s.toString());
        }

        // Emoji sequences: ZWJ joins, skin tones, regional-indicator pairs, keycaps, variation selectors.
        int[] people = {0x1F468, 0x1F469, 0x1F9D1, 0x1F466, 0x1F467, 0x1F474, 0x1F475};
        int[] objects = {0x1F4BB, 0x1F52C, 0x1F680, 0x1F373, 0x1F3A8, 0x2695, 0x2708, 0x1F692, 0x1F33E};
        for (int i = 0; i < 200; i++) {
            StringBuilder s = new StringBuilder();
            int items = 1 + random.nextInt(5);
            for (int k = 0; k < items; k++) {
                switch (random.nextInt(5)) {
                    case 0 -> {
                        s.appendCodePoint(people[random.nextInt(people.length)]);
                        if (random.nextBoolean()) s.appendCodePoint(0x1F3FB + random.nextInt(5));
                        s.append('\u200d').appendCodePoint(objects[random.nextInt(objects.length)]);
                        if (random.nextBoolean()) s.append('\ufe0f');
                    }
                    case 1 -> s.appendCodePoint(0x1F1E6 + random.nextInt(26)).appendCodePoint(0x1F1E6 + random.nextInt(26));
                    case 2 -> s.append((char) ('0' + random.nextInt(10))).append("\ufe0f\u20e3");
                    case 3 -> s.appendCodePoint(0x1F300 + random.nextInt(0x1FAFF - 0x1F300));
                    default -> s.appendCodePoint(0x2600 + random.nextInt(0x2800 - 0x2600)).append(random.nextBoolean() ? "\ufe0f" : "");
                }
                if (random.nextInt(3) == 0) s.append(' ');
            }
            corpus.add(s.toString());
        }

        // Random code points from many blocks, BMP and astral, including controls, combining marks,
        // private use, noncharacters and unassigned code points.
        int[][] blocks = {
                {0x0000, 0x001F}, {0x0020, 0x007E}, {0x007F, 0x00FF}, {0x0100, 0x024F}, {0x0250, 0x02FF},
                {0x0300, 0x036F}, {0x0370, 0x03FF}, {0x0400, 0x052F}, {0x0530, 0x058F}, {0x0590, 0x05FF},
                {0x0600, 0x06FF}, {0x0700, 0x08FF}, {0x0900, 0x097F}, {0x0980, 0x0DFF}, {0x0E00, 0x0EFF},
                {0x0F00, 0x0FFF}, {0x1000, 0x10FF}, {0x1100, 0x11FF}, {0x1200, 0x139F}, {0x13A0, 0x1CFF},
                {0x1D00, 0x1FFF}, {0x2000, 0x206F}, {0x2070, 0x20CF}, {0x20D0, 0x20FF}, {0x2100, 0x22FF},
                {0x2300, 0x27FF}, {0x2800, 0x2BFF}, {0x2C00, 0x2FFF}, {0x3000, 0x30FF}, {0x3100, 0x33FF},
                {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xABFF}, {0xAC00, 0xD7A3}, {0xD7B0, 0xD7FF},
                {0xE000, 0xF8FF}, {0xF900, 0xFAFF}, {0xFB00, 0xFDFF}, {0xFE00, 0xFE6F}, {0xFE70, 0xFFFF},
                {0x10000, 0x1007F}, {0x10300, 0x1034F}, {0x12000, 0x123FF}, {0x13000, 0x1342F},
                {0x1D400, 0x1D7FF}, {0x1F000, 0x1F0FF}, {0x1F300, 0x1FAFF}, {0x20000, 0x2A6DF},
                {0x2F800, 0x2FA1F}, {0x30000, 0x3134F}, {0xE0000, 0xE007F}, {0xE0100, 0xE01EF},
                {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFF}};
        for (int i = 0; i < 700; i++) {
            StringBuilder s = new StringBuilder();
            int length = 1 + random.nextInt(i % 10 == 0 ? 200 : 24);
            int[] block = blocks[random.nextInt(blocks.length)];
            for (int k = 0; k < length; k++) {
                if (random.nextInt(6) == 0) block = blocks[random.nextInt(blocks.length)];
                int cp = block[0] + random.nextInt(block[1] - block[0] + 1);
                if (random.nextInt(10) == 0) s.append(' ');
                s.appendCodePoint(cp);
            }
            corpus.add(s.toString());
        }

        // Long prose-like strings built from the prose samples.
        for (int i = 0; i < 60; i++) {
            StringBuilder s = new StringBuilder();
            int sentences = 5 + random.nextInt(30);
            for (int k = 0; k < sentences; k++) {
                s.append(PROSE.get(random.nextInt(PROSE.size())));
                s.append(random.nextInt(5) == 0 ? "\n\n" : " ");
            }
            corpus.add(s.toString());
        }
        return corpus;
    }

    /** A random substring that does not split a surrogate pair. */
    private static String slice(String s, Random random) {
        int cps = s.codePointCount(0, s.length());
        int a = random.nextInt(cps + 1);
        int b = random.nextInt(cps + 1);
        int from = s.offsetByCodePoints(0, Math.min(a, b));
        int to = s.offsetByCodePoints(0, Math.max(a, b));
        return s.substring(from, to);
    }

    /** Java-style escape of a string for failure messages: printable ASCII as is, the rest as \\uXXXX. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7F) out.append(c);
                    else out.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return out.append('"').toString();
    }
}
