/* Unit tests for the logging actuator (src/act/act_log.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>

#include "st_test.h"
#include "stratum/actuator.h"

static st_intervention sample(void)
{
    st_intervention iv;
    memset(&iv, 0, sizeof(iv));
    iv.t = 1719000000;
    snprintf(iv.zone, sizeof(iv.zone), "z2");
    iv.kind = ST_ACT_SCENE;
    snprintf(iv.name, sizeof(iv.name), "calm-warm");
    snprintf(iv.rule, sizeof(iv.rule), "calm-tense");
    iv.from = ST_LIVELY;
    iv.to = ST_TENSE;
    snprintf(iv.reason, sizeof(iv.reason), "z2 lively->tense (score 0.61) matched rule calm-tense");
    return iv;
}

static void test_logs_one_line(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK(out != NULL);
    if (!out) return;
    st_log *log = st_log_new(out, ST_LOG_INFO);
    st_actuator a = st_act_log_new(log);
    CHECK(a.ops != NULL);
    CHECK_STR(a.ops->name, "log");
    st_intervention iv = sample();
    CHECK_EQ_INT(a.ops->apply(a.self, &iv), 0);
    iv.kind = ST_ACT_ALERT;
    snprintf(iv.name, sizeof(iv.name), "warning");
    CHECK_EQ_INT(a.ops->apply(a.self, &iv), 0);
    if (a.ops->free) a.ops->free(a.self);
    st_log_free(log);
    fclose(out);
    CHECK(strstr(text, " info  act: zone z2: scene calm-warm (rule calm-tense): z2 "
                       "lively->tense (score 0.61) matched rule calm-tense\n") != NULL);
    CHECK(strstr(text, "act: zone z2: alert warning (rule calm-tense): ") != NULL);
    int lines = 0;
    for (const char *c = text; *c; c++) lines += *c == '\n';
    CHECK_EQ_INT(lines, 2);
    free(text);
}

static void test_level_and_null_log(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        CHECK(0);
        return;
    }
    st_log *log = st_log_new(out, ST_LOG_WARN); /* info lines filtered out */
    st_actuator a = st_act_log_new(log);
    st_intervention iv = sample();
    CHECK_EQ_INT(a.ops->apply(a.self, &iv), 0);
    st_log_free(log);
    fclose(out);
    CHECK_EQ_INT(len, 0);
    free(text);
    st_actuator silent = st_act_log_new(NULL); /* no log: applies silently */
    CHECK_EQ_INT(silent.ops->apply(silent.self, &iv), 0);
}

int main(void)
{
    RUN(test_logs_one_line);
    RUN(test_level_and_null_log);
    return TEST_END("act/act_log");
}
