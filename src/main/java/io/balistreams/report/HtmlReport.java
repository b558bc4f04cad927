package io.balistreams.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One self-contained HTML page: a title, tables, and figures whose SVG is inline (no script, no stylesheet or font
 * from the network; it opens offline in any browser). Each figure carries {@code data-*} attributes with what it
 * shows (its points, its marks), so that a test or a script can check the page against the run's JSON.
 */
public final class HtmlReport {
    private final StringBuilder body = new StringBuilder();
    private final String title;

    public HtmlReport(final String title) {
        this.title = title;
        body.append("<h1>").append(escape(title)).append("</h1>\n");
    }

    /** A paragraph of text. */
    public HtmlReport paragraph(final String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A two-column table of names and values (numbers shown with up to 4 significant decimals). */
    public HtmlReport keyValues(final String caption, final Map<String, ?> values) {
        body.append("<table class=\"kv\"><caption>").append(escape(caption)).append("</caption>\n");
        values.forEach((k, v) -> body.append("<tr><th>").append(escape(k)).append("</th><td>")
                .append(escape(format(v))).append("</td></tr>\n"));
        body.append("</table>\n");
        return this;
    }

    /** A table with a header row. */
    public HtmlReport table(final String caption, final List<String> header, final List<List<?>> rows) {
        body.append("<table><caption>").append(escape(caption)).append("</caption>\n<tr>");
        header.forEach(h -> body.append("<th>").append(escape(h)).append("</th>"));
        body.append("</tr>\n");
        for (final List<?> row : rows) {
            body.append("<tr>");
            row.forEach(c -> body.append("<td>").append(escape(format(c))).append("</td>"));
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /**
     * A figure: an SVG element and its caption, with {@code data-NAME="value"} for each entry of {@code data}.
     */
    public HtmlReport figure(final String id, final String caption, final String svg, final Map<String, ?> data) {
        body.append("<figure id=\"").append(escape(id)).append('"');
        data.forEach((k, v) -> body.append(" data-").append(escape(k)).append("=\"").append(escape(String.valueOf(v)))
                .append('"'));
        body.append(">\n").append(svg).append("\n<figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /** The page. */
    public String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
                + "</title>\n<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;"
                + "text-align:right}th{background:#f3f3f3}caption{font-weight:bold;text-align:left;padding:4px 0}"
                + "table.kv th{text-align:left}figure{margin:1.5em 0}figcaption{font-size:90%;color:#444}"
                + "svg{max-width:100%;height:auto}</style></head>\n<body>\n" + body + "</body></html>\n";
    }

    /** Writes the page to {@code file} (UTF-8). */
    public void write(final Path file) throws IOException {
        Files.writeString(file, html(), StandardCharsets.UTF_8);
    }

    private static String format(final Object v) {
        if (v instanceof Double d) {
            if (!Double.isFinite(d)) {
                return String.valueOf(d);
            }
            return (d == Math.rint(d) || Math.abs(d) >= 1000) && Math.abs(d) < 1e15
                    ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.4g", d);
        }
        if (v instanceof Float || v instanceof java.math.BigDecimal) {
            return format(((Number) v).doubleValue());
        }
        if (v instanceof Long || v instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        }
        return String.valueOf(v);
    }

    static String escape(final String s) {
        final StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
