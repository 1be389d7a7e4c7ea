package dev.gemma4j.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The declarations of one header in {@code native/}, parsed with a deliberately narrow grammar:
 * {@code typedef enum [tag] { NAME = value, ... } name;}, {@code typedef <type> name;} and
 * function prototypes {@code <type> name(<type> name, ...);}. Anything else fails the parse with
 * the file and line, so a header written in another style is noticed rather than half-read.
 */
record NativeHeader(Path file, Map<String, Typedef> typedefs, List<Constant> constants, List<Function> functions) {

    /** {@code typedef <target> name;}; for enums, {@code target} is {@code "enum <tag>"} or {@code "enum"}. */
    record Typedef(String name, String target, boolean isEnum, String enumTag, int line) {
    }

    record Constant(String name, long value, String enumTypedef, int line) {
    }

    record Parameter(String type, String name) {
    }

    /** {@code declaration} is the prototype as written, whitespace collapsed, without the semicolon. */
    record Function(String returnType, String name, List<Parameter> parameters, String declaration, int line) {
    }

    /** How a C type is passed through FFM. */
    enum Kind {
        CHAR(byte.class), INT(int.class), LONG(long.class), LONG_LONG(long.class), FLOAT(float.class),
        DOUBLE(double.class), POINTER(java.lang.foreign.MemorySegment.class);

        final Class<?> carrier;

        Kind(Class<?> carrier) {
            this.carrier = carrier;
        }

        /** The name of the layout constant jextract uses for this kind (C_INT, C_POINTER, ...). */
        String layoutName() {
            return "C_" + name();
        }
    }

    private static final Map<String, Kind> BUILTIN = Map.ofEntries(
            Map.entry("char", Kind.CHAR), Map.entry("unsigned char", Kind.CHAR), Map.entry("signed char", Kind.CHAR),
            Map.entry("int", Kind.INT), Map.entry("unsigned int", Kind.INT), Map.entry("unsigned", Kind.INT),
            Map.entry("long", Kind.LONG), Map.entry("unsigned long", Kind.LONG), Map.entry("size_t", Kind.LONG),
            Map.entry("long long", Kind.LONG_LONG), Map.entry("long long int", Kind.LONG_LONG),
            Map.entry("unsigned long long", Kind.LONG_LONG), Map.entry("unsigned long long int", Kind.LONG_LONG),
            Map.entry("float", Kind.FLOAT), Map.entry("double", Kind.DOUBLE));

    private static final Pattern ENUM = Pattern.compile("typedef enum (?:(\\w+) )?\\{(.*)\\} (\\w+)");
    private static final Pattern TYPEDEF = Pattern.compile("typedef (.+?) ?(\\w+)");
    private static final Pattern FUNCTION = Pattern.compile("(.+?) ?(\\w+) ?\\((.*)\\)");
    private static final Pattern PARAMETER = Pattern.compile("(.+?) ?(\\w+)");
    private static final Pattern ENUMERATOR = Pattern.compile("(\\w+) ?= ?(-?(?:0x[0-9a-fA-F]+|\\d+))");

    static Path nativeDirectory() {
        return dev.gemma4j.Home.root().resolve("native");
    }

    static NativeHeader driver() {
        return parse(nativeDirectory().resolve("gemma4j_cuda.h"));
    }

    static NativeHeader cublas() {
        return parse(nativeDirectory().resolve("gemma4j_cublas.h"));
    }

