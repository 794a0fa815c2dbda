/*
 * i2o-mock — a development aid for i2o-suite, NOT the simulator.
 *
 * An LD_PRELOAD library that answers open/ioctl/read/write/poll/select/close on the path
 * $I2O_MOCK_PATH (default /mock/i2o/ctl) with a small hard-coded machine that follows the
 * `documented` contract (docs/contract.md). It exists so the suite's own logic (decoding,
 * offsets, dependency handling, output) can be exercised before the real server exists:
 *
 *   Tests/CSuite/mock/run-mock.sh [BUILD_DIR]
 *
 * Machine: IOP 0; LCT with TID 0x008 (random block storage, class word 0x001B1010) and
 * TID 0x009 (bus adapter, 0x001B0080); every TID (0 too) has groups 0xF100 (read-only) and
 * 0xF102 (DeviceName/ServiceName/PhysicalLocation writable); HTML page 0 everywhere; an
 * empty software store. User memory is touched only through process_vm_readv/writev, so a
 * bad pointer gives EFAULT here as it would through the kernel.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/i2o-dev.h>

/* I2O_MOCK_BUGS=comma list: hrtcopy parmlen0 noevents ptzero swdelnowb readblock lctswap flaky */
static int bug(const char *name)
{
	const char *b = getenv("I2O_MOCK_BUGS");
	return b && strstr(b, name) != NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* ---- user memory ---- */
static int uin(void *dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	struct iovec l = { dst, n }, r = { (void *)(uintptr_t)src, n };
	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}
static int uout(void *dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	struct iovec l = { (void *)(uintptr_t)src, n }, r = { dst, n };
	return process_vm_writev(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

static uint16_t le16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static void p16(uint8_t *b, unsigned v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *b, uint32_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24); }

/* ---- the machine ---- */
#define NTID 3
static const unsigned tids[NTID] = { 0x000, 0x008, 0x009 };
static const uint32_t classwords[NTID] = { 0x001B0000, 0x001B1010, 0x001B0080 };

struct field { uint16_t off, size; int writable; };
static const struct field f100[] = { {0,4,0},{4,2,0},{6,2,0},{8,16,0},{24,16,0},{40,16,0},{56,8,0},{64,1,0},{65,16,0} };
static const struct field f102[] = { {0,64,1},{64,64,1},{128,64,1},{192,4,0} };
static const struct field f0101[] = { {0,2,0},{2,4,0},{6,4,0} };
static uint8_t g100[NTID][81], g102[NTID][196], g0101[10] = { 0,0, 0,0,0,0, 7,0,0,0 };
static unsigned long g_calls;

static int tid_index(unsigned tid)
{
	for (int i = 0; i < NTID; i++)
		if (tids[i] == tid)
			return i;
	return -1;
}

static void machine_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	for (int i = 0; i < NTID; i++) {
		p32(g100[i], classwords[i]);
		p16(g100[i] + 4, 0xFFF);
		memcpy(g100[i] + 8, "MockVendor", 10);
		memcpy(g100[i] + 24, "MockProduct", 11);
		snprintf((char *)g102[i], 64, "mock device %u", tids[i]);
	}
}

static unsigned lct_bytes(uint8_t *b)
{
	unsigned words = 3 + 9 * (NTID - 1);
	memset(b, 0, words * 4);
	p32(b, words);
	p32(b + 4, 0);		/* IopFlags */
	p32(b + 8, 7);		/* CurrentChangeIndicator */
	for (int i = 1; i < NTID; i++) {
		uint8_t *e = b + 12 + 36 * (i - 1);
		p32(e, 9 | tids[i] << 16);
		p32(e + 12, classwords[i]);
		p32(e + 20, 0xFFF | 0u << 12);
	}
	return words * 4;
}
static unsigned hrt_bytes(uint8_t *b)
{
	memset(b, 0, 24);
	p16(b, 1);
	b[2] = 4;
	p32(b + 4, 1);
	p32(b + 8, 0x00000001);
	p32(b + 12, 0x04000000);
	return 24;
}

/* ---- per-open state ---- */
#define MAXF 64
struct ofile { int fd, used, nonblock; unsigned regtid[8], regmask[8]; int nreg;
	struct i2o_evt_info q[I2O_EVT_Q_LEN]; int qin, qout, qlen, lost; };
static struct ofile files[MAXF];

static struct ofile *find(int fd)
{
	for (int i = 0; i < MAXF; i++)
		if (files[i].used && files[i].fd == fd)
			return &files[i];
	return NULL;
}

static void raise_event(unsigned tid, uint32_t ind, const uint8_t *data, unsigned n)
{
	if (bug("noevents"))
		return;
	for (int i = 0; i < MAXF; i++) {
		struct ofile *f = &files[i];
		if (!f->used)
			continue;
		for (int r = 0; r < f->nreg; r++) {
			if (f->regtid[r] != tid || !(f->regmask[r] & ind))
				continue;
			struct i2o_evt_info *e = &f->q[f->qin];
			memset(e, 0, sizeof *e);
			e->id.iop = 0;
			e->id.tid = tid;
			e->id.evt_mask = ind;
			memcpy(e->evt_data, data, n);
			e->data_size = n;
			f->qin = (f->qin + 1) % I2O_EVT_Q_LEN;
			if (f->qlen == I2O_EVT_Q_LEN) {
				f->qout = (f->qout + 1) % I2O_EVT_Q_LEN;
				f->lost++;
			} else {
				f->qlen++;
			}
			break;
		}
	}
	pthread_cond_broadcast(&cv);
}

/* ---- parameters: returns result length, or -EINVAL when the list does not parse ---- */
static int params(int set, unsigned tid, const uint8_t *op, unsigned oplen, uint8_t *res, unsigned cap)
{
	int ti = tid_index(tid);
	if (oplen < 4)
		return -EINVAL;
	unsigned count = le16(op), at = 4, rl = 4;
	p16(res, count);
	p16(res + 2, 0);
	for (unsigned n = 0; n < count; n++) {
		if (at + 6 > oplen)
			return -EINVAL;
		unsigned code = le16(op + at), group = le16(op + at + 2), fc = le16(op + at + 4);
		at += 6;
		if (code != I2O_PARAMS_FIELD_GET && code != I2O_PARAMS_FIELD_SET)
			return -EINVAL;
		unsigned idx[16], nidx = 0, all = 0;
		if (fc == 0xFFFF)
			all = 1;
		else {
			if (fc > 16 || at + 2 * fc > oplen)
				return -EINVAL;
			for (unsigned i = 0; i < fc; i++)
				idx[nidx++] = le16(op + at + 2 * i);
			at += 2 * fc;
			if (nidx == 1 && idx[0] == 0xFFFF)
				all = 1;
		}
		const struct field *fs = group == 0xF100 ? f100 : group == 0xF102 ? f102 : NULL;
		unsigned nf = group == 0xF100 ? 9 : group == 0xF102 ? 4 : 0;
		uint8_t *data = group == 0xF100 ? g100[ti] : group == 0xF102 ? g102[ti] : NULL;
		if (group == 0x0101 && ti == 0) { fs = f0101; nf = 3; data = g0101; }
		uint8_t *blk = res + rl;
		unsigned status = 0, dlen = 0;
		uint8_t tmp[512];
		if (!fs) {
			status = I2O_PARAMS_STATUS_INVALID_GROUP_ID;
		} else {
			if (all) { nidx = nf; for (unsigned i = 0; i < nf; i++) idx[i] = i; }
			unsigned w = 0;
			for (unsigned i = 0; i < nidx; i++) {
				if (idx[i] >= nf) { status = I2O_PARAMS_STATUS_NO_SUCH_FIELD; break; }
				w += fs[idx[i]].size;
			}
			if (code == I2O_PARAMS_FIELD_SET) {
				if (status || !set)
					return -EINVAL;
				if (at + w > oplen)
					return -EINVAL;
				for (unsigned i = 0; i < nidx && !status; i++)
					if (!fs[idx[i]].writable)
						status = I2O_PARAMS_STATUS_FIELD_UNWRITEABLE;
				if (!status) {
					unsigned v = at;
					for (unsigned i = 0; i < nidx; i++) {
						memcpy(data + fs[idx[i]].off, op + v, fs[idx[i]].size);
						v += fs[idx[i]].size;
					}
					uint8_t ed[4];
					p16(ed, group);
					p16(ed + 2, idx[0]);
					raise_event(tid, I2O_EVT_IND_FIELD_MODIFIED, ed, 4);
				}
				at += w;
			} else if (!status) {
				for (unsigned i = 0; i < nidx; i++) {
					memcpy(tmp + dlen, data + fs[idx[i]].off, fs[idx[i]].size);
					dlen += fs[idx[i]].size;
				}
			}
		}
		at = (at + 3) & ~3u;
		unsigned dwords = (dlen + 3) / 4, ewords = status ? 2 : 0;
		unsigned bsize = 1 + dwords + ewords;
		if (rl + bsize * 4 > cap)
			return -ENOSPC;
		memset(blk, 0, bsize * 4);
		p16(blk, bsize);
		blk[2] = (uint8_t)status;
		blk[3] = (uint8_t)ewords;
		memcpy(blk + 4, tmp, dlen);
		if (status) {
			uint8_t *e = blk + 4 + dwords * 4;
			p16(e, code);
			p16(e + 2, group);
			p16(e + 4, 0xFFFF);
		}
		rl += bsize * 4;
	}
	return (int)rl;
}

/* ---- software store ---- */
struct module { int used; unsigned type, id, size; uint8_t *data; };
static struct module store[16];
struct partial { int used; unsigned type, id, size, maxfrag, next; uint8_t *data; };
static struct partial part[4];

static struct module *mod_find(unsigned type, unsigned id)
{
	for (int i = 0; i < 16; i++)
		if (store[i].used && store[i].type == type && store[i].id == id)
			return &store[i];
	return NULL;
}

static int do_sw(unsigned long req, void *arg)
{
	struct i2o_sw_xfer x;
	unsigned swlen, maxfrag = 0, curfrag = 0;
	if (uin(&x, arg, sizeof x) || uin(&swlen, x.swlen, 4))
		return -EFAULT;
	if (req != I2OSWDEL && (uin(&maxfrag, x.maxfrag, 4) || uin(&curfrag, x.curfrag, 4)))
		return -EFAULT;
	if (req == I2OSWDEL) {
		if (x.iop != 0)
			return -ENXIO;
		struct module *m = mod_find(x.sw_type, x.sw_id);
		if (!m || (swlen && swlen != m->size))
			return -EIO;
		if (!bug("swdelnowb") && uout(x.swlen, &m->size, 4))
			return -EFAULT;
		free(m->data);
		m->used = 0;
		return 0;
	}
	if (req == I2OSWDL) {
		if (maxfrag > 255 || curfrag > 255 || maxfrag == 0 || curfrag == 0)
			return -EINVAL;
		unsigned fsz = curfrag == maxfrag ? swlen - (maxfrag - 1) * 8192 : 8192;
		if (fsz > 8192)
			return -EINVAL;
		if (!x.buf)
			return -EFAULT;
		uint8_t tmp[8192];
		if (uin(tmp, x.buf, fsz))
			return -EFAULT;
		if (x.iop != 0)
			return -ENXIO;
		struct partial *p = NULL;
		for (int i = 0; i < 4; i++)
			if (part[i].used && part[i].type == x.sw_type && part[i].id == x.sw_id)
				p = &part[i];
		if (curfrag == 1) {
			if (!p)
				for (int i = 0; i < 4 && !p; i++)
					if (!part[i].used)
						p = &part[i];
			if (!p)
				return -EIO;
			free(p->data);
			*p = (struct partial){ 1, x.sw_type, x.sw_id, swlen, maxfrag, 1, malloc(swlen ? swlen : 1) };
		} else if (!p || p->next != curfrag || p->maxfrag != maxfrag || p->size != swlen) {
			return -EIO;
		}
		memcpy(p->data + (curfrag - 1) * 8192, tmp, fsz);
		p->next++;
		if (curfrag == maxfrag) {
			struct module *m = mod_find(x.sw_type, x.sw_id);
			for (int i = 0; i < 16 && !m; i++)
				if (!store[i].used)
					m = &store[i];
			if (!m)
				return -EIO;
			if (m->used)
				free(m->data);
			*m = (struct module){ 1, x.sw_type, x.sw_id, p->size, p->data };
			p->used = 0;
			p->data = NULL;
		}
		return 0;
	}
	/* SWUL */
	if (!x.buf)
		return -EFAULT;
	if (x.iop != 0)
		return -ENXIO;
	struct module *m = mod_find(x.sw_type, x.sw_id);
	if (!m)
		return -EIO;
	unsigned nfrag = (m->size + 8191) / 8192;
	if (curfrag < 1 || curfrag > nfrag)
		return -EIO;
	unsigned fsz = curfrag == nfrag ? m->size - (nfrag - 1) * 8192 : 8192;
	if (uout(x.buf, m->data + (curfrag - 1) * 8192, fsz) || uout(x.swlen, &m->size, 4) || uout(x.maxfrag, &nfrag, 4))
		return -EFAULT;
	return 0;
}

/* ---- pass-through ---- */
static int do_passthru(void *umsg, unsigned iop)
{
	uint32_t w[128], r0;
	if (uin(w, umsg, 4))
		return -EFAULT;
	if (iop != 0)
		return -ENXIO;
	unsigned s = w[0] >> 16, sgl = (w[0] >> 4) & 0xF;
	if (s > 64 || s < 4)
		return -EINVAL;
	if (uin(w, umsg, s * 4))
		return -EFAULT;
	uint8_t *reply = (uint8_t *)umsg + s * 4;
	if (uin(&r0, reply, 4))
		return -EFAULT;
	unsigned cap = r0 >> 16;
	const uint8_t *opu = NULL;
	uint8_t *resu = NULL;
	unsigned oplen = 0, rescap = 0;
	if (sgl) {
		if (sgl >= s || (s - sgl) % 2)
			return -EINVAL;
		unsigned n = (s - sgl) / 2;
		if (n > 30)
			return -EINVAL;
		for (unsigned i = 0; i < n; i++) {
			uint32_t fl = w[sgl + 2 * i];
			if ((fl & 0x30000000) != 0x10000000)
				return -EINVAL;
			if (fl & 0x04000000) { opu = (const uint8_t *)(uintptr_t)w[sgl + 2 * i + 1]; oplen = fl & 0xFFFFFF; }
			else { resu = (uint8_t *)(uintptr_t)w[sgl + 2 * i + 1]; rescap = fl & 0xFFFFFF; }
		}
	}
	uint32_t rep[8] = { 0 };
	rep[0] = 5u << 16 | 0x8000 | 0x01;
	rep[1] = w[1];
	rep[2] = w[2];
	rep[3] = w[3];
	if ((w[1] >> 24) == 0x06 && opu && resu) {
		uint8_t op[4096], res[4096];
		if (oplen > sizeof op || uin(op, opu, oplen))
			return -EFAULT;
		int rl = params(0, w[1] & 0xFFF, op, oplen, res, sizeof res);
		if (rl < 0 || (unsigned)rl > rescap)
			rep[4] = 0x0B000000;
		else if (uout(resu, res, (unsigned)rl))
			return -EFAULT;
	} else {
		rep[4] = 0x05000019;	/* ERROR_NO_DATA_TRANSFER, UNKNOWN_FUNCTION */
	}
	if (bug("ptzero")) {
		uint32_t z[5] = { 0, 0, w[2], w[3], 0 };
		memcpy(rep, z, sizeof z);
	}
	unsigned n = cap < 5 ? cap : 5;
	return uout(reply, rep, n * 4);
}

/* ---- ioctl dispatch ---- */
static int do_ioctl(struct ofile *f, unsigned long req, void *arg)
{
	uint8_t big[4096];
	machine_init();
	if (req == FIOASYNC) {	/* the VFS's: no fasync method, so turning O_ASYNC on is ENOTTY */
		int on;
		int rc = uin(&on, arg, sizeof on);
		return rc ? rc : on ? -ENOTTY : 0;
	}
	if (req == I2OGETIOPS) {
		uint8_t t[32] = { 1 };
		return uout(arg, t, 32);
	}
	if (req == I2OHRTGET || req == I2OLCTGET || req == I2OHTML) {
		unsigned len, cap, iop, tid = 0;
		void *resbuf;
		unsigned *reslen;
		uint8_t q[256];
		const char *page = NULL;
		if (req == I2OHTML) {
			struct i2o_html h;
			if (uin(&h, arg, sizeof h))
				return -EFAULT;
			iop = h.iop; tid = h.tid; resbuf = h.resbuf; reslen = h.reslen;
			if (uin(&cap, reslen, 4))
				return -EFAULT;
			if (!resbuf)
				return -EFAULT;
			if (h.qlen && (h.qlen > sizeof q || uin(q, h.qbuf, h.qlen)))
				return -EFAULT;
			if (iop != 0)
				return -ENXIO;
			if (tid_index(tid) < 0)
				return -ENXIO;
			if (h.page != 0)
				return -EIO;
			page = "<html><body>mock page 0</body></html>";
			len = (unsigned)strlen(page);
			memcpy(big, page, len);
		} else {
			struct i2o_cmd_hrtlct c;
			if (uin(&c, arg, sizeof c))
				return -EFAULT;
			iop = c.iop; resbuf = c.resbuf; reslen = c.reslen;
			if (uin(&cap, reslen, 4))
				return -EFAULT;
			if (!resbuf)
				return -EFAULT;
			if (iop != 0)
				return -ENXIO;
			len = req == I2OHRTGET ? hrt_bytes(big) : lct_bytes(big);
		}
		if (req == I2OLCTGET && bug("lctswap")) {
			uint8_t t[4];
			memcpy(t, big + 4, 4); memcpy(big + 4, big + 8, 4); memcpy(big + 8, t, 4);
		}
		if (uout(reslen, &len, 4))
			return -EFAULT;
		if (len > cap) {
			if (req == I2OHRTGET && bug("hrtcopy"))
				uout(resbuf, big, len);
			return -ENOBUFS;
		}
		return uout(resbuf, big, len);
	}
	if (req == I2OPARMGET || req == I2OPARMSET) {
		struct i2o_cmd_psetget c;
		unsigned cap;
		uint8_t op[4096], res[4096];
		if (uin(&c, arg, sizeof c) || uin(&cap, c.reslen, 4))
			return -EFAULT;
		if (!c.resbuf)
			return -EFAULT;
		if (c.iop != 0)
			return -ENXIO;
		if (tid_index(c.tid) < 0)
			return -ENXIO;
		if (c.oplen > sizeof op || uin(op, c.opbuf, c.oplen))
			return c.oplen > sizeof op ? -EINVAL : -EFAULT;
		/* parse first (no state change), then apply */
		uint8_t save100[NTID][81], save102[NTID][196];
		memcpy(save100, g100, sizeof g100);
		memcpy(save102, g102, sizeof g102);
		int rl = params(req == I2OPARMSET, c.tid, op, c.oplen, res, sizeof res);
		if (rl < 0) {
			memcpy(g100, save100, sizeof g100);
			memcpy(g102, save102, sizeof g102);
			return rl == -ENOSPC ? -EINVAL : rl;
		}
		if (bug("flaky") && ++g_calls % 97 == 0)
			return -EAGAIN;
		unsigned len = bug("parmlen0") ? 0 : (unsigned)rl;
		if (uout(c.reslen, &len, 4))
			return -EFAULT;
		if (len > cap)
			return -ENOBUFS;
		return uout(c.resbuf, res, len);
	}
	if (req == I2OSWDL || req == I2OSWUL || req == I2OSWDEL)
		return do_sw(req, arg);
	if (req == I2OVALIDATE)
		return (uintptr_t)arg == 0 ? 0 : -ENXIO;
	if (req == I2OEVTREG) {
		struct i2o_evt_id e;
		if (uin(&e, arg, sizeof e))
			return -EFAULT;
		if (e.iop != 0)
			return -ENXIO;
		if (tid_index(e.tid) < 0)
			return -ENODEV;
		for (int r = 0; r < f->nreg; r++)
			if (f->regtid[r] == e.tid) {
				f->regmask[r] = e.evt_mask;
				return 0;
			}
		if (f->nreg < 8) {
			f->regtid[f->nreg] = e.tid;
			f->regmask[f->nreg++] = e.evt_mask;
		}
		return 0;
	}
	if (req == I2OEVTGET) {
		struct i2o_evt_get g;
		if (f->qlen == 0)
			return -ENOENT;
		g.info = f->q[f->qout];
		g.pending = f->qlen - 1;
		g.lost = f->lost;
		if (uout(arg, &g, sizeof g))
			return -EFAULT;
		f->qout = (f->qout + 1) % I2O_EVT_Q_LEN;
		f->qlen--;
		return 0;
	}
#if defined(__x86_64__) && !defined(__ILP32__)
	if (req == I2OPASSTHRU) {
		struct i2o_cmd_passthru c;
		if (uin(&c, arg, sizeof c))
			return -EFAULT;
		return do_passthru(c.msg, c.iop);
	}
#endif
	if (req == I2OPASSTHRU32) {
		struct i2o_cmd_passthru32 c;
		if (uin(&c, arg, sizeof c))
			return -EFAULT;
		return do_passthru((void *)(uintptr_t)c.msg, c.iop);
	}
	return -EINVAL;
}

/* ---- libc interposition ---- */
static const char *mock_path(void)
{
	const char *p = getenv("I2O_MOCK_PATH");
	return p && *p ? p : "/mock/i2o/ctl";
}

static int mock_open(const char *path, int flags)
{
	static int (*real_open)(const char *, int, ...);
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	int fd = real_open("/dev/null", O_RDWR);
	if (fd < 0)
		return fd;
	(void)path;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < MAXF; i++)
		if (!files[i].used) {
			memset(&files[i], 0, sizeof files[i]);
			files[i].used = 1;
			files[i].fd = fd;
			files[i].nonblock = !!(flags & O_NONBLOCK);
			pthread_mutex_unlock(&mu);
			return fd;
		}
	pthread_mutex_unlock(&mu);
	close(fd);
	errno = EMFILE;
	return -1;
}

