/*
 * dpt-client: talks to an I2O control node the way Adaptec's raidutil/raideng do
 * (docs/fixture-format.md, "Adaptec/DPT controllers"): GETIOPS, the private 'D' ioctls
 * (which must fail with EINVAL), then everything through PASSTHRU32 with the frames
 * eata2i2o.c builds - flash region size, ExecLctNotify x2, ExecHrtGet, UtilParamsGet
 * 0x0200/0x8000/0xF101, and DPT private SCSI SCB execute (INQUIRY, LOG SENSE 0x33/0x36,
 * MODE SENSE 0x2E/0x22/0x2A/0x32/0x30, MFC, TUR, READ CAPACITY, MODE SELECT 0x3E). It
 * rebuilds what `raidutil -L all` lists (controller, physical view, logical view with members,
 * cache, statuses) and checks it field by field against an expectations file
 * (Tests/DPT/expect.py makes one from `i2osim show --json FIXTURE`).
 *
 *   dpt-client [-d DEVICE] [-i IOP] -x EXPECTATIONS     the -L all sequence (i386 build)
 *   dpt-client [-d DEVICE] -e                            only the 'D' ioctls (either ABI)
 *   dpt-client -D [-i IOP] [-k] [-n] (-x EXPECTATIONS | -e)   through dpt_i2o's node
 *
 * With -D the client finds the card as raideng does on a dpt_i2o machine: it probes /dev/dpti0 ..
 * /dev/dpti17 with DPT_SIGNATURE, expects dpti<IOP> to answer (-n: and /dev/i2octl to be absent), checks
 * the dpt_i2o ioctls (DPT_SIGNATURE, DPT_CTRLINFO, DPT_SYSINFO, DPT_BLINKLED, I2ORESCANCMD,
 * DPT_TARGET_BUSY: not busy, or with -k EINVAL as mainline answers) and sends every message
 * through I2OUSRCMD (the frame itself as the argument, dpt_i2o's 17-word reply) instead of
 * PASSTHRU32; -e then sends one ExecLctNotify from memory below 4 GiB (either ABI).
 *   dpt-client [-d DEVICE] [-i IOP] -c COMMAND ARGS…     one configuration command (dpt-manage.c)
 *
 * Prints "N passed, N failed"; exits 1 when something failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_32BIT
#define MAP_32BIT 0
#endif

#include "../clientlib/i2o-client.h"

/* The numbers raidutil has compiled in are the header's. */
_Static_assert(I2OGETIOPS == 0x80206900u, "raidutil's I2OGETIOPS");
_Static_assert(I2OPASSTHRU32 == 0x8008690Cu, "raidutil's I2OPASSTHRU32");
#define DPT_BLINKLED	0x8004444Bu	/* _IOR('D',75,int) */
#define DPT_TARGET_BUSY	0x8010444Fu	/* _IOR('D',79,16 bytes) */
#define DPT_SYSINFO	0x805C4448u	/* _IOR('D',72,92 bytes) */

static const char *g_dev = "/dev/i2octl";
static unsigned g_iop;
static int g_messages;

/* ---------------------------------------------------------------- dpt_i2o's node (-D) */

/* The dpt_i2o headers' types, with their C longs: the numbers' size fields follow the ABI. */
#pragma pack(push, 1)
typedef struct {
	char dsSignature[6];
	uint8_t dsSigVersion, dsProcessorFamily, dsProcessor, dsFiletype, dsFiletypeFlags, dsOEM;
	unsigned long dsOS;
	uint16_t dsCapabilities, dsDeviceSupp, dsAdapterSupp, dsApplication;
	uint8_t dsRequirements, dsVersion, dsRevision, dsSubRevision, dsMonth, dsDay, dsYear;
	char dsDescription[50];
} dpt_sig_S;
typedef struct {
	uint8_t drive0CMOS, drive1CMOS, numDrives, processorFamily, processorType;
	uint8_t smartROMMajorVersion, smartROMMinorVersion, smartROMRevision;
	uint16_t flags, conventionalMemSize;
	unsigned long extendedMemSize, osType;
	uint8_t osMajorVersion, osMinorVersion, osRevision, osSubRevision, busType, pad[3];
	uint8_t drives[16][4];
} sysInfo_S;
#pragma pack(pop)
typedef struct {
	uint8_t state, id; int vect, base, njobs, qdepth, wakebase; unsigned long SGsize; unsigned heads, sectors;
	uint8_t do_drive32, BusQuiet; char idPAL[4]; uint8_t primary, eataVersion; unsigned long cpLength, spLength;
	uint8_t drqNum, flag1, flag2;
} CtrlInfo;
typedef struct {
	uint16_t length, drvrHBAnum; unsigned long baseAddr; uint16_t blinkState; uint8_t pciBusNum, pciDeviceNum;
	uint16_t hbaFlags, Interrupt; unsigned long reserved1, reserved2, reserved3;
} drvrHBAinfo_S;
typedef struct { unsigned long channel, id, lun, isBusy; } TARGET_BUSY_T;

