// Dump Apache Kafka's topic-level config catalogue (LogConfig's ConfigDef) as JSON.
//
// Run with the Kafka jars of the version to describe on the class path:
//
//   java -cp "/tmp/kcat-4.1.1/*" GenTopicConfigs.java > topic-configs-4.1.1.json
//
// Only public Kafka API is called (LogConfig.configKeys(), LogConfig.configDefCopy() and its
// getConfigValue(), ConfigDef.ConfigKey's public fields; the version comes from kafka-clients'
// kafka/kafka-version.properties). The validators keep
// their bounds in non-public fields; those are read by reflection when present and
// otherwise parsed from the validator's toString(), which is what Kafka's own docs print.
//
// Output (stdout): {"kafka_version": "...", "configs": {name: {...}}} with sorted keys and
// 2-space indentation. run.sh merges two such dumps (4.x and 3.9) into
// cli/busctl/data/topic_configs.json.

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.storage.internals.log.LogConfig;

public class GenTopicConfigs {

    static final int DOC_MAX = 200;

    public static void main(String[] args) {
        Map<String, ConfigDef.ConfigKey> keys = LogConfig.configKeys();
        LogConfig.LogConfigDef def = LogConfig.configDefCopy();

        Map<String, Object> configs = new TreeMap<>();
        List<String> internal = new ArrayList<>();
        for (ConfigDef.ConfigKey key : keys.values()) {
            if (key.internalConfig) {
                // e.g. internal.segment.bytes in 4.x: for Kafka's tests, not a user-facing config.
                internal.add(key.name);
                continue;
            }
            configs.put(key.name, describe(key, def));
        }

        Map<String, Object> out = new TreeMap<>();
        out.put("kafka_version", kafkaVersion());
        out.put("configs", configs);
        if (!internal.isEmpty()) {
            internal.sort(null);
            out.put("internal_skipped", internal);
        }
        StringBuilder sb = new StringBuilder();
        writeJson(sb, out, 0);
        sb.append('\n');
        System.out.print(sb);
    }

    // Same text as LogConfig.SERVER_DEFAULT_HEADER_NAME (3.9 and 4.x); LogConfigDef.serverConfigName()
    // would do too but is gone in later 4.x releases, while getConfigValue(key, header) stays.
    static final String SERVER_DEFAULT_HEADER = "Server Default Property";

    /** Version of the kafka-clients jar on the class path (AppInfoParser moved packages in 4.x). */
    static String kafkaVersion() {
        try (InputStream in = ConfigDef.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown").trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Map<String, Object> describe(ConfigDef.ConfigKey key, LogConfig.LogConfigDef def) {
        Map<String, Object> m = new TreeMap<>();
        m.put("type", key.type.name().toLowerCase());
        if (key.hasDefault()) {
            Object d = defaultValue(key);
            if (d != null) m.put("default", d);
        }
        if (key.importance != null) m.put("importance", key.importance.name().toLowerCase());
        String unit = unit(key.name);
        if (unit != null) m.put("unit", unit);
        String doc = firstSentence(key.documentation);
        if (doc != null && !doc.isEmpty()) m.put("doc", doc);
        // The "Server Default Property" column of Kafka's topic-config docs table: the broker
        // setting that supplies the default (e.g. retention.ms <- log.retention.ms).
        String server = def.getConfigValue(key, SERVER_DEFAULT_HEADER);
        if (server != null && !server.isBlank()) m.put("server_default_property", server.trim());
        if (key.validator != null) validator(key.validator, m);
        return m;
    }

    // ---- defaults -------------------------------------------------------------------------

    static Object defaultValue(ConfigDef.ConfigKey key) {
        Object d = key.defaultValue;
        if (d == null) return null;
        switch (key.type) {
            case BOOLEAN:
                return d;
            case INT:
            case SHORT:
            case LONG:
            case DOUBLE:
                return d instanceof Number ? d : d.toString();
            case PASSWORD:
                return null; // never publish a password default
            case CLASS:
                return d instanceof Class ? ((Class<?>) d).getName() : d.toString();
            case LIST:
                // Kafka's own string form ("compact,delete"), i.e. what a user writes in YAML.
                if (d instanceof Collection) {
                    List<String> parts = new ArrayList<>();
                    for (Object o : (Collection<?>) d) parts.add(String.valueOf(o));
                    return String.join(",", parts);
                }
                return d.toString();
            default:
                return d.toString();
        }
    }

    // ---- units ----------------------------------------------------------------------------

    static String unit(String name) {
        if (name.endsWith(".ms")) return "ms";
        if (name.endsWith(".bytes")) return "bytes"; // covers max.message.bytes, segment.index.bytes
        return null;
    }

    // ---- validators -----------------------------------------------------------------------

    static final Pattern RANGE = Pattern.compile("^\\[(?:(.*?),)?\\.\\.\\.(?:,(.*))?\\]$");

    static void validator(ConfigDef.Validator v, Map<String, Object> m) {
        if (v instanceof ConfigDef.Range) {
            Number min = (Number) field(v, "min");
            Number max = (Number) field(v, "max");
            if (min == null && max == null) {
                // Fields not readable (or an open range): parse "[a,...,b]" / "[a,...]" / "[...,b]".
                Matcher mt = RANGE.matcher(v.toString());
                if (mt.matches()) {
                    min = parseNumber(mt.group(1));
                    max = parseNumber(mt.group(2));
                } else {
                    m.put("validator", v.toString());
                    return;
                }
            }
            if (min != null) m.put("min", min);
            if (max != null) m.put("max", max);
            return;
        }
        if (v instanceof ConfigDef.ValidList) {
            Object inner = field(v, "validString");
            List<String> values = inner != null ? strings(field(inner, "validStrings")) : null;
            m.put("valid_values", values != null ? values : parseList(v.toString()));
            // Kafka 4.2+ (KIP-1161) says whether an empty list is accepted; older ValidList has no flag.
            Object empty = field(v, "isEmptyAllowed");
            if (empty instanceof Boolean) m.put("empty_allowed", empty);
            return;
        }
        if (v instanceof ConfigDef.ValidString) {
            List<String> values = strings(field(v, "validStrings"));
            m.put("valid_values", values != null ? values : parseList(v.toString()));
            return;
        }
        if (v instanceof ConfigDef.CaseInsensitiveValidString) {
            List<String> values = strings(field(v, "validStrings"));
            if (values == null) values = parseList(v.toString());
            values.sort(null); // backed by a Set: sort for a stable file
            m.put("valid_values", values);
            m.put("case_insensitive", true);
            return;
        }
        m.put("validator", describeOther(v));
    }

    static String describeOther(ConfigDef.Validator v) {
        String s = v.toString();
        String cls = v.getClass().getName();
        boolean objectToString = s == null || s.startsWith(cls + "@") || cls.contains("$$Lambda");
        if (objectToString) {
            // No toString of its own: name the class instead of an unstable identity hash.
            String simple = cls.replaceAll("\\$\\$Lambda.*$", " (lambda)");
            return simple.substring(simple.lastIndexOf('.') + 1);
        }
        return oneLine(s);
    }

    static Object field(Object o, String name) {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                // try the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    static List<String> strings(Object o) {
        if (!(o instanceof Collection)) return null;
        List<String> out = new ArrayList<>();
        for (Object x : (Collection<?>) o) out.add(String.valueOf(x));
        return out;
    }

    static List<String> parseList(String s) {
        String t = s.trim();
        if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
        List<String> out = new ArrayList<>();
        for (String p : t.split(",")) {
            String q = p.trim();
            if (!q.isEmpty()) out.add(q);
        }
        return out;
    }

    static Number parseNumber(String s) {
        if (s == null || s.isEmpty()) return null;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Double.parseDouble(s);
        }
    }