/* open and open64: the mock path is served here, any other goes to the next library's NAME. */
#define OPEN_WRAPPER(NAME)                                                                              \
int NAME(const char *path, int flags, ...)                                                              \
{                                                                                                       \
	mode_t mode = 0;                                                                                \
	if (flags & O_CREAT) {                                                                          \
		va_list ap;                                                                             \
		va_start(ap, flags);                                                                    \
		mode = (mode_t)va_arg(ap, int);                                                         \
		va_end(ap);                                                                             \
	}                                                                                               \
	if (strcmp(path, mock_path()) == 0)                                                             \
		return mock_open(path, flags);                                                          \
	int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #NAME); \
	return real(path, flags, mode);                                                                 \
}
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&mu);
	struct ofile *f = find(fd);
	if (!f) {
		pthread_mutex_unlock(&mu);
		int (*real)(int, unsigned long, ...) = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	int rc = do_ioctl(f, req, arg);
	pthread_mutex_unlock(&mu);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

ssize_t read(int fd, void *buf, size_t n)
{
	pthread_mutex_lock(&mu);
	struct ofile *f = find(fd);
	if (!f) {
		pthread_mutex_unlock(&mu);
		ssize_t (*real)(int, void *, size_t) = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
		return real(fd, buf, n);
	}
	int rc = 0;
	if (n < sizeof(struct i2o_evt_info))
		rc = -EINVAL;
	while (!rc && f->qlen == 0) {
		if (f->nonblock && !bug("readblock")) { rc = -EAGAIN; break; }
		pthread_cond_wait(&cv, &mu);
	}
	size_t done = 0;
	while (!rc && f->qlen > 0 && done + sizeof(struct i2o_evt_info) <= n) {
		if (uout((uint8_t *)buf + done, &f->q[f->qout], sizeof(struct i2o_evt_info))) { rc = -EFAULT; break; }
		f->qout = (f->qout + 1) % I2O_EVT_Q_LEN;
		f->qlen--;
		done += sizeof(struct i2o_evt_info);
	}
	pthread_mutex_unlock(&mu);
	if (rc && !done) {
		errno = -rc;
		return -1;
	}
	return (ssize_t)done;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	pthread_mutex_lock(&mu);
	struct ofile *f = find(fd);
	pthread_mutex_unlock(&mu);
	if (f) {
		errno = EINVAL;
		return -1;
	}
	ssize_t (*real)(int, const void *, size_t) = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return real(fd, buf, n);
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	pthread_mutex_lock(&mu);
	if (nfds == 1 && find(fds[0].fd)) {
		struct ofile *f = find(fds[0].fd);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout / 1000;
		until.tv_nsec += (long)(timeout % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
		while (f->qlen == 0 && timeout != 0)
			if (pthread_cond_timedwait(&cv, &mu, &until) == ETIMEDOUT)
				break;
		fds[0].revents = f->qlen ? (fds[0].events & (POLLIN | POLLRDNORM)) : 0;
		pthread_mutex_unlock(&mu);
		return fds[0].revents ? 1 : 0;
	}
	pthread_mutex_unlock(&mu);
	int (*real)(struct pollfd *, nfds_t, int) = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	return real(fds, nfds, timeout);
}

/* select on mock files only: readable while events are queued, never writable. */
int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	int mine = 0, other = 0, ready = 0;
	pthread_mutex_lock(&mu);
	for (int fd = 0; fd < nfds; fd++) {
		int in = (r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (x && FD_ISSET(fd, x));
		if (in && find(fd))
			mine = 1;
		else if (in)
			other = 1;
	}
	if (mine && !other) {
		for (int fd = 0; fd < nfds; fd++) {
			struct ofile *f = find(fd);
			if (r && FD_ISSET(fd, r) && !(f && f->qlen))
				FD_CLR(fd, r);
			if (w)
				FD_CLR(fd, w);
			if (x)
				FD_CLR(fd, x);
			ready += r && FD_ISSET(fd, r);
		}
	}
	pthread_mutex_unlock(&mu);
	if (!mine || other) {
		int (*real)(int, fd_set *, fd_set *, fd_set *, struct timeval *) =
			(int (*)(int, fd_set *, fd_set *, fd_set *, struct timeval *))dlsym(RTLD_NEXT, "select");
		return real(nfds, r, w, x, tv);
	}
	if (!ready && tv) {
		struct timespec t = { tv->tv_sec, tv->tv_usec * 1000L };
		nanosleep(&t, NULL);
	}
	return ready;
}

int close(int fd)
{
	pthread_mutex_lock(&mu);
	struct ofile *f = find(fd);
	if (f)
		f->used = 0;
	pthread_mutex_unlock(&mu);
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "close");
	return real(fd);
}
