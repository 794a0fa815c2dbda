/*
 * dpt-manage: the configuration commands of Adaptec's raidutil, with the frames it sends
 * (docs/dpt-protocol.md §Management), for dpt-client's -c mode:
 *
 *   dpt-client32 [-d DEV] -c hotspare ADDR          ADD level 0xFE, one element, to the disk's TID
 *   dpt-client32 [-d DEV] -c raid LEVEL ADDR,ADDR…  ADD level 0/1/5 to the first member's TID
 *   dpt-client32 [-d DEV] -c delete ADDR            ABORT, then DELETE, at the LSU
 *   dpt-client32 [-d DEV] -c fail|optimal|replace ADDR   MODE SELECT(6) of the PAP to TID 0
 *   dpt-client32 [-d DEV] -c verify|abort|rebuild|build ADDR   a LAP command at the array
 *   dpt-client32 [-d DEV] -c rate ADDR RATE AMOUNT  MODIFY
 *   dpt-client32 [-d DEV] -c writeback ADDR on|off  MODE SENSE(6) page 8, MODE SELECT(10) page 8
 *   dpt-client32 [-d DEV] -c status ADDR            prints "status ADDR MAIN PERCENT" (LAP 0, 20–23)
 *   dpt-client32 [-d DEV] -c clock UNIXTIME         MODE SELECT(6) page 0x2F
 *   dpt-client32 [-d DEV] -c log                    LOG SENSE 0x34 (PC 1): prints "event SEV CODE TEXT"
 *   dpt-client32 [-d DEV] -c logclear               LOG SENSE 0x34 with PC 0
 *   dpt-client32 [-d DEV] -c cache ADDR             prints "cache ADDR on|off" (MODE SENSE page 8)
 *
 * Each prints ok/FAIL lines and the summary; exit 1 when the firmware refused.
 */

struct mdev { unsigned tid, cls, bus, target, lun; uint32_t magic, blocks; };
static struct mdev g_m[64];
static unsigned g_nm;

/* The LCT, each block-storage or SCSI device's 0x8000 address, the disks' magic and capacity. */
static void discover(void)
{
	static uint8_t buf[8192];
	uint8_t hdr[12], sense[20];
	g_nm = 0;
	lct_notify(hdr, 12);
	unsigned words = le32(hdr) & 0xFFFF, n = words > 3 ? (words * 4 - 12) / 36 : 0;
	lct_notify(buf, 12 + 36 * n);
	for (unsigned i = 0; i < n && g_nm < 64; i++) {
		const uint8_t *e = buf + 12 + 36 * i;
		unsigned tid = (le32(e) >> 16) & 0xFFF, cls = le32(e + 12) & 0xFFF;
		if (cls != 0x010 && cls != 0x051) continue;
		struct mdev *d = &g_m[g_nm++];
		memset(d, 0, sizeof *d);
		d->tid = tid; d->cls = cls;
		uint8_t r[64] = { 0 };
		params_get(tid, 0x8000, r, 64);
		d->bus = r[10] | r[11] << 8; d->target = le32(r + 12); d->lun = r[17];
		if (cls == 0x051) {
			const uint8_t m32[10] = { 0x5A, 0x08, 0x32, 0, 0, 0, 0, 0, 14, 0 }, cap[10] = { 0x25 };
			uint8_t mag[14] = { 0 }, c8[8] = { 0 };
			scb(tid, 1, 1, m32, 10, mag, 14, 0, sense);
			scb(tid, 0, 1, cap, 10, c8, 8, 0, sense);
			d->magic = be32(mag + 10); d->blocks = be32(c8) + 1;
		}
	}
}

/* The device of class `cls` at "bN tN dN" text. */
static struct mdev *at(const char *addr, unsigned cls)
{
	unsigned b, t, l;
	if (sscanf(addr, "b%ut%ud%u", &b, &t, &l) != 3) return NULL;
	for (unsigned i = 0; i < g_nm; i++)
		if (g_m[i].cls == cls && g_m[i].bus == b && g_m[i].target == t && g_m[i].lun == l) return &g_m[i];
	return NULL;
}
/* The LSU at an address: an array's TID, else (a hot spare) the disk's. */
static struct mdev *lsu(const char *addr) { struct mdev *d = at(addr, 0x010); return d ? d : at(addr, 0x051); }

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static struct result select10(unsigned tid, int physical, uint8_t *data, unsigned len)
{
	uint8_t sense[20];
	const uint8_t cdb[10] = { 0x55, 0x11, 0, 0, 0, 0, 0, len >> 8, len & 0xFF, 0 };
	return scb(tid, 1, physical, cdb, 10, data, len, 1, sense);
}

static struct result select6(uint8_t *data, unsigned len)
{
	uint8_t sense[20];
	const uint8_t cdb[6] = { 0x15, 0x11, 0, 0, len, 0 };
	return scb(0, 1, 1, cdb, 6, data, len, 1, sense);
}

