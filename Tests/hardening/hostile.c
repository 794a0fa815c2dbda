/*
 * Hostile clients of /dev/i2o/ctl (any transport: preload via `i2osim run`, or CUSE):
 *
 *   hostile [-d DEVICE] matrix            every ioctl x bad inputs: the errno of docs/contract.md,
 *                                         observable state unchanged, the device still serving
 *   hostile [-d DEVICE] load C N [MAXSEC] C forked clients x N mixed ioctls (valid and invalid,
 *                                         events included), failing when no ioctl is answered for
 *                                         30 s or the run passes MAXSEC; checks every result, counts events
 *                                         raised vs received per client, and the daemon's VmRSS
 *                                         (the parent process when run by `i2osim run`, or
 *                                         -p PID) after a warm-up vs after the run
 *
 * Built 64- and 32-bit (the struct layouts follow the compiler). Prints "N passed, N failed";
 * exits 1 when something failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

static const char *dev = "/dev/i2o/ctl";
static long page;
static void *bad;        /* an address that is not mapped */
/* An address below 4 GiB that faults, for PASSTHRU32's 32-bit msg: a PROT_NONE page kept mapped
 * (so nothing else lands there). `bad` truncated to 32 bits is no such address: in a 64-bit process
 * it may point into anything mapped low — under ASan, its shadow memory — and read fine. */
static void *bad32;
static char *guard_end;  /* the end of a readable page followed by a PROT_NONE page */

/* The ioctl's result, or -errno: the cells below compare with -EFAULT and the like. */
static int xioctl(int fd, unsigned long cmd, void *arg) {
    int err, r = i2o_ioctl(fd, cmd, arg, &err);
    return r < 0 ? -err : r;
}

/* ---- observable state: LCT, HRT, parameter groups, the stored module ---- */

/* The daemon reserves 64 KiB at a PARMGET/PARMSET resbuf (docs/decisions.md) and the preload
 * library checks that all of it is writable, so result buffers here have 64 KiB after them. */
#define SLACK 65536
struct fingerprint {
    unsigned swlen, maxfrag, lctlen, hrtlen, f100len, f102len;
    int probe;  /* SWUL of the module the SWDL cells name: must stay "no such module" */
    unsigned char lct[4096], hrt[4096], f102[1024], f100[1024];
    unsigned char slack[SLACK];
};
#define FP_BYTES offsetof(struct fingerprint, slack)

static unsigned char fieldget_f100[] = {1, 0, 0, 0, 1, 0, 0x00, 0xF1, 0xFF, 0xFF, 0, 0};
static unsigned char fieldget_f102[] = {1, 0, 0, 0, 1, 0, 0x02, 0xF1, 0xFF, 0xFF, 0, 0};

static int params(int fd, unsigned long cmd, unsigned tid, void *ops, unsigned oplen, void *res, unsigned *len) {
    int err, r = i2o_psetget(fd, cmd, 0, tid, ops, oplen, res, len, &err);
    return r < 0 ? -err : r;
}

static int fingerprint(int fd, struct fingerprint *f) {
    memset(f, 0, FP_BYTES);
    f->lctlen = f->hrtlen = 4096;
    f->f100len = f->f102len = 1024;
    struct i2o_cmd_hrtlct l = {0, f->lct, &f->lctlen}, h = {0, f->hrt, &f->hrtlen};
    int r;
    if ((r = xioctl(fd, I2OLCTGET, &l)) || (r = xioctl(fd, I2OHRTGET, &h))) return fprintf(stderr, "LCT/HRT %d\n", r), -1;
    if ((r = params(fd, I2OPARMGET, 0, fieldget_f100, sizeof fieldget_f100, f->f100, &f->f100len)))
        return fprintf(stderr, "PARMGET F100 %d\n", r), -1;
    if ((r = params(fd, I2OPARMGET, 0, fieldget_f102, sizeof fieldget_f102, f->f102, &f->f102len)))
        return fprintf(stderr, "PARMGET F102 %d\n", r), -1;
    static unsigned char buf[8192];
    unsigned cur = 1;
    f->maxfrag = 0;
    struct i2o_sw_xfer x = {0, 0, 0x01, 0x001B0001, buf, &f->swlen, &f->maxfrag, &cur};
    if ((r = xioctl(fd, I2OSWUL, &x))) return fprintf(stderr, "SWUL %d\n", r), -1;
    unsigned psw = 0, pmf = 0, pcf = 1;
    struct i2o_sw_xfer p = {0, 0, 0x22, 0x00770001, buf, &psw, &pmf, &pcf};
    f->probe = xioctl(fd, I2OSWUL, &p);
    return 0;
}