#define DPTI_SIGNATURE		_IOR('D', 67, dpt_sig_S)
#define DPTI_CTRLINFO		_IOR('D', 69, CtrlInfo)
#define DPTI_SYSINFO		_IOR('D', 72, sysInfo_S)
#define DPTI_BLINKLED		_IOR('D', 75, int)
#define I2OUSRCMD		_IO('D', 76)
#define I2ORESCANCMD		_IO('D', 77)
#define DPTI_TARGET_BUSY	_IOR('D', 79, TARGET_BUSY_T)
_Static_assert(sizeof(void *) == 8 || DPTI_SIGNATURE == 0x80514443u, "i386 DPT_SIGNATURE");
_Static_assert(sizeof(void *) == 8 || DPTI_SYSINFO == DPT_SYSINFO, "raidutil's DPT_SYSINFO");
_Static_assert(sizeof(void *) == 8 || DPTI_TARGET_BUSY == DPT_TARGET_BUSY, "raidutil's DPT_TARGET_BUSY");
_Static_assert(sizeof(void *) == 4 || DPTI_SIGNATURE == 0x80554443u, "x86_64 DPT_SIGNATURE");

static char g_dpti[32];	/* the dpt_i2o node messages go to (-D), or empty: g_dev with PASSTHRU32 */
static int g_kernel;	/* -k: a mainline dpt_i2o (DPT_TARGET_BUSY → EINVAL) */
static int g_no_ctl;	/* -n: a machine driven by dpt_i2o alone (no /dev/i2octl) */

/* SCSI identification text without trailing spaces/NULs. */
static void trimmed(char *out, const uint8_t *p, int n)
{
	memcpy(out, p, n); out[n] = 0;
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == 0)) out[--n] = 0;
}

/* ---------------------------------------------------------------- expectations */

struct xdisk { char addr[16], vendor[17], product[17], status[16]; unsigned mb, pap; int seen, has_pap; };
struct xarray { char addr[16], status[16], members[128]; unsigned level, mb; int seen; };
static struct {
	int fail;
	char vendor[16], model[32], firmware[8], nvram[16], serial[24];
	unsigned cache_mb, nbus, initiator[8], ndisk, narray, nspare;
	struct xdisk disk[32];
	struct xarray array[16];
	char spare[16][16];
} X;

static int load_expectations(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f) { perror(path); return -1; }
	while (fgets(line, sizeof line, f)) {
		unsigned a, b;
		if (sscanf(line, "fail %u", &a) == 1) X.fail = a;
		else if (sscanf(line, "controller %15s %31s %7s", X.vendor, X.model, X.firmware) == 3) ;
		else if (sscanf(line, "nvram %15s", X.nvram) == 1) ;
		else if (sscanf(line, "serial %23s", X.serial) == 1) ;
		else if (sscanf(line, "cache_mb %u", &X.cache_mb) == 1) ;
		else if (sscanf(line, "initiator %u %u", &a, &b) == 2 && a < 8) { X.initiator[a] = b; if (a + 1 > X.nbus) X.nbus = a + 1; }
		else if (X.ndisk < 32) {
			struct xdisk *d = &X.disk[X.ndisk];
			int k = sscanf(line, "disk %15s %16s %16s %u %15s %x", d->addr, d->vendor, d->product, &d->mb, d->status, &d->pap);
			if (k >= 5) { d->has_pap = k == 6; X.ndisk++; continue; }
			if (X.nspare < 16 && sscanf(line, "spare %15s", X.spare[X.nspare]) == 1) { X.nspare++; continue; }
			struct xarray *r = &X.array[X.narray];
			if (X.narray < 16 && sscanf(line, "array %15s %u %u %15s %127s", r->addr, &r->level, &r->mb, r->status, r->members) == 5) X.narray++;
		}
	}
	fclose(f);
	return 0;
}

/* ---------------------------------------------------------------- transport */

/* One PASSTHRU32 as osdSendMessage does it: open O_RDONLY, frame + 17-word reply area. */
struct result { int rc, err; uint32_t reply[17]; };

static struct result passthru(const uint32_t *frame)
{
	struct result r; memset(&r, 0, sizeof r);
	unsigned words = frame[0] >> 16;
	uint32_t *buf = calloc(words + 17, 4);
	memcpy(buf, frame, words * 4);
	buf[words] = 17u << 16;
	struct i2o_cmd_passthru32 arg = { g_iop, (uint32_t)(uintptr_t)buf };
	int fd = open(*g_dpti ? g_dpti : g_dev, O_RDONLY);
	if (fd < 0) { r.rc = -1; r.err = errno; free(buf); return r; }
	/* dpt_i2o's I2OUSRCMD takes the frame itself; the IOP is the node's. */
	r.rc = *g_dpti ? ioctl(fd, I2OUSRCMD, buf) : ioctl(fd, I2OPASSTHRU32, &arg);
	r.err = r.rc < 0 ? errno : 0;
	close(fd);
	memcpy(r.reply, buf + words, sizeof r.reply);
	free(buf);
	g_messages++;
	return r;
}

/* raidutils' reading: success = ioctl OK and reply word 4 (ReqStatus, DetailedStatus) zero. */
static int succeeded(const struct result *r) { return r->rc == 0 && r->reply[4] == 0; }

#define PTR(p) ((uint32_t)(uintptr_t)(p))

static struct result flash_size(unsigned region, uint32_t *size)
{
	uint32_t f[10] = { 0x000A0081, 0xFF001000, 0, 0, 0x001B0100, region, 0, 0, 0xD0000004, PTR(size) };
	return passthru(f);
}

static struct result lct_notify(void *buf, unsigned len)
{
	uint32_t f[8] = { 0x00080061, 0xA2001000, 0, 0, 0xFFFFFFFF, 0, 0xD0000000 | len, PTR(buf) };
	return passthru(f);
}

static struct result hrt_get(void *buf)
{
	uint32_t f[6] = { 0x00060041, 0xA8001000, 0, 0, 0xD0000088, PTR(buf) };
	return passthru(f);
}

