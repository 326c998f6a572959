/* Fail-safe lighting: a watchdog process owns the output and falls back to the safe scene. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stratum/failsafe.h"

#define REPLAY_MAX 64

enum { MSG_SCENE = 1, MSG_HEARTBEAT, MSG_STOP, MSG_READY, MSG_ERROR };

/* One datagram on the SOCK_SEQPACKET pair between engine and watchdog. */
typedef struct fs_msg {
    int32_t type;
    int32_t err;
    char zone[ST_ID_MAX];
    char name[ST_ACTION_MAX];
} fs_msg;

typedef struct replay {
    char zone[ST_ID_MAX];
    char name[ST_ACTION_MAX];
} replay;

struct st_failsafe {
    st_light_params lp;
    st_failsafe_params fp;
    st_log *log;
    pid_t pid;
    int sock;
    double last_hb, next_spawn, backoff;
    replay last[REPLAY_MAX]; /* scenes to replay into a respawned watchdog, in order */
    size_t nlast;
    int finished; /* st_failsafe_finish ran: never respawn */
};

void st_failsafe_params_default(st_failsafe_params *p)
{
    memset(p, 0, sizeof(*p));
    p->heartbeat_s = 0.25;
    p->heartbeat_timeout_s = 3;
    p->stop_timeout_s = 10;
    p->orphan_hold_s = 5;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Lock file content: "PID\n" or "PID orphan\n" (written by the watchdog). */
static void lock_write(int fd, int orphan)
{
    char b[48];
    int n = snprintf(b, sizeof(b), "%ld%s\n", (long)getpid(), orphan ? " orphan" : "");
    if (ftruncate(fd, 0) == 0 && pwrite(fd, b, (size_t)n, 0) == n) return;
}

static void lock_read(int fd, long *pid, int *orphan)
{
    char b[48] = {0};
    ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
    char *end;
    *pid = n > 0 ? strtol(b, &end, 10) : 0;
    *orphan = n > 0 && strstr(b, "orphan") != NULL;
}

/* Take the output lock; with takeover, first stop an orphaned watchdog. */
static int lock_take(st_failsafe *f, int *out)
{
    *out = -1;
    if (!f->fp.lock_path[0]) return 0;
    int fd = open(f->fp.lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        st_error(f->log, "failsafe", "lock %s: %s", f->fp.lock_path, strerror(e));
        return -e;
    }
    double waited = 0;
    int signalled = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        long pid;
        int orphan;
        lock_read(fd, &pid, &orphan);
        if (!signalled && !(f->fp.takeover && orphan && pid > 1)) {
            st_error(f->log, "failsafe", "lights are driven by pid %ld%s (lock %s); stop it first",
                     pid, orphan ? ", an orphaned watchdog" : "", f->fp.lock_path);
            close(fd);
            return -EBUSY;
        }
        if (!signalled) {
            st_info(f->log, "failsafe", "taking over from orphaned watchdog pid %ld", pid);
            kill((pid_t)pid, SIGTERM);
            signalled = 1;
        }
        if (waited > f->fp.stop_timeout_s + 2) {
            st_error(f->log, "failsafe", "watchdog pid %ld did not release %s", pid,
                     f->fp.lock_path);
            close(fd);
            return -EBUSY;
        }
        sleep_s(0.05);
        waited += 0.05;
    }
    *out = fd;
    return 0;
}

/* In the watchdog: close every inherited socket but ours, so an orphaned
 * watchdog never keeps the engine's listening ports or broker connections. */
static void close_foreign_sockets(int keep1, int keep2)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    int dfd = dirfd(d), fds[1024], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < 3 || fd == dfd || fd == keep1 || fd == keep2) continue;
        struct stat st;
        if (fstat((int)fd, &st) == 0 && S_ISSOCK(st.st_mode)) fds[n++] = (int)fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
}

