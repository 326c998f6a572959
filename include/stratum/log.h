/* Leveled, timestamped logging to a stream; handles travel in context structs. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_LOG_H
#define STRATUM_LOG_H

#include <stdio.h>

typedef enum st_log_level { ST_LOG_DEBUG, ST_LOG_INFO, ST_LOG_WARN, ST_LOG_ERROR } st_log_level;

typedef struct st_log st_log; /* opaque */

/* Log to `out` (borrowed; not closed) messages at `min` or above. NULL on ENOMEM. */
st_log *st_log_new(FILE *out, st_log_level min);
void st_log_free(st_log *log);
void st_log_set_level(st_log *log, st_log_level min);
/* One line: "<ISO time> <level> <module>: <message>". log may be NULL (silent). */
void st_log_msg(st_log *log, st_log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define st_debug(log, mod, ...) st_log_msg((log), ST_LOG_DEBUG, (mod), __VA_ARGS__)
#define st_info(log, mod, ...)  st_log_msg((log), ST_LOG_INFO, (mod), __VA_ARGS__)
#define st_warn(log, mod, ...)  st_log_msg((log), ST_LOG_WARN, (mod), __VA_ARGS__)
#define st_error(log, mod, ...) st_log_msg((log), ST_LOG_ERROR, (mod), __VA_ARGS__)

#endif
