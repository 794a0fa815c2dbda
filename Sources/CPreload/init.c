/*
 * Start-up: the real libc functions (looked up with dlsym RTLD_NEXT), the configuration read
 * from the environment (I2OSIM_SOCKET, I2OSIM_DEVICES, I2OSIM_MODE), the constructor, and
 * is_device_path — which of the configured device nodes a path names (device_path: its path as configured).
 */
#include "preload-internal.h"

/* ---------------------------------------------------------------- real functions */

#define DEFINE_REAL(RET, NAME, PARAMS) RET(*real_##NAME) PARAMS;
REAL_FUNCTIONS(DEFINE_REAL)
#undef DEFINE_REAL

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

/* ---------------------------------------------------------------- configuration */

#define MAX_DEVICES 16
static char *device_paths[MAX_DEVICES];
static int device_count;
char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
int active;
mode_t node_mode = 0666;
struct timespec load_time;

/* ---------------------------------------------------------------- init */

void init_once(void) {
#define LOOK_UP_REAL(RET, NAME, PARAMS) real_##NAME = next(#NAME);
    REAL_FUNCTIONS(LOOK_UP_REAL)
#undef LOOK_UP_REAL
    if (!real_fcntl64) real_fcntl64 = real_fcntl;

    clock_gettime(CLOCK_REALTIME, &load_time);
    const char *sock = getenv("I2OSIM_SOCKET");
    if (!sock || !*sock || strlen(sock) >= sizeof socket_path) return;
    strcpy(socket_path, sock);

    const char *devs = getenv("I2OSIM_DEVICES");
    if (!devs || !*devs) devs = "/dev/i2o/ctl:/dev/i2octl";
    char *copy = strdup(devs);
    if (!copy) return;
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && device_count < MAX_DEVICES;
         p = strtok_r(NULL, ":", &save))
        if (p[0] == '/') device_paths[device_count++] = p;

    const char *mode = getenv("I2OSIM_MODE");
    if (mode && *mode) {
        char *end;
        unsigned long m = strtoul(mode, &end, 8);
        if (!*end && m <= 07777) node_mode = (mode_t)m;
    }
    pthread_atfork(NULL, NULL, atfork_child);
    scan_inherited();
    active = 1;
}

pthread_once_t init_once_control = PTHREAD_ONCE_INIT;

__attribute__((constructor)) static void preload_constructor(void) { init(); }

/* ---------------------------------------------------------------- paths */

/* Lexical normalisation of an absolute path: collapses //, /./ and /../. */
static void normalise(const char *in, char *out, size_t cap) {
    size_t o = 0;
    out[o++] = '/';
    const char *p = in;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != '/') p++;
        size_t len = (size_t)(p - s);
        if (len == 1 && s[0] == '.') continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (o > 1) {
                o--;
                while (o > 1 && out[o - 1] != '/') o--;
            }
            continue;
        }
        if (o > 1) {
            if (o + 1 >= cap) break;
            out[o++] = '/';
        }
        if (o + len >= cap) break;
        memcpy(out + o, s, len);
        o += len;
    }
    out[o] = 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int is_device_path(int dirfd, const char *path) {
    if (!active || !path || !*path) return 0;
    char full[PATH_MAX * 2], norm[PATH_MAX];
    if (path[0] == '/') {
        normalise(path, norm, sizeof norm);
    } else {
        /* Relative: only worth resolving when the last component could match. */
        const char *b = base_name(path);
        int maybe = 0;
        for (int i = 0; i < device_count; i++)
            if (strcmp(base_name(device_paths[i]), b) == 0) maybe = 1;
        if (!maybe) return 0;
        char dir[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(dir, sizeof dir)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, dir, sizeof dir - 1);
            if (n <= 0) return 0;
            dir[n] = 0;
        }
        snprintf(full, sizeof full, "%s/%s", dir, path);
        normalise(full, norm, sizeof norm);
    }
    for (int i = 0; i < device_count; i++) {
        char d[PATH_MAX];
        normalise(device_paths[i], d, sizeof d);
        if (strcmp(d, norm) == 0) return i + 1;
    }
    return 0;
}

const char *device_path(int device) {
    return device > 0 && device <= device_count ? device_paths[device - 1] : "";
}