static struct result params_get(unsigned tid, unsigned group, uint8_t *res, unsigned len)
{
	static uint8_t ops[12];
	uint8_t o[10] = { 1, 0, 0, 0, 1, 0, group & 0xFF, group >> 8, 0xFF, 0xFF };
	memcpy(ops, o, 10);
	uint32_t f[9] = { 0x00090051, 0x06001000 | tid, 0, 0, 0, 0x5400000A, PTR(ops), 0xD0000000 | len, PTR(res) };
	return passthru(f);
}

/* DPT PRIVATE_SCSI_SCB_EXECUTE: data element then the 20-byte sense element. */
static struct result scb(unsigned tid, int interpret, int physical, const uint8_t *cdb, unsigned cdblen,
			 uint8_t *data, unsigned len, int out, uint8_t *sense)
{
	uint32_t f[16];
	uint8_t c[16] = { 0 };
	memcpy(c, cdb, cdblen);
	unsigned flags = len == 0 ? 0x20A0 : (out ? 0xA0A0 : 0x60A0);
	f[0] = 0x001000C1; f[1] = 0xFF001000 | tid; f[2] = 0; f[3] = 0;
	f[4] = 0x001B0081;
	f[5] = tid | (interpret ? 1u << 16 : 0) | (physical ? 1u << 17 : 0);
	f[6] = cdblen | flags << 16;
	for (int i = 0; i < 4; i++) f[7 + i] = le32(c + 4 * i);
	f[11] = len;
	f[12] = (uint32_t)(0x50 | (out ? 0x04 : 0)) << 24 | len; f[13] = PTR(data);
	f[14] = 0xD0000014; f[15] = PTR(sense);
	return passthru(f);
}

/* ---------------------------------------------------------------- the device map */

struct dev { unsigned tid, cls, user, bus, target, lun, is_array; uint32_t magic; char vendor[9], product[17]; unsigned mb; int ok; };
static struct dev g_dev_list[64];
static unsigned g_ndev;
static unsigned g_port_tid[8], g_nport;

static const struct xdisk *xdisk_at(const char *addr)
{
	for (unsigned i = 0; i < X.ndisk; i++) if (!strcmp(X.disk[i].addr, addr)) return &X.disk[i];
	return NULL;
}

static void addr_of(char *out, unsigned bus, unsigned target, unsigned lun) { sprintf(out, "b%ut%ud%u", bus, target, lun); }

static int run_failing(void)
{
	uint32_t size = 0;
	int fails = 0, n = 0;
	for (unsigned r = 0; r < 4; r++, n++) { struct result x = flash_size(r, &size); fails += !succeeded(&x); }
	uint8_t lct[12];
	struct result l = lct_notify(lct, 12); n++; fails += !succeeded(&l);
	uint8_t inq[48], sense[20];
	const uint8_t cdb[6] = { 0x12, 0, 0, 0, 48, 0 };
	struct result q = scb(0, 1, 0, cdb, 6, inq, 48, 0, sense); n++; fails += !succeeded(&q);
	CHECK_TAP(fails == n, "every message fails (%d of %d failed)", fails, n);
	CHECK_TAP(l.rc > 0 || (l.reply[4] >> 24) != 0, "LctNotify failure carries a ReqStatus (rc %d, reply[4] 0x%08x)", l.rc, l.reply[4]);
	CHECK_TAP((q.reply[4] & 0xFFFF) == 0, "failure is the IOP's ReqStatus, not a SCSI status (reply[4] 0x%08x)", q.reply[4]);
	return 0;
}

static struct result rb_none(void) { struct result r; memset(&r, 0, sizeof r); r.rc = -1; return r; }