static void send_msg(int sock, int type, int err, const char *zone, const char *name)
{
    fs_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.err = err;
    if (zone) snprintf(m.zone, sizeof(m.zone), "%s", zone);
    if (name) snprintf(m.name, sizeof(m.name), "%s", name);
    if (send(sock, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return;
}

static __attribute__((noreturn)) void child_exit(int code)
{
    fflush(NULL);
    _exit(code);
}

/* The watchdog's life. Never returns. */
static __attribute__((noreturn)) void child_run(st_failsafe *f, int sock, int lockfd)
{
    st_log *log = f->log;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    close_foreign_sockets(sock, -1);
    if (lockfd >= 0) lock_write(lockfd, 0);
    st_light *l = st_light_new(&f->lp, log);
    if (!l || sfd < 0) {
        send_msg(sock, MSG_ERROR, errno ? errno : EIO, NULL, NULL);
        child_exit(1);
    }
    send_msg(sock, MSG_READY, 0, NULL, NULL);
    st_info(log, "failsafe", "watchdog pid %ld drives the lights (heartbeat timeout %.1f s)",
            (long)getpid(), f->fp.heartbeat_timeout_s);
    double now = st_light_now(), last_hb = now, deadline = 0, safe_since = 0;
    int stopping = 0, orphan = 0, hb_lost = 0;
    const int frame_ms = (int)(1000.0 / f->lp.frame_hz);
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
        poll(pfd, orphan ? 1 : 2, frame_ms);
        now = st_light_now();
        struct signalfd_siginfo si;
        const char *stop_why = NULL;
        if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) stop_why = "signal";
        while (!orphan) {
            fs_msg m;
            ssize_t n = recv(sock, &m, sizeof(m), MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
            if (n <= 0) { /* EOF: the engine exited or was killed */
                orphan = 1;
                close(sock);
                sock = -1;
                if (!stopping && !stop_why) {
                    st_error(log, "failsafe", "engine gone: fading to the safe scene %s",
                             f->lp.safe_scene);
                    st_light_scene(l, ST_LIGHT_SAFE, NULL, now);
                    if (lockfd >= 0) lock_write(lockfd, 1);
                }
                break;
            }
            if (n != (ssize_t)sizeof(m)) continue;
            m.zone[sizeof(m.zone) - 1] = m.name[sizeof(m.name) - 1] = '\0';
            last_hb = now;
            if (hb_lost) {
                st_info(log, "failsafe", "engine heartbeats are back");
                hb_lost = 0;
            }
            if (m.type == MSG_SCENE && !stopping)
                st_light_scene(l, m.name, m.zone, now);
            else if (m.type == MSG_STOP)
                stop_why = "engine stop";
        }
        if (!orphan && !stopping && !hb_lost && now - last_hb > f->fp.heartbeat_timeout_s) {
            st_error(log, "failsafe", "no engine heartbeat for %.1f s: safe scene %s",
                     now - last_hb, f->lp.safe_scene);
            st_light_scene(l, ST_LIGHT_SAFE, NULL, now);
            hb_lost = 1;
        }
        if (stop_why && !stopping) {
            st_info(log, "failsafe", "%s: fading to the safe scene, then terminating streams",
                    stop_why);
            stopping = 1;
            deadline = now + f->fp.stop_timeout_s;
            st_light_scene(l, ST_LIGHT_SAFE, NULL, now);
        }
        st_light_tick(l, now);
        /* Orphaned: once the safe scene is reached and held orphan_hold_s,
         * end the streams and exit, so a killed engine leaves no process
         * behind; receivers hold the last look (the safe scene). */
        if (orphan && !stopping && f->fp.orphan_hold_s >= 0) {
            if (!st_light_settled(l))
                safe_since = 0;
            else if (safe_since == 0)
                safe_since = now;
            else if (now - safe_since >= f->fp.orphan_hold_s) {
                st_warn(log, "failsafe",
                        "safe scene held %.1f s without an engine: ending streams and exiting",
                        now - safe_since);
                stopping = 1;
                deadline = now;
            }
        }
        if (stopping && (st_light_settled(l) || now >= deadline)) {
            st_light_terminate(l);
            st_light_free(l);
            st_info(log, "failsafe", "watchdog pid %ld stopped", (long)getpid());
            child_exit(0);
        }
    }
}

static int spawn(st_failsafe *f)
{
    int lockfd = -1, sv[2] = {-1, -1};
    int rc = lock_take(f, &lockfd);
    if (rc) return rc;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        rc = -errno;
        if (lockfd >= 0) close(lockfd);
        return rc;
    }
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        close(sv[0]), close(sv[1]);
        if (lockfd >= 0) close(lockfd);
        return rc;
    }
    if (pid == 0) {
        close(sv[0]);
        child_run(f, sv[1], lockfd);
    }
    close(sv[1]);
    if (lockfd >= 0) close(lockfd); /* the watchdog holds the lock now */
    struct pollfd pfd = {.fd = sv[0], .events = POLLIN};
    fs_msg m = {0};
    if (poll(&pfd, 1, 5000) != 1 || recv(sv[0], &m, sizeof(m), 0) != (ssize_t)sizeof(m) ||
        m.type != MSG_READY) {
        rc = m.type == MSG_ERROR && m.err ? -m.err : -ETIMEDOUT;
        st_error(f->log, "failsafe", "watchdog did not start: %s", strerror(-rc));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(sv[0]);
        return rc;
    }
    f->pid = pid;
    f->sock = sv[0];
    f->last_hb = st_light_now();
    return 0;
}

