// cuse-baseline — the CUSE baseline of scripts/bench: a minimal C server on libfuse3's low-level
// CUSE API (CUSE_UNRESTRICTED_IOCTL, the same multithreaded session loop, splice off — as
// i2osim's CUSEDevice) answering three /dev/i2o/ctl ioctls with the same retry rounds, the same
// ranges and the same reply sizes as `i2osim serve`, and nothing else (no engine, no model):
//
//   GETIOPS   call 1: retry in {iops[32]} (the probe of a small out range) out {iops[32]};
//             call 2: the 32 bytes.                                                 2 calls
//   PARMGET   call 1: retry in {struct}; call 2: retry in {struct, reslen, opbuf, reslen (probe)}
//             out {reslen, resbuf[65536]}; call 3: *reslen + a canned result list of
//             RESULT_BYTES (the size i2osim answers FieldGet 0xF100 with).               3 calls
//   VALIDATE  call 1: 0.                                                                1 call
//
//   cuse-baseline NAME RESULT_BYTES [STATS_FILE]
// Prints `ready: /dev/NAME` once the node exists. With STATS_FILE, appends
// `calls=N ioctls=M` per released file (the format of i2osim's I2OSIM_CUSE_STATS).
//
//   cuse-baseline --fuse MOUNTPOINT
// The native analogue (this kernel has no CUSE, but FUSE): the same answers on MOUNTPOINT/ctl, a
// FUSE file, whose ioctls take the kernel's same fuse_do_ioctl path in its restricted form (the
// kernel moves what the command's _IOC size says; no retry rounds, so only VALIDATE and the like).
// Prints `ready: MOUNTPOINT/ctl` once mounted; ends when MOUNTPOINT is unmounted. Its peer is
// `i2osim-bench fuse-file MOUNTPOINT`, which serves the file with i2osim's own ioctl code.
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fuse3/cuse_lowlevel.h>
#include <fuse3/fuse_lowlevel.h>
#include <linux/types.h>
#include "linux/i2o-dev.h"

static char node[256];
static size_t result_bytes;
static unsigned char canned[65536];
static const char *stats_path;

struct counts { unsigned long calls, ioctls; };

static void b_init(void *ud, struct fuse_conn_info *conn) {
	(void)ud;
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static void *announce(void *arg) {
	(void)arg;
	for (int i = 0; i < 500 && access(node, F_OK) != 0; i++) usleep(10000);
	printf("ready: %s\n", node);
	fflush(stdout);
	return NULL;
}

static void b_init_done(void *ud) {
	(void)ud;
	pthread_t t;
	pthread_create(&t, NULL, announce, NULL);
	pthread_detach(t);
}

static void b_open(fuse_req_t req, struct fuse_file_info *fi) {
	fi->fh = (uint64_t)(uintptr_t)calloc(1, sizeof(struct counts));
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void b_release(fuse_req_t req, struct fuse_file_info *fi) {
	struct counts *c = (struct counts *)(uintptr_t)fi->fh;
	if (stats_path && c) {
		FILE *f = fopen(stats_path, "a");
		if (f) { fprintf(f, "calls=%lu ioctls=%lu\n", c->calls, c->ioctls); fclose(f); }
	}
	free(c);
	fuse_reply_err(req, 0);
}

static void retry(fuse_req_t req, const struct iovec *in, size_t nin, const struct iovec *out, size_t nout) {
	fuse_reply_ioctl_retry(req, in, nin, out, nout);
}

static void b_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi, unsigned flags,
                    const void *in_buf, size_t in_size, size_t out_size) {
	(void)flags;
	struct counts *c = (struct counts *)(uintptr_t)fi->fh;
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	switch ((unsigned)cmd) {
	case I2OVALIDATE:
		break;
	case I2OGETIOPS: {
		if (out_size < MAX_I2O_CONTROLLERS) {
			struct iovec v = {arg, MAX_I2O_CONTROLLERS};
			retry(req, &v, 1, &v, 1);
			return;
		}
		unsigned char iops[MAX_I2O_CONTROLLERS] = {1};
		__atomic_add_fetch(&c->ioctls, 1, __ATOMIC_RELAXED);
		fuse_reply_ioctl(req, 0, iops, sizeof iops);
		return;
	}
	case I2OPARMGET: {
		struct i2o_cmd_psetget p;
		if (in_size < sizeof p) {
			struct iovec v = {arg, sizeof p};
			retry(req, &v, 1, NULL, 0);
			return;
		}
		memcpy(&p, in_buf, sizeof p);
		if (in_size < sizeof p + p.oplen + 8 || out_size < 4 + 65536) {
			struct iovec in[4] = {{arg, sizeof p}, {p.reslen, 4}, {p.opbuf, p.oplen}, {p.reslen, 4}};
			struct iovec out[2] = {{p.reslen, 4}, {p.resbuf, 65536}};
			retry(req, in, 4, out, 2);
			return;
		}
		uint32_t len = (uint32_t)result_bytes;
		memcpy(canned, &len, 4);   // *reslen, then the result list (canned[4...])
		__atomic_add_fetch(&c->ioctls, 1, __ATOMIC_RELAXED);
		fuse_reply_ioctl(req, 0, canned, 4 + result_bytes);
		return;
	}
	default:
		__atomic_add_fetch(&c->ioctls, 1, __ATOMIC_RELAXED);
		fuse_reply_err(req, ENOTTY);
		return;
	}
	__atomic_add_fetch(&c->ioctls, 1, __ATOMIC_RELAXED);
	fuse_reply_ioctl(req, 0, NULL, 0);
}

// ---- the FUSE file (--fuse): one regular file, ctl, whose ioctls go to b_ioctl ----
static void f_attr(fuse_ino_t ino, struct stat *st) {
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_mode = ino == 1 ? S_IFDIR | 0755 : S_IFREG | 0666;
	st->st_nlink = ino == 1 ? 2 : 1;
}
static void f_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
	if (parent != 1 || strcmp(name, "ctl") != 0) { fuse_reply_err(req, ENOENT); return; }
	struct fuse_entry_param e = {.ino = 2, .attr_timeout = 3600, .entry_timeout = 3600};
	f_attr(2, &e.attr);
	fuse_reply_entry(req, &e);
}
static void f_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	(void)fi;
	if (ino != 1 && ino != 2) { fuse_reply_err(req, ENOENT); return; }
	struct stat st;
	f_attr(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}
