/* Unit tests for music: parameters, unknown programmes, an unreachable MPD is pending with
 * back-off. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/music.h"

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd); /* nothing listens there now */
    return ntohs(sa.sin_port);
}

static void test_params(void)
{
    st_music_params p;
    char err[200];
    st_music_params_default(&p);
    CHECK_EQ_INT(st_music_params_check(&p, err, sizeof(err)), 0);
    CHECK_EQ_INT(p.nprogrammes, 3);
    p.volume_cap = 101;
    CHECK_EQ_INT(st_music_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "volume_cap") != NULL);
    CHECK(st_music_new(&p, NULL) == NULL && errno == EINVAL);
    st_music_params_default(&p);
    p.programmes[0].crossfade_s = 99;
    CHECK_EQ_INT(st_music_params_check(&p, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "calm") != NULL);
}

static void test_unreachable(void)
{
    st_music_params p;
    st_music_params_default(&p);
    p.port = closed_port();
    p.backoff_min_s = 0.2;
    p.backoff_max_s = 0.4;
    st_music *m = st_music_new(&p, NULL);
    CHECK(m != NULL);
    if (!m) return;
    CHECK_EQ_INT(st_music_play(m, "disco", "z1", 10), -ENOENT);
    CHECK_EQ_INT(st_music_play(m, "calm", "z1", 10), -ECONNREFUSED);
    const st_music_record *r = st_music_last(m);
    CHECK_STR(r->programme, "calm");
    CHECK_STR(r->zone, "z1");
    CHECK_EQ_INT(r->ok, 0);
    CHECK(strstr(r->was, "unreachable") != NULL);
    unsigned fails;
    double next;
    st_music_retry_info(m, &fails, &next);
    CHECK(fails >= 1);
    CHECK(next > 0 && next <= 0.4 + 1e-9);
    /* Ticks inside the back-off do not hammer MPD; after it, they retry. */
    CHECK_EQ_INT(st_music_tick(m, 0), 0);
    unsigned fails2;
    st_music_retry_info(m, &fails2, NULL);
    CHECK_EQ_INT(fails2, fails);
    usleep(450000);
    CHECK(st_music_tick(m, 0) < 0);
    st_music_retry_info(m, &fails2, &next);
    CHECK(fails2 > fails);
    CHECK(next <= 0.4 + 1e-9); /* back-off capped */
    st_music_status s;
    CHECK(st_music_status_get(m, &s) < 0);
    CHECK_EQ_INT(s.connected, 0);
    st_music_free(m);
    st_music_free(NULL);
}

int main(void)
{
    RUN(test_params);
    RUN(test_unreachable);
    return TEST_END("act/music");
}
