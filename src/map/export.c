/* Network export: GEXF 1.3, GraphML and CSV writers with XML-safe, UTF-8-safe text. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/map_export.h"

#include <errno.h>
#include <string.h>

#include "stratum/civil.h"

void st_map_export_time(int64_t t, char *out, size_t cap)
{
    st_civil c;
    st_civil_from_epoch(t, &c);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute,
             c.second);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. Also 0 for
 * U+FFFE/U+FFFF, which XML 1.0 forbids. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (s[0] == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (s[0] == 0xED && s[1] >= 0xA0) return 0; /* surrogates */
        if (s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE) return 0;
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (s[0] == 0xF0 && s[1] < 0x90) return 0;
        if (s[0] == 0xF4 && s[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

void st_map_export_xml(FILE *f, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        switch (c) {
        case '&':
            fputs("&amp;", f);
            i++;
            continue;
        case '<':
            fputs("&lt;", f);
            i++;
            continue;
        case '>':
            fputs("&gt;", f);
            i++;
            continue;
        case '"':
            fputs("&quot;", f);
            i++;
            continue;
        default:
            break;
        }
        if (c < 0x20) { /* tabs and newlines too: attribute values would fold them */
            fputc(' ', f);
            i++;
            continue;
        }
        size_t k = utf8_len(s + i, n - i);
        if (!k) {
            fputs("\xEF\xBF\xBD", f);
            i++;
            continue;
        }
        fwrite(s + i, 1, k, f);
        i += k;
    }
}

static void xml_text(FILE *f, const char *s, size_t n)
{
    st_map_export_xml(f, s, n);
}

static void xml_str(FILE *f, const char *s)
{
    xml_text(f, s, strlen(s));
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void csv_text(FILE *f, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = 1;
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static int any_actor(st_map_graph *g)
{
    const st_map_node *nd = st_map_graph_nodes(g);
    for (size_t i = 0; i < st_map_graph_nnodes(g); i++)
        if (nd[i].actor) return 1;
    return 0;
}

static int finish(FILE *f)
{
    return (fflush(f) || ferror(f)) ? -EIO : 0;
}

static void time_or_empty(FILE *f, int has, int64_t t)
{
    char buf[32];
    if (!has) return;
    st_map_export_time(t, buf, sizeof(buf));
    fputs(buf, f);
}

int st_map_export_gexf(st_map_graph *g, FILE *f, const st_map_export_opts *o)
{
    if (!g || !f || !o) return -EINVAL;
    const st_map_node *nd = st_map_graph_nodes(g);
    const st_map_edge *ed = st_map_graph_edges(g);
    size_t nn = st_map_graph_nnodes(g), ne = st_map_graph_nedges(g);
    int actor = any_actor(g);
    char t1[32], t2[32];
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n"
          "  <meta>\n    <creator>stratum map</creator>\n    <description>",
          f);
    fprintf(f, "%s network", st_map_net_name(st_map_graph_net(g)));
    if (o->description) {
        fputs(": ", f);
        xml_str(f, o->description);
    }
    fputs("</description>\n  </meta>\n", f);
    fprintf(f, "  <graph defaultedgetype=\"%s\" mode=\"%s\"",
            st_map_graph_directed(g) ? "directed" : "undirected",
            o->dynamic ? "dynamic" : "static");
    if (o->dynamic) fputs(" timeformat=\"dateTime\" timerepresentation=\"interval\"", f);
    fputs(">\n    <attributes class=\"node\">\n"
          "      <attribute id=\"kind\" title=\"kind\" type=\"string\"/>\n"
          "      <attribute id=\"count\" title=\"posts\" type=\"long\"/>\n"
          "      <attribute id=\"first_seen\" title=\"first seen\" type=\"string\"/>\n"
          "      <attribute id=\"last_seen\" title=\"last seen\" type=\"string\"/>\n",
          f);
    if (actor) fputs("      <attribute id=\"actor\" title=\"actor type\" type=\"string\"/>\n", f);
    if (o->with_community)
        fputs("      <attribute id=\"community\" title=\"community\" type=\"integer\"/>\n", f);
    if (o->with_measures)
        fputs("      <attribute id=\"degree\" title=\"degree\" type=\"integer\"/>\n"
              "      <attribute id=\"wdegree\" title=\"weighted degree\" type=\"double\"/>\n"
              "      <attribute id=\"betweenness\" title=\"betweenness\" type=\"double\"/>\n",
              f);
    fputs("    </attributes>\n    <attributes class=\"edge\">\n"
          "      <attribute id=\"first_seen\" title=\"first seen\" type=\"string\"/>\n"
          "      <attribute id=\"last_seen\" title=\"last seen\" type=\"string\"/>\n"
          "    </attributes>\n",
          f);
    fprintf(f, "    <nodes count=\"%zu\">\n", nn);
    for (size_t i = 0; i < nn; i++) {
        const st_map_node *n = &nd[i];
        fprintf(f, "      <node id=\"n%zu\" label=\"", i);
        xml_text(f, n->name, n->len);
        fputc('"', f);
        if (n->has_time) {
            st_map_export_time(n->first, t1, sizeof(t1));
            st_map_export_time(n->last, t2, sizeof(t2));
            if (o->dynamic) fprintf(f, " start=\"%s\" end=\"%s\"", t1, t2);
        }
        fprintf(f,
                ">\n        <attvalues>\n"
                "          <attvalue for=\"kind\" value=\"%s\"/>\n"
                "          <attvalue for=\"count\" value=\"%lld\"/>\n",
                st_map_kind_name(n->kind), (long long)n->count);
        if (n->has_time)
            fprintf(f,
                    "          <attvalue for=\"first_seen\" value=\"%s\"/>\n"
                    "          <attvalue for=\"last_seen\" value=\"%s\"/>\n",
                    t1, t2);
        if (actor && n->actor) {
            fputs("          <attvalue for=\"actor\" value=\"", f);
            xml_str(f, n->actor);
            fputs("\"/>\n", f);
        }
        if (o->with_community)
            fprintf(f, "          <attvalue for=\"community\" value=\"%d\"/>\n", n->community);
        if (o->with_measures)
            fprintf(f,
                    "          <attvalue for=\"degree\" value=\"%.0f\"/>\n"
                    "          <attvalue for=\"wdegree\" value=\"%.17g\"/>\n"
                    "          <attvalue for=\"betweenness\" value=\"%.17g\"/>\n",
                    n->degree, n->wdegree, n->betweenness);
        fputs("        </attvalues>\n      </node>\n", f);
    }
    fprintf(f, "    </nodes>\n    <edges count=\"%zu\">\n", ne);
    for (size_t k = 0; k < ne; k++) {
        const st_map_edge *e = &ed[k];
        fprintf(f, "      <edge id=\"e%zu\" source=\"n%d\" target=\"n%d\" weight=\"%.17g\"", k,
                e->u, e->v, e->weight);
        if (!e->has_time) {
            fputs("/>\n", f);
            continue;
        }
        st_map_export_time(e->first, t1, sizeof(t1));
        st_map_export_time(e->last, t2, sizeof(t2));
        if (o->dynamic) fprintf(f, " start=\"%s\" end=\"%s\"", t1, t2);
        fprintf(f,
                ">\n        <attvalues>\n"
                "          <attvalue for=\"first_seen\" value=\"%s\"/>\n"
                "          <attvalue for=\"last_seen\" value=\"%s\"/>\n"
                "        </attvalues>\n      </edge>\n",
                t1, t2);
    }
    fputs("    </edges>\n  </graph>\n</gexf>\n", f);
    return finish(f);
}

int st_map_export_graphml(st_map_graph *g, FILE *f, const st_map_export_opts *o)
{
    if (!g || !f || !o) return -EINVAL;
    const st_map_node *nd = st_map_graph_nodes(g);
    const st_map_edge *ed = st_map_graph_edges(g);
    size_t nn = st_map_graph_nnodes(g), ne = st_map_graph_nedges(g);
    int actor = any_actor(g);
    char t[32];
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
          "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n"
          "  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n"
          "  <key id=\"count\" for=\"node\" attr.name=\"posts\" attr.type=\"long\"/>\n"
          "  <key id=\"first_seen\" for=\"all\" attr.name=\"first_seen\" attr.type=\"string\"/>\n"
          "  <key id=\"last_seen\" for=\"all\" attr.name=\"last_seen\" attr.type=\"string\"/>\n"
          "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"double\"/>\n",
          f);
    if (actor)
        fputs("  <key id=\"actor\" for=\"node\" attr.name=\"actor\" attr.type=\"string\"/>\n", f);
    if (o->with_community)
        fputs("  <key id=\"community\" for=\"node\" attr.name=\"community\" attr.type=\"int\"/>\n",
              f);
    if (o->with_measures)
        fputs("  <key id=\"degree\" for=\"node\" attr.name=\"degree\" attr.type=\"int\"/>\n"
              "  <key id=\"wdegree\" for=\"node\" attr.name=\"weighted_degree\" "
              "attr.type=\"double\"/>\n"
              "  <key id=\"betweenness\" for=\"node\" attr.name=\"betweenness\" "
              "attr.type=\"double\"/>\n",
              f);
    fprintf(f, "  <graph id=\"%s\" edgedefault=\"%s\">\n", st_map_net_name(st_map_graph_net(g)),
            st_map_graph_directed(g) ? "directed" : "undirected");
    for (size_t i = 0; i < nn; i++) {
        const st_map_node *n = &nd[i];
        fprintf(f, "    <node id=\"n%zu\"><data key=\"label\">", i);
        xml_text(f, n->name, n->len);
        fprintf(f, "</data><data key=\"kind\">%s</data><data key=\"count\">%lld</data>",
                st_map_kind_name(n->kind), (long long)n->count);
        if (n->has_time) {
            st_map_export_time(n->first, t, sizeof(t));
            fprintf(f, "<data key=\"first_seen\">%s</data>", t);
            st_map_export_time(n->last, t, sizeof(t));
            fprintf(f, "<data key=\"last_seen\">%s</data>", t);
        }
        if (actor && n->actor) {
            fputs("<data key=\"actor\">", f);
            xml_str(f, n->actor);
            fputs("</data>", f);
        }
        if (o->with_community) fprintf(f, "<data key=\"community\">%d</data>", n->community);
        if (o->with_measures)
            fprintf(f,
                    "<data key=\"degree\">%.0f</data><data key=\"wdegree\">%.17g</data>"
                    "<data key=\"betweenness\">%.17g</data>",
                    n->degree, n->wdegree, n->betweenness);
        fputs("</node>\n", f);
    }
    for (size_t k = 0; k < ne; k++) {
        const st_map_edge *e = &ed[k];
        fprintf(f, "    <edge id=\"e%zu\" source=\"n%d\" target=\"n%d\">", k, e->u, e->v);
        fprintf(f, "<data key=\"weight\">%.17g</data>", e->weight);
        if (e->has_time) {
            st_map_export_time(e->first, t, sizeof(t));
            fprintf(f, "<data key=\"first_seen\">%s</data>", t);
            st_map_export_time(e->last, t, sizeof(t));
            fprintf(f, "<data key=\"last_seen\">%s</data>", t);
        }
        fputs("</edge>\n", f);
    }
    fputs("  </graph>\n</graphml>\n", f);
    return finish(f);
}

int st_map_export_csv_nodes(st_map_graph *g, FILE *f, const st_map_export_opts *o)
{
    if (!g || !f || !o) return -EINVAL;
    const st_map_node *nd = st_map_graph_nodes(g);
    int actor = any_actor(g);
    fputs("Id,Label,kind,count,first_seen,last_seen", f);
    if (actor) fputs(",actor", f);
    if (o->with_community) fputs(",community", f);
    if (o->with_measures) fputs(",degree,weighted_degree,betweenness", f);
    fputs("\r\n", f);
    for (size_t i = 0; i < st_map_graph_nnodes(g); i++) {
        const st_map_node *n = &nd[i];
        fprintf(f, "n%zu,", i);
        csv_text(f, n->name, n->len);
        fprintf(f, ",%s,%lld,", st_map_kind_name(n->kind), (long long)n->count);
        time_or_empty(f, n->has_time, n->first);
        fputc(',', f);
        time_or_empty(f, n->has_time, n->last);
        if (actor) {
            fputc(',', f);
            if (n->actor) csv_text(f, n->actor, strlen(n->actor));
        }
        if (o->with_community) fprintf(f, ",%d", n->community);
        if (o->with_measures)
            fprintf(f, ",%.0f,%.17g,%.17g", n->degree, n->wdegree, n->betweenness);
        fputs("\r\n", f);
    }
    return finish(f);
}

int st_map_export_csv_edges(st_map_graph *g, FILE *f, const st_map_export_opts *o)
{
    if (!g || !f || !o) return -EINVAL;
    const st_map_edge *ed = st_map_graph_edges(g);
    const char *type = st_map_graph_directed(g) ? "Directed" : "Undirected";
    fputs("Source,Target,Type,Weight,first_seen,last_seen\r\n", f);
    for (size_t k = 0; k < st_map_graph_nedges(g); k++) {
        const st_map_edge *e = &ed[k];
        fprintf(f, "n%d,n%d,%s,%.17g,", e->u, e->v, type, e->weight);
        time_or_empty(f, e->has_time, e->first);
        fputc(',', f);
        time_or_empty(f, e->has_time, e->last);
        fputs("\r\n", f);
    }
    return finish(f);
}
