/* Installation key: created at first use (mode 0600) and loaded through the device-key file code.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "stratum/devkey.h"
#include "stratum/instkey.h"

int st_instkey_open(const char *path, int create, st_instkey *k, int *created, char *err,
                    size_t errcap)
{
    st_devkey d;
    struct stat st;
    int rc;
    memset(k, 0, sizeof(*k));
    if (created) *created = 0;
    if (!path || !*path) {
        if (err) snprintf(err, errcap, "no installation key path given");
        return -EINVAL;
    }
    if (stat(path, &st) != 0 && errno == ENOENT && create) {
        /* "stratum" stands in the zone field: the file format is the device key's. */
        rc = st_devkey_generate(&d, "installation", "stratum");
        if (rc == 0) rc = st_devkey_save(&d, path);
        st_devkey_wipe(&d);
        if (rc < 0) {
            if (err)
                snprintf(err, errcap, "%s: cannot create the installation key: %s", path,
                         strerror(-rc));
            return rc;
        }
        if (created) *created = 1;
    }
    rc = st_devkey_load(&d, path, err, errcap);
    if (rc == 0) {
        memcpy(k->pk, d.pk, sizeof(k->pk));
        memcpy(k->sk, d.sk, sizeof(k->sk));
    }
    st_devkey_wipe(&d);
    return rc;
}

void st_instkey_pk_hex(const st_instkey *k, char out[65])
{
    st_devkey_hex(k->pk, 32, out);
}

int st_instkey_pk_parse(const char *hex, unsigned char pk[32])
{
    size_t bin = 0;
    if (!hex || strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &bin, NULL) != 0 ||
        bin != 32)
        return -EINVAL;
    return 0;
}

void st_instkey_wipe(st_instkey *k)
{
    sodium_memzero(k, sizeof(*k));
}
