/* MQTT connection settings: URL parsing and libmosquitto options (login, TLS, backoff). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "stratum/mqtt_conn.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || !cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

void st_mqtt_conn_default(st_mqtt_conn *c, const char *url)
{
    memset(c, 0, sizeof(*c));
    if (url) snprintf(c->url, sizeof(c->url), "%s", url);
    c->protocol = 5;
    c->keepalive_s = 30;
    c->reconnect_min_s = 1;
    c->reconnect_max_s = 30;
}

int st_mqtt_conn_set_tls(st_mqtt_conn *c, const char *ca, const char *cert, const char *key,
                         char *err, size_t errcap)
{
    const char *path[3] = {ca, cert, key}, *what[3] = {"CA", "certificate", "key"};
    char *field[3] = {c->ca_file, c->cert_file, c->key_file};
    _Static_assert(sizeof(c->cert_file) == sizeof(c->ca_file) &&
                       sizeof(c->key_file) == sizeof(c->ca_file),
                   "the TLS file fields share one size");
    for (int i = 0; i < 3; i++)
        if (path[i] && strlen(path[i]) >= sizeof(c->ca_file)) {
            set_err(err, errcap, "TLS %s file path is longer than %zu bytes: %.40s...", what[i],
                    sizeof(c->ca_file) - 1, path[i]);
            return -ENAMETOOLONG;
        }
    for (int i = 0; i < 3; i++)
        if (path[i]) snprintf(field[i], sizeof(c->ca_file), "%s", path[i]);
    return 0;
}

int st_mqtt_conn_parse_url(st_mqtt_conn *c, char *err, size_t errcap)
{
    const char *s = c->url, *h;
    if (!strncmp(s, "mqtt://", 7)) {
        c->tls = 0;
        h = s + 7;
    } else if (!strncmp(s, "mqtts://", 8)) {
        c->tls = 1;
        h = s + 8;
    } else {
        set_err(err, errcap, "%s: expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]", s);
        return -EINVAL;
    }
    size_t hl;
    const char *port = NULL;
    if (*h == '[') { /* IPv6 literal, RFC 3986 section 3.2.2 */
        const char *e = strchr(h, ']');
        if (!e) goto bad;
        h++;
        hl = (size_t)(e - h);
        if (e[1] == ':')
            port = e + 2;
        else if (e[1])
            goto bad;
    } else {
        hl = strcspn(h, ":/");
        if (h[hl] == ':')
            port = h + hl + 1;
        else if (h[hl] == '/' && h[hl + 1])
            goto bad;
    }
    if (hl == 0 || hl >= sizeof(c->host)) goto bad;
    memcpy(c->host, h, hl);
    c->host[hl] = 0;
    c->port = c->tls ? 8883 : 1883;
    if (port) {
        char *end;
        errno = 0;
        long p = strtol(port, &end, 10);
        if (errno || end == port || (*end && strcmp(end, "/")) || p < 1 || p > 65535) goto bad;
        c->port = (int)p;
    }
    return 0;
bad:
    set_err(err, errcap, "%s: bad broker URL (expected mqtt[s]://HOST[:PORT])", s);
    return -EINVAL;
}

int st_mqtt_conn_apply(const st_mqtt_conn *c, struct mosquitto *mosq, char *err, size_t errcap)
{
    int rc;
    if (c->protocol != 4 && c->protocol != 5) {
        set_err(err, errcap, "MQTT protocol must be 4 (3.1.1) or 5, not %d", c->protocol);
        return -EINVAL;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         c->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (c->username[0]) {
        rc = mosquitto_username_pw_set(mosq, c->username, c->password[0] ? c->password : NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            set_err(err, errcap, "MQTT login: %s", mosquitto_strerror(rc));
            return -EINVAL;
        }
    }
    if (c->tls) {
        if (!c->ca_file[0]) {
            set_err(err, errcap, "%s: mqtts needs a CA file", c->url);
            return -EINVAL;
        }
        rc = mosquitto_tls_set(mosq, c->ca_file, NULL, c->cert_file[0] ? c->cert_file : NULL,
                               c->key_file[0] ? c->key_file : NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            set_err(err, errcap, "TLS (CA %s, certificate %s): %s", c->ca_file,
                    c->cert_file[0] ? c->cert_file : "none", mosquitto_strerror(rc));
            return -EINVAL;
        }
    }
    int lo = c->reconnect_min_s > 0 ? c->reconnect_min_s : 1;
    int hi = c->reconnect_max_s >= lo ? c->reconnect_max_s : lo;
    mosquitto_reconnect_delay_set(mosq, (unsigned)lo, (unsigned)hi, true);
    return 0;
}

void st_mqtt_conn_start(const st_mqtt_conn *c, struct mosquitto *mosq, int session_s, st_log *log,
                        const char *mod)
{
    mosquitto_property *props = NULL;
    if (c->protocol == 5 && session_s > 0)
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     (uint32_t)session_s);
    int rc = mosquitto_connect_bind_v5(mosq, c->host, c->port, c->keepalive_s, NULL, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS)
        st_warn(log, mod, "%s: %s; retrying in the background", c->url,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}