static void run_listing(void)
{
	uint8_t buf[8192], sense[20];
	memset(buf, 0, sizeof buf);

	/* 1. flash region size x4 */
	uint32_t sizes[4] = { 0 };
	int flash_ok = 1;
	for (unsigned r = 0; r < 4; r++) { struct result x = flash_size(r, &sizes[r]); flash_ok &= succeeded(&x) && sizes[r] != 0; }
	CHECK_TAP(flash_ok, "flash region sizes 0x%x 0x%x 0x%x 0x%x", sizes[0], sizes[1], sizes[2], sizes[3]);
	static uint8_t blank[256];
	uint32_t fr[10] = { 0x000A0081, 0xFF001000, 0, 0, 0x001B0101, 0, 0, 256, 0xD0000100, PTR(blank) };
	struct result fx = passthru(fr);
	CHECK_TAP(succeeded(&fx) && blank[0] == 0xFF && blank[255] == 0xFF, "flash region read: blank (0xFF)");

	/* 2. ExecLctNotify x2 */
	uint8_t hdr[12];
	struct result l1 = lct_notify(hdr, 12);
	unsigned table_words = le32(hdr) & 0xFFFF;
	unsigned n = table_words > 3 ? (table_words * 4 - 12) / 36 : 0;
	CHECK_TAP(succeeded(&l1) && n > 0, "LctNotify (12 bytes): TableSize %u words, %u entries", table_words, n);
	unsigned len = 48 + (n ? n - 1 : 0) * 36;
	struct result l2 = lct_notify(buf, len);
	CHECK_TAP(succeeded(&l2) && (le32(buf) & 0xFFFF) == table_words, "LctNotify (full, %u bytes)", len);
	for (unsigned i = 0; i < n && g_ndev < 64; i++) {
		const uint8_t *e = buf + 12 + 36 * i;
		unsigned tid = (le32(e) >> 16) & 0xFFF, cls = le32(e + 12) & 0xFFF, user = le32(e + 20) & 0xFFF;
		if (cls == 0x010 || cls == 0x051 || cls == 0x041) {
			struct dev *d = &g_dev_list[g_ndev++];
			memset(d, 0, sizeof *d);
			d->tid = tid; d->cls = cls; d->user = user;
		}
	}
	/* An array: block storage that two or more entries, or a non-physical one, name as user, or none does. */
	for (unsigned i = 0; i < g_ndev; i++) {
		if (g_dev_list[i].cls != 0x010) continue;
		unsigned users = 0, nonphys = 0;
		for (unsigned k = 0; k < g_ndev; k++)
			if (g_dev_list[k].user == g_dev_list[i].tid) { users++; if (g_dev_list[k].cls == 0x010) nonphys++; }
		g_dev_list[i].is_array = users >= 2 || nonphys || users == 0;
	}

	/* 3. ExecHrtGet: port TID by bus */
	struct result h = hrt_get(buf);
	unsigned nh = le32(buf) & 0xFFFF;
	for (unsigned i = 0; i < nh && i < 8; i++) {
		uint32_t adapter = le32(buf + 8 + 16 * i);
		unsigned bus = adapter >> 16;
		if (bus < 8) { g_port_tid[bus] = adapter & 0xFFF; if (bus + 1 > g_nport) g_nport = bus + 1; }
	}
	CHECK_TAP(succeeded(&h) && g_nport == X.nbus, "HrtGet: %u buses (expected %u)", g_nport, X.nbus);

	/* 4. ParamsGet 0x0200 on every port: InitiatorID */
	for (unsigned b = 0; b < g_nport; b++) {
		memset(buf, 0, 64);
		struct result p = params_get(g_port_tid[b], 0x0200, buf, 64);
		unsigned id = le32(buf + 8 + 4);
		CHECK_TAP(succeeded(&p) && le32(buf) == 1 && (le32(buf + 4) & 0xFFFF) == 8 && id == X.initiator[b],
		      "bus %u (TID 0x%03x): 0x0200 InitiatorID %u (expected %u)", b, g_port_tid[b], id, X.initiator[b]);
	}
	/* ParamsGet 0x8000 on every kept device: bus, target, LUN */
	int addr_ok = 1;
	for (unsigned i = 0; i < g_ndev; i++) {
		memset(buf, 0, 64);
		struct result p = params_get(g_dev_list[i].tid, 0x8000, buf, 64);
		const uint8_t *d = buf + 8;
		g_dev_list[i].bus = d[2] | d[3] << 8; g_dev_list[i].target = le32(d + 4); g_dev_list[i].lun = d[9];
		addr_ok &= succeeded(&p);
	}
	CHECK_TAP(addr_ok, "ParamsGet 0x8000 on %u devices", g_ndev);

	/* 5-6. INQUIRY with Interpret to TID 0; F101 */
	uint8_t inq[255];
	const uint8_t inq48[6] = { 0x12, 0, 0, 0, 48, 0 };
	struct result q = scb(0, 1, 0, inq48, 6, inq, 48, 0, sense);
	char vendor[9], product[17], rev[5];
	trimmed(vendor, inq + 8, 8); trimmed(product, inq + 16, 16); trimmed(rev, inq + 32, 4);
	CHECK_TAP(succeeded(&q) && inq[0] == 0x03 && !strcmp(vendor, X.vendor) && !strcmp(product, X.model) && !strcmp(rev, X.firmware),
	      "controller: %.4s%s FW %s (expected %.4s%s FW %s)", vendor, product, rev, X.vendor, X.model, X.firmware);
	memset(buf, 0, 128);
	struct result f1 = params_get(0, 0xF101, buf, 128);
	char module[25]; trimmed(module, buf + 8 + 2, 24);
	char want[48]; snprintf(want, sizeof want, "%s %s", X.vendor, X.model);
	CHECK_TAP(succeeded(&f1) && !strcmp(module, want), "0xF101 ModuleName \"%s\"", module);

	/* 7. LOG SENSE 0x33: cache (param 4), channels (param 13) */
	static uint8_t log[0xFC00];
	const uint8_t l33[10] = { 0x4D, 0x00, 0x33, 0, 0, 0, 0, 0xFC, 0x00, 0 };
	struct result lg = scb(0, 1, 0, l33, 10, log, sizeof log, 0, sense);
	unsigned plen = be16(log + 2), cache = 0, channels = 0;
	for (unsigned at = 4; at + 4 <= 4 + plen && at + 4 <= sizeof log; at += 4 + log[at + 3]) {
		unsigned code = be16(log + at);
		if (code == 4) cache = be32(log + at + 4) >> 20;
		if (code == 13) channels++;
	}
	CHECK_TAP(succeeded(&lg) && log[0] == 0x33 && cache == X.cache_mb, "LOG SENSE 0x33: cache %uMB (expected %u)", cache, X.cache_mb);
	CHECK_TAP(channels == X.nbus, "LOG SENSE 0x33: %u channel parameters (b0..b%u)", channels, X.nbus - 1);

	/* 8. MODE SENSE(10) 0x2E: NVRAM version and serial */
	const uint8_t m2e[10] = { 0x5A, 0x08, 0x2E, 0, 0, 0, 0, 0, 255, 0 };
	struct result nv = scb(0, 1, 0, m2e, 10, buf, 255, 0, sense);
	char nvram[9], serial[16];
	trimmed(nvram, buf + 10 + 104, 8); trimmed(serial, buf + 10 + 112, 15);
	CHECK_TAP(succeeded(&nv) && buf[8] == 0x2E && buf[9] == 128 && !strcmp(nvram, X.nvram) && !strcmp(serial, X.serial),
	      "NVRAM %s serial %s", nvram, serial);

	/* 9-11. event log control, MFC drive-size table, set RAID id */
	const uint8_t m22[10] = { 0x5A, 0x08, 0x22, 0, 0, 0, 0, 0, 255, 0 };
	struct result e22 = scb(0, 1, 0, m22, 10, buf, 255, 0, sense);
	const uint8_t mfc[6] = { 0x0E, 0x00, 0x23, 0, 0, 0 };
	struct result e23 = scb(0, 1, 0, mfc, 6, buf, 512, 0, sense);
	CHECK_TAP(succeeded(&e22) && buf[0] == 0 && succeeded(&e23), "MODE SENSE 0x22 and MFC 0x23 accepted");

	/* Physical view: INQUIRY, magic (0x32), READ CAPACITY, TUR per physical device */
	const uint8_t tur[6] = { 0 }, cap[10] = { 0x25 }, m32[10] = { 0x5A, 0x08, 0x32, 0, 0, 0, 0, 0, 14, 0 };
	const uint8_t inq96[6] = { 0x12, 0, 0, 0, 96, 0 };
	unsigned seen_disks = 0;
	for (unsigned i = 0; i < g_ndev; i++) {
		struct dev *d = &g_dev_list[i];
		if (d->cls != 0x051) continue;
		char a[16]; addr_of(a, d->bus, d->target, d->lun);
		struct result r1 = scb(d->tid, 0, 1, inq96, 6, inq, 96, 0, sense);
		trimmed(d->vendor, inq + 8, 8); trimmed(d->product, inq + 16, 16);
		uint8_t mag[14] = { 0 };
		struct result r2 = scb(d->tid, 1, 1, m32, 10, mag, 14, 0, sense);
		d->magic = be32(mag + 10);
		uint8_t c8[8] = { 0 };
		struct result r3 = scb(d->tid, 0, 1, cap, 10, c8, 8, 0, sense);
		d->mb = (unsigned)(((uint64_t)be32(c8) + 1) * be32(c8 + 4) >> 20);
		struct result r4 = scb(d->tid, 0, 1, tur, 6, buf, 0, 0, sense);
		const char *status = succeeded(&r4) ? "Optimal" : "Failed";
		const struct xdisk *x = xdisk_at(a);
		if (!x) { client_fail("d0%s: not expected", a); continue; }
		seen_disks++;
		int fine = succeeded(&r1) && succeeded(&r2) && mag[8] == 0x32 && !(d->magic & 0x80000000u)
			&& !strcmp(d->vendor, x->vendor) && !strcmp(d->product, x->product) && !strcmp(status, x->status);
		if (!strcmp(x->status, "Optimal")) fine = fine && succeeded(&r3) && d->mb == x->mb;
		CHECK_TAP(fine, "d0%s  Disk Drive (DASD) %-8s %-16s %uMB %s magic 0x%08x (expected %s %s %uMB %s)",
		      a, d->vendor, d->product, d->mb, status, d->magic, x->vendor, x->product, x->mb, x->status);
		if (!strcmp(x->status, "Failed"))
			CHECK_TAP(r4.rc > 0 || (r4.reply[4] >> 24) != 0, "d0%s: TUR on a failed drive fails (reply[4] 0x%08x)", a, r4.reply[4]);
	}
	CHECK_TAP(seen_disks == X.ndisk, "physical view: %u disks (expected %u)", seen_disks, X.ndisk);
	for (unsigned i = 0; i < g_ndev; i++)
		for (unsigned k = i + 1; k < g_ndev; k++)
			if (g_dev_list[i].cls == 0x051 && g_dev_list[k].cls == 0x051 && g_dev_list[i].magic == g_dev_list[k].magic)
				client_fail("magic 0x%08x of TID 0x%03x repeats on 0x%03x", g_dev_list[i].magic, g_dev_list[i].tid, g_dev_list[k].tid);

	/* LOG SENSE 0x36: FW arrays (P=1) and driver-level arrays (P=0, empty) */
	const uint8_t l36[10] = { 0x4D, 0x00, 0x36, 0, 0, 0, 0, 0, 255, 0 };
	uint8_t lst[255] = { 0 };
	struct result a1 = scb(0, 1, 1, l36, 10, lst, 255, 0, sense);
	unsigned nlisted = lst[4 + 3] / 2;
	CHECK_TAP(succeeded(&a1) && lst[0] == 0x36 && (nlisted == 0 || be16(lst + 4) == 1) && nlisted == X.narray + X.nspare,
	      "LOG SENSE 0x36 P=1: %u firmware LSUs (expected %u arrays, %u hot spares)", nlisted, X.narray, X.nspare);
	uint8_t lst0[255] = { 0 };
	struct result a0 = scb(0, 1, 0, l36, 10, lst0, 255, 0, sense);
	CHECK_TAP(succeeded(&a0) && be16(lst0 + 2) == 0, "LOG SENSE 0x36 P=0: empty (no driver-level arrays)");

	/* Logical view: LAP #2 of every array; members matched by magic number */
	unsigned seen_arrays = 0, seen_spares = 0;
	for (unsigned li = 0; li < nlisted && li < 64; li++) {
		unsigned chan = lst[8 + 2 * li], id = lst[9 + 2 * li] >> 4, lun = lst[9 + 2 * li] & 0x0F;
		struct dev *d = NULL;
		for (unsigned i = 0; i < g_ndev && !d; i++)
			if (g_dev_list[i].is_array && g_dev_list[i].bus == chan && g_dev_list[i].target == id && g_dev_list[i].lun == lun)
				d = &g_dev_list[i];
		char a[16]; addr_of(a, chan, id, lun);
		if (!d) {	/* a hot spare: no LCT entry of its own, its disk answers the LAP (level 0xFE) */
			for (unsigned i = 0; i < g_ndev && !d; i++)
				if (g_dev_list[i].cls == 0x051 && g_dev_list[i].bus == chan && g_dev_list[i].target == id && g_dev_list[i].lun == lun)
					d = &g_dev_list[i];
			uint8_t sp[512] = { 0 };
			const uint8_t m30[10] = { 0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x02, 0x00, 0 };
			struct result r = d ? scb(d->tid, 1, 1, m30, 10, sp, 512, 0, sense) : rb_none();
			int expected = 0;
			for (unsigned k = 0; k < X.nspare; k++) if (!strcmp(X.spare[k], a)) expected = 1;
			if (d && succeeded(&r) && sp[8 + 3] == 0xFE) {
				seen_spares++;
				CHECK_TAP(expected && be16(sp + 8 + 4) == 1 && be32(sp + 8 + 2 + 28 + 10) == d->magic,
				      "d0%s  hot spare (LAP level 0xFE, its disk's magic 0x%08x)", a, d->magic);
				continue;
			}
		}
		if (!d) { client_fail("array at %s (LOG 0x36) has no block-storage TID with that 0x8000 address", a); continue; }
		uint8_t lap[512] = { 0 };
		const uint8_t m30[10] = { 0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x02, 0x00, 0 };
		struct result r = scb(d->tid, 1, 1, m30, 10, lap, 512, 0, sense);
		const uint8_t *pg = lap + 8;
		unsigned status = pg[2], level = pg[3], ncomp = be16(pg + 4);
		unsigned mb = (unsigned)((uint64_t)be32(pg + 10) * be16(pg + 14) >> 20);	/* block size: u16 */
		char members[128] = "";
		int members_ok = 1;
		for (unsigned c = 0; c < ncomp && c < 16; c++) {
			const uint8_t *el = pg + 2 + pg[1] + 26 * c;
			unsigned mchan = el[4], mlun = el[5], mid = be32(el + 6);
			uint32_t magic = be32(el + 10);
			char ma[16]; addr_of(ma, mchan, mid, mlun);
			int found = 0;
			for (unsigned i = 0; i < g_ndev; i++)
				if (g_dev_list[i].cls == 0x051 && g_dev_list[i].magic == magic && g_dev_list[i].bus == mchan
				    && g_dev_list[i].target == mid && g_dev_list[i].lun == mlun && g_dev_list[i].user == d->tid)
					found = 1;
			members_ok &= el[0] == 0x31 && el[1] == 0x18 && found;
			if (c) strcat(members, ",");
			strcat(members, ma);
		}
		/* LAP main status (low nibble): 0 Optimal, 1 Degraded, 2 Reconstruct, 4 Dead, 0x0A Verifying, 0x0B Building (docs/dpt-protocol.md §Open). */
		const char *st = (status & 0x0F) == 0 ? "Optimal" : (status & 0x0F) == 1 ? "Degraded" : (status & 0x0F) == 4 ? "Dead"
			: (status & 0x0F) == 2 ? "Reconstruct" : (status & 0x0F) == 0x0A ? "Verifying" : (status & 0x0F) == 0x0B ? "Building" : "?";
		const struct xarray *x = NULL;
		for (unsigned k = 0; k < X.narray; k++) if (!strcmp(X.array[k].addr, a)) x = &X.array[k];
		if (!x) { client_fail("d0%s: array not expected", a); continue; }
		seen_arrays++;
		CHECK_TAP(succeeded(&r) && pg[0] == 0x30 && pg[1] == 28 && members_ok && level == x->level && mb == x->mb
		      && !strcmp(st, x->status) && !strcmp(members, x->members),
		      "d0%s  RAID %u %uMB %s members %s (expected RAID %u %uMB %s %s)",
		      a, level, mb, st, members, x->level, x->mb, x->status, x->members);
		uint8_t c8[8] = { 0 };
		struct result rc = scb(d->tid, 0, 0, cap, 10, c8, 8, 0, sense);
		const uint8_t inq36[6] = { 0x12, 0, 0, 0, 36, 0 };
		struct result ri = scb(d->tid, 0, 0, inq36, 6, inq, 36, 0, sense);
		char want_p[16]; snprintf(want_p, sizeof want_p, "RAID-%u", x->level);
		trimmed(product, inq + 16, 16);
		if (strcmp(x->status, "Dead"))
			CHECK_TAP(succeeded(&rc) && (unsigned)(((uint64_t)be32(c8) + 1) * 512 >> 20) == x->mb && succeeded(&ri) && !strcmp(product, want_p),
			      "d0%s: INQUIRY \"%s\", READ CAPACITY agrees with LAP #2", a, product);
	}
	CHECK_TAP(seen_arrays == X.narray && seen_spares == X.nspare, "logical view: %u arrays, %u hot spares (expected %u, %u)",
	      seen_arrays, seen_spares, X.narray, X.nspare);

	/* PAP (0x2A): status byte per address */
	uint8_t pap[255] = { 0 };
	const uint8_t m2a[6] = { 0x1A, 0x08, 0x2A, 0, 255, 0 };
	struct result rp = scb(0, 1, 0, m2a, 6, pap, 255, 0, sense);
	int pap_ok = succeeded(&rp) && pap[4] == 0x2A;
	for (unsigned i = 0; i < g_ndev; i++) {
		struct dev *d = &g_dev_list[i];
		if (d->cls != 0x051) continue;
		char a[16]; addr_of(a, d->bus, d->target, d->lun);
		const struct xdisk *x = xdisk_at(a);
		unsigned k = (d->target & 0x1F) | ((d->target & 0x60) << 1) | (d->bus << 5);
		unsigned want_s = x && x->has_pap ? x->pap : x && !strcmp(x->status, "Failed") ? 3 : (d->user == 0xFFF ? 2 : 0);
		if (6 + k < sizeof pap && pap[6 + k] != want_s) { pap_ok = 0; printf("# PAP %s: 0x%02x, expected 0x%02x\n", a, pap[6 + k], want_s); }
		/* Unassigned drives get the reserved-block boundary written (MODE SELECT 0x3E). */
		if (d->user == 0xFFF && want_s == 2) {
			uint8_t sel[14] = { 0, 0, 0, 0, 0x3E, 8 };
			const uint8_t ms[6] = { 0x15, 0x11, 0, 0, 14, 0 };
			struct result s = scb(d->tid, 1, 1, ms, 6, sel, 14, 1, sense);
			CHECK_TAP(succeeded(&s), "d0%s: MODE SELECT 0x3E on an unassigned drive accepted", a);
		}
	}
	CHECK_TAP(pap_ok, "PAP (0x2A): member 0x00 / unconfigured 0x02 / failed 0x03 per address");

	/* What the firmware refuses: CHECK CONDITION with sense */
	const uint8_t bogus[6] = { 0xC5, 0, 0, 0, 0, 0 };
	struct result rb = scb(0, 1, 0, bogus, 6, buf, 16, 0, sense);
	CHECK_TAP(!succeeded(&rb) && (rb.reply[4] >> 24) == 0x05 && (rb.reply[4] & 0xFFFF) == 0x0002,
	      "unknown opcode: ReqStatus 5, DetailedStatus 0x0002 (rc %d, reply[4] 0x%08x)", rb.rc, rb.reply[4]);
	const uint8_t *s = (const uint8_t *)&rb.reply[7];
	CHECK_TAP(rb.reply[6] == 18 && s[0] == 0x70 && s[2] == 0x05 && s[12] == 0x20,
	      "sense in the reply frame: %u bytes, key 0x%x ASC 0x%02x", rb.reply[6], s[2], s[12]);
}

