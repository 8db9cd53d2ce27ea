/*
 * raslog-client: the native front of the raslog CLI (built by tools/build.mjs
 * into dist/raslog-client; bin/raslog starts it). A Node CLI cannot print its
 * first line in < 50 ms: node's own start takes 60-90 ms. When raslogd runs,
 * this client forwards its argv (and the environment the CLI reads) over
 * raslogd's query socket; raslogd runs the very same CLI program in-process
 * on its open store and streams stdout, stderr and the exit code back
 * (protocol: src/daemon/cli.ts). In every other case it execs the Node CLI
 * (bin/raslog.js, or $RASLOG_NODE_CLI) with the same argv, so that behaviour
 * is the Node CLI's:
 *   - the command is not a read-only store command (region, test-notify,
 *     help, no command, options first);
 *   - no daemon answers on the socket (ENOENT, ECONNREFUSED, EACCES, ...);
 *   - raslogd answers that it cannot run the request as the client's Node CLI
 *     would (an older raslogd, a TZ it cannot reproduce, another data dir);
 *   - an argument, the working directory or a variable is not valid UTF-8.
 * The socket is found as the CLI finds it: $RASLOG_SOCKET, else
 * raslogd.sock in the data dir: the last --data-dir X / --data-dir=X,
 * else $RASLOG_DATA_DIR, else /var/lib/raslog.
 *
 * SIGPIPE/EPIPE on stdout ends the client quietly with status 0 (as the Node
 * CLI); its connection closing ends the request in raslogd. SIGINT/SIGTERM end
 * the client like they end the Node CLI: by the signal, or, once raslogd said
 * the command handles them (show -f), by forwarding them (shutting down the
 * writing side of the connection) and printing the command's end.
 *
 * C99 + POSIX, libc only: cc -std=gnu11 -Wall -Wextra -O2.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_DATA_DIR "/var/lib/raslog"
#define PROTOCOL_VERSION 1

static const char *const FORWARDED[] = {"show", "boots", "status", "verify", "export", "netstats", NULL};

static char **g_argv;
static int g_sock = -1;
static volatile sig_atomic_t g_signal;

/* ---- the Node CLI ---------------------------------------------------------------------- */

/* Run the Node CLI with our argv: $RASLOG_NODE_CLI, else ../bin/raslog.js next to this binary. */
static void exec_node(void) {
    static char path[PATH_MAX];
    const char *cli = getenv("RASLOG_NODE_CLI");
    if (g_sock >= 0) close(g_sock);
    signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored across exec */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!cli || !*cli) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
        char *slash;
        if (n <= 0) goto fail;
        path[n] = 0;
        for (int up = 0; up < 2; up++) { /* <root>/dist/raslog-client -> <root> */
            slash = strrchr(path, '/');
            if (!slash) goto fail;
            *slash = 0;
        }
        strcat(path, "/bin/raslog.js");
        cli = path;
    }
    {
        int argc = 0;
        while (g_argv[argc]) argc++;
        char **args = calloc((size_t)argc + 2, sizeof *args);
        if (!args) goto fail;
        /* the script itself (its #!/usr/bin/env node line), else node with the script */
        args[0] = (char *)cli;
        for (int i = 1; i < argc; i++) args[i] = g_argv[i];
        execv(cli, args);
        args[0] = "node";
        args[1] = (char *)cli;
        for (int i = 1; i < argc; i++) args[i + 1] = g_argv[i];
        execvp("node", args);
    }
fail:
    fprintf(stderr, "raslog: cannot start the Node CLI (%s): %s\n", cli && *cli ? cli : "bin/raslog.js", strerror(errno));
    exit(127);
}

/* ---- the request ----------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) exec_node();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s) {
    while (*s) {
        unsigned c = *s;
        int n;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        s += n + 1;
    }
    return 1;
}

/* A JSON string; a value that is not UTF-8 is left to the Node CLI. */
static void put_json_string(struct buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (!valid_utf8((const unsigned char *)s)) exec_node();
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(b, e, 2);
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            put(b, e, 6);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    put(b, "\"", 1);
}

