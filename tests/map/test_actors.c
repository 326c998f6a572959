/* Unit tests for the actor-type table: hosts from URLs, parent-domain lookup, file errors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/map_actors.h"

static void test_domain(void)
{
    char d[64];
    const char *u = "HTTPS://user@WWW.Example.ORG:8443/a?b#c";
    CHECK_EQ_INT(st_map_actors_domain(u, strlen(u), d, sizeof(d)), 11);
    CHECK_STR(d, "example.org");
    u = "bbc.co.uk/news";
    CHECK_EQ_INT(st_map_actors_domain(u, strlen(u), d, sizeof(d)), 9);
    CHECK_STR(d, "bbc.co.uk");
    u = "http:///nohost";
    CHECK(st_map_actors_domain(u, strlen(u), d, sizeof(d)) < 0);
    u = "http://a-very-long-host-name.example.org/";
    CHECK(st_map_actors_domain(u, strlen(u), d, 8) < 0);
}

static void test_table(void)
{
    char path[] = "/tmp/st_map_actorsXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("# url\tactor\nhttps://www.gov.uk/x\tnational government\nbbc.co.uk\tmedia\n"
          "sport.bbc.co.uk\tsport media\n\n",
          f);
    fclose(f);
    char err[256];
    st_map_actors *a = st_map_actors_load(path, err, sizeof(err));
    CHECK(a != NULL);
    CHECK_EQ_INT(st_map_actors_count(a), 3);
    CHECK_STR(st_map_actors_lookup(a, "gov.uk", 6), "national government");
    CHECK_STR(st_map_actors_lookup(a, "news.bbc.co.uk", 14), "media");
    CHECK_STR(st_map_actors_lookup(a, "live.sport.bbc.co.uk", 20), "sport media"); /* longest */
    CHECK(st_map_actors_lookup(a, "notbbc.co.uk", 12) == NULL); /* whole labels only */
    st_map_actors_free(a);
    f = fopen(path, "w");
    fputs("bbc.co.uk\tmedia\nno tab here\n", f);
    fclose(f);
    CHECK(st_map_actors_load(path, err, sizeof(err)) == NULL);
    CHECK(strstr(err, ":2: expected") != NULL);
    unlink(path);
    CHECK(st_map_actors_load(path, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "No such file") != NULL);
    st_map_actors_free(NULL);
}

int main(void)
{
    RUN(test_domain);
    RUN(test_table);
    return TEST_END("map/actors");
}