static void run_ioctls(void)
{
	int fd = open(g_dev, O_RDONLY);
	if (fd < 0) { client_fail("open %s: %s", g_dev, strerror(errno)); return; }
	uint8_t iops[32] = { 0 };
	int rc = ioctl(fd, I2OGETIOPS, iops);
	CHECK_TAP(rc == 0 && iops[g_iop] != 0, "GETIOPS: IOP %u present", g_iop);
	static const struct { unsigned long nr; const char *name; } d[] = {
		{ DPT_BLINKLED, "DPT_BLINKLED 0x8004444B" }, { DPT_TARGET_BUSY, "DPT_TARGET_BUSY 0x8010444F" },
		{ DPT_SYSINFO, "DPT_SYSINFO 0x805C4448" },
	};
	uint8_t arg[128];
	for (unsigned i = 0; i < 3; i++) {
		memset(arg, 0xA5, sizeof arg);
		errno = 0;
		rc = ioctl(fd, d[i].nr, arg);
		int e = errno;
		CHECK_TAP(rc == -1 && e == EINVAL && arg[0] == 0xA5, "%s (%u-bit): -1 EINVAL, nothing written (rc %d, %s)",
		      d[i].name, (unsigned)sizeof(void *) * 8, rc, strerror(e));
	}
	close(fd);
}

