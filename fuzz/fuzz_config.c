/* libFuzzer target: arbitrary bytes as a configuration file, then dump and reload. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    st_settings *s = malloc(sizeof(*s)); /* large: kept off the stack */
    char *text = malloc(size + 1);
    if (!s || !text) {
        free(s);
        free(text);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = 0;
    st_settings_default(s);
    if (st_config_load_string(s, text, "fuzz.conf", err, sizeof(err)) == 0 &&
        st_config_validate(s, err, sizeof(err)) == 0) {
        /* A valid configuration must dump to text that loads back. */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f) {
            st_config_dump(s, f);
            fclose(f);
            st_settings_default(s);
            if (st_config_load_string(s, buf, "dump.conf", err, sizeof(err)) != 0) abort();
            free(buf);
        }
    }
    free(text);
    free(s);
    return 0;
}
