/* Unit tests of MQTT connection settings: broker URL parsing and option checks. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <mosquitto.h>
#include <string.h>

#include "st_test.h"
#include "stratum/mqtt_conn.h"

static int parse(const char *url, st_mqtt_conn *c)
{
    char err[300];
    st_mqtt_conn_default(c, url);
    return st_mqtt_conn_parse_url(c, err, sizeof(err));
}

static void test_urls(void)
{
    st_mqtt_conn c;
    CHECK_EQ_INT(parse("mqtt://127.0.0.1:1884", &c), 0);
    CHECK_STR(c.host, "127.0.0.1");
    CHECK_EQ_INT(c.port, 1884);
    CHECK_EQ_INT(c.tls, 0);
    CHECK_EQ_INT(parse("mqtt://broker.local", &c), 0);
    CHECK_EQ_INT(c.port, 1883);
    CHECK_EQ_INT(parse("mqtts://broker.local/", &c), 0);
    CHECK_EQ_INT(c.port, 8883);
    CHECK_EQ_INT(c.tls, 1);
    CHECK_EQ_INT(parse("mqtts://[::1]:9000", &c), 0);
    CHECK_STR(c.host, "::1");
    CHECK_EQ_INT(c.port, 9000);
    CHECK_EQ_INT(parse("http://x", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://h:0", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://h:65536", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://h:12x", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://h/topic", &c), -EINVAL);
    CHECK_EQ_INT(parse("mqtt://[::1", &c), -EINVAL);
}

static void test_apply(void)
{
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    st_mqtt_conn c;
    char err[300] = "";
    CHECK_EQ_INT(parse("mqtts://h", &c), 0);
    CHECK_EQ_INT(st_mqtt_conn_apply(&c, m, err, sizeof(err)), -EINVAL); /* no CA */
    CHECK(strstr(err, "CA") != NULL);
    CHECK_EQ_INT(parse("mqtt://h", &c), 0);
    c.protocol = 3;
    CHECK_EQ_INT(st_mqtt_conn_apply(&c, m, err, sizeof(err)), -EINVAL);
    c.protocol = 4;
    strcpy(c.username, "u");
    strcpy(c.password, "p");
    CHECK_EQ_INT(st_mqtt_conn_apply(&c, m, err, sizeof(err)), 0);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
}

static void test_tls_files(void)
{
    st_mqtt_conn c;
    char err[300], longp[300];
    st_mqtt_conn_default(&c, "mqtts://b");
    CHECK_EQ_INT(st_mqtt_conn_set_tls(&c, "ca.pem", NULL, NULL, err, sizeof(err)), 0);
    CHECK_STR(c.ca_file, "ca.pem");
    CHECK_STR(c.cert_file, "");
    CHECK_EQ_INT(st_mqtt_conn_set_tls(&c, NULL, "me.pem", "me.key", err, sizeof(err)), 0);
    CHECK_STR(c.ca_file, "ca.pem"); /* NULL leaves it */
    CHECK_STR(c.cert_file, "me.pem");
    CHECK_STR(c.key_file, "me.key");
    /* a path that does not fit is refused whole, never cut */
    memset(longp, 'k', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    CHECK_EQ_INT(st_mqtt_conn_set_tls(&c, "other.pem", NULL, longp, err, sizeof(err)),
                 -ENAMETOOLONG);
    CHECK(strstr(err, "TLS key file path is longer than 255 bytes") != NULL);
    CHECK_STR(c.ca_file, "ca.pem"); /* unchanged */
    CHECK_STR(c.key_file, "me.key");
    longp[255] = 0; /* 255 bytes fit */
    CHECK_EQ_INT(st_mqtt_conn_set_tls(&c, longp, NULL, NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT((int)strlen(c.ca_file), 255);
}

int main(void)
{
    RUN(test_urls);
    RUN(test_apply);
    RUN(test_tls_files);
    return TEST_END("mqtt_conn");
}
