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
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv) {
	if (argc < 3) { fprintf(stderr, "usage: cuse-baseline NAME RESULT_BYTES [STATS_FILE]\n"); return 2; }
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