static void f_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
	if (ino != 2) { fuse_reply_err(req, EISDIR); return; }
	b_open(req, fi);
}
static void f_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) { (void)ino; b_release(req, fi); }
static void f_ioctl(fuse_req_t req, fuse_ino_t ino, int cmd, void *arg, struct fuse_file_info *fi, unsigned flags,
                    const void *in_buf, size_t in_size, size_t out_size) {
	(void)ino;
	b_ioctl(req, cmd, arg, fi, flags, in_buf, in_size, out_size);
}
static int serve_fuse(const char *mountpoint) {
	static const struct fuse_lowlevel_ops ops = {.lookup = f_lookup, .getattr = f_getattr, .open = f_open,
	                                             .release = f_release, .ioctl = f_ioctl};
	char *fargv[] = {"cuse-baseline", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (!se || fuse_session_mount(se, mountpoint) != 0) {
		fprintf(stderr, "cuse-baseline: cannot mount FUSE on %s (needs /dev/fuse and root)\n", mountpoint);
		return 1;
	}
	printf("ready: %s/ctl\n", mountpoint);
	fflush(stdout);
	int rc = fuse_session_loop_mt(se, 0);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return rc != 0;
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "--fuse") == 0) return serve_fuse(argv[2]);
	if (argc < 3) { fprintf(stderr, "usage: cuse-baseline NAME RESULT_BYTES [STATS_FILE] | --fuse MOUNTPOINT\n"); return 2; }
	snprintf(node, sizeof node, "/dev/%s", argv[1]);
	result_bytes = strtoul(argv[2], NULL, 0);
	if (result_bytes > sizeof canned - 4) result_bytes = sizeof canned - 4;
	for (size_t i = 4; i < sizeof canned; i++) canned[i] = (unsigned char)(i * 7);
	stats_path = argc > 3 ? argv[3] : NULL;
	char devname[300];
	snprintf(devname, sizeof devname, "DEVNAME=%s", argv[1]);
	const char *dev_info_argv[] = {devname};
	struct cuse_info ci = {.dev_info_argc = 1, .dev_info_argv = dev_info_argv, .flags = CUSE_UNRESTRICTED_IOCTL};
	struct cuse_lowlevel_ops ops = {.init = b_init, .init_done = b_init_done, .open = b_open,
	                                .release = b_release, .ioctl = b_ioctl};
	char *fargv[] = {argv[0], "-f", NULL};
	return cuse_lowlevel_main(2, fargv, &ci, &ops, NULL);
}
