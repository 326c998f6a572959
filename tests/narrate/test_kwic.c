/* Unit tests of concordances and collocations on a generated corpus. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/narrate_kwic.h"

static char dir[64];

static void test_kwic_colloc(void)
{
    char p[256], err[256];
    snprintf(p, sizeof(p), "%s/a.txt", dir);
    FILE *f = fopen(p, "w");
    /* "ransomware" always follows "criminal"; filler words elsewhere. */
    for (int i = 0; i < 20; i++)
        fprintf(f, "The criminal ransomware spread fast. Other words here. ");
    fclose(f);
    const char *ds = "[threat]\nransomware\n";
    st_dict *d = st_dict_parse(ds, strlen(ds), "t", err, sizeof(err));
    st_corpus *c = st_corpus_open(dir, NULL, err, sizeof(err));
    CHECK(d && c);
    if (!d || !c) return;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    long n = st_kwic_write(m, c, d, -1, 2, ST_KWIC_TSV);
    fclose(m);
    CHECK_EQ_INT(n, 20);
    CHECK(strstr(buf, "a.txt\t1\t2\tthreat\transomware\tThe criminal\transomware\tspread fast\n") !=
          NULL);
    CHECK(strstr(buf, "a.txt\t3\t") != NULL); /* sentence numbers advance */
    free(buf);
    st_vocab *v = st_vocab_new(64);
    st_colloc *cl;
    size_t nc;
    long nodes, slots, total;
    CHECK_EQ_INT(st_colloc_compute(c, d, -1, 1, 3, v, &cl, &nc, &nodes, &slots, &total), 0);
    CHECK_EQ_INT(nodes, 20);
    CHECK_EQ_INT(slots, 40);
    CHECK_EQ_INT(total, 160);
    CHECK(nc == 2);
    if (nc == 2) {
        /* criminal and spread: each 20 of 20 in the windows, tied, so sorted by word */
        CHECK_STR(cl[0].word, "criminal");
        CHECK_EQ_INT(cl[0].o11, 20);
        CHECK_NEAR(cl[0].e11, 40.0 * 20 / 160, 1e-9);
        CHECK(cl[0].g2 > 30);
    }
    free(cl);
    st_vocab_free(v);
    st_corpus_free(c);
    st_dict_free(d);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/st-kwic-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    RUN(test_kwic_colloc);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return TEST_END("narrate/kwic");
}
