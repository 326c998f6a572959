/* Art-Net 4 ArtDmx and ArtSync encoder and UDP sender. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_ARTNET_H
#define STRATUM_ARTNET_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/log.h"

#define ST_ARTNET_PORT     6454 /* Art-Net 4: UDP port 0x1936 */
#define ST_ARTNET_PROTVER  14
#define ST_ARTNET_OP_DMX   0x5000
#define ST_ARTNET_OP_SYNC  0x5200
#define ST_ARTNET_DMX_MAX  530 /* 18 header octets + 512 slots */
#define ST_ARTNET_SYNC_LEN 14
#define ST_ARTNET_ADDR_MAX 32767 /* 15-bit Port-Address: Net(7) SubNet(4) Universe(4) */

/* Encode an ArtDmx packet. port_address 0..32767; nslots 1..512 (odd counts
 * are padded with one zero slot: Length must be even, 2..512); seq 0 disables
 * sequencing, else 1..255. Returns the length or -EINVAL / -ENOSPC. Pure. */
int st_artnet_encode_dmx(uint8_t *buf, size_t cap, uint8_t seq, uint8_t physical,
                         uint16_t port_address, const uint8_t *slots, size_t nslots);

/* Encode an ArtSync packet (14 octets). Returns 14 or -ENOSPC. Pure. */
int st_artnet_encode_sync(uint8_t *buf, size_t cap);

typedef struct st_artnet_params {
    char dest[64]; /* IPv4 unicast (e.g. a node, or 127.0.0.1) or a directed broadcast */
    int port;      /* 6454 */
    int broadcast; /* 1: allow a broadcast destination (SO_BROADCAST) */
    int sync;      /* 1: send ArtSync after each frame of universes */
} st_artnet_params;

/* Defaults: 127.0.0.1:6454, no broadcast, no sync. */
void st_artnet_params_default(st_artnet_params *p);

typedef struct st_artnet st_artnet; /* opaque */

/* p is copied, log borrowed (may be NULL). NULL + errno on failure. */
st_artnet *st_artnet_new(const st_artnet_params *p, st_log *log);
void st_artnet_free(st_artnet *a); /* NULL ok */

/* Send ArtDmx for port_address with its next sequence (1..255, skipping 0).
 * slots borrowed. Allocates nothing. 0 or -errno. */
int st_artnet_send(st_artnet *a, uint16_t port_address, const uint8_t *slots, size_t nslots);
/* Send ArtSync if enabled (else 0). 0 or -errno. */
int st_artnet_sync(st_artnet *a);

#endif