    // ---- documentation --------------------------------------------------------------------

    static final Pattern SENTENCE_END =
            Pattern.compile("(?<!\\be\\.g)(?<!\\bi\\.e)(?<!\\betc)(?<!\\bvs)\\.(?=\\s|$)");

    static String firstSentence(String doc) {
        if (doc == null) return null;
        String s = doc.replaceAll("<[^>]+>", " ");
        s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        s = oneLine(s);
        Matcher m = SENTENCE_END.matcher(s);
        if (m.find()) s = s.substring(0, m.end());
        if (s.length() > DOC_MAX) {
            int cut = s.lastIndexOf(' ', DOC_MAX - 3);
            if (cut < DOC_MAX / 2) cut = DOC_MAX - 3;
            s = s.substring(0, cut).replaceAll("[\\s,;:]+$", "") + "...";
        }
        return s;
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").replaceAll(" ([.,;:)])", "$1").replace("( ", "(").trim();
    }

    // ---- JSON -----------------------------------------------------------------------------

    static void writeJson(StringBuilder sb, Object o, int indent) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof String) {
            quote(sb, (String) o);
        } else if (o instanceof Boolean) {
            sb.append(o.toString());
        } else if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) quote(sb, Double.toString(d));
            else if (d == Math.rint(d) && Math.abs(d) < 1e15) sb.append(Long.toString((long) d)).append(".0");
            else sb.append(Double.toString(d));
        } else if (o instanceof Number) {
            sb.append(o.toString());
        } else if (o instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) o;
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            boolean first = true;
            for (Map.Entry<?, ?> e : new TreeMap<>(map).entrySet()) {
                if (!first) sb.append(",\n");
                first = false;
                pad(sb, indent + 2);
                quote(sb, e.getKey().toString());
                sb.append(": ");
                writeJson(sb, e.getValue(), indent + 2);
            }
            sb.append('\n');
            pad(sb, indent);
            sb.append('}');
        } else if (o instanceof Collection) {
            Collection<?> c = (Collection<?>) o;
            if (c.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            boolean first = true;
            for (Object x : c) {
                if (!first) sb.append(",\n");
                first = false;
                pad(sb, indent + 2);
                writeJson(sb, x, indent + 2);
            }
            sb.append('\n');
            pad(sb, indent);
            sb.append(']');
        } else {
            quote(sb, o.toString());
        }
    }

    static void pad(StringBuilder sb, int n) {
        for (int i = 0; i < n; i++) sb.append(' ');
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        sb.append('"');
    }
}
