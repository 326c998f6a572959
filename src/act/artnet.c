/* Art-Net 4 ArtDmx and ArtSync encoder and UDP sender. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stratum/artnet.h"

/* Every Art-Net packet opens with this 8-octet ID (Art-Net 4, "Art-Net" + NUL). */
static const uint8_t artnet_id[8] = {'A', 'r', 't', '-', 'N', 'e', 't', 0};

struct st_artnet {
    st_artnet_params p;
    st_log *log;
    int fd;
    struct sockaddr_in sa;
    uint8_t seq[ST_ARTNET_ADDR_MAX + 1];
    uint8_t buf[ST_ARTNET_DMX_MAX];
};

static void header(uint8_t *buf, unsigned opcode)
{
    memcpy(buf, artnet_id, sizeof(artnet_id));
    buf[8] = (uint8_t)opcode; /* OpCode is little-endian */
    buf[9] = (uint8_t)(opcode >> 8);
    buf[10] = 0; /* ProtVerHi */
    buf[11] = ST_ARTNET_PROTVER;
}

int st_artnet_encode_dmx(uint8_t *buf, size_t cap, uint8_t seq, uint8_t physical,
                         uint16_t port_address, const uint8_t *slots, size_t nslots)
{
    if (!buf || !slots || nslots < 1 || nslots > 512 || port_address > ST_ARTNET_ADDR_MAX)
        return -EINVAL;
    size_t len = nslots + (nslots & 1u);
    if (cap < 18 + len) return -ENOSPC;
    header(buf, ST_ARTNET_OP_DMX);
    buf[12] = seq;
    buf[13] = physical;
    buf[14] = (uint8_t)(port_address & 0xffu);        /* SubUni: SubNet << 4 | Universe */
    buf[15] = (uint8_t)((port_address >> 8) & 0x7fu); /* Net */
    buf[16] = (uint8_t)(len >> 8);                    /* Length is big-endian */
    buf[17] = (uint8_t)len;
    memcpy(buf + 18, slots, nslots);
    if (len > nslots) buf[18 + nslots] = 0;
    return (int)(18 + len);
}

int st_artnet_encode_sync(uint8_t *buf, size_t cap)
{
    if (!buf) return -EINVAL;
    if (cap < ST_ARTNET_SYNC_LEN) return -ENOSPC;
    header(buf, ST_ARTNET_OP_SYNC);
    buf[12] = 0; /* Aux1 */
    buf[13] = 0; /* Aux2 */
    return ST_ARTNET_SYNC_LEN;
}

void st_artnet_params_default(st_artnet_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->dest, sizeof(p->dest), "127.0.0.1");
    p->port = ST_ARTNET_PORT;
}

st_artnet *st_artnet_new(const st_artnet_params *p, st_log *log)
{
    int err = EINVAL;
    st_artnet *a = NULL;
    if (!p || p->port < 1 || p->port > 65535) goto fail;
    err = ENOMEM;
    a = calloc(1, sizeof(*a));
    if (!a) goto fail;
    a->fd = -1;
    a->p = *p;
    a->log = log;
    a->sa.sin_family = AF_INET;
    a->sa.sin_port = htons((uint16_t)p->port);
    if (inet_pton(AF_INET, p->dest, &a->sa.sin_addr) != 1) {
        st_error(log, "artnet", "destination '%s' is not an IPv4 address", p->dest);
        err = EINVAL;
        goto fail;
    }
    a->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->fd < 0) {
        err = errno;
        goto fail;
    }
    int on = 1;
    if (p->broadcast && setsockopt(a->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) != 0) {
        err = errno;
        goto fail;
    }
    st_info(log, "artnet", "ArtDmx to %s:%d%s", p->dest, p->port, p->sync ? " with ArtSync" : "");
    return a;
fail:
    st_artnet_free(a);
    errno = err;
    return NULL;
}

void st_artnet_free(st_artnet *a)
{
    if (!a) return;
    if (a->fd >= 0) close(a->fd);
    free(a);
}

static int send_buf(st_artnet *a, const uint8_t *buf, size_t len)
{
    ssize_t n = sendto(a->fd, buf, len, 0, (struct sockaddr *)&a->sa, sizeof(a->sa));
    if (n < 0) return -errno;
    return n == (ssize_t)len ? 0 : -EIO;
}

int st_artnet_send(st_artnet *a, uint16_t port_address, const uint8_t *slots, size_t nslots)
{
    if (!a || port_address > ST_ARTNET_ADDR_MAX) return -EINVAL;
    /* Sequence 1..255 wraps past 0, which would disable re-ordering at the node. */
    uint8_t seq = (uint8_t)(a->seq[port_address] % 255u + 1u);
    a->seq[port_address] = seq;
    int len = st_artnet_encode_dmx(a->buf, sizeof(a->buf), seq, 0, port_address, slots, nslots);
    if (len < 0) return len;
    return send_buf(a, a->buf, (size_t)len);
}

int st_artnet_sync(st_artnet *a)
{
    if (!a) return -EINVAL;
    if (!a->p.sync) return 0;
    uint8_t b[ST_ARTNET_SYNC_LEN];
    int len = st_artnet_encode_sync(b, sizeof(b));
    return send_buf(a, b, (size_t)len);
}
