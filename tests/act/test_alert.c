/* Unit tests for alerts: dedup, rate limit, JSON body, a real HTTP webhook
 * receiver on loopback (with a failure and retry), acknowledgements, and a
 * real Mosquitto broker when one is installed. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "st_test.h"
#include "stratum/alert.h"

static st_intervention iv(double t, const char *zone, const char *sev, const char *rule)
{
    st_intervention x;
    memset(&x, 0, sizeof(x));
    x.t = t;
    x.kind = ST_ACT_ALERT;
    snprintf(x.zone, sizeof(x.zone), "%s", zone);
    snprintf(x.name, sizeof(x.name), "%s", sev);
    snprintf(x.rule, sizeof(x.rule), "%s", rule);
    snprintf(x.reason, sizeof(x.reason), "zone %s: score 0.71 >= enter[escalating] 0.70", zone);
    return x;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_dedup_rate_ack(void)
{
    st_alert_params p;
    st_alert_params_default(&p);
    p.rate_max = 3;
    char dir[] = "/tmp/st-alert-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(p.ack_path, sizeof(p.ack_path), "%s/acks.jsonl", dir);
    st_alert *a = st_alert_new(&p, NULL);
    CHECK(a != NULL);
    if (!a) return;
    st_intervention x = iv(1000, "z2", "warning", "escalating");
    CHECK_EQ_INT(st_alert_submit(a, &x), 1);
    x.t = 1100;
    CHECK_EQ_INT(st_alert_submit(a, &x), 0); /* duplicate inside 300 s */
    x = iv(1100, "z2", "critical", "incident");
    CHECK_EQ_INT(st_alert_submit(a, &x), 2); /* a different severity is news */
    x = iv(1400, "z2", "warning", "escalating");
    CHECK_EQ_INT(st_alert_submit(a, &x), 3); /* window passed */
    x = iv(1401, "z3", "warning", "escalating");
    CHECK_EQ_INT(st_alert_submit(a, &x), 4);
    x = iv(1402, "z4", "info", "lively");
    CHECK_EQ_INT(st_alert_submit(a, &x), 0); /* 3 non-critical within 600 s */
    x = iv(1403, "z5", "critical", "incident");
    CHECK_EQ_INT(st_alert_submit(a, &x), 5); /* critical is never rate-limited */
    x = iv(1404, "z5", "fatal", "incident");
    CHECK_EQ_INT(st_alert_submit(a, &x), -EINVAL);
    st_alert_stats s;
    st_alert_stats_get(a, &s);
    CHECK_EQ_INT(s.deduplicated, 1);
    CHECK_EQ_INT(s.rate_limited, 1);
    CHECK_EQ_INT(s.queued, 5);

    const st_alert_rec *r = st_alert_get(a, 4);
    CHECK(r != NULL);
    char body[2048];
    CHECK(st_alert_json(a, r, body, sizeof(body)) > 0);
    json_t *j = json_loads(body, 0, NULL);
    CHECK(j != NULL);
    if (j) {
        CHECK_EQ_INT(json_integer_value(json_object_get(j, "id")), 4);
        CHECK_STR(json_string_value(json_object_get(j, "severity")), "warning");
        CHECK_STR(json_string_value(json_object_get(j, "zone")), "z3");
        CHECK_STR(json_string_value(json_object_get(j, "street")), "stratumseind");
        CHECK(strstr(json_string_value(json_object_get(j, "reason")), "enter[escalating]"));
        json_decref(j);
    }
    CHECK_EQ_INT(st_alert_ack(a, 4, "steward-3", 1500), 0);
    CHECK_NEAR(st_alert_get(a, 4)->acked_t, 1500, 1e-9);
    CHECK_STR(st_alert_get(a, 4)->acked_by, "steward-3");
    CHECK_EQ_INT(st_alert_ack(a, 99, "x", 1500), -ENOENT);
    FILE *f = fopen(p.ack_path, "r");
    char line[512] = {0};
    CHECK(f && fgets(line, sizeof(line), f));
    if (f) fclose(f);
    CHECK(strstr(line, "\"by\":\"steward-3\"") && strstr(line, "\"id\":4"));
    st_alert_free(a);
    unlink(p.ack_path);
    rmdir(dir);
}