/* raideng's probe: the first of /dev/dpti0..17 whose DPT_SIGNATURE answers with the signature. */
static int probe_dpti(void)
{
	for (int n = 0; n < 18; n++) {
		char path[32];
		snprintf(path, sizeof path, "/dev/dpti%d", n);
		int fd = open(path, O_RDONLY);
		if (fd < 0) continue;
		dpt_sig_S sig;
		memset(&sig, 0, sizeof sig);
		int rc = ioctl(fd, DPTI_SIGNATURE, &sig);
		close(fd);
		if (rc == 0 && !memcmp(sig.dsSignature, "dPtSiG", 6)) { strcpy(g_dpti, path); return n; }
	}
	return -1;
}

static void run_dpti_ioctls(void)
{
	int fd = open(g_dpti, O_RDONLY);
	if (fd < 0) { client_fail("open %s: %s", g_dpti, strerror(errno)); return; }
	dpt_sig_S sig;
	memset(&sig, 0xA5, sizeof sig);
	int rc = ioctl(fd, DPTI_SIGNATURE, &sig);
	CHECK_TAP(rc == 0 && sig.dsSigVersion == 1 && sig.dsFiletype == 2 && sig.dsOS == 0x01000000ul
		  && !strcmp(sig.dsDescription, "Adaptec Linux I2O RAID Driver") && sig.dsVersion == 2,
		  "DPT_SIGNATURE 0x%08lx: \"%.50s\" version %u.%c%c, OS 0x%08lx", (unsigned long)DPTI_SIGNATURE,
		  sig.dsDescription, sig.dsVersion, sig.dsRevision, sig.dsSubRevision, (unsigned long)sig.dsOS);
	union { drvrHBAinfo_S info; uint8_t bytes[sizeof(CtrlInfo)]; } ci;
	memset(&ci, 0xA5, sizeof ci);
	rc = ioctl(fd, DPTI_CTRLINFO, &ci);
	CHECK_TAP(rc == 0 && ci.info.drvrHBAnum == g_iop && ci.info.hbaFlags == 7 && ci.bytes[sizeof(drvrHBAinfo_S)] == 0xA5,
		  "DPT_CTRLINFO: HBA %u, flags 0x%x, PCI %u:%u (drvrHBAinfo_S, %u bytes)", ci.info.drvrHBAnum,
		  ci.info.hbaFlags, ci.info.pciBusNum, ci.info.pciDeviceNum, (unsigned)sizeof(drvrHBAinfo_S));
	sysInfo_S si;
	memset(&si, 0xA5, sizeof si);
	rc = ioctl(fd, DPTI_SYSINFO, &si);
	CHECK_TAP(rc == 0 && si.osType == 0x01000000ul && si.busType == 4 && si.flags == 0,
		  "DPT_SYSINFO: OS 0x%08lx, bus %u, processor %u/0x%02x", (unsigned long)si.osType, si.busType,
		  si.processorFamily, si.processorType);
	int led = -1;
	rc = ioctl(fd, DPTI_BLINKLED, &led);
	CHECK_TAP(rc == 0 && led == 0, "DPT_BLINKLED: %d", led);
	rc = ioctl(fd, I2ORESCANCMD, 0);
	CHECK_TAP(rc == 0, "I2ORESCANCMD: %d", rc);
	TARGET_BUSY_T busy = { 0, 0, 0, 7 };
	errno = 0;
	rc = ioctl(fd, DPTI_TARGET_BUSY, &busy);
	if (g_kernel)
		CHECK_TAP(rc == -1 && errno == EINVAL && busy.isBusy == 7, "DPT_TARGET_BUSY: EINVAL, as mainline (rc %d, %s)", rc, strerror(errno));
	else
		CHECK_TAP(rc == 0 && busy.isBusy == 0, "DPT_TARGET_BUSY b0t0d0: not busy (rc %d, isBusy %lu)", rc, busy.isBusy);
	close(fd);
	if (!g_no_ctl) return;
	errno = 0;
	int ctl = open("/dev/i2octl", O_RDONLY);
	CHECK_TAP(ctl < 0 && errno == ENOENT, "no /dev/i2octl on a dpt_i2o machine (%s)", ctl < 0 ? strerror(errno) : "it opened");
	if (ctl >= 0) close(ctl);
}