/* LAP #2 of an LSU (the page from its code on). */
static int lap(struct mdev *d, uint8_t *page)
{
	static uint8_t buf[512];
	uint8_t sense[20];
	const uint8_t m30[10] = { 0x5A, 0x08, 0x30, 0, 0, 0, 0, 0x02, 0x00, 0 };
	memset(buf, 0, sizeof buf);
	struct result r = scb(d->tid, 1, 1, m30, 10, buf, sizeof buf, 0, sense);
	memcpy(page, buf + 8, sizeof buf - 8);
	return succeeded(&r);
}

/* A LAP command on an LSU: its own page echoed with byte 0 = the command (as the tool sends VERIFY, ABORT, MODIFY). */
static struct result lap_command(struct mdev *d, unsigned command, int rate, int amount)
{
	uint8_t page[504], data[512];
	struct result none; memset(&none, 0, sizeof none); none.rc = -1;
	if (!lap(d, page)) return none;
	unsigned n = be16(page + 4), len = 28 + 26 * n;
	memset(data, 0, sizeof data);
	data[8] = 0x30; data[9] = len;
	memcpy(data + 10, page + 2, 28);
	memcpy(data + 38, page + 30, 26 * n);
	data[10] = command; data[10 + 20] = data[10 + 21] = data[10 + 22] = data[10 + 23] = 0;
	if (rate >= 0) { data[10 + 17] = rate; data[10 + 18] = amount >> 8; data[10 + 19] = amount & 0xFF; }
	return select10(d->tid, 1, data, 10 + len);
}

/* ADD: level, members (comma-separated addresses), as raidutil builds it. */
static struct result add(unsigned level, char *members)
{
	struct mdev *m[16]; unsigned n = 0;
	struct result none; memset(&none, 0, sizeof none); none.rc = -1;
	for (char *s = strtok(members, ","); s && n < 16; s = strtok(NULL, ",")) {
		if (!(m[n] = at(s, 0x051))) { client_fail("no disk at %s", s); return none; }
		n++;
	}
	if (!n) return none;
	uint32_t elem = 0xFFFFFFFFu;
	for (unsigned i = 0; i < n; i++) if (m[i]->blocks - 0x80 < elem) elem = m[i]->blocks - 0x80;
	uint32_t cap = level == 0xFE ? elem : level == 0 ? elem * n : level == 5 ? elem * (n - 1) : elem;
	static uint8_t data[8 + 2 + 28 + 26 * 16];
	unsigned len = 28 + 26 * n;
	memset(data, 0, sizeof data);
	uint8_t *p = data + 10;
	data[8] = 0x30; data[9] = len;
	p[0] = 0x80; p[1] = level; p[2] = m[0]->bus; p[3] = n;
	put32(p + 4, (0x1000u + m[0]->bus * 0x100 + m[0]->target * 0x10 + level) & 0x7FFFFFFF);
	put32(p + 8, cap); p[12] = 0x02; p[13] = 0x00; p[14] = m[0]->target; p[15] = level == 0xFE ? 0 : 0x30; p[16] = m[0]->lun;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = p + 28 + 26 * i;
		e[0] = 0x31; e[1] = 0x18; e[3] = 0x14; e[4] = m[i]->bus; e[5] = m[i]->lun;
		put32(e + 6, m[i]->target); put32(e + 10, m[i]->magic); put32(e + 14, elem);
		e[22] = 0x00; e[23] = 0x80;
	}
	return select10(m[0]->tid, 1, data, 10 + len);
}

static struct result pap(const char *addr, unsigned command)
{
	static uint8_t data[246];
	struct result none; memset(&none, 0, sizeof none); none.rc = -1;
	struct mdev *d = at(addr, 0x051);
	if (!d) { client_fail("no disk at %s", addr); return none; }
	memset(data, 0, sizeof data);
	data[4] = 0x2A; data[5] = 0xF0;
	data[6 + ((d->target & 0x1F) | ((d->target & 0x60) << 1) | (d->bus << 5))] = 0x80 | command;
	return select6(data, sizeof data);
}

static const char *main_status(unsigned s)
{
	switch (s & 0x0F) {
	case 0: return "Optimal"; case 1: return "Degraded"; case 2: return "Reconstruct"; case 4: return "Dead";
	case 0x0A: return "Verifying"; case 0x0B: return "Building"; default: return "?";
	}
}

