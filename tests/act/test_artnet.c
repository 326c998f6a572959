/* Unit tests for the Art-Net 4 encoder and sender: byte-exact ArtDmx and ArtSync. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/artnet.h"

static void test_dmx(void)
{
    uint8_t slots[3] = {1, 2, 3}, buf[600];
    int n = st_artnet_encode_dmx(buf, sizeof(buf), 5, 0, 0x1234, slots, 3);
    /* ID, OpCode 0x5000 little-endian, ProtVer 14 big-endian, Sequence, Physical,
     * SubUni, Net, Length big-endian (padded to even), data. */
    static const uint8_t e[22] = {'A', 'r',  't',  '-',  'N',  'e',  't',  0, 0x00, 0x50, 0x00,
                                  14,  0x05, 0x00, 0x34, 0x12, 0x00, 0x04, 1, 2,    3,    0};
    CHECK_EQ_INT(n, 22);
    CHECK(memcmp(buf, e, 22) == 0);
    uint8_t full[512];
    for (int i = 0; i < 512; i++) full[i] = (uint8_t)i;
    n = st_artnet_encode_dmx(buf, sizeof(buf), 0, 1, 32767, full, 512);
    CHECK_EQ_INT(n, 530);
    CHECK_EQ_INT(buf[14], 0xff);
    CHECK_EQ_INT(buf[15], 0x7f);
    CHECK_EQ_INT(buf[16], 0x02);
    CHECK_EQ_INT(buf[17], 0x00);
    CHECK(memcmp(buf + 18, full, 512) == 0);
    CHECK_EQ_INT(st_artnet_encode_dmx(buf, sizeof(buf), 0, 0, 32768, full, 2), -EINVAL);
    CHECK_EQ_INT(st_artnet_encode_dmx(buf, sizeof(buf), 0, 0, 1, full, 0), -EINVAL);
    CHECK_EQ_INT(st_artnet_encode_dmx(buf, 100, 0, 0, 1, full, 512), -ENOSPC);
}

static void test_sync(void)
{
    uint8_t buf[20];
    static const uint8_t e[14] = {'A', 'r', 't', '-', 'N', 'e', 't', 0, 0x00, 0x52, 0, 14, 0, 0};
    CHECK_EQ_INT(st_artnet_encode_sync(buf, sizeof(buf)), 14);
    CHECK(memcmp(buf, e, 14) == 0);
    CHECK_EQ_INT(st_artnet_encode_sync(buf, 13), -ENOSPC);
}

static void test_sender(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    st_artnet_params p;
    st_artnet_params_default(&p);
    p.port = ntohs(sa.sin_port);
    p.sync = 1;
    st_artnet *a = st_artnet_new(&p, NULL);
    CHECK(a != NULL);
    if (!a) return;
    uint8_t slots[2] = {9, 8}, buf[600];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    /* Sequence runs 1..255 and wraps to 1, never 0 (0 disables sequencing). */
    for (int i = 0; i < 256; i++) {
        CHECK_EQ_INT(st_artnet_send(a, 7, slots, 2), 0);
        CHECK_EQ_INT(poll(&pfd, 1, 1000), 1);
        CHECK_EQ_INT(recv(fd, buf, sizeof(buf), 0), 20);
        if (i == 0) CHECK_EQ_INT(buf[12], 1);
        if (i == 254) CHECK_EQ_INT(buf[12], 255);
        if (i == 255) CHECK_EQ_INT(buf[12], 1);
    }
    CHECK_EQ_INT(buf[14], 7);
    CHECK_EQ_INT(st_artnet_sync(a), 0);
    CHECK_EQ_INT(poll(&pfd, 1, 1000), 1);
    CHECK_EQ_INT(recv(fd, buf, sizeof(buf), 0), 14);
    CHECK_EQ_INT(buf[9], 0x52);
    st_artnet_free(a);
    st_artnet_free(NULL);
    close(fd);
    snprintf(p.dest, sizeof(p.dest), "not-an-ip");
    CHECK(st_artnet_new(&p, NULL) == NULL && errno == EINVAL);
}

int main(void)
{
    RUN(test_dmx);
    RUN(test_sync);
    RUN(test_sender);
    return TEST_END("act/artnet");
}
