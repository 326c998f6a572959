/* Leveled, timestamped logging to a stream. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include "stratum/log.h"

struct st_log {
    FILE *out;
    st_log_level min;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

st_log *st_log_new(FILE *out, st_log_level min)
{
    st_log *log = calloc(1, sizeof(*log));
    if (!log) return NULL;
    log->out = out;
    log->min = min;
    return log;
}

void st_log_free(st_log *log)
{
    free(log);
}

void st_log_set_level(st_log *log, st_log_level min)
{
    if (log) log->min = min;
}

void st_log_msg(st_log *log, st_log_level lvl, const char *module, const char *fmt, ...)
{
    if (!log || !log->out || lvl < log->min) return;
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line keeps lines whole when several threads log. */
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(log->out, "%s.%03ldZ %-5s %s: %s\n", when, ts.tv_nsec / 1000000L,
            level_names[lvl <= ST_LOG_ERROR ? lvl : ST_LOG_ERROR], module ? module : "-", msg);
}