st_failsafe *st_failsafe_new(const st_light_params *lp, const st_failsafe_params *fp, st_log *log)
{
    int err = EINVAL;
    st_failsafe *f = NULL;
    char why[200];
    if (!lp || !fp) goto fail;
    if (st_light_params_check(lp, why, sizeof(why))) {
        st_error(log, "failsafe", "%s", why);
        goto fail;
    }
    if (!(fp->heartbeat_s > 0 && fp->heartbeat_timeout_s > 2 * fp->heartbeat_s &&
          fp->stop_timeout_s >= 0 && fp->stop_timeout_s <= 60)) {
        st_error(log, "failsafe",
                 "heartbeat_timeout_s must exceed 2 * heartbeat_s, "
                 "stop_timeout_s 0..60");
        goto fail;
    }
    err = ENOMEM;
    f = calloc(1, sizeof(*f));
    if (!f) goto fail;
    f->sock = -1;
    f->lp = *lp;
    f->fp = *fp;
    f->log = log;
    f->backoff = 1;
    if (lp->use_sacn && lp->sacn.cid_path[0]) {
        /* Create the CID here so a bad path is reported to the caller. */
        uint8_t cid[16];
        int rc = st_sacn_cid_load(lp->sacn.cid_path, cid);
        if (rc) {
            st_error(log, "failsafe", "source CID %s: %s", lp->sacn.cid_path, strerror(-rc));
            err = -rc;
            goto fail;
        }
    }
    int rc = spawn(f);
    if (rc) {
        err = -rc;
        goto fail;
    }
    return f;
fail:
    free(f);
    errno = err;
    return NULL;
}

pid_t st_failsafe_pid(const st_failsafe *f)
{
    return f ? f->pid : 0;
}

static int scene_known(const st_light_params *p, const char *name)
{
    if (!strcmp(name, ST_LIGHT_SAFE)) return 1;
    for (size_t i = 0; i < p->nscenes; i++)
        if (!strcmp(p->scenes[i].name, name)) return 1;
    return 0;
}

static void remember(st_failsafe *f, const char *name, const char *zone)
{
    int all = !zone || !zone[0] || !strcmp(zone, "*");
    if (all) f->nlast = 0;
    for (size_t i = 0; i < f->nlast; i++) {
        if (!strcmp(f->last[i].zone, zone)) { /* keep order: drop the old entry */
            memmove(&f->last[i], &f->last[i + 1], (f->nlast - i - 1) * sizeof(replay));
            f->nlast--;
            break;
        }
    }
    if (f->nlast == REPLAY_MAX) return;
    snprintf(f->last[f->nlast].zone, ST_ID_MAX, "%s", all ? "*" : zone);
    snprintf(f->last[f->nlast].name, ST_ACTION_MAX, "%s", name);
    f->nlast++;
}

