/*
 * The client of Tests/faults/test-kill9.sh: makes acknowledged changes of persistent state
 * (SWDL of permanent modules, SWDEL, PARMSET of 0xF102 DeviceName of TID 0x203) and logs
 * each one to a journal with fsync, then checks after a restart that every one is kept.
 *
 *   state-client write JOURNAL SEED      changes until an ioctl fails (the daemon was killed)
 *   state-client verify JOURNAL          compares the device with the journal; rewrites the
 *                                        journal as the state found. Prints "ok" or FAIL lines.
 *
 * Journal lines: "B <op>" before an ioctl sequence starts, "A <op>" when it was acknowledged,
 * <op> = "M type id size crc" (module stored), "D type id" (module deleted), "P value"
 * (DeviceName set). Only the last "B" can lack its "A" (one request in flight when killed):
 * verify accepts either the state before it or after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

#define NMOD 6
#define SWTYPE 0x22
#define TID 0x203
static const char *dev = "/dev/i2o/ctl";
static int fd = -1;
static FILE *journal;

static void jlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jlog(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(journal, fmt, ap);
    va_end(ap);
    fputc('\n', journal);
    fflush(journal);
    fsync(fileno(journal));
}

static uint32_t fnv(const uint8_t *b, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
    return h;
}

static int swdl(uint8_t type, uint32_t id, const uint8_t *data, unsigned size, unsigned char flags) {
    unsigned maxfrag = (size + 8191) / 8192;
    if (maxfrag == 0) maxfrag = 1;
    for (unsigned f = 1; f <= maxfrag; f++) {
        unsigned swlen = size, mf = maxfrag, cf = f;
        int err;
        if (i2o_swxfer(fd, I2OSWDL, 0, flags, type, id, (void *)(data + (f - 1) * 8192), &swlen, &mf, &cf, &err) != 0)
            return -1;
    }
    return 0;
}

static int swdel(uint8_t type, uint32_t id) {
    unsigned swlen = 0, mf = 0, cf = 0;
    int err;
    return i2o_swxfer(fd, I2OSWDEL, 0, 0, type, id, NULL, &swlen, &mf, &cf, &err);
}

/* Uploads module (type, id): size and crc; -1 with errno EIO when there is none. */
static int swul(uint8_t type, uint32_t id, unsigned *size, uint32_t *crc) {
    static uint8_t image[1 << 20];
    unsigned total = 0, frags = 1;
    for (unsigned f = 1; f <= frags; f++) {
        unsigned swlen = 0, mf = 0, cf = f;
        int err;
        if (i2o_swxfer(fd, I2OSWUL, 0, 0, type, id, image + (f - 1) * 8192, &swlen, &mf, &cf, &err) != 0) return -1;
        total = swlen; frags = mf;
        if (total > sizeof image) return -1;
    }
    *size = total;
    *crc = fnv(image, total);
    return 0;
}

/* DeviceName (0xF102 field 0, 64 bytes) of TID: set to value, or read into out[65]. */
static int parm(int set, const char *value, char *out) {
    /* The engine reserves 64 KiB of resbuf (the buffer the IOP gets), whatever reslen says. */
    static uint8_t res[65536];
    uint8_t ops[80];
    unsigned reslen = 256, oplen;
    int err;
    if (set) {
        char name[64] = {0};
        memcpy(name, value, strnlen(value, sizeof name));
        oplen = i2o_op_set_field(ops, 0xF102, 0, name, sizeof name);
    } else {
        oplen = i2o_op_get_field(ops, 0xF102, 0);
    }
    if (i2o_psetget(fd, set ? I2OPARMSET : I2OPARMGET, 0, TID, ops, oplen, res, &reslen, &err) != 0) return -1;
    if (reslen < 8 || I2O_RES_BSTATUS(res) != 0) { errno = EPROTO; return -1; }
    if (out) { memcpy(out, I2O_RES_DATA(res), 64); out[64] = 0; }
    return 0;
}

static void fill(uint8_t *b, unsigned n, unsigned seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (unsigned i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; b[i] = (uint8_t)x; }
}

static int do_write(unsigned seed) {
    static uint8_t buf[3 * 8192];
    srand(seed);
    for (unsigned i = 0;; i++) {
        int what = rand() % 10;
        if (what < 4) {
            unsigned id = 1 + rand() % NMOD, size = 1 + rand() % sizeof buf;
            fill(buf, size, seed * 1000 + i);
            uint32_t crc = fnv(buf, size);
            jlog("B M %d %u %u %u", SWTYPE, id, size, crc);
            /* permanent (bit 0) and override (bit 1: valid at once) */
            if (swdl(SWTYPE, id, buf, size, 0x03) != 0) return 0;
            jlog("A M %d %u %u %u", SWTYPE, id, size, crc);
        } else if (what < 5) {
            unsigned id = 1 + rand() % NMOD;
            jlog("B D %d %u", SWTYPE, id);
            if (swdel(SWTYPE, id) != 0) {
                /* EIO: not there — unless the daemon is gone (the transport says EIO too). */
                uint8_t iops[MAX_I2O_CONTROLLERS];
                if (errno == EIO && ioctl(fd, I2OGETIOPS, iops) == 0) { jlog("A D %d %u", SWTYPE, id); continue; }
                return 0;
            }
            jlog("A D %d %u", SWTYPE, id);
        } else {
            char v[65];
            snprintf(v, sizeof v, "v%u-%u", seed, i);
            jlog("B P %s", v);
            if (parm(1, v, NULL) != 0) return 0;
            jlog("A P %s", v);
        }
    }
}

