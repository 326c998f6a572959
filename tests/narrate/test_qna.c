/* Unit tests of the QNA build: counts by actor and action, network files, review errors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/narrate_qna.h"

static char dir[64];

static char *slurp(const char *name)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put(const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/t.tsv", dir);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void test_build(void)
{
    char p[256], err[512];
    snprintf(p, sizeof(p), "%s/t.tsv", dir);
    put("# comment\nid\tsubject\taction\tobject\tstatus\n"
        "1\tCriminals\ttarget\tcritical infrastructure\taccepted\n"
        "2\tcriminals\ttarget\tCritical  Infrastructure\tedited\n"
        "3\tTerrorists\tuse\tsocial media\taccepted\n"
        "4\tX\tY\tZ\trejected\n"
        "5\tGovernment\tprotect\t\tproposed\n"
        "6\tpolice & co\tstop\t\"gangs\"\taccepted\n");
    st_qna_stats s;
    CHECK_EQ_INT(st_qna_build(p, dir, &s, err, sizeof(err)), 0);
    CHECK_EQ_INT(s.rows, 6);
    CHECK_EQ_INT(s.accepted, 4);
    CHECK_EQ_INT(s.rejected, 1);
    CHECK_EQ_INT(s.proposed, 1);
    CHECK_EQ_INT(s.actors, 6);
    CHECK_EQ_INT(s.edges, 3);
    char *a = slurp("actors.tsv");
    CHECK(a && strstr(a, "actor\tas_subject\tas_object\ttotal\ncriminals\t2\t0\t2\n"
                         "critical infrastructure\t0\t2\t2\n"));
    a = slurp("edges.csv");
    CHECK(a && strstr(a, "\"criminals\",\"critical infrastructure\",\"target\",2\r\n"));
    CHECK(a && strstr(a, "\"police & co\",\"\"\"gangs\"\"\",\"stop\",1\r\n"));
    a = slurp("network.gexf");
    CHECK(a && strstr(a, "<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">"));
    CHECK(a && strstr(a, "label=\"police &amp; co\""));
    CHECK(a && strstr(a, "weight=\"2\""));
    a = slurp("actions.tsv");
    CHECK(a && strstr(a, "action\tcount\ntarget\t2\n"));
    /* A bad status names file and line; nothing is written for it. */
    put("id\tsubject\taction\tobject\tstatus\n1\ta\tb\tc\tmaybe\n");
    CHECK_EQ_INT(st_qna_build(p, dir, &s, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "t.tsv:2: status 'maybe'") != NULL);
    put("id\tsubject\n");
    CHECK_EQ_INT(st_qna_build(p, dir, &s, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "t.tsv:1: header") != NULL);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-qna-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_build);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return TEST_END("narrate/qna");
}
