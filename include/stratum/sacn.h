/* sACN (ANSI E1.31-2018) packet encoder and UDP sender: unicast or multicast. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STRATUM_SACN_H
#define STRATUM_SACN_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/log.h"

#define ST_SACN_PORT         5568 /* E1.31-2018 9.3.1: ACN_SDT_MULTICAST_PORT */
#define ST_SACN_UNIVERSE_MIN 1    /* 6.2.7: universes 1..63999 carry data */
#define ST_SACN_UNIVERSE_MAX 63999
#define ST_SACN_SLOTS_MAX    512
#define ST_SACN_DATA_MAX     638 /* Table 4-1: 126 header octets + 512 slots */
#define ST_SACN_SYNC_LEN     49  /* Table 4-2 */
#define ST_SACN_PRIO_DEFAULT 100 /* 6.2.3: 0..200, default 100 */
#define ST_SACN_PRIO_MAX     200
#define ST_SACN_NAME_MAX     64 /* 6.2.2: UTF-8, null-terminated */

/* Framing-layer option bits (E1.31-2018 6.2.6). */
#define ST_SACN_OPT_PREVIEW    0x80
#define ST_SACN_OPT_TERMINATED 0x40
#define ST_SACN_OPT_FORCE_SYNC 0x20

/* Encode an E1.31 data packet (Table 4-1) into buf. cid is the 16-octet source
 * CID, name at most 63 octets (longer is cut), universe 1..63999, nslots 0..512
 * DMX slots after the null start code. sync_universe 0 means unsynchronised.
 * Returns the packet length (126 + nslots) or -EINVAL / -ENOSPC. Pure. */
int st_sacn_encode_data(uint8_t *buf, size_t cap, const uint8_t cid[16], const char *name,
                        uint8_t priority, uint16_t sync_universe, uint8_t seq, uint8_t options,
                        uint16_t universe, const uint8_t *slots, size_t nslots);

/* Encode an E1.31 synchronisation packet (Table 4-2, 49 octets) for
 * sync_universe (1..63999). Returns 49 or -EINVAL / -ENOSPC. Pure. */
int st_sacn_encode_sync(uint8_t *buf, size_t cap, const uint8_t cid[16], uint8_t seq,
                        uint16_t sync_universe);

/* The IPv4 multicast group of a universe, 239.255.hi.lo (9.3.1), as text
 * into out (at least 16 octets). 0 or -EINVAL. */
int st_sacn_multicast_group(uint16_t universe, char *out, size_t cap);

/* Load the source CID from path (text UUID), or create a random RFC 4122
 * version-4 UUID there (mode 0600, written atomically) if the file does not
 * exist. E1.31 5.6 asks that a source keep its CID across restarts.
 * 0 or -errno (-EINVAL for a malformed file). */
int st_sacn_cid_load(const char *path, uint8_t cid[16]);

/* Format a CID as "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (out >= 37 octets). */
void st_sacn_cid_format(const uint8_t cid[16], char *out, size_t cap);

typedef struct st_sacn_params {
    char source_name[ST_SACN_NAME_MAX];
    int priority;       /* 0..200 */
    int sync_universe;  /* 0 = no synchronisation packets, else 1..63999 */
    char dest[64];      /* unicast IPv4 destination; "" = multicast per universe */
    int port;           /* UDP port, 5568 */
    char iface[64];     /* IPv4 address of the multicast interface; "" = default */
    int ttl;            /* multicast TTL, 1..255 */
    char cid_path[256]; /* persisted CID file; "" = random CID for this process */
} st_sacn_params;

/* Defaults: name "Stratum", priority 100, no sync, multicast, port 5568,
 * TTL 1 (one hop: the street's own network), no CID file. */
void st_sacn_params_default(st_sacn_params *p);

typedef struct st_sacn st_sacn; /* opaque */

/* New sender. p is copied; log is borrowed (may be NULL). Opens one UDP socket
 * and loads or creates the CID. NULL + errno on failure. */
st_sacn *st_sacn_new(const st_sacn_params *p, st_log *log);
/* Frees; sends nothing (call st_sacn_terminate first for a clean stop). NULL ok. */
void st_sacn_free(st_sacn *s);

/* Send one data packet for universe with the next sequence number of that
 * universe (6.7.2). slots are borrowed. Allocates nothing. 0 or -errno. */
int st_sacn_send(st_sacn *s, uint16_t universe, const uint8_t *slots, size_t nslots);

/* Send a synchronisation packet (6.6) if sync_universe is set; else 0. */
int st_sacn_sync(st_sacn *s);

/* Send three packets with the Stream_Terminated bit (6.2.6, 6.7.1) for
 * universe, carrying slots (which receivers ignore). 0 or -errno. */
int st_sacn_terminate(st_sacn *s, uint16_t universe, const uint8_t *slots, size_t nslots);

/* The CID in use (borrowed, 16 octets). */
const uint8_t *st_sacn_cid(const st_sacn *s);

#endif
