/* sACN (ANSI E1.31-2018) packet encoder and UDP sender. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stratum/sacn.h"

/* Root layer vectors (E1.31-2018 Table 4-1, 4-2, section 4). */
#define VECTOR_ROOT_E131_DATA                0x00000004u
#define VECTOR_ROOT_E131_EXTENDED            0x00000008u
#define VECTOR_E131_DATA_PACKET              0x00000002u
#define VECTOR_E131_EXTENDED_SYNCHRONIZATION 0x00000001u
#define VECTOR_DMP_SET_PROPERTY              0x02u

/* ACN packet identifier (E1.17 / E1.31 5.3): "ASC-E1.17\0\0\0". */
static const uint8_t acn_pid[12] = {0x41, 0x53, 0x43, 0x2d, 0x45, 0x31,
                                    0x2e, 0x31, 0x37, 0x00, 0x00, 0x00};

struct st_sacn {
    st_sacn_params p;
    st_log *log;
    int fd;
    uint8_t cid[16];
    uint8_t sync_seq;
    uint8_t seq[ST_SACN_UNIVERSE_MAX + 1]; /* next sequence number per universe (6.7.2) */
    uint8_t buf[ST_SACN_DATA_MAX];
    struct in_addr dest; /* unicast destination, if any */
};

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Flags and length (E1.17 2.4.1): high nibble 0x7, low 12 bits the PDU length
 * counted from this field to the end of the packet. */
static void put_flen(uint8_t *p, size_t len)
{
    put16(p, 0x7000u | ((unsigned)len & 0x0fffu));
}

static void root_layer(uint8_t *buf, size_t total, uint32_t vector, const uint8_t cid[16])
{
    put16(buf + 0, 0x0010); /* preamble size */
    put16(buf + 2, 0x0000); /* post-amble size */
    memcpy(buf + 4, acn_pid, sizeof(acn_pid));
    put_flen(buf + 16, total - 16);
    put32(buf + 18, vector);
    memcpy(buf + 22, cid, 16);
}

int st_sacn_encode_data(uint8_t *buf, size_t cap, const uint8_t cid[16], const char *name,
                        uint8_t priority, uint16_t sync_universe, uint8_t seq, uint8_t options,
                        uint16_t universe, const uint8_t *slots, size_t nslots)
{
    if (!buf || !cid || nslots > ST_SACN_SLOTS_MAX || (nslots && !slots)) return -EINVAL;
    if (universe < ST_SACN_UNIVERSE_MIN || universe > ST_SACN_UNIVERSE_MAX) return -EINVAL;
    if (sync_universe > ST_SACN_UNIVERSE_MAX || priority > ST_SACN_PRIO_MAX) return -EINVAL;
    size_t total = 126 + nslots;
    if (cap < total) return -ENOSPC;
    root_layer(buf, total, VECTOR_ROOT_E131_DATA, cid);
    /* Framing layer (Table 4-1, octets 38..114). */
    put_flen(buf + 38, total - 38);
    put32(buf + 40, VECTOR_E131_DATA_PACKET);
    memset(buf + 44, 0, ST_SACN_NAME_MAX);
    if (name) {
        size_t n = strnlen(name, ST_SACN_NAME_MAX - 1);
        memcpy(buf + 44, name, n);
    }
    buf[108] = priority;
    put16(buf + 109, sync_universe);
    buf[111] = seq;
    buf[112] = options;
    put16(buf + 113, universe);
    /* DMP layer (octets 115..): set property, one start code plus the slots. */
    put_flen(buf + 115, total - 115);
    buf[117] = VECTOR_DMP_SET_PROPERTY;
    buf[118] = 0xa1;                          /* address type and data type */
    put16(buf + 119, 0x0000);                 /* first property address */
    put16(buf + 121, 0x0001);                 /* address increment */
    put16(buf + 123, (unsigned)(nslots + 1)); /* property value count */
    buf[125] = 0x00;                          /* DMX512-A null start code */
    if (nslots) memcpy(buf + 126, slots, nslots);
    return (int)total;
}