/* One ExecLctNotify through I2OUSRCMD from memory below 4 GiB: dpt_i2o's SGL addresses are 32-bit. */
static void run_dpti_low_memory(void)
{
	uint32_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (m == MAP_FAILED || (uintptr_t)m + 4096 > 0xFFFFFFFFul) { client_fail("no memory below 4 GiB"); return; }
	uint8_t *hdr = (uint8_t *)(m + 64);
	uint32_t f[8] = { 0x00080061, 0xA2001000, 0x1234, 0x5678, 0xFFFFFFFF, 0, 0xD000000C, PTR(hdr) };
	memcpy(m, f, sizeof f);
	m[8] = 17u << 16;
	int fd = open(g_dpti, O_RDONLY);
	int rc = fd < 0 ? -1 : ioctl(fd, I2OUSRCMD, m);
	if (fd >= 0) close(fd);
	CHECK_TAP(rc == 0 && m[8 + 4] == 0 && m[8 + 2] == 0x1234 && m[8 + 3] == 0x5678 && (le32(hdr) & 0xFFFF) > 3,
		  "I2OUSRCMD (%u-bit): ExecLctNotify, TableSize %u words, the caller's contexts in the reply",
		  (unsigned)sizeof(void *) * 8, le32(hdr) & 0xFFFF);
	munmap(m, 4096);
}

