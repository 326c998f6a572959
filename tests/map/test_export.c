/* Unit tests for GEXF, GraphML and CSV export: weights, attributes, escaping, time ranges. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/map_export.h"

static st_map_graph *small(void)
{
    st_map_graph *g = st_map_graph_new(ST_MAP_NET_COHASHTAG);
    int32_t a, b, c;
    st_map_graph_node(g, "Paris", 5, ST_MAP_KIND_HASHTAG, &a);
    st_map_graph_node(g, "a<b>&\"c\",d", 10, ST_MAP_KIND_HASHTAG, &b);
    st_map_graph_node(g, "bad\xff\x01utf8", 9, ST_MAP_KIND_HASHTAG, &c);
    st_map_graph_hit(g, a, 1420628768, 1);
    st_map_graph_hit(g, a, 1420632000, 1);
    st_map_graph_hit(g, b, 1420632000, 1);
    st_map_graph_hit(g, c, 0, 0);
    st_map_graph_edge(g, a, b, 1, 1420628768, 1);
    st_map_graph_edge(g, a, b, 2, 1420632000, 1);
    st_map_graph_edge(g, b, c, 1, 0, 0);
    st_map_graph_nodes(g)[a].community = 3;
    return g;
}

static char *render(int (*fn)(st_map_graph *, FILE *, const st_map_export_opts *), st_map_graph *g,
                    const st_map_export_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ_INT(fn(g, f, o), 0);
    fclose(f);
    return buf;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s++) n++;
    return n;
}

static void test_gexf(void)
{
    st_map_graph *g = small();
    st_map_export_opts o = {.with_community = 1, .with_measures = 1};
    char *x = render(st_map_export_gexf, g, &o);
    CHECK(strstr(x, "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">") != NULL);
    CHECK(strstr(x, "mode=\"static\"") != NULL);
    CHECK(strstr(x, "defaultedgetype=\"undirected\"") != NULL);
    CHECK(strstr(x, "label=\"paris\"") != NULL); /* folded */
    CHECK(strstr(x, "label=\"a&lt;b&gt;&amp;&quot;c&quot;,d\"") != NULL);
    CHECK(strstr(x, "label=\"bad\xef\xbf\xbd utf8\"") != NULL);
    CHECK(strstr(x, "source=\"n0\" target=\"n1\" weight=\"3\"") != NULL);
    CHECK_EQ_INT(count_of(x, "<edge "), 2);
    CHECK_EQ_INT(count_of(x, " weight=\""), 2); /* every edge */
    CHECK(strstr(x, "<attvalue for=\"community\" value=\"3\"/>") != NULL);
    CHECK(strstr(x, "<attvalue for=\"first_seen\" value=\"2015-01-07T11:06:08Z\"/>") != NULL);
    CHECK(strstr(x, " start=") == NULL); /* static: no time attributes */
    free(x);
    o.dynamic = 1;
    x = render(st_map_export_gexf, g, &o);
    CHECK(strstr(x, "mode=\"dynamic\" timeformat=\"dateTime\" timerepresentation=\"interval\"") !=
          NULL);
    CHECK(strstr(x, "start=\"2015-01-07T11:06:08Z\" end=\"2015-01-07T12:00:00Z\"") != NULL);
    CHECK_EQ_INT(count_of(x, "timestamp"), 0); /* one representation only */
    CHECK_EQ_INT(count_of(x, "<spell"), 0);
    free(x);
    st_map_graph_free(g);
}

static void test_graphml_csv(void)
{
    st_map_graph *g = small();
    st_map_export_opts o = {0};
    char *x = render(st_map_export_graphml, g, &o);
    CHECK(strstr(x, "<graph id=\"cohashtag\" edgedefault=\"undirected\">") != NULL);
    CHECK(strstr(x, "<data key=\"weight\">3</data>") != NULL);
    CHECK(strstr(x, "community") == NULL);
    free(x);
    x = render(st_map_export_csv_edges, g, &o);
    CHECK_STR(x, "Source,Target,Type,Weight,first_seen,last_seen\r\n"
                 "n0,n1,Undirected,3,2015-01-07T11:06:08Z,2015-01-07T12:00:00Z\r\n"
                 "n1,n2,Undirected,1,,\r\n");
    free(x);
    x = render(st_map_export_csv_nodes, g, &o);
    CHECK(strstr(x, "n1,\"a<b>&\"\"c\"\",d\",hashtag,1,") != NULL);
    free(x);
    st_map_graph_free(g);
    char t[32];
    st_map_export_time(0, t, sizeof(t));
    CHECK_STR(t, "1970-01-01T00:00:00Z");
    st_map_export_time(951782400, t, sizeof(t));
    CHECK_STR(t, "2000-02-29T00:00:00Z");
    st_map_export_time(-1, t, sizeof(t));
    CHECK_STR(t, "1969-12-31T23:59:59Z");
}

int main(void)
{
    RUN(test_gexf);
    RUN(test_graphml_csv);
    return TEST_END("map/export");
}
