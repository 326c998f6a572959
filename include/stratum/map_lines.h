/* Line reader for JSON Lines input: fixed buffer, overlong lines skipped and reported. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_MAP_LINES_H
#define STRATUM_MAP_LINES_H

#include <stddef.h>

typedef struct st_map_lines st_map_lines;

/* Reader over the file descriptor fd (borrowed; the caller closes it) for
 * lines of at most max_line bytes. read(2) returns what a pipe has, so a live
 * stream's lines come as they arrive. The buffer is sized here; reading
 * allocates nothing. NULL + errno (EINVAL, ENOMEM). */
st_map_lines *st_map_lines_new(int fd, size_t max_line);
void st_map_lines_free(st_map_lines *r);

/* Next line without its "\n" or "\r\n". *line is borrowed until the next
 * call. Returns 1, 0 at the end of input, -E2BIG for a line longer than
 * max_line (it is skipped; st_map_lines_lineno names it), or -EIO. */
int st_map_lines_next(st_map_lines *r, const char **line, size_t *len);

/* 1-based number of the line last returned (or skipped). */
long st_map_lines_lineno(const st_map_lines *r);

#endif
