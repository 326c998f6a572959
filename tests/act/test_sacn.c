/* Unit tests for the sACN encoder and sender: byte-exact packets (E1.31-2018 Tables 4-1, 4-2). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/sacn.h"

static const uint8_t cid[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x47, 0x08,
                                0x89, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};

/* The expected header, octet by octet, written from the spec table rather
 * than from the encoder's helpers. */
static void expect_header(uint8_t *e, size_t nslots, uint8_t seq, uint8_t opt, uint16_t univ)
{
    size_t total = 126 + nslots;
    memset(e, 0, 126);
    e[0] = 0x00, e[1] = 0x10;             /* preamble size */
    e[2] = 0x00, e[3] = 0x00;             /* post-amble size */
    memcpy(e + 4, "ASC-E1.17\0\0\0", 12); /* ACN packet identifier */
    e[16] = (uint8_t)(0x70 | ((total - 16) >> 8)), e[17] = (uint8_t)(total - 16);
    e[18] = 0, e[19] = 0, e[20] = 0, e[21] = 0x04; /* VECTOR_ROOT_E131_DATA */
    memcpy(e + 22, cid, 16);
    e[38] = (uint8_t)(0x70 | ((total - 38) >> 8)), e[39] = (uint8_t)(total - 38);
    e[40] = 0, e[41] = 0, e[42] = 0, e[43] = 0x02; /* VECTOR_E131_DATA_PACKET */
    memcpy(e + 44, "street", 6);                   /* source name, NUL padded */
    e[108] = 150;                                  /* priority */
    e[109] = 0x00, e[110] = 0x07;                  /* sync address 7 */
    e[111] = seq;
    e[112] = opt;
    e[113] = (uint8_t)(univ >> 8), e[114] = (uint8_t)univ;
    e[115] = (uint8_t)(0x70 | ((total - 115) >> 8)), e[116] = (uint8_t)(total - 115);
    e[117] = 0x02;                /* VECTOR_DMP_SET_PROPERTY */
    e[118] = 0xa1;                /* address & data type */
    e[119] = 0x00, e[120] = 0x00; /* first property address */
    e[121] = 0x00, e[122] = 0x01; /* address increment */
    e[123] = (uint8_t)((nslots + 1) >> 8), e[124] = (uint8_t)(nslots + 1); /* count */
    e[125] = 0x00;                                                         /* start code */
}

static void test_data_full(void)
{
    uint8_t slots[512], buf[700], e[700];
    for (int i = 0; i < 512; i++) slots[i] = (uint8_t)(i * 7);
    int n = st_sacn_encode_data(buf, sizeof(buf), cid, "street", 150, 7, 42, 0, 0x1234, slots, 512);
    CHECK_EQ_INT(n, 638);
    expect_header(e, 512, 42, 0, 0x1234);
    memcpy(e + 126, slots, 512);
    CHECK(memcmp(buf, e, 638) == 0);
    /* Known literal values for the full packet (Table 4-1). */
    CHECK_EQ_INT(buf[16], 0x72);
    CHECK_EQ_INT(buf[17], 0x6e);
    CHECK_EQ_INT(buf[38], 0x72);
    CHECK_EQ_INT(buf[39], 0x58);
    CHECK_EQ_INT(buf[115], 0x72);
    CHECK_EQ_INT(buf[116], 0x0b);
    CHECK_EQ_INT(buf[123], 0x02);
    CHECK_EQ_INT(buf[124], 0x01); /* 513 */
}

static void test_data_short_and_terminated(void)
{
    uint8_t slots[3] = {255, 128, 1}, buf[200], e[200];
    int n = st_sacn_encode_data(buf, sizeof(buf), cid, "street", 150, 7, 0, 0x40, 1, slots, 3);
    CHECK_EQ_INT(n, 129);
    expect_header(e, 3, 0, 0x40, 1);
    memcpy(e + 126, slots, 3);
    CHECK(memcmp(buf, e, 129) == 0);
}

static void test_data_errors(void)
{
    uint8_t slots[512] = {0}, buf[700];
    CHECK_EQ_INT(st_sacn_encode_data(buf, sizeof(buf), cid, "x", 100, 0, 0, 0, 0, slots, 1),
                 -EINVAL);
    CHECK_EQ_INT(st_sacn_encode_data(buf, sizeof(buf), cid, "x", 100, 0, 0, 0, 64000, slots, 1),
                 -EINVAL);
    CHECK_EQ_INT(st_sacn_encode_data(buf, sizeof(buf), cid, "x", 201, 0, 0, 0, 1, slots, 1),
                 -EINVAL);
    CHECK_EQ_INT(st_sacn_encode_data(buf, 100, cid, "x", 100, 0, 0, 0, 1, slots, 1), -ENOSPC);
    CHECK_EQ_INT(st_sacn_encode_data(buf, sizeof(buf), cid, "x", 100, 0, 0, 0, 63999, slots, 512),
                 638);
    /* A long name is cut to 63 octets and stays NUL-terminated. */
    char longname[100];
    memset(longname, 'n', 99);
    longname[99] = '\0';
    st_sacn_encode_data(buf, sizeof(buf), cid, longname, 100, 0, 0, 0, 1, slots, 1);
    CHECK_EQ_INT(buf[44 + 62], 'n');
    CHECK_EQ_INT(buf[44 + 63], 0);
}