    static NativeHeader parse(Path file) {
        try {
            return parse(file, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static NativeHeader parse(Path file, String source) {
        String code = withoutCommentsAndDirectives(source);
        Map<String, Typedef> typedefs = new LinkedHashMap<>();
        List<Constant> constants = new ArrayList<>();
        List<Function> functions = new ArrayList<>();
        int start = 0;
        for (int end = code.indexOf(';'); end >= 0; start = end + 1, end = code.indexOf(';', start)) {
            String raw = code.substring(start, end);
            if (raw.isBlank()) {
                continue;
            }
            int line = lineOf(code, start + leadingWhitespace(raw));
            String statement = raw.strip().replaceAll("\\s+", " ");
            String where = file.getFileName() + ":" + line;
            Matcher matcher;
            if ((matcher = ENUM.matcher(statement)).matches()) {
                String tag = matcher.group(1);
                String name = matcher.group(3);
                typedefs.put(name, new Typedef(name, tag == null ? "enum" : "enum " + tag, true, tag, line));
                for (String item : matcher.group(2).split(",")) {
                    if (item.isBlank()) {
                        continue;
                    }
                    Matcher enumerator = ENUMERATOR.matcher(item.strip());
                    if (!enumerator.matches()) {
                        throw new IllegalArgumentException(where + ": enumerator '" + item.strip()
                                + "' is not NAME = integer");
                    }
                    constants.add(new Constant(enumerator.group(1), Long.decode(enumerator.group(2)), name, line));
                }
            } else if ((matcher = TYPEDEF.matcher(statement)).matches()) {
                String name = matcher.group(2);
                typedefs.put(name, new Typedef(name, matcher.group(1), false, null, line));
            } else if ((matcher = FUNCTION.matcher(statement)).matches()) {
                List<Parameter> parameters = new ArrayList<>();
                String list = matcher.group(3).strip();
                if (!list.equals("void")) {
                    for (String text : list.split(",")) {
                        Matcher parameter = PARAMETER.matcher(text.strip());
                        if (!parameter.matches() || parameter.group(1).isBlank()) {
                            throw new IllegalArgumentException(where + ": parameter '" + text.strip()
                                    + "' of " + matcher.group(2) + " is not '<type> <name>'");
                        }
                        parameters.add(new Parameter(parameter.group(1).strip(), parameter.group(2)));
                    }
                }
                functions.add(new Function(matcher.group(1).strip(), matcher.group(2), List.copyOf(parameters),
                        statement, line));
            } else {
                throw new IllegalArgumentException(where + ": unrecognised declaration '" + statement + "'");
            }
        }
        if (!code.substring(start).isBlank()) {
            throw new IllegalArgumentException(file.getFileName() + ": text after the last ';': "
                    + code.substring(start).strip());
        }
        return new NativeHeader(file, Map.copyOf(typedefs), List.copyOf(constants), List.copyOf(functions));
    }

    /** How {@code type} (as written in a declaration) is passed through FFM. */
    Kind kindOf(String type) {
        if (type.contains("*")) {
            return Kind.POINTER;
        }
        String bare = type.replaceAll("\\bconst\\b", " ").strip().replaceAll("\\s+", " ");
        Kind builtin = BUILTIN.get(bare);
        if (builtin != null) {
            return builtin;
        }
        Typedef typedef = typedefs.get(bare);
        if (typedef == null) {
            throw new IllegalArgumentException(file.getFileName() + ": type '" + type
                    + "' is neither a C scalar type nor a typedef of this header");
        }
        return typedef.isEnum() ? Kind.INT : kindOf(typedef.target());
    }

    Function function(String name) {
        return functions.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(file.getFileName() + " declares no " + name));
    }

    Constant constant(String name) {
        return constants.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(file.getFileName() + " declares no " + name));
    }

    /** Comments and preprocessor lines replaced by blanks, keeping every newline so lines still count. */
    private static String withoutCommentsAndDirectives(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        while (i < source.length()) {
            if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated comment at offset " + i);
                }
                blank(source, i, end + 2, out);
                i = end + 2;
            } else if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                end = end < 0 ? source.length() : end;
                blank(source, i, end, out);
                i = end;
            } else {
                out.append(source.charAt(i++));
            }
        }
        String[] lines = out.toString().split("\n", -1);
        StringBuilder code = new StringBuilder(out.length());
        for (int n = 0; n < lines.length; n++) {
            code.append(lines[n].strip().startsWith("#") ? "" : lines[n]);
            if (n + 1 < lines.length) {
                code.append('\n');
            }
        }
        return code.toString();
    }

    private static void blank(String source, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            out.append(source.charAt(i) == '\n' ? '\n' : ' ');
        }
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static int leadingWhitespace(String text) {
        int n = 0;
        while (n < text.length() && Character.isWhitespace(text.charAt(n))) {
            n++;
        }
        return n;
    }
}