static void put_tty(struct buf *b, const char *name, int fd) {
    char tmp[64];
    struct winsize ws;
    int tty = isatty(fd);
    snprintf(tmp, sizeof tmp, ",\"%s\":{\"tty\":%s", name, tty ? "true" : "false");
    puts_(b, tmp);
    if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0) {
        snprintf(tmp, sizeof tmp, ",\"columns\":%u", (unsigned)ws.ws_col);
        puts_(b, tmp);
    }
    puts_(b, "}");
}

/* The socket path as the Node CLI computes it (src/store/paths.ts). */
static const char *socket_path(int argc, char **argv) {
    static char path[PATH_MAX + 32];
    const char *env_sock = getenv("RASLOG_SOCKET");
    if (env_sock && *env_sock) return env_sock;
    const char *dir = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) dir = argv[++i];
        else if (strncmp(argv[i], "--data-dir=", 11) == 0) dir = argv[i] + 11;
    }
    if (!dir || !*dir) dir = getenv("RASLOG_DATA_DIR");
    if (!dir || !*dir) dir = DEFAULT_DATA_DIR;
    size_t n = strlen(dir);
    if (n + sizeof "/raslogd.sock" > sizeof path) return NULL;
    memcpy(path, dir, n);
    /* path.join: no doubled slash */
    while (n > 1 && path[n - 1] == '/') n--;
    strcpy(path + n, "/raslogd.sock");
    return path;
}

/* ---- I/O ------------------------------------------------------------------------------- */

static int g_follow; /* raslogd said the command handles SIGINT/SIGTERM ('I') */
static int g_shut;   /* we forwarded one */

/* A signal arrived while blocked: forward it, or end as the Node CLI would end. */
static void on_signal(void) {
    int sig = g_signal;
    if (!sig) return;
    g_signal = 0;
    if (g_follow && !g_shut) { /* a second one ends the client, as it ends the Node CLI */
        shutdown(g_sock, SHUT_WR);
        g_shut = 1;
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void handler(int sig) { g_signal = sig; }

static int g_stdout_dead; /* stdout failed with something else than EPIPE: output is dropped */

/* Write all of it; 0 ok, -1 EPIPE (stdout: we are done). */
static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        if (fd == 1 && g_stdout_dead) return 0;
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) {
            on_signal();
            continue;
        }
        if (w < 0 && errno == EAGAIN) { /* a non-blocking stdout inherited from the parent */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, -1);
            continue;
        }
        if (w < 0 && errno == EPIPE) return -1;
        if (fd == 1) g_stdout_dead = 1; /* as the Node CLI: the error is ignored, the run goes on */
        return 0;
    }
    return 0;
}

static char rbuf[65536];
static size_t rpos, rlen;

/* Read more from the socket; 0 at EOF. */
static size_t fill(void) {
    for (;;) {
        ssize_t r = read(g_sock, rbuf, sizeof rbuf);
        if (r >= 0) {
            rpos = 0;
            rlen = (size_t)r;
            return rlen;
        }
        if (errno == EINTR) {
            on_signal();
            continue;
        }
        return 0;
    }
}

/* Exactly n bytes into dst; 0 at a premature EOF. */
static int read_exact(void *dst, size_t n) {
    char *d = dst;
    while (n) {
        if (rpos == rlen && !fill()) return 0;
        size_t k = rlen - rpos < n ? rlen - rpos : n;
        memcpy(d, rbuf + rpos, k);
        rpos += k;
        d += k;
        n -= k;
    }
    return 1;
}