static void test_sync(void)
{
    uint8_t buf[64];
    int n = st_sacn_encode_sync(buf, sizeof(buf), cid, 9, 0x0203);
    CHECK_EQ_INT(n, 49);
    uint8_t e[49] = {0x00, 0x10, 0x00, 0x00, 'A', 'S',  'C',  '-',  'E',  '1',  '.',
                     '1',  '7',  0,    0,    0,   0x70, 0x21, 0x00, 0x00, 0x00, 0x08};
    memcpy(e + 22, cid, 16);
    e[38] = 0x70, e[39] = 0x0b;                    /* flags and length 11 */
    e[40] = 0, e[41] = 0, e[42] = 0, e[43] = 0x01; /* VECTOR_E131_EXTENDED_SYNCHRONIZATION */
    e[44] = 9;                                     /* sequence */
    e[45] = 0x02, e[46] = 0x03;                    /* synchronization address */
    e[47] = 0, e[48] = 0;                          /* reserved */
    CHECK(memcmp(buf, e, 49) == 0);
    CHECK_EQ_INT(st_sacn_encode_sync(buf, sizeof(buf), cid, 0, 0), -EINVAL);
}

static void test_multicast_group(void)
{
    char g[20];
    CHECK_EQ_INT(st_sacn_multicast_group(1, g, sizeof(g)), 0);
    CHECK_STR(g, "239.255.0.1");
    CHECK_EQ_INT(st_sacn_multicast_group(63999, g, sizeof(g)), 0);
    CHECK_STR(g, "239.255.249.255");
    CHECK_EQ_INT(st_sacn_multicast_group(0, g, sizeof(g)), -EINVAL);
}

static void test_cid_persisted(void)
{
    char dir[] = "/tmp/st-sacn-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/cid", dir);
    uint8_t a[16], b[16];
    CHECK_EQ_INT(st_sacn_cid_load(path, a), 0);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_EQ_INT(a[6] >> 4, 4);      /* version 4 */
    CHECK_EQ_INT(a[8] & 0xc0, 0x80); /* RFC 4122 variant */
    CHECK_EQ_INT(st_sacn_cid_load(path, b), 0);
    CHECK(memcmp(a, b, 16) == 0);
    char txt[40];
    st_sacn_cid_format(a, txt, sizeof(txt));
    CHECK_EQ_INT(strlen(txt), 36);
    CHECK_EQ_INT(txt[8], '-');
    FILE *f = fopen(path, "w");
    fputs("not-a-uuid\n", f);
    fclose(f);
    CHECK_EQ_INT(st_sacn_cid_load(path, b), -EINVAL);
    unlink(path);
    rmdir(dir);
}

static int recv_sock(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int recv1(int fd, uint8_t *buf, size_t cap)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 1000) != 1) return -1;
    return (int)recv(fd, buf, cap, 0);
}

static void test_sender(void)
{
    int port, fd = recv_sock(&port);
    st_sacn_params p;
    st_sacn_params_default(&p);
    snprintf(p.dest, sizeof(p.dest), "127.0.0.1");
    p.port = port;
    p.sync_universe = 9;
    st_sacn *s = st_sacn_new(&p, NULL);
    CHECK(s != NULL);
    if (!s) return;
    uint8_t slots[4] = {10, 20, 30, 40}, buf[700];
    CHECK_EQ_INT(st_sacn_send(s, 3, slots, 4), 0);
    CHECK_EQ_INT(st_sacn_send(s, 3, slots, 4), 0);
    CHECK_EQ_INT(st_sacn_send(s, 4, slots, 4), 0);
    CHECK_EQ_INT(st_sacn_sync(s), 0);
    int n = recv1(fd, buf, sizeof(buf));
    CHECK_EQ_INT(n, 130);
    CHECK_EQ_INT(buf[111], 0);
    CHECK_EQ_INT(buf[109] << 8 | buf[110], 9);
    CHECK(memcmp(buf + 22, st_sacn_cid(s), 16) == 0);
    n = recv1(fd, buf, sizeof(buf));
    CHECK_EQ_INT(buf[111], 1); /* sequence per universe */
    n = recv1(fd, buf, sizeof(buf));
    CHECK_EQ_INT(buf[111], 0);
    CHECK_EQ_INT(buf[114], 4);
    n = recv1(fd, buf, sizeof(buf));
    CHECK_EQ_INT(n, 49);
    CHECK_EQ_INT(buf[21], 0x08);
    CHECK_EQ_INT(st_sacn_terminate(s, 3, slots, 4), 0);
    for (int i = 0; i < 3; i++) {
        n = recv1(fd, buf, sizeof(buf));
        CHECK_EQ_INT(n, 130);
        CHECK_EQ_INT(buf[112], 0x40);
        CHECK_EQ_INT(buf[111], 2 + i);
    }
    CHECK_EQ_INT(st_sacn_send(s, 0, slots, 4), -EINVAL);
    st_sacn_free(s);
    st_sacn_free(NULL);
    close(fd);
    p.priority = 201;
    CHECK(st_sacn_new(&p, NULL) == NULL && errno == EINVAL);
}

int main(void)
{
    RUN(test_data_full);
    RUN(test_data_short_and_terminated);
    RUN(test_data_errors);
    RUN(test_sync);
    RUN(test_multicast_group);
    RUN(test_cid_persisted);
    RUN(test_sender);
    return TEST_END("act/sacn");
}
