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
//   PASSTHRU  call 1: retry in {struct}; call 2: + the frame's word 0; call 3: + the S words and the
//             reply area's word 0; call 4: + the host→IOP SGL buffers and the probes of the small
//             out ranges, out {reply area, IOP→host buffers} (smallest first); call 5: a canned
//             success reply of 6 words over the reply area's own bytes, canned bytes in the
//             IOP→host buffers; the host→IOP buffers' bytes copied into a disk in memory. (A 64 KiB
//             BsaBlockWrite/Read moves its 64 KiB as through i2osim: one copy each way.)       5 calls
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
// Where PASSTHRU's host→IOP bytes are stored (a BsaBlockWrite's data).
#define DISK_BYTES (1 << 20)
static unsigned char disk[DISK_BYTES];
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

// PASSTHRU's rounds, as i2osim's engine asks for them (IoctlEngine/Passthru.swift, the CUSE
// transport's RetryRounds.swift): out ranges of at most 4 KiB are also read in (probed), and the
// out ranges are given smallest first. Answers 0 (the reply frame says success) or -errno.
#define PROBE_LIMIT 4096
static int passthru(fuse_req_t req, void *arg, const void *in_buf, size_t in_size, size_t out_size) {
	struct i2o_cmd_passthru p;
	struct iovec in[40], out[40];
	size_t nin = 0, nout = 0;
	in[nin++] = (struct iovec){arg, sizeof p};
	if (in_size < sizeof p) { retry(req, in, nin, NULL, 0); return 1; }
	memcpy(&p, in_buf, sizeof p);
	const unsigned char *got = (const unsigned char *)in_buf + sizeof p;
	size_t left = in_size - sizeof p;
	in[nin++] = (struct iovec){p.msg, 4};
	if (left < 4) { retry(req, in, nin, NULL, 0); return 1; }
	uint32_t w0;
	memcpy(&w0, got, 4);
	size_t size = w0 >> 16;
	if (size < 3 || size > 128) return -EINVAL;
	unsigned char *reply_at = (unsigned char *)p.msg + size * 4;
	in[nin++] = (struct iovec){p.msg, size * 4};
	in[nin++] = (struct iovec){reply_at, 4};
	if (left < 4 + size * 4 + 4) { retry(req, in, nin, NULL, 0); return 1; }
	uint32_t frame[128], rw0;
	memcpy(frame, got + 4, size * 4);
	memcpy(&rw0, got + 4 + size * 4, 4);
	size_t reply_bytes = (rw0 >> 16 < 128 ? rw0 >> 16 : 128) * 4;
	// The SGL (simple elements to the end of the frame): host→IOP buffers in, IOP→host out.
	size_t offset = w0 >> 4 & 0xF, need = 4 + size * 4 + 4, out_bytes = 0, to_iop = 0;
	struct iovec writes[32];
	size_t nw = 0;
	if (offset != 0) {
		if (offset >= size || (size - offset) % 2 != 0 || (size - offset) / 2 > 30) return -EINVAL;
		for (size_t at = offset; at < size; at += 2) {
			uint32_t flags = frame[at] >> 24, count = frame[at] & 0xFFFFFF;
			void *user = (void *)(uintptr_t)frame[at + 1];
			if ((flags & 0x30) != 0x10) return -EINVAL;
			if (count == 0) continue;
			if (flags & 0x04) { in[nin++] = (struct iovec){user, count}; need += count; to_iop += count; }
			else writes[nw++] = (struct iovec){user, count};
		}
	}
	if (reply_bytes > 0) writes[nw++] = (struct iovec){reply_at, reply_bytes};
	for (size_t i = 0; i < nw; i++)
		if (writes[i].iov_len <= PROBE_LIMIT) { in[nin++] = writes[i]; need += writes[i].iov_len; }
	for (size_t i = 0; i < nw; i++) {   // smallest first, stable
		size_t j = nout;
		while (j > 0 && out[j - 1].iov_len > writes[i].iov_len) { out[j] = out[j - 1]; j--; }
		out[j] = writes[i];
		nout++;
		out_bytes += writes[i].iov_len;
	}
	if (left < need || out_size < out_bytes) { retry(req, in, nin, out, nout); return 1; }
	// The host→IOP bytes are kept, as a server that stores what is written must (one copy, into
	// a disk of DISK_BYTES that the writes wrap around).
	static __thread size_t disk_at;
	for (size_t at = 0, n; at < to_iop; at += n) {
		n = to_iop - at < DISK_BYTES - disk_at ? to_iop - at : DISK_BYTES - disk_at;
		memcpy(disk + disk_at, got + 4 + size * 4 + 4 + at, n);
		disk_at = (disk_at + n) % DISK_BYTES;
	}
	// The reply: each out range whole; the reply area is a 6-word success reply over its own bytes.
	static __thread unsigned char data[2 * 65536 + 512];
	if (out_bytes > sizeof data) return -ENOMEM;
	uint32_t reply[6] = {6u << 16 | (w0 & 0xFF00) | 0x01, frame[1], frame[2], size > 3 ? frame[3] : 0, 0, 0};
	for (size_t at = offset; offset != 0 && at < size; at += 2) reply[5] += frame[at] & 0xFFFFFF;
	size_t pos = 0;
	for (size_t i = 0; i < nout; i++) {
		if (out[i].iov_base == reply_at) {
			memcpy(data + pos, got + need - reply_bytes, reply_bytes);   // the probe: the area's own bytes
			memcpy(data + pos, reply, reply_bytes < sizeof reply ? reply_bytes : sizeof reply);
		} else {
			memcpy(data + pos, canned + 4, out[i].iov_len < sizeof canned - 4 ? out[i].iov_len : sizeof canned - 4);
		}
		pos += out[i].iov_len;
	}
	fuse_reply_ioctl(req, 0, data, pos);
	return 0;
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
	case I2OPASSTHRU: {
		int rc = passthru(req, arg, in_buf, in_size, out_size);
		if (rc == 1) return;
		__atomic_add_fetch(&c->ioctls, 1, __ATOMIC_RELAXED);
		if (rc < 0) fuse_reply_err(req, -rc);
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