/* ---- the matrix ---- */

static unsigned char fieldset_f102[76];  /* FIELD_SET 0xF102 DeviceName := "hostile..." */

static void *short_struct(size_t size) {
    memset(guard_end - (size - 1), 0, size - 1);
    return guard_end - (size - 1);
}

struct cell { const char *name; unsigned long cmd; int expected; void *arg; };

static void run_cells(int fd, struct cell *cells, int n, struct fingerprint *base) {
    for (int i = 0; i < n; i++) {
        int r = xioctl(fd, cells[i].cmd, cells[i].arg);
        CHECK(r == -cells[i].expected, "%s: got %d (%s), expected -%d (%s)", cells[i].name, r, r < 0 ? strerror(-r) : "ok",
              cells[i].expected, strerror(cells[i].expected));
        static struct fingerprint now;
        int same = fingerprint(fd, &now) == 0 && memcmp(&now, base, FP_BYTES) == 0;
        CHECK(same, "%s: state changed", cells[i].name);
        if (!same) memcpy(base, &now, FP_BYTES);  /* one change is reported once, not by every later cell */
    }
}

static int matrix(void) {
    int fd = open(dev, O_RDWR);
    if (fd < 0) { perror(dev); return 1; }
    static struct fingerprint base;
    if (fingerprint(fd, &base) != 0) { fprintf(stderr, "baseline fingerprint failed\n"); return 1; }
    /* One event queued on this file (FIELD_MODIFIED on TID 0), which no cell may consume. */
    struct i2o_evt_id reg = {0, 0, 0x01000000};
    CHECK(xioctl(fd, I2OEVTREG, &reg) == 0, "EVTREG");
    static unsigned char res[1024 + SLACK];
    unsigned len = 1024;
    memcpy(fieldset_f102 + 12, "matrix-baseline", 15);
    CHECK(params(fd, I2OPARMSET, 0, fieldset_f102, sizeof fieldset_f102, res, &len) == 0, "PARMSET baseline");
    memcpy(fieldset_f102 + 12, "hostile-change!", 15);
    if (fingerprint(fd, &base) != 0) return 1;

    static unsigned char buf4k[4096 + SLACK];
    /* In/out lengths: each cell its own (a wrong success would overwrite a shared one). */
    static unsigned big31[8], big32[8], one[8], frag8k[8];
    for (int i = 0; i < 8; i++) big31[i] = 0x80000000u, big32[i] = 0xFFFFFFFFu, one[i] = 1, frag8k[i] = 8192;
    /* A 16-byte result buffer right before an inaccessible page. */
    unsigned char *tiny = (unsigned char *)guard_end - 16;
    unsigned rl[16];
    for (int i = 0; i < 16; i++) rl[i] = 4096;
    unsigned nb = 0;
#define RL (&rl[nb++ % 16])
    struct i2o_cmd_hrtlct h_badres = {0, bad, RL}, h_nullres = {0, NULL, RL}, h_badlen = {0, buf4k, bad},
                          h_nullen = {0, buf4k, NULL}, h_iop = {7, buf4k, RL}, h_huge31 = {0, tiny, &big31[0]},
                          h_huge32 = {0, tiny, &big32[0]};
    struct i2o_cmd_psetget p_badop = {0, 0, bad, sizeof fieldset_f102, buf4k, RL},
                           p_nullop = {0, 0, NULL, sizeof fieldset_f102, buf4k, RL},
                           p_badres = {0, 0, fieldset_f102, sizeof fieldset_f102, bad, RL},
                           p_nullres = {0, 0, fieldset_f102, sizeof fieldset_f102, NULL, RL},
                           p_badlen = {0, 0, fieldset_f102, sizeof fieldset_f102, buf4k, bad},
                           p_iop = {7, 0, fieldset_f102, sizeof fieldset_f102, buf4k, RL},
                           p_tid = {0, 0x777, fieldset_f102, sizeof fieldset_f102, buf4k, RL},
                           p_short = {0, 0, fieldset_f102, 2, buf4k, RL},
                           p_op31 = {0, 0, fieldset_f102, 0x80000000u, buf4k, RL},
                           p_op32 = {0, 0, fieldset_f102, 0xFFFFFFFFu, buf4k, RL};
    static unsigned char frag[8192];
    unsigned sw1 = 8192, mf1 = 1, cf1 = 1;
    struct i2o_sw_xfer s_badbuf = {0, 0, 0x22, 0x00770001, bad, &sw1, &mf1, &cf1},
                       s_nullbuf = {0, 0, 0x22, 0x00770001, NULL, &sw1, &mf1, &cf1},
                       s_badsw = {0, 0, 0x22, 0x00770001, frag, bad, &mf1, &cf1},
                       s_badmf = {0, 0, 0x22, 0x00770001, frag, &sw1, bad, &cf1},
                       s_badcf = {0, 0, 0x22, 0x00770001, frag, &sw1, &mf1, bad},
                       s_iop = {7, 0, 0x22, 0x00770001, frag, &sw1, &mf1, &cf1},
                       s_sw31 = {0, 0, 0x22, 0x00770001, frag, &big31[1], &mf1, &cf1},
                       s_sw32 = {0, 0, 0x22, 0x00770001, frag, &big32[1], &mf1, &cf1},
                       s_mf31 = {0, 0, 0x22, 0x00770001, frag, &frag8k[0], &big31[2], &one[0]},
                       s_cf32 = {0, 0, 0x22, 0x00770001, frag, &frag8k[1], &one[1], &big32[2]};
    unsigned usw = 0, umf = 0, ucf = 1, dsw31 = 0x80000000u;
    struct i2o_sw_xfer u_badbuf = {0, 0, 0x01, 0x001B0001, bad, &usw, &umf, &ucf},
                       u_cf32 = {0, 0, 0x01, 0x001B0001, frag, &usw, &umf, &big32[3]},
                       u_nomod = {0, 0, 0x01, 0x0BAD0001, frag, &usw, &umf, &ucf},
                       d_badsw = {0, 0, 0x01, 0x001B0001, frag, bad, &umf, &ucf},
                       d_sw31 = {0, 0, 0x01, 0x001B0001, frag, &dsw31, &umf, &ucf},
                       d_iop = {7, 0, 0x01, 0x001B0001, frag, &usw, &umf, &ucf};
    static char q[] = "a=1&b=2";
    struct i2o_html t_badres = {0, 0, 0, bad, RL, q, 0}, t_badlen = {0, 0, 0, buf4k, bad, q, 0},
                    t_badq = {0, 0, 0, buf4k, RL, bad, 7}, t_q31 = {0, 0, 0, buf4k, RL, q, 0x80000000u},
                    t_q32 = {0, 0, 0, buf4k, RL, q, 0xFFFFFFFFu}, t_iop = {7, 0, 0, buf4k, RL, q, 0},
                    t_tid = {0, 0x777, 0, buf4k, RL, q, 0}, t_page = {0, 0, 0x7777, buf4k, RL, q, 0},
                    t_huge = {0, 0, 0, tiny, &big32[4], q, 0};
    struct i2o_evt_id e_iop = {7, 0, ~0u}, e_tid = {0, 0x777, ~0u};
    /* PASSTHRU: a frame then its 128-word reply area. */
    static uint32_t f_big[4 + 128] = {0xFFFF0001u}, f_badsgl[9 + 128], f_huge[9 + 128];
    uint32_t pg[9] = {9u << 16 | 5u << 4 | 1, 0x06u << 24 | 1u << 12, 0, 0, 0, 0xD4000000u | 12, 0, 0xD0000000u | 4096, 0};
    memcpy(f_badsgl, pg, sizeof pg);
    f_badsgl[6] = (uint32_t)(uintptr_t)bad;
    f_badsgl[8] = (uint32_t)(uintptr_t)buf4k;
    f_badsgl[9] = 128u << 16;
    memcpy(f_huge, pg, sizeof pg);
    f_huge[5] = 0xD4000000u | 0xFFFFFF;
    f_huge[6] = (uint32_t)(uintptr_t)fieldget_f100;
    f_huge[9] = 128u << 16;
    f_big[4] = 128u << 16;
#if UINTPTR_MAX > 0xFFFFFFFFu
    struct i2o_cmd_passthru x_bad = {0, bad}, x_null = {0, NULL}, x_iop = {7, f_big}, x_big = {0, f_big},
                            x_badsgl = {0, f_badsgl};
#endif
    struct i2o_cmd_passthru32 y_bad = {0, (uint32_t)(uintptr_t)bad32}, y_null = {0, 0},
                              y_iop = {7, (uint32_t)(uintptr_t)f_big}, y_big = {0, (uint32_t)(uintptr_t)f_big},
                              y_huge = {0, (uint32_t)(uintptr_t)f_huge};
    int p32 = ((uint64_t)(uintptr_t)f_big >> 32) == 0;  /* PASSTHRU32 can name the frame */

    struct cell cells[] = {
        {"GETIOPS bad pointer", I2OGETIOPS, EFAULT, bad},
        {"GETIOPS NULL", I2OGETIOPS, EFAULT, NULL},
        {"GETIOPS short buffer", I2OGETIOPS, EFAULT, short_struct(MAX_I2O_CONTROLLERS)},
        {"HRTGET bad struct", I2OHRTGET, EFAULT, bad},
        {"HRTGET NULL struct", I2OHRTGET, EFAULT, NULL},
        {"HRTGET bad resbuf", I2OHRTGET, EFAULT, &h_badres},
        {"HRTGET NULL resbuf", I2OHRTGET, EFAULT, &h_nullres},
        {"HRTGET bad reslen", I2OHRTGET, EFAULT, &h_badlen},
        {"HRTGET NULL reslen", I2OHRTGET, EFAULT, &h_nullen},
        {"HRTGET missing IOP", I2OHRTGET, ENXIO, &h_iop},
        {"HRTGET *reslen 2^31, 16-byte resbuf", I2OHRTGET, EFAULT, &h_huge31},
        {"HRTGET *reslen 2^32-1, 16-byte resbuf", I2OHRTGET, EFAULT, &h_huge32},
        {"LCTGET bad struct", I2OLCTGET, EFAULT, bad},
        {"LCTGET bad resbuf", I2OLCTGET, EFAULT, &h_badres},
        {"LCTGET bad reslen", I2OLCTGET, EFAULT, &h_badlen},
        {"LCTGET missing IOP", I2OLCTGET, ENXIO, &h_iop},
        {"LCTGET *reslen 2^32-1, 16-byte resbuf", I2OLCTGET, EFAULT, &h_huge32},
        {"PARMGET bad struct", I2OPARMGET, EFAULT, bad},
        {"PARMGET bad opbuf", I2OPARMGET, EFAULT, &p_badop},
        {"PARMGET missing TID", I2OPARMGET, ENXIO, &p_tid},
        {"PARMGET oplen 2^32-1", I2OPARMGET, EINVAL, &p_op32},
        {"PARMSET bad struct", I2OPARMSET, EFAULT, bad},
        {"PARMSET NULL struct", I2OPARMSET, EFAULT, NULL},
        {"PARMSET bad opbuf", I2OPARMSET, EFAULT, &p_badop},
        {"PARMSET NULL opbuf", I2OPARMSET, EFAULT, &p_nullop},
        {"PARMSET bad resbuf", I2OPARMSET, EFAULT, &p_badres},
        {"PARMSET NULL resbuf", I2OPARMSET, EFAULT, &p_nullres},
        {"PARMSET bad reslen", I2OPARMSET, EFAULT, &p_badlen},
        {"PARMSET missing IOP", I2OPARMSET, ENXIO, &p_iop},
        {"PARMSET missing TID", I2OPARMSET, ENXIO, &p_tid},
        {"PARMSET oplen 2", I2OPARMSET, EINVAL, &p_short},
        {"PARMSET oplen 2^31", I2OPARMSET, EINVAL, &p_op31},
        {"PARMSET oplen 2^32-1", I2OPARMSET, EINVAL, &p_op32},
        {"SWDL bad struct", I2OSWDL, EFAULT, bad},
        {"SWDL short struct", I2OSWDL, EFAULT, short_struct(sizeof(struct i2o_sw_xfer))},
        {"SWDL bad buf", I2OSWDL, EFAULT, &s_badbuf},
        {"SWDL NULL buf", I2OSWDL, EFAULT, &s_nullbuf},
        {"SWDL bad swlen", I2OSWDL, EFAULT, &s_badsw},
        {"SWDL bad maxfrag", I2OSWDL, EFAULT, &s_badmf},
        {"SWDL bad curfrag", I2OSWDL, EFAULT, &s_badcf},
        {"SWDL missing IOP", I2OSWDL, ENXIO, &s_iop},
        {"SWDL *swlen 2^31", I2OSWDL, EINVAL, &s_sw31},
        {"SWDL *swlen 2^32-1", I2OSWDL, EINVAL, &s_sw32},
        {"SWDL *maxfrag 2^31", I2OSWDL, EINVAL, &s_mf31},
        {"SWDL *curfrag 2^32-1", I2OSWDL, EINVAL, &s_cf32},
        {"SWUL bad struct", I2OSWUL, EFAULT, bad},
        {"SWUL bad buf", I2OSWUL, EFAULT, &u_badbuf},
        {"SWUL *curfrag 2^32-1", I2OSWUL, EINVAL, &u_cf32},
        {"SWUL no such module", I2OSWUL, EIO, &u_nomod},
        {"SWDEL bad struct", I2OSWDEL, EFAULT, bad},
        {"SWDEL bad swlen", I2OSWDEL, EFAULT, &d_badsw},
        {"SWDEL *swlen 2^31 (size mismatch)", I2OSWDEL, EIO, &d_sw31},
        {"SWDEL missing IOP", I2OSWDEL, ENXIO, &d_iop},
        {"VALIDATE IOP 7", I2OVALIDATE, ENXIO, (void *)(uintptr_t)7},
        {"VALIDATE IOP 2^31", I2OVALIDATE, ENXIO, (void *)(uintptr_t)0x80000000u},
        {"HTML bad struct", I2OHTML, EFAULT, bad},
        {"HTML short struct", I2OHTML, EFAULT, short_struct(sizeof(struct i2o_html))},
        {"HTML bad resbuf", I2OHTML, EFAULT, &t_badres},
        {"HTML bad reslen", I2OHTML, EFAULT, &t_badlen},
        {"HTML bad qbuf", I2OHTML, EFAULT, &t_badq},
        {"HTML qlen 2^31", I2OHTML, EINVAL, &t_q31},
        {"HTML qlen 2^32-1", I2OHTML, EINVAL, &t_q32},
        {"HTML missing IOP", I2OHTML, ENXIO, &t_iop},
        {"HTML missing TID", I2OHTML, ENXIO, &t_tid},
        {"HTML no such page", I2OHTML, EIO, &t_page},
        {"HTML *reslen 2^32-1, 16-byte resbuf", I2OHTML, EFAULT, &t_huge},
        {"EVTREG bad struct", I2OEVTREG, EFAULT, bad},
        {"EVTREG short struct", I2OEVTREG, EFAULT, short_struct(sizeof(struct i2o_evt_id))},
        {"EVTREG missing IOP", I2OEVTREG, ENXIO, &e_iop},
        {"EVTREG missing TID", I2OEVTREG, ENODEV, &e_tid},
        {"EVTGET bad pointer", I2OEVTGET, EFAULT, bad},
        {"EVTGET NULL", I2OEVTGET, EFAULT, NULL},
        {"EVTGET short buffer", I2OEVTGET, EFAULT, short_struct(sizeof(struct i2o_evt_get))},
        {"unknown ioctl", _IOWR('i', 99, struct i2o_cmd_hrtlct), EINVAL, &h_iop},
#if UINTPTR_MAX > 0xFFFFFFFFu
        {"PASSTHRU bad struct", I2OPASSTHRU, EFAULT, bad},
        {"PASSTHRU bad msg", I2OPASSTHRU, EFAULT, &x_bad},
        {"PASSTHRU NULL msg", I2OPASSTHRU, EFAULT, &x_null},
        {"PASSTHRU missing IOP", I2OPASSTHRU, ENXIO, &x_iop},
        {"PASSTHRU MessageSize 65535", I2OPASSTHRU, EINVAL, &x_big},
        {"PASSTHRU bad SGL address", I2OPASSTHRU, EFAULT, &x_badsgl},
#endif
        {"PASSTHRU32 bad struct", I2OPASSTHRU32, EFAULT, bad},
        {"PASSTHRU32 bad msg", I2OPASSTHRU32, EFAULT, &y_bad},
        {"PASSTHRU32 NULL msg", I2OPASSTHRU32, EFAULT, &y_null},
    };
    run_cells(fd, cells, (int)(sizeof cells / sizeof cells[0]), &base);
    if (p32) {
        struct cell more[] = {
            {"PASSTHRU32 missing IOP", I2OPASSTHRU32, ENXIO, &y_iop},
            {"PASSTHRU32 MessageSize 65535", I2OPASSTHRU32, EINVAL, &y_big},
            {"PASSTHRU32 SGL of 2^24-1 bytes", I2OPASSTHRU32, ENOMEM, &y_huge},
        };
        run_cells(fd, more, 3, &base);
    }
    /* The queued event is still there, exactly once. */
    struct i2o_evt_get g;
    memset(&g, 0, sizeof g);
    CHECK(xioctl(fd, I2OEVTGET, &g) == 0 && g.info.id.evt_mask == 0x01000000 && g.pending == 0,
          "the queued event survived every cell (mask %#x pending %d)", g.info.id.evt_mask, g.pending);
    CHECK(xioctl(fd, I2OEVTGET, &g) == -ENOENT, "and only once");
    /* Still serving: this file and a new one. */
    unsigned char iops[MAX_I2O_CONTROLLERS];
    CHECK(xioctl(fd, I2OGETIOPS, iops) == 0 && iops[0] == 1, "GETIOPS after the matrix");
    int fd2 = open(dev, O_RDWR);
    CHECK(fd2 >= 0 && xioctl(fd2, I2OGETIOPS, iops) == 0, "a new open after the matrix");
    close(fd2);
    close(fd);
    (void)nb;
    return 0;
}