int st_sacn_encode_sync(uint8_t *buf, size_t cap, const uint8_t cid[16], uint8_t seq,
                        uint16_t sync_universe)
{
    if (!buf || !cid) return -EINVAL;
    if (sync_universe < ST_SACN_UNIVERSE_MIN || sync_universe > ST_SACN_UNIVERSE_MAX)
        return -EINVAL;
    if (cap < ST_SACN_SYNC_LEN) return -ENOSPC;
    root_layer(buf, ST_SACN_SYNC_LEN, VECTOR_ROOT_E131_EXTENDED, cid);
    put_flen(buf + 38, ST_SACN_SYNC_LEN - 38);
    put32(buf + 40, VECTOR_E131_EXTENDED_SYNCHRONIZATION);
    buf[44] = seq;
    put16(buf + 45, sync_universe);
    put16(buf + 47, 0); /* reserved */
    return ST_SACN_SYNC_LEN;
}

int st_sacn_multicast_group(uint16_t universe, char *out, size_t cap)
{
    if (universe < ST_SACN_UNIVERSE_MIN || universe > ST_SACN_UNIVERSE_MAX || !out) return -EINVAL;
    int n = snprintf(out, cap, "239.255.%u.%u", (unsigned)(universe >> 8), universe & 0xffu);
    return n > 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

void st_sacn_cid_format(const uint8_t cid[16], char *out, size_t cap)
{
    char tmp[37];
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) tmp[k++] = '-';
        k += (size_t)snprintf(tmp + k, sizeof(tmp) - k, "%02x", cid[i]);
    }
    tmp[36] = '\0';
    snprintf(out, cap, "%s", tmp);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int cid_parse(const char *s, uint8_t cid[16])
{
    int n = 0;
    for (size_t i = 0; s[i] && s[i] != '\n' && n < 32; i++) {
        if (s[i] == '-') continue;
        int v = hexval((unsigned char)s[i]);
        if (v < 0) return -EINVAL;
        if (n % 2 == 0)
            cid[n / 2] = (uint8_t)(v << 4);
        else
            cid[n / 2] |= (uint8_t)v;
        n++;
    }
    return n == 32 ? 0 : -EINVAL;
}

static int cid_random(uint8_t cid[16])
{
    size_t got = 0;
    while (got < 16) {
        ssize_t r = getrandom(cid + got, 16 - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        got += (size_t)r;
    }
    cid[6] = (uint8_t)((cid[6] & 0x0f) | 0x40); /* RFC 4122 4.4: version 4 */
    cid[8] = (uint8_t)((cid[8] & 0x3f) | 0x80); /* variant 10xx */
    return 0;
}

int st_sacn_cid_load(const char *path, uint8_t cid[16])
{
    char text[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof(text) - 1);
        int e = errno;
        close(fd);
        if (n < 0) return -e;
        text[n] = '\0';
        return cid_parse(text, cid);
    }
    if (errno != ENOENT) return -errno;
    int rc = cid_random(cid);
    if (rc) return rc;
    char tmp[300];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    st_sacn_cid_format(cid, text, sizeof(text));
    size_t len = strlen(text);
    text[len++] = '\n';
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        rc = errno ? -errno : -EIO;
        close(fd);
        unlink(tmp);
        return rc;
    }
    close(fd);
    /* link() fails if another process created the file meanwhile: then its CID wins. */
    if (link(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        if (rc == -EEXIST) return st_sacn_cid_load(path, cid);
        return rc;
    }
    unlink(tmp);
    return 0;
}

void st_sacn_params_default(st_sacn_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->source_name, sizeof(p->source_name), "Stratum");
    p->priority = ST_SACN_PRIO_DEFAULT;
    p->port = ST_SACN_PORT;
    p->ttl = 1;
}