static int send_scene(st_failsafe *f, const char *name, const char *zone)
{
    if (f->sock < 0) return -EPIPE;
    fs_msg m;
    memset(&m, 0, sizeof(m));
    m.type = MSG_SCENE;
    snprintf(m.zone, sizeof(m.zone), "%s", zone ? zone : "*");
    snprintf(m.name, sizeof(m.name), "%s", name);
    if (send(f->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return -errno;
    return 0;
}

int st_failsafe_scene(st_failsafe *f, const char *name, const char *zone)
{
    if (!f || !name) return -EINVAL;
    if (!scene_known(&f->lp, name)) {
        st_error(f->log, "failsafe", "scene '%s' is not defined", name);
        return -ENOENT;
    }
    remember(f, name, zone);
    int rc = send_scene(f, name, zone);
    if (rc) st_error(f->log, "failsafe", "scene %s to watchdog: %s", name, strerror(-rc));
    return rc;
}

int st_failsafe_tick(st_failsafe *f)
{
    if (!f) return -EINVAL;
    if (f->finished) return 0;
    double now = st_light_now();
    if (f->pid > 0) {
        int status = 0;
        pid_t r = waitpid(f->pid, &status, WNOHANG);
        if (r == f->pid || (r < 0 && errno == ECHILD)) {
            st_error(f->log, "failsafe", "watchdog pid %ld died (%s %d); respawning in %.0f s",
                     (long)f->pid, WIFSIGNALED(status) ? "signal" : "status",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), f->backoff);
            f->pid = 0;
            close(f->sock);
            f->sock = -1;
            f->next_spawn = now + f->backoff;
            f->backoff = f->backoff * 2 > 30 ? 30 : f->backoff * 2;
        }
    }
    if (f->pid == 0) {
        if (now < f->next_spawn) return -EPIPE;
        int rc = spawn(f);
        if (rc) {
            f->next_spawn = now + f->backoff;
            f->backoff = f->backoff * 2 > 30 ? 30 : f->backoff * 2;
            return rc;
        }
        f->backoff = 1;
        for (size_t i = 0; i < f->nlast; i++) send_scene(f, f->last[i].name, f->last[i].zone);
        st_info(f->log, "failsafe", "watchdog respawned as pid %ld, %zu scene(s) replayed",
                (long)f->pid, f->nlast);
    }
    if (now - f->last_hb >= f->fp.heartbeat_s) {
        fs_msg m;
        memset(&m, 0, sizeof(m));
        m.type = MSG_HEARTBEAT;
        /* A full socket means the watchdog is busy: the next tick retries. */
        if (send(f->sock, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) == 0 || errno != EAGAIN)
            f->last_hb = now;
    }
    return 0;
}

int st_failsafe_finish(st_failsafe *f)
{
    int rc = 0;
    if (!f) return 0;
    f->finished = 1;
    if (f->sock >= 0) {
        send_msg(f->sock, MSG_STOP, 0, NULL, NULL);
        close(f->sock);
        f->sock = -1;
    }
    if (f->pid > 0) {
        /* The watchdog's own deadline bounds this; SIGKILL only as a last resort. */
        double end = st_light_now() + f->fp.stop_timeout_s + 3;
        while (waitpid(f->pid, NULL, WNOHANG) == 0) {
            if (st_light_now() > end) {
                st_error(f->log, "failsafe", "watchdog pid %ld did not stop: killed", (long)f->pid);
                kill(f->pid, SIGKILL);
                waitpid(f->pid, NULL, 0);
                rc = -ETIMEDOUT;
                break;
            }
            sleep_s(0.02);
        }
        f->pid = 0;
    }
    return rc;
}

void st_failsafe_stop(st_failsafe *f, int wait)
{
    if (!f) return;
    if (wait) {
        st_failsafe_finish(f);
    } else {
        if (f->sock >= 0) {
            send_msg(f->sock, MSG_STOP, 0, NULL, NULL);
            close(f->sock);
        }
        if (f->pid > 0) waitpid(f->pid, NULL, WNOHANG);
    }
    free(f);
}

void st_failsafe_free(st_failsafe *f)
{
    st_failsafe_stop(f, 0);
}

static int act_apply(void *self, const st_intervention *iv)
{
    if (iv->kind != ST_ACT_SCENE) return 0;
    return st_failsafe_scene(self, iv->name, iv->zone);
}

static int act_tick(void *self, double now)
{
    (void)now; /* heartbeats run on the wall clock */
    return st_failsafe_tick(self);
}

static void act_free(void *self)
{
    st_failsafe_free(self);
}

static const st_actuator_ops failsafe_ops = {
    .name = "light", .apply = act_apply, .tick = act_tick, .free = act_free};

st_actuator st_failsafe_actuator(st_failsafe *f)
{
    st_actuator a = {.ops = &failsafe_ops, .self = f};
    return a;
}
