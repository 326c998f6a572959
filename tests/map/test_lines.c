/* Unit tests for the JSON Lines reader: CRLF, last line without newline, overlong lines. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/map_lines.h"

static int open_text(const char *text, size_t n)
{
    char path[] = "/tmp/st_map_linesXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    if (write(fd, text, n) != (ssize_t)n) return -1;
    lseek(fd, 0, SEEK_SET);
    unlink(path);
    return fd;
}

static void test_lines(void)
{
    const char text[] = "one\r\n\ntwo\n0123456789ABCDEF\nthree";
    int fd = open_text(text, sizeof(text) - 1);
    st_map_lines *r = st_map_lines_new(fd, 10);
    const char *l;
    size_t n;
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK(n == 3 && !memcmp(l, "one", 3));
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK(n == 3 && !memcmp(l, "two", 3));
    CHECK_EQ_INT(st_map_lines_lineno(r), 3);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), -E2BIG);
    CHECK_EQ_INT(st_map_lines_lineno(r), 4);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK(n == 5 && !memcmp(l, "three", 5));
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 0);
    st_map_lines_free(r);
    close(fd);
}

static void test_long_stream(void)
{
    /* Lines much longer than the read chunk are skipped without buffering them. */
    size_t big = 300000;
    char *text = malloc(big + 64);
    size_t k = 0;
    k += (size_t)sprintf(text, "{\"a\":1}\n");
    memset(text + k, 'x', big);
    k += big;
    k += (size_t)sprintf(text + k, "\n{\"b\":2}\n");
    int fd = open_text(text, k);
    st_map_lines *r = st_map_lines_new(fd, 1000);
    const char *l;
    size_t n;
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), -E2BIG);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 1);
    CHECK(n == 7 && !memcmp(l, "{\"b\":2}", 7));
    CHECK_EQ_INT(st_map_lines_lineno(r), 3);
    CHECK_EQ_INT(st_map_lines_next(r, &l, &n), 0);
    st_map_lines_free(r);
    close(fd);
    free(text);
    CHECK(st_map_lines_new(-1, 10) == NULL);
    CHECK(st_map_lines_new(0, 0) == NULL);
    st_map_lines_free(NULL);
}

int main(void)
{
    RUN(test_lines);
    RUN(test_long_stream);
    return TEST_END("map/lines");
}