int main(int argc, char **argv) {
    g_argv = argv;
    if (argc < 2) exec_node();
    int known = 0;
    for (int i = 0; FORWARDED[i]; i++) known |= strcmp(argv[1], FORWARDED[i]) == 0;
    if (!known) exec_node();

    const char *sp = socket_path(argc, argv);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!sp || strlen(sp) >= sizeof sa.sun_path) exec_node();
    strcpy(sa.sun_path, sp);
    g_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g_sock < 0 || connect(g_sock, (struct sockaddr *)&sa, sizeof sa) < 0) exec_node();

    struct buf req = {0};
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) exec_node();
    puts_(&req, "{\"op\":\"cli\",\"v\":1,\"argv\":[");
    for (int i = 1; i < argc; i++) {
        if (i > 1) puts_(&req, ",");
        put_json_string(&req, argv[i]);
    }
    puts_(&req, "],\"cwd\":");
    put_json_string(&req, cwd);
    puts_(&req, ",\"socket\":");
    put_json_string(&req, sp);
    puts_(&req, ",\"env\":{");
    static const char *const VARS[] = {"TZ", "RASLOG_DATA_DIR", "RASLOG_SOCKET", "RASLOG_DEBUG", NULL};
    int nv = 0;
    for (int i = 0; VARS[i]; i++) {
        const char *v = getenv(VARS[i]);
        if (!v) continue;
        if (nv++) puts_(&req, ",");
        put_json_string(&req, VARS[i]);
        puts_(&req, ":");
        put_json_string(&req, v);
    }
    puts_(&req, "}");
    put_tty(&req, "stdout", 1);
    put_tty(&req, "stderr", 2);
    puts_(&req, "}\n");

    signal(SIGPIPE, SIG_IGN); /* EPIPE instead, on stdout and on the socket */
    struct sigaction act = {0};
    act.sa_handler = handler; /* no SA_RESTART: a blocked read or write returns EINTR */
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);

    if (write_all(g_sock, req.p, req.len) < 0) exec_node(); /* raslogd went away: nothing was run */
    free(req.p);

    int answered = 0; /* a frame of ours came: no going back to the Node CLI */
    for (;;) {
        unsigned char h[5];
        if (!read_exact(h, 1)) {
            if (!answered) exec_node(); /* closed without an answer (raslogd stopping) */
            const char msg[] = "raslog: raslogd closed the connection\n";
            write_all(2, msg, sizeof msg - 1);
            return 1;
        }
        if (!answered && !strchr("OEIXF", h[0])) exec_node(); /* a raslogd without this protocol ({"error":...}) */
        if (!read_exact(h + 1, 4)) {
            const char msg[] = "raslog: raslogd closed the connection\n";
            write_all(2, msg, sizeof msg - 1);
            return 1;
        }
        uint32_t n = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
        switch (h[0]) {
        case 'F':
            if (!answered) {
                if (getenv("RASLOG_CLIENT_DEBUG")) {
                    char why[256];
                    size_t k = n < sizeof why - 1 ? n : sizeof why - 1;
                    if (read_exact(why, k)) fprintf(stderr, "raslog-client: Node CLI: %.*s\n", (int)k, why);
                }
                exec_node();
            }
            return 70;
        case 'I':
            answered = 1;
            g_follow = 1;
            break;
        case 'X': {
            unsigned char c[4];
            if (n != 4 || !read_exact(c, 4)) return 70;
            int32_t code = (int32_t)((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3]);
            return code & 0xff;
        }
        case 'O':
        case 'E': {
            answered = 1;
            int fd = h[0] == 'O' ? 1 : 2;
            while (n) {
                if (rpos == rlen && !fill()) {
                    const char msg[] = "raslog: raslogd closed the connection\n";
                    write_all(2, msg, sizeof msg - 1);
                    return 1;
                }
                size_t k = rlen - rpos < n ? rlen - rpos : n;
                if (write_all(fd, rbuf + rpos, k) < 0) {
                    if (fd == 1) return 0; /* stdout closed (| head): quietly, like the Node CLI */
                }
                rpos += k;
                n -= (uint32_t)k;
            }
            break;
        }
        default: {
            const char msg[] = "raslog: unexpected answer from raslogd\n";
            write_all(2, msg, sizeof msg - 1);
            return 70;
        }
        }
    }
}