/* ---- load ---- */

struct shared {
    volatile int registered, done;
    volatile long raised;          /* FIELD_MODIFIED events raised (successful PARMSETs), all clients */
    volatile long ops, unexpected;
    volatile long answered;        /* ioctls begun, all clients: each after the last was answered (the watchdog's progress) */
};

static void wait_for(volatile int *counter, int n) {
    while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) < n) usleep(1000);
}

/* One client: N operations, then drains its queue. Returns the problems it saw. */
static int client(int index, int clients, int n, struct shared *sh, int expect_events) {
    int fd = open(dev, O_RDWR);
    if (fd < 0) { fprintf(stderr, "client %d: open: %s\n", index, strerror(errno)); return 1; }
    int problems = 0;
    struct i2o_evt_id reg = {0, 0, 0x01000000};  /* FIELD_MODIFIED on the executive */
    if (expect_events && xioctl(fd, I2OEVTREG, &reg) != 0) { fprintf(stderr, "client %d: EVTREG\n", index); problems++; }
    __atomic_add_fetch(&sh->registered, 1, __ATOMIC_SEQ_CST);
    wait_for(&sh->registered, clients);

    unsigned seed = 0x9E3779B9u * (unsigned)(index + 1);
    static unsigned char res[4096 + SLACK];
    unsigned char set[76];
    memcpy(set, fieldset_f102, sizeof set);
    long received = 0, raised = 0;
    int lost = 0;
    for (int i = 0; i < n; i++) {
        __atomic_add_fetch(&sh->answered, 1, __ATOMIC_RELAXED);
        seed = seed * 1103515245u + 12345u;
        unsigned pick = (seed >> 16) % 16;
        unsigned len = 4096;
        int r = 0, want = 0;
        struct i2o_cmd_hrtlct h = {0, res, &len};
        switch (pick) {
        case 0: r = xioctl(fd, I2OGETIOPS, res); break;
        case 1: r = xioctl(fd, I2OHRTGET, &h); break;
        case 2: case 3: r = xioctl(fd, I2OLCTGET, &h); break;
        case 4: case 5: r = params(fd, I2OPARMGET, 0, fieldget_f100, sizeof fieldget_f100, res, &len); break;
        case 6:
            if (expect_events) {
                snprintf((char *)set + 12, 64, "client %d op %d", index, i);
                r = params(fd, I2OPARMSET, 0, set, sizeof set, res, &len);
                if (r == 0) raised++;
            } else r = xioctl(fd, I2OGETIOPS, res);
            break;
        case 7: case 8: {
            struct i2o_evt_get g;
            r = xioctl(fd, I2OEVTGET, &g);
            if (r == 0) { received++; lost = g.lost; if (g.info.id.evt_mask != 0x01000000) problems++; }
            else if (r == -ENOENT) r = 0;
            break;
        }
        case 9: { struct i2o_cmd_hrtlct b = {0, bad, &len}; r = xioctl(fd, I2OHRTGET, &b); want = -EFAULT; break; }
        case 10: { struct i2o_cmd_hrtlct b = {7, res, &len}; r = xioctl(fd, I2OLCTGET, &b); want = -ENXIO; break; }
        case 11: r = xioctl(fd, _IOWR('i', 77, int), res); want = -EINVAL; break;
        case 12: r = params(fd, I2OPARMGET, 0x777, fieldget_f100, sizeof fieldget_f100, res, &len); want = -ENXIO; break;
        case 13: { struct i2o_html t = {0, 0, 0, res, &len, res, 0xFFFFFFFFu}; r = xioctl(fd, I2OHTML, &t); want = -EINVAL; break; }
        case 14: { struct i2o_evt_id e = {0, 0x777, 1}; r = xioctl(fd, I2OEVTREG, &e); want = -ENODEV; break; }
        case 15: r = xioctl(fd, I2OPARMSET, bad); want = -EFAULT; break;
        }
        if (r != want) {
            if (problems < 5) fprintf(stderr, "client %d op %d (kind %u): got %d, expected %d\n", index, i, pick, r, want);
            problems++;
        }
    }
    __atomic_add_fetch(&sh->raised, raised, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&sh->ops, n, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&sh->done, 1, __ATOMIC_SEQ_CST);
    wait_for(&sh->done, clients);
    for (;;) {
        struct i2o_evt_get g;
        int r = xioctl(fd, I2OEVTGET, &g);
        if (r == -ENOENT) break;
        if (r != 0) { problems++; break; }
        received++;
        lost = g.lost;
    }
    if (expect_events && received + lost != sh->raised) {
        fprintf(stderr, "client %d: %ld received + %d lost != %ld raised\n", index, received, lost, sh->raised);
        problems++;
    }
    close(fd);
    return problems;
}