/* A minimal HTTP/1.1 receiver: answers each POST with `status`, keeps the body. */
typedef struct http_rx {
    int lfd, port;
    char body[4096];
    int requests;
} http_rx;

static void http_open(http_rx *h)
{
    memset(h, 0, sizeof(*h));
    h->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(h->lfd, (struct sockaddr *)&sa, &sl);
    h->port = ntohs(sa.sin_port);
    listen(h->lfd, 4);
}

/* Serve one request if one is waiting (driving the alert client meanwhile). */
static int http_serve(http_rx *h, st_alert *a, int status)
{
    struct pollfd pfd = {.fd = h->lfd, .events = POLLIN};
    if (poll(&pfd, 1, 10) != 1) return 0;
    int c = accept(h->lfd, NULL, NULL);
    char req[8192];
    size_t got = 0;
    for (int i = 0; i < 300; i++) {
        st_alert_tick(a);
        struct pollfd cp = {.fd = c, .events = POLLIN};
        if (poll(&cp, 1, 10) == 1) {
            ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
            req[got] = '\0';
            char *hdr_end = strstr(req, "\r\n\r\n"), *cl = strstr(req, "Content-Length:");
            if (hdr_end && cl && got >= (size_t)(hdr_end + 4 - req) + strtoul(cl + 15, NULL, 10))
                break;
        }
    }
    char *b = strstr(req, "\r\n\r\n");
    snprintf(h->body, sizeof(h->body), "%s", b ? b + 4 : "");
    char resp[128];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
    if (send(c, resp, (size_t)n, 0) < 0) perror("send");
    close(c);
    h->requests++;
    return 1;
}