static int run_manage(int argc, char **argv)
{
	if (argc < 1) { client_fail("-c needs a command"); return client_summary(); }
	discover();
	const char *cmd = argv[0], *addr = argc > 1 ? argv[1] : "";
	struct mdev *d = argc > 1 ? lsu(addr) : NULL;
	struct result r; memset(&r, 0, sizeof r); r.rc = -1;
	uint8_t page[504], sense[20];
	if (!strcmp(cmd, "hotspare") && argc == 2) {
		char m[32]; snprintf(m, sizeof m, "%s", addr);
		r = add(0xFE, m);
	} else if (!strcmp(cmd, "raid") && argc == 3) {
		r = add((unsigned)atoi(argv[1]), argv[2]);
	} else if (!strcmp(cmd, "fail") || !strcmp(cmd, "optimal") || !strcmp(cmd, "replace")) {
		r = pap(addr, cmd[0] == 'f' ? 0x03 : cmd[0] == 'o' ? 0x00 : 0x24);
	} else if (!d && argc > 1 && strcmp(cmd, "clock")) {
		client_fail("no LSU at %s", addr);
	} else if (!strcmp(cmd, "delete")) {
		/* Through dpt_i2o's node the tool first asks whether the OS holds the array open. */
		int fd = *g_dpti ? open(g_dpti, O_RDONLY) : -1;
		TARGET_BUSY_T busy = { d->bus, d->target, d->lun, 1 };
		if (*g_dpti && (fd < 0 || ioctl(fd, DPTI_TARGET_BUSY, &busy) != 0)) {
			client_fail("DPT_TARGET_BUSY on %s: %s (the tool stops here: \"unknown error\")", g_dpti, strerror(errno));
		} else if (*g_dpti && busy.isBusy) {
			client_fail("the array at %s is busy (held open)", addr);
		} else {
			lap_command(d, 0x84, -1, 0);
			r = lap_command(d, 0x81, -1, 0);
		}
		if (fd >= 0) close(fd);
	} else if (!strcmp(cmd, "verify") || !strcmp(cmd, "abort") || !strcmp(cmd, "rebuild") || !strcmp(cmd, "build")) {
		unsigned c = cmd[0] == 'v' ? 0x8B : cmd[0] == 'a' ? 0x84 : !strcmp(cmd, "rebuild") ? 0x89 : 0x88;
		r = lap_command(d, c, -1, 0);
	} else if (!strcmp(cmd, "rate") && argc == 4) {
		r = lap_command(d, 0x82, atoi(argv[2]), atoi(argv[3]));
	} else if (!strcmp(cmd, "writeback") && argc == 3) {
		static uint8_t data[262];
		const uint8_t m8[6] = { 0x1A, 0, 0x08, 0, 255, 0 };
		scb(d->tid, 1, 0, m8, 6, page, 255, 0, sense);
		memset(data, 0xCC, sizeof data);            /* the tool's stack garbage after the page */
		memset(data, 0, 8 + 2 + 0x12);
		data[8] = 0x08; data[9] = 0x12; data[10] = !strcmp(argv[2], "on") ? 0x04 : 0x00;
		r = select10(d->tid, 0, data, sizeof data);
	} else if (!strcmp(cmd, "cache") && argc == 2) {
		const uint8_t m8[6] = { 0x1A, 0, 0x08, 0, 255, 0 };
		r = scb(d->tid, 1, 0, m8, 6, page, 255, 0, sense);
		printf("cache %s %s\n", addr, page[6] & 0x04 ? "on" : "off");
	} else if (!strcmp(cmd, "status") && argc == 2) {
		if (lap(d, page)) {
			r.rc = 0; r.reply[4] = 0;
			uint32_t done = be32(page + 22), max = be32(page + 10) - 1;
			unsigned pct = max >= 100 ? (unsigned)((done + max / 200) / (max / 100)) : 0;
			printf("status %s %s %u %u\n", addr, main_status(page[2]), pct, page[3]);
		}
	} else if (!strcmp(cmd, "clock") && argc == 2) {
		uint8_t data[12] = { 0, 0, 0, 0, 0x2F, 0x06, 0, 0 };
		put32(data + 8, (uint32_t)strtoul(argv[1], NULL, 0));
		r = select6(data, sizeof data);
	} else if (!strcmp(cmd, "log") || !strcmp(cmd, "logclear")) {
		static uint8_t log[4096];
		const uint8_t l34[10] = { 0x4D, 0x00, cmd[3] ? 0x34 : 0x74, 0, 0, 0, 0, 0x10, 0x00, 0 };
		memset(log, 0, sizeof log);
		r = scb(0, 1, 0, l34, 10, log, sizeof log, 0, sense);
		unsigned plen = be16(log + 2), count = 0;
		for (unsigned p = 4; p + 4 <= 4 + plen && p + 4 < sizeof log; p += 4 + log[p + 3], count++) {
			unsigned code = be16(log + p), len = log[p + 3];
			char text[130] = "";
			if (len > 4) { memcpy(text, log + p + 8, len - 4); text[len - 4] = 0; }
			printf("event %u 0x%03x %s\n", code >> 12, code & 0xFFF, text);
		}
		printf("events %u\n", count);
	} else {
		client_fail("unknown command or arguments: %s (see the comment at the top of dpt-manage.c)", cmd);
	}
	CHECK_TAP(succeeded(&r), "%s %s: rc %d reply[4] 0x%08x", cmd, addr, r.rc, r.reply[4]);
	return client_summary();
}
