/* Unit tests for timelines: bins, zeros between bins, series ranking, CSV and SVG output. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/map_timeline.h"

static char *render_csv(st_map_timeline *tl, size_t top)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ_INT(st_map_timeline_write_csv(tl, f, top), 0);
    fclose(f);
    return buf;
}

static void test_counts_csv(void)
{
    st_map_timeline *tl = st_map_timeline_new(3600);
    int64_t t0 = 1420628400; /* 2015-01-07T11:00:00Z */
    CHECK_EQ_INT(st_map_timeline_add(tl, "paris", 5, t0 + 10), 0);
    CHECK_EQ_INT(st_map_timeline_add(tl, "paris", 5, t0 + 3599), 0);
    CHECK_EQ_INT(st_map_timeline_add(tl, "paris", 5, t0 + 3 * 3600), 0);
    CHECK_EQ_INT(st_map_timeline_add(tl, "Afp", 3, t0 + 3600), 0);
    CHECK_EQ_INT(st_map_timeline_total(tl), 4);
    CHECK_EQ_INT(st_map_timeline_nseries(tl), 2);
    CHECK_EQ_INT(st_map_timeline_get(tl, "paris", 5, t0), 2);
    CHECK_EQ_INT(st_map_timeline_get(tl, "paris", 5, t0 + 3600), 0);
    CHECK_EQ_INT(st_map_timeline_get(tl, "afp", 3, t0 + 3600), 0); /* names keep their case */
    CHECK_EQ_INT(st_map_timeline_get(tl, "Afp", 3, t0 + 3600), 1);
    char *csv = render_csv(tl, 0);
    CHECK_STR(csv, "interval_start,series,posts\r\n"
                   "2015-01-07T11:00:00Z,paris,2\r\n"
                   "2015-01-07T12:00:00Z,paris,0\r\n"
                   "2015-01-07T13:00:00Z,paris,0\r\n"
                   "2015-01-07T14:00:00Z,paris,1\r\n"
                   "2015-01-07T11:00:00Z,Afp,0\r\n"
                   "2015-01-07T12:00:00Z,Afp,1\r\n"
                   "2015-01-07T13:00:00Z,Afp,0\r\n"
                   "2015-01-07T14:00:00Z,Afp,0\r\n");
    free(csv);
    csv = render_csv(tl, 1); /* top 1: paris only */
    CHECK(strstr(csv, "Afp") == NULL);
    free(csv);
    st_map_timeline_free(tl);
    /* bins before 1970 floor, not truncate */
    tl = st_map_timeline_new(60);
    st_map_timeline_add(tl, "x", 1, -1);
    CHECK_EQ_INT(st_map_timeline_get(tl, "x", 1, -60), 1);
    CHECK_EQ_INT(st_map_timeline_get(tl, "x", 1, 0), 0);
    st_map_timeline_free(tl);
    CHECK(st_map_timeline_new(0) == NULL);
    st_map_timeline_free(NULL);
}

static void test_svg(void)
{
    st_map_timeline *tl = st_map_timeline_new(600);
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s<%d>", i);
        for (int k = 0; k <= i; k++)
            st_map_timeline_add(tl, name, strlen(name), 1420628400 + 600 * k);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ_INT(st_map_timeline_write_svg(tl, f, 0, "a & b"), 0);
    fclose(f);
    CHECK(strstr(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    CHECK(strstr(buf, "a &amp; b") != NULL);
    int lines = 0;
    for (const char *s = buf; (s = strstr(s, "<polyline")); s++) lines++;
    CHECK_EQ_INT(lines, 10);                        /* at most ten series drawn */
    CHECK(strstr(buf, "s&lt;11&gt; (12)") != NULL); /* largest series in the legend */
    CHECK(strstr(buf, "s&lt;0&gt;") == NULL);
    CHECK(strstr(buf, "</svg>") != NULL);
    free(buf);
    st_map_timeline_free(tl);
    /* a long non-ASCII name is cut between characters, never inside one */
    tl = st_map_timeline_new(60);
    char name[64] = "a";
    for (int i = 0; i < 15; i++) strcat(name, "\xc3\xa9");
    st_map_timeline_add(tl, name, strlen(name), 0);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ_INT(st_map_timeline_write_svg(tl, f, 1, NULL), 0);
    fclose(f);
    CHECK(strstr(buf, "\xef\xbf\xbd") == NULL);
    CHECK(strstr(
              buf,
              "a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..."
              " (1)") != NULL);
    free(buf);
    st_map_timeline_free(tl);
    /* an empty timeline still gives a valid picture */
    tl = st_map_timeline_new(60);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ_INT(st_map_timeline_write_svg(tl, f, 5, NULL), 0);
    fclose(f);
    CHECK(strstr(buf, "no posts with a time") != NULL);
    free(buf);
    st_map_timeline_free(tl);
}

int main(void)
{
    RUN(test_counts_csv);
    RUN(test_svg);
    return TEST_END("map/timeline");
}