st_sacn *st_sacn_new(const st_sacn_params *p, st_log *log)
{
    int err = EINVAL;
    st_sacn *s = NULL;
    if (!p || p->priority < 0 || p->priority > ST_SACN_PRIO_MAX || p->sync_universe < 0 ||
        p->sync_universe > ST_SACN_UNIVERSE_MAX || p->port < 1 || p->port > 65535 || p->ttl < 1 ||
        p->ttl > 255)
        goto fail;
    err = ENOMEM;
    s = calloc(1, sizeof(*s));
    if (!s) goto fail;
    s->fd = -1;
    s->p = *p;
    s->p.source_name[sizeof(s->p.source_name) - 1] = '\0';
    s->log = log;
    if (p->dest[0] && inet_pton(AF_INET, p->dest, &s->dest) != 1) {
        st_error(log, "sacn", "destination '%s' is not an IPv4 address", p->dest);
        err = EINVAL;
        goto fail;
    }
    int rc = p->cid_path[0] ? st_sacn_cid_load(p->cid_path, s->cid) : cid_random(s->cid);
    if (rc) {
        st_error(log, "sacn", "source CID %s: %s", p->cid_path[0] ? p->cid_path : "(random)",
                 strerror(-rc));
        err = -rc;
        goto fail;
    }
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd < 0) {
        err = errno;
        goto fail;
    }
    unsigned char ttl = (unsigned char)p->ttl, loop = 1;
    /* Loopback on: a receiver on this host (olad in tests, a local visualiser) sees the data. */
    if (setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0 ||
        setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0) {
        err = errno;
        goto fail;
    }
    if (p->iface[0]) {
        struct in_addr ifa;
        if (inet_pton(AF_INET, p->iface, &ifa) != 1 ||
            setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) != 0) {
            st_error(log, "sacn", "multicast interface '%s' unusable", p->iface);
            err = EINVAL;
            goto fail;
        }
    }
    char cidtxt[37];
    st_sacn_cid_format(s->cid, cidtxt, sizeof(cidtxt));
    st_info(log, "sacn", "source \"%s\" CID %s priority %d to %s:%d", s->p.source_name, cidtxt,
            p->priority, p->dest[0] ? p->dest : "multicast", p->port);
    return s;
fail:
    st_sacn_free(s);
    errno = err;
    return NULL;
}

void st_sacn_free(st_sacn *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

static int send_to(st_sacn *s, uint16_t universe, const uint8_t *buf, size_t len)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->p.port);
    if (s->p.dest[0])
        sa.sin_addr = s->dest;
    else /* 239.255.hi.lo (9.3.1) */
        sa.sin_addr.s_addr = htonl(0xefff0000u | universe);
    ssize_t n = sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
    if (n < 0) return -errno;
    return n == (ssize_t)len ? 0 : -EIO;
}

static int send_data(st_sacn *s, uint16_t universe, const uint8_t *slots, size_t nslots,
                     uint8_t options)
{
    if (universe < ST_SACN_UNIVERSE_MIN || universe > ST_SACN_UNIVERSE_MAX) return -EINVAL;
    int len = st_sacn_encode_data(s->buf, sizeof(s->buf), s->cid, s->p.source_name,
                                  (uint8_t)s->p.priority, (uint16_t)s->p.sync_universe,
                                  s->seq[universe], options, universe, slots, nslots);
    if (len < 0) return len;
    /* The sequence advances even when the send fails: receivers only need it
     * to increase (6.7.2), and a retried packet must not look like a duplicate. */
    s->seq[universe]++;
    return send_to(s, universe, s->buf, (size_t)len);
}

int st_sacn_send(st_sacn *s, uint16_t universe, const uint8_t *slots, size_t nslots)
{
    if (!s) return -EINVAL;
    return send_data(s, universe, slots, nslots, 0);
}

int st_sacn_sync(st_sacn *s)
{
    if (!s) return -EINVAL;
    if (!s->p.sync_universe) return 0;
    int len = st_sacn_encode_sync(s->buf, sizeof(s->buf), s->cid, s->sync_seq++,
                                  (uint16_t)s->p.sync_universe);
    if (len < 0) return len;
    return send_to(s, (uint16_t)s->p.sync_universe, s->buf, (size_t)len);
}

int st_sacn_terminate(st_sacn *s, uint16_t universe, const uint8_t *slots, size_t nslots)
{
    if (!s) return -EINVAL;
    int rc = 0;
    for (int i = 0; i < 3; i++) { /* 6.2.6: three packets */
        int r = send_data(s, universe, slots, nslots, ST_SACN_OPT_TERMINATED);
        if (r && !rc) rc = r;
    }
    return rc;
}

const uint8_t *st_sacn_cid(const st_sacn *s)
{
    return s ? s->cid : NULL;
}