struct mod { int known; int present; unsigned size; uint32_t crc; };

static int do_verify(const char *path) {
    struct mod acked[NMOD + 1] = {{0}}, inflight[NMOD + 1] = {{0}};
    char packed[65] = "", pflight[65] = "";
    int pknown = 0, flightmod = -1, flightp = 0;
    FILE *j = fopen(path, "r");
    char line[256];
    while (j && fgets(line, sizeof line, j)) {
        char k, op;
        int type; unsigned id, size; uint32_t crc; char v[65];
        if (sscanf(line, "%c %c", &k, &op) != 2) continue;
        if (k == 'B') { flightmod = -1; flightp = 0; }
        if (op == 'M' && sscanf(line + 4, "%d %u %u %u", &type, &id, &size, &crc) == 4 && id <= NMOD) {
            struct mod m = {1, 1, size, crc};
            if (k == 'A') { acked[id] = m; flightmod = -1; } else { inflight[id] = m; flightmod = (int)id; }
        } else if (op == 'D' && sscanf(line + 4, "%d %u", &type, &id) == 2 && id <= NMOD) {
            struct mod m = {1, 0, 0, 0};
            if (k == 'A') { acked[id] = m; flightmod = -1; } else { inflight[id] = m; flightmod = (int)id; }
        } else if (op == 'P' && sscanf(line + 4, "%64[^\n]", v) == 1) {
            if (k == 'A') { strcpy(packed, v); pknown = 1; flightp = 0; } else { strcpy(pflight, v); flightp = 1; }
        }
    }
    if (j) fclose(j);
    int bad = 0;
    FILE *out = fopen(path, "w");
    if (!out) { perror(path); return 1; }
    for (int id = 1; id <= NMOD; id++) {
        struct mod now = {1, 0, 0, 0};
        if (swul(SWTYPE, (uint32_t)id, &now.size, &now.crc) == 0) now.present = 1;
        else if (errno != EIO) { printf("FAIL upload of module %d: %s\n", id, strerror(errno)); bad++; continue; }
        int match_acked = !acked[id].known ? 1 : (acked[id].present == now.present &&
                          (!now.present || (acked[id].size == now.size && acked[id].crc == now.crc)));
        if (!acked[id].known && now.present) match_acked = 0;
        int match_flight = flightmod == id && inflight[id].present == now.present &&
                           (!now.present || (inflight[id].size == now.size && inflight[id].crc == now.crc));
        if (!match_acked && !match_flight) {
            printf("FAIL module %d: expected %s size %u crc %08x, found %s size %u crc %08x\n", id,
                   acked[id].present ? "present" : "absent", acked[id].size, acked[id].crc,
                   now.present ? "present" : "absent", now.size, now.crc);
            bad++;
        }
        if (now.present) fprintf(out, "A M %d %d %u %u\n", SWTYPE, id, now.size, now.crc);
        else fprintf(out, "A D %d %d\n", SWTYPE, id);
    }
    char v[65];
    if (parm(0, NULL, v) != 0) { printf("FAIL PARMGET: %s\n", strerror(errno)); bad++; }
    else {
        if (pknown && strcmp(v, packed) != 0 && !(flightp && strcmp(v, pflight) == 0)) {
            printf("FAIL DeviceName: expected '%s'%s%s%s, found '%s'\n", packed, flightp ? " or '" : "",
                   flightp ? pflight : "", flightp ? "'" : "", v);
            bad++;
        }
        if (v[0]) fprintf(out, "A P %s\n", v);
    }
    fflush(out); fsync(fileno(out)); fclose(out);
    if (!bad) printf("ok\n");
    return bad ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: state-client write JOURNAL SEED | verify JOURNAL\n"); return 2; }
    if (getenv("I2O_DEVICE")) dev = getenv("I2O_DEVICE");
    fd = open(dev, O_RDWR);
    if (fd < 0) { printf("FAIL open %s: %s\n", dev, strerror(errno)); return 1; }
    if (strcmp(argv[1], "write") == 0 && argc == 4) {
        journal = fopen(argv[2], "a");
        if (!journal) { perror(argv[2]); return 1; }
        return do_write((unsigned)strtoul(argv[3], NULL, 10));
    }
    if (strcmp(argv[1], "verify") == 0) return do_verify(argv[2]);
    fprintf(stderr, "usage: state-client write JOURNAL SEED | verify JOURNAL\n");
    return 2;
}