#include "dpt-manage.c"

int main(int argc, char **argv)
{
	const char *xfile = NULL;
	int only_ioctls = 0, dpti = 0, manage = 0, c;
	while ((c = getopt(argc, argv, "+d:i:x:eDknc")) != -1) {
		switch (c) {
		case 'd': g_dev = optarg; break;
		case 'i': g_iop = (unsigned)atoi(optarg); break;
		case 'x': xfile = optarg; break;
		case 'e': only_ioctls = 1; break;
		case 'D': dpti = 1; break;
		case 'k': g_kernel = 1; break;
		case 'n': g_no_ctl = 1; break;
		case 'c': manage = 1; break;
		default: fprintf(stderr, "usage: %s [-d DEVICE | -D [-k] [-n]] [-i IOP] (-x EXPECTATIONS | -e | -c COMMAND ARGS…)\n", argv[0]); return 2;
		}
	}
	if (manage) {
		if (sizeof(void *) != 4) { client_fail("the configuration commands need the i386 build"); return client_summary(); }
		if (dpti && probe_dpti() != (int)g_iop) { client_fail("no /dev/dpti%u answers DPT_SIGNATURE", g_iop); return client_summary(); }
		return run_manage(argc - optind, argv + optind);
	}
	if (dpti) {
		int n = probe_dpti();
		CHECK_TAP(n == (int)g_iop, "probe /dev/dpti0..17 with DPT_SIGNATURE: %s answers", n < 0 ? "none" : g_dpti);
		if (n < 0) return client_summary();
		run_dpti_ioctls();
		if (only_ioctls) { run_dpti_low_memory(); return client_summary(); }
	} else {
		run_ioctls();
	}
	if (!only_ioctls) {
		if (sizeof(void *) != 4) { client_fail("the PASSTHRU32 sequence needs the i386 build"); }
		else if (!xfile || load_expectations(xfile) != 0) { client_fail("no expectations (-x FILE)"); }
		else if (X.fail) run_failing();
		else run_listing();
		printf("# %d PASSTHRU messages\n", g_messages);
	}
	return client_summary();
}