static int run_clients(int clients, int n, int expect_events, struct shared *sh) {
    long answered = sh->answered;   /* the watchdog's count goes on across runs */
    memset((void *)sh, 0, sizeof *sh);
    sh->answered = answered;
    pid_t pids[1024];
    for (int c = 0; c < clients; c++) {
        pids[c] = fork();
        if (pids[c] == 0) _exit(client(c, clients, n, sh, expect_events) ? 1 : 0);
    }
    int bad_clients = 0;
    for (int c = 0; c < clients; c++) {
        int st;
        waitpid(pids[c], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad_clients++;
    }
    return bad_clients;
}

/* The watchdog: every WATCH_SECONDS the clients must have had ioctls answered since the last look
 * (a daemon that hangs or deadlocks fails within that time), and the whole run must end within
 * MAXSEC (a daemon that crawls). Either way the run fails, and only hostile and its clients are
 * killed: load() puts them in a process group of their own. */
#define WATCH_SECONDS 30
static struct shared *watched;
static unsigned watch_left;

static void give_up(const char *m, size_t len) {
    write(2, m, len);
    kill(0, SIGKILL);
}

static void on_alarm(int sig) {
    (void)sig;
    static long last = -1;
    long now = __atomic_load_n(&watched->answered, __ATOMIC_RELAXED);
    if (now == last) {
        static const char m[] = "hostile: no ioctl answered in 30 s: the daemon hangs\n0 passed, 1 failed\n";
        give_up(m, sizeof m - 1);
    }
    if (watch_left <= WATCH_SECONDS) {
        static const char m[] = "hostile: load run exceeded its time bound\n0 passed, 1 failed\n";
        give_up(m, sizeof m - 1);
    }
    last = now;
    watch_left -= WATCH_SECONDS;
    alarm(WATCH_SECONDS);
}

static int load(int clients, int n, int maxsec, pid_t daemon) {
    if (clients > 1024) clients = 1024;
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    setpgid(0, 0);
    watched = sh;
    watch_left = (unsigned)maxsec;
    signal(SIGALRM, on_alarm);
    alarm(WATCH_SECONDS);
    struct timespec t0, t1;
    /* Warm-up: every code path once per client, then the daemon's memory is measured. */
    int bad_warm = run_clients(clients, n / 10 > 0 ? n / 10 : 1, 1, sh);
    CHECK(bad_warm == 0, "warm-up: %d clients saw problems", bad_warm);
    long before = client_vmrss_kib(daemon);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int bad_run = run_clients(clients, n, 1, sh);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long after = client_vmrss_kib(daemon);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(bad_run == 0, "run: %d of %d clients saw problems", bad_run, clients);
    CHECK(sh->ops == (long)clients * n, "every operation ran (%ld)", sh->ops);
    printf("load: %d clients x %d ioctls = %ld in %.1f s (%.0f/s); %ld events raised, each delivered or counted "
           "lost in all %d queues\n", clients, n, sh->ops, secs, (double)sh->ops / secs, sh->raised, clients);
    if (before > 0 && after > 0) {
        long margin = before / 10 > 8192 ? before / 10 : 8192;
        printf("load: daemon (pid %d) VmRSS %ld kB after warm-up, %ld kB after the run (margin %ld kB)\n",
               (int)daemon, before, after, margin);
        CHECK(after - before <= margin, "daemon memory grew by %ld kB", after - before);
    } else {
        printf("load: daemon VmRSS not readable (pid %d); memory not checked\n", (int)daemon);
    }
    alarm(0);
    return 0;
}

int main(int argc, char **argv) {
    pid_t daemon = getppid();
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-d") && i + 1 < argc) dev = argv[++i];
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) daemon = (pid_t)atoi(argv[++i]);
    }
    page = sysconf(_SC_PAGESIZE);
    bad = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(bad, (size_t)page);
    int low = 0;   /* a 32-bit process's every page is below 4 GiB; a 64-bit one asks for it */
#if UINTPTR_MAX > 0xFFFFFFFFu && defined(MAP_32BIT)
    low = MAP_32BIT;
#endif
    bad32 = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | low, -1, 0);
    if (bad32 == MAP_FAILED) { perror("hostile: mmap of a page below 4 GiB"); return 2; }
    char *g = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(g + page, (size_t)page, PROT_NONE);
    guard_end = g + page;
    /* FIELD_SET 0xF102 field 0 (DeviceName, 64 bytes). */
    unsigned char hdr[12] = {1, 0, 0, 0, 6, 0, 0x02, 0xF1, 1, 0, 0, 0};
    memcpy(fieldset_f102, hdr, sizeof hdr);
    memset(fieldset_f102 + 12, 0, 64);

    if (i < argc && !strcmp(argv[i], "matrix")) matrix();
    else if (i + 2 < argc + 0 && !strcmp(argv[i], "load")) {
        load(atoi(argv[i + 1]), atoi(argv[i + 2]), i + 3 < argc ? atoi(argv[i + 3]) : 600, daemon);
    } else {
        fprintf(stderr, "usage: hostile [-d DEVICE] [-p DAEMON_PID] matrix | load CLIENTS N [MAXSEC]\n");
        return 2;
    }
    return client_summary();
}