static void test_webhook(void)
{
    http_rx h;
    http_open(&h);
    st_alert_params p;
    st_alert_params_default(&p);
    snprintf(p.webhook_url, sizeof(p.webhook_url), "http://127.0.0.1:%d/alert", h.port);
    p.retry_min_s = 0.05;
    st_alert *a = st_alert_new(&p, NULL);
    CHECK(a != NULL);
    if (!a) return;
    st_intervention x = iv(2000, "z1", "critical", "incident");
    int64_t id = st_alert_submit(a, &x);
    CHECK_EQ_INT(id, 1);
    /* First delivery refused with 503, the retry gets 200. */
    for (int i = 0; i < 200 && h.requests == 0; i++) http_serve(&h, a, 503), st_alert_tick(a);
    for (int i = 0; i < 200 && h.requests == 1; i++) st_alert_tick(a), http_serve(&h, a, 200);
    for (int i = 0; i < 100 && st_alert_get(a, id)->webhook_status != 200; i++)
        st_alert_tick(a), sleep_ms(5);
    CHECK_EQ_INT(h.requests, 2);
    CHECK_EQ_INT(st_alert_get(a, id)->webhook_status, 200);
    json_t *j = json_loads(h.body, 0, NULL);
    CHECK(j != NULL);
    if (j) {
        CHECK_STR(json_string_value(json_object_get(j, "severity")), "critical");
        CHECK_STR(json_string_value(json_object_get(j, "rule")), "incident");
        json_decref(j);
    }
    st_alert_stats s;
    st_alert_stats_get(a, &s);
    CHECK_EQ_INT(s.webhook_failed, 1);
    CHECK_EQ_INT(s.webhook_ok, 1);
    st_alert_free(a);
    close(h.lfd);

    /* Unreachable webhook: logged failures, retries, then give up; no crash. */
    p.max_attempts = 3;
    snprintf(p.webhook_url, sizeof(p.webhook_url), "http://127.0.0.1:%d/alert", h.port);
    a = st_alert_new(&p, NULL);
    x = iv(3000, "z4", "warning", "escalating");
    CHECK_EQ_INT(st_alert_submit(a, &x), 1);
    for (int i = 0; i < 200; i++) st_alert_tick(a), sleep_ms(5);
    st_alert_stats_get(a, &s);
    CHECK_EQ_INT(s.webhook_failed, 3);
    CHECK_EQ_INT(s.given_up, 1);
    st_alert_free(a);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

typedef struct sub_ctx {
    char payload[2048];
    int n;
} sub_ctx;

static void on_sub_msg(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
    (void)m;
    sub_ctx *c = ud;
    snprintf(c->payload, sizeof(c->payload), "%.*s", msg->payloadlen, (const char *)msg->payload);
    c->n++;
}

static void test_mqtt(void)
{
    const char *paths[] = {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"};
    const char *bin = NULL;
    for (int i = 0; i < 2; i++)
        if (access(paths[i], X_OK) == 0) bin = paths[i];
    if (!bin) {
        printf("SKIP part: mosquitto not installed, MQTT alerts untested\n");
        return;
    }
    char dir[] = "/tmp/st-alert-mq-XXXXXX", conf[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(conf, sizeof(conf), "%s/m.conf", dir);
    int port = free_port();
    FILE *f = fopen(conf, "w");
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\n", port);
    fclose(f);
    st_alert_params p;
    st_alert_params_default(&p);
    snprintf(p.mqtt_host, sizeof(p.mqtt_host), "127.0.0.1");
    p.mqtt_port = port;
    snprintf(p.mqtt_topic, sizeof(p.mqtt_topic), "stratum/test/alerts");
    p.retry_min_s = 0.05;
    /* The broker is down at first: the alert waits, the client reconnects. */
    st_alert *a = st_alert_new(&p, NULL);
    CHECK(a != NULL);
    if (!a) return;
    st_intervention x = iv(4000, "z5", "warning", "escalating");
    CHECK_EQ_INT(st_alert_submit(a, &x), 1);
    for (int i = 0; i < 20; i++) st_alert_tick(a), sleep_ms(10);
    st_alert_stats s;
    st_alert_stats_get(a, &s);
    CHECK(s.mqtt_failed >= 1);
    CHECK_EQ_INT(s.mqtt_ok, 0);
    pid_t broker = fork();
    if (broker == 0) {
        execl(bin, bin, "-c", conf, (char *)NULL);
        _exit(127);
    }
    mosquitto_lib_init();
    sub_ctx ctx = {0};
    struct mosquitto *sub = mosquitto_new(NULL, true, &ctx);
    mosquitto_message_callback_set(sub, on_sub_msg);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        up = mosquitto_connect(sub, "127.0.0.1", port, 10) == MOSQ_ERR_SUCCESS;
        if (!up) sleep_ms(50);
    }
    CHECK(up);
    mosquitto_subscribe(sub, NULL, "stratum/test/alerts", 1);
    for (int i = 0; i < 20; i++) mosquitto_loop(sub, 10, 1);
    /* Reconnect delay starts at 1 s; allow a few. */
    for (int i = 0; i < 600 && ctx.n == 0; i++) {
        st_alert_tick(a);
        mosquitto_loop(sub, 10, 1);
    }
    CHECK_EQ_INT(ctx.n, 1);
    CHECK(strstr(ctx.payload, "\"zone\":\"z5\"") != NULL);
    CHECK(st_alert_get(a, 1)->mqtt_sent);
    /* A steward acknowledges on TOPIC/ack. */
    const char *ack = "{\"id\": 1, \"by\": \"steward-7\"}";
    mosquitto_publish(sub, NULL, "stratum/test/alerts/ack", (int)strlen(ack), ack, 1, false);
    for (int i = 0; i < 300 && st_alert_get(a, 1)->acked_t == 0; i++) {
        mosquitto_loop(sub, 10, 1);
        st_alert_tick(a);
    }
    CHECK_STR(st_alert_get(a, 1)->acked_by, "steward-7");
    mosquitto_disconnect(sub);
    mosquitto_destroy(sub);
    st_alert_free(a);
    kill(broker, SIGTERM);
    waitpid(broker, NULL, 0);
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_dedup_rate_ack);
    RUN(test_webhook);
    RUN(test_mqtt);
    return TEST_END("act/alert");
}
