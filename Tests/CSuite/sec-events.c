/*
 * sec-events.c — events: EVTREG/EVTGET, poll(), read() of event records, the 32-entry queue's
 * overflow, cancelling; then EVTREG's bad arguments and write(). Events are caused by setting
 * the device's DeviceName from a second open file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                   name                   documented   2.6.18       2.4          compat32 */ \
	X(EVT_REG,             "evt.reg",             OK,          OK,          OK,          SKIP,        "EVTREG FIELD_MODIFIED on the device") \
	X(EVT_EMPTY,           "evt.empty",           ERR(ENOENT), ERR(ENOENT), ERR(ENOENT), SKIP,        "EVTGET before anything happened") \
	X(EVT_POLL_IDLE,       "evt.poll.idle",       HOLDS,       SKIP,        SKIP,        SKIP,        "poll() without events: no POLLIN") \
	X(EVT_POLL,            "evt.poll",            HOLDS,       SKIP,        HOLDS,       SKIP,        "poll() reports POLLIN after a PARMSET from another file") \
	X(EVT_GET,             "evt.get",             OK,          SKIP,        OK,          SKIP,        "EVTGET returns the event") \
	X(EVT_GET_ID,          "evt.get.id",          HOLDS,       SKIP,        HOLDS,       SKIP,        "event id: iop, tid as registered; evt_mask has FIELD_MODIFIED") \
	X(EVT_GET_COUNTS,      "evt.get.counts",      HOLDS,       SKIP,        HOLDS,       SKIP,        "event pending 0, lost 0, data_size <= 88") \
	X(EVT_GET_AGAIN,       "evt.get.again",       ERR(ENOENT), SKIP,        ERR(ENOENT), SKIP,        "EVTGET on the drained queue") \
	X(EVT_POLL_DRAINED,    "evt.poll.drained",    HOLDS,       SKIP,        SKIP,        SKIP,        "poll() after draining: no POLLIN") \
	X(EVT_OTHER,           "evt.other",           ERR(ENOENT), ERR(ENOENT), ERR(ENOENT), SKIP,        "EVTGET on the unregistered file") \
	X(EVT_READ_SMALL,      "evt.read.small",      ERR(EINVAL), SKIP,        VAL(0),      SKIP,        "read() of 50 bytes with an event queued") \
	X(EVT_READ,            "evt.read",            OK,          SKIP,        VAL(0),      SKIP,        "read() of 104 bytes returns one i2o_evt_info") \
	X(EVT_READ_RECORD,     "evt.read.record",     HOLDS,       SKIP,        SKIP,        SKIP,        "read() record: tid, FIELD_MODIFIED") \
	X(EVT_READ_MULTI,      "evt.read.multi",      OK,          SKIP,        VAL(0),      SKIP,        "read() of 3 records' room with 2 queued returns 208 bytes") \
	X(EVT_READ_NONBLOCK,   "evt.read.nonblock",   ERR(EAGAIN), ERR(EINVAL), VAL(0),      ERR(EINVAL), "O_NONBLOCK read() on an empty queue") \
	X(EVT_OVERFLOW,        "evt.overflow",        OK,          SKIP,        OK,          SKIP,        "34 events into a 32-entry queue: EVTGET works") \
	X(EVT_OVERFLOW_COUNTS, "evt.overflow.counts", HOLDS,       SKIP,        HOLDS,       SKIP,        "overflow: pending 31, lost 2, 32 events in all") \
	X(EVT_CANCEL,          "evt.cancel",          OK,          OK,          OK,          SKIP,        "EVTREG mask 0 (cancel)") \
	X(EVT_CANCEL_NONE,     "evt.cancel.none",     ERR(ENOENT), SKIP,        ERR(ENOENT), SKIP,        "after cancelling, a PARMSET queues nothing") \
	X(EVT_REG_UNKNOWNTID,  "evt.reg.unknowntid",  ERR(ENODEV), ERR(ENODEV), ERR(ENODEV), ERR(EINVAL), "EVTREG on a TID not in the LCT") \
	X(EVT_REG_NOIOP,       "evt.reg.noiop",       ERR(ENXIO),  ERR(ENXIO),  ERR(ENXIO),  ERR(EINVAL), "EVTREG on an IOP number with no IOP") \
	X(EVT_REG_BADSTRUCT,   "evt.reg.badstruct",   ERR(EFAULT), ERR(EFAULT), ERR(EFAULT), ERR(EINVAL), "EVTREG with a bad pointer") \
	X(EVT_GET_BADSTRUCT,   "evt.get.badstruct",   ERR(EFAULT), SKIP,        ERR(EFAULT), SKIP,        "EVTGET with a bad pointer (event queued)") \
	X(WRITE,               "write",               ERR(EINVAL), ERR(EINVAL), VAL(0),      ERR(EINVAL), "write() on the device")
DEFINE_ROWS(ROWS);

/* The canary makes pending/lost (bytes 104-111, beyond the 104 the ioctl number encodes)
 * count only when the server really wrote them. */
static int evtget(int fd, struct i2o_evt_get *g, int *err)
{
	memset(g, CANARY, sizeof *g);
	return i2o_ioctl(fd, I2OEVTGET, g, err);
}

/* poll() for POLLIN up to ms; returns revents (0 on timeout), -1 on error. */
static int wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
	int rc = poll(&p, 1, ms);
	if (rc < 0)
		return -1;
	return rc == 0 ? 0 : p.revents;
}

static unsigned g_trigger_n = 100;

/* A FIELD_MODIFIED on the device, caused from file fd. */
static int trigger(int fd)
{
	return cause_field_modified(fd, "evt", &g_trigger_n);
}

static const unsigned mask = I2O_EVT_IND_FIELD_MODIFIED;

/* One event: poll, EVTGET, the queue drained. fa is registered (reg), fb causes the events. */
static void one_event(int fa, int fb, int reg)
{
	int err, rc;
	struct i2o_evt_get g;
	phase("evt.poll");
	int trig = reg && trigger(fb);
	if (trig) {
		int rev = wait_in(fa, 3000);
		int pin = rev > 0 && (rev & POLLIN);
		check_true(&rows[EVT_POLL], NULL, pin, "expected POLLIN within 3 s, got revents 0x%x", (unsigned)rev);
		phase("evt.get");
		rc = evtget(fa, &g, &err);
		if (check_rc(&rows[EVT_GET], NULL, rc, err) == 1) {
			check_true(&rows[EVT_GET_ID], NULL,
				   g.info.id.iop == g_iop && g.info.id.tid == g_dev_tid && (g.info.id.evt_mask & mask),
				   "expected iop %u tid 0x%03x evt_mask & 0x%08x, got iop %u tid 0x%03x evt_mask 0x%08x",
				   g_iop, g_dev_tid, mask, g.info.id.iop, g.info.id.tid, g.info.id.evt_mask);
			check_true(&rows[EVT_GET_COUNTS], NULL,
				   g.pending == 0 && g.lost == 0 && g.info.data_size <= I2O_EVT_DATA_SIZE,
				   "expected pending 0, lost 0, data_size <= 88, got pending %d, lost %d, data_size %u",
				   g.pending, g.lost, g.info.data_size);
		} else {
			DEP_FAIL(NULL, "EVTGET failed", EVT_GET_ID, EVT_GET_COUNTS);
		}
		rc = evtget(fa, &g, &err);
		check_rc(&rows[EVT_GET_AGAIN], NULL, rc, err);
		rev = wait_in(fa, 0);
		check_true(&rows[EVT_POLL_DRAINED], NULL, rev == 0, "expected no POLLIN, got revents 0x%x", (unsigned)rev);
	} else {
		const char *why = reg ? "the triggering PARMSET failed" : "EVTREG failed";
		static const int ids[] = { EVT_POLL, EVT_GET, EVT_GET_ID, EVT_GET_COUNTS, EVT_GET_AGAIN, EVT_POLL_DRAINED };
		dep_fail_rows(rows, ids, sizeof ids / sizeof ids[0], NULL, why);
	}
}

/* read(): a too-small buffer does not consume the event; 104 bytes give one record; a larger
 * buffer as many whole records as fit. */
static void read_records(int fa, int fb, int reg)
{
	int err;
	phase("evt.read");
	drain_events(fa);
	if (reg && i2o_evtreg(fa, g_iop, g_dev_tid, mask, &err) != 0)	/* registering again replaces */
		note("EVTREG again failed: errno %s", errname(err));
	int trig = reg && trigger(fb);
	int rev = trig ? wait_in(fa, 3000) : 0;
	if (trig && rev > 0 && (rev & POLLIN)) {
		uint8_t *rb = g_res2;
		fill(rb, 512);
		ssize_t n = read(fa, rb, 50);
		check_count(&rows[EVT_READ_SMALL], NULL, (long)n, errno, 50);
		fill(rb, 512);
		n = read(fa, rb, sizeof(struct i2o_evt_info));
		int e = errno;
		if (check_count(&rows[EVT_READ], NULL, (long)n, e, (long)sizeof(struct i2o_evt_info)) == 1) {
			struct i2o_evt_info inf;
			memcpy(&inf, rb, sizeof inf);
			check_true(&rows[EVT_READ_RECORD], NULL,
				   inf.id.iop == g_iop && inf.id.tid == g_dev_tid && (inf.id.evt_mask & mask) &&
					   inf.data_size <= I2O_EVT_DATA_SIZE,
				   "expected iop %u tid 0x%03x evt_mask & 0x%08x, got iop %u tid 0x%03x evt_mask 0x%08x data_size %u",
				   g_iop, g_dev_tid, mask, inf.id.iop, inf.id.tid, inf.id.evt_mask, inf.data_size);
		} else {
			dep_fail(&rows[EVT_READ_RECORD], NULL, "read() did not return 104 bytes");
		}
	} else {
		const char *why = !reg ? "EVTREG failed" : !trig ? "the triggering PARMSET failed" : "no POLLIN";
		DEP_FAIL(NULL, why, EVT_READ_SMALL, EVT_READ, EVT_READ_RECORD);
	}

	drain_events(fa);
	trig = reg && trigger(fb) && trigger(fb);
	rev = trig ? wait_in(fa, 3000) : 0;
	if (trig && rev > 0 && (rev & POLLIN)) {
		usleep(300 * 1000);	/* let the second event land if delivery is asynchronous */
		ssize_t n = read(fa, g_res2, 3 * sizeof(struct i2o_evt_info));
		int e = errno;
		check_count(&rows[EVT_READ_MULTI], NULL, (long)n, e, 2 * (long)sizeof(struct i2o_evt_info));
	} else {
		dep_fail(&rows[EVT_READ_MULTI], NULL, !trig ? "EVTREG or a triggering PARMSET failed" : "no POLLIN");
	}
	drain_events(fa);
}

/* Overflow: 34 events into 32 slots. */
static void overflow(int fa, int fb, int reg)
{
	int err, rc;
	struct i2o_evt_get g;
	phase("evt.overflow");
	int all = reg;
	for (int i = 0; i < 34 && all; i++)
		all = trigger(fb);
	int rev = all ? wait_in(fa, 3000) : 0;
	if (all && rev > 0) {
		usleep(300 * 1000);
		rc = evtget(fa, &g, &err);
		if (check_rc(&rows[EVT_OVERFLOW], NULL, rc, err) == 1) {
			int pending = g.pending, lost = g.lost, total = 1;
			while (total < 64 && evtget(fa, &g, &err) == 0)
				total++;
			check_true(&rows[EVT_OVERFLOW_COUNTS], NULL, pending == 31 && lost == 2 && total == 32,
				   "expected pending 31, lost 2, 32 events, got pending %d, lost %d, %d events",
				   pending, lost, total);
		} else {
			dep_fail(&rows[EVT_OVERFLOW_COUNTS], NULL, "EVTGET failed");
		}
	} else {
		dep_fail(&rows[EVT_OVERFLOW], NULL, !all ? "EVTREG or a triggering PARMSET failed" : "no POLLIN");
		dep_fail(&rows[EVT_OVERFLOW_COUNTS], NULL, "no events");
	}
	drain_events(fa);
}

/* Everything on the two files fa (registered) and fb (causes the events). */
static void on_two_files(int fa, int fb)
{
	int err, rc;
	struct i2o_evt_get g;
	rc = i2o_evtreg(fa, g_iop, g_dev_tid, mask, &err);
	int reg = check_rc(&rows[EVT_REG], NULL, rc, err) == 1;
	rc = evtget(fa, &g, &err);
	check_rc(&rows[EVT_EMPTY], NULL, rc, err);
	int rev = wait_in(fa, 0);
	check_true(&rows[EVT_POLL_IDLE], NULL, rev == 0, "expected no POLLIN, got revents 0x%x", (unsigned)rev);

	one_event(fa, fb, reg);
	rc = evtget(fb, &g, &err);
	check_rc(&rows[EVT_OTHER], NULL, rc, err);
	read_records(fa, fb, reg);
	overflow(fa, fb, reg);

	/* EVTGET into a bad pointer, with an event queued. */
	if (reg && trigger(fb) && wait_in(fa, 3000) > 0) {
		for (int i = 0; i < NBAD; i++) {
			rc = i2o_ioctl(fa, I2OEVTGET, bad_ptr(i), &err);
			check_rc(&rows[EVT_GET_BADSTRUCT], bad_names[i], rc, err);
		}
	} else {
		dep_fail(&rows[EVT_GET_BADSTRUCT], NULL, "no event queued");
	}
	drain_events(fa);

	/* Mask 0 cancels. */
	phase("evt.cancel");
	rc = i2o_evtreg(fa, g_iop, g_dev_tid, 0, &err);
	if (check_rc(&rows[EVT_CANCEL], NULL, rc, err) == 1 && trigger(fb)) {
		wait_in(fa, 500);
		rc = evtget(fa, &g, &err);
		check_rc(&rows[EVT_CANCEL_NONE], NULL, rc, err);
	} else {
		dep_fail(&rows[EVT_CANCEL_NONE], NULL, "EVTREG 0 or the triggering PARMSET failed");
	}
}

/* What the device refuses whatever it holds. */
static void errors(void)
{
	int err, rc;
	phase("events.errors");
	int fn = open_dev(O_RDWR | O_NONBLOCK);
	if (fn >= 0) {
		uint8_t buf[sizeof(struct i2o_evt_info)];
		ssize_t n = read(fn, buf, sizeof buf);
		check_count(&rows[EVT_READ_NONBLOCK], NULL, (long)n, errno, (long)sizeof buf);
		close(fn);
	} else {
		dep_fail(&rows[EVT_READ_NONBLOCK], NULL, "cannot open with O_NONBLOCK");
	}
	rc = i2o_evtreg(g_fd, g_iop, g_unknown_tid, I2O_EVT_IND_FIELD_MODIFIED, &err);
	check_rc(&rows[EVT_REG_UNKNOWNTID], NULL, rc, err);
	rc = i2o_evtreg(g_fd, g_noiop, 0, I2O_EVT_IND_FIELD_MODIFIED, &err);
	check_rc(&rows[EVT_REG_NOIOP], NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		rc = i2o_ioctl(g_fd, I2OEVTREG, bad_ptr(i), &err);
		check_rc(&rows[EVT_REG_BADSTRUCT], bad_names[i], rc, err);
	}
	errno = 0;
	ssize_t w = write(g_fd, "x", 1);
	check_count(&rows[WRITE], NULL, (long)w, errno, 1);
}

static void run(void)
{
	static const int dev_rows[] = {
		EVT_REG, EVT_EMPTY, EVT_POLL_IDLE, EVT_POLL, EVT_GET, EVT_GET_ID, EVT_GET_COUNTS, EVT_GET_AGAIN,
		EVT_POLL_DRAINED, EVT_OTHER, EVT_READ_SMALL, EVT_READ, EVT_READ_RECORD, EVT_READ_MULTI, EVT_OVERFLOW,
		EVT_OVERFLOW_COUNTS, EVT_CANCEL, EVT_CANCEL_NONE, EVT_GET_BADSTRUCT,
	};
	int fa = g_have_dev ? open_dev(O_RDWR) : -1;
	int fb = g_have_dev ? open_dev(O_RDWR) : -1;
	if (fa < 0 || fb < 0) {
		dep_fail_rows(rows, dev_rows, sizeof dev_rows / sizeof dev_rows[0], NULL,
			      g_have_dev ? "cannot open two more files" : "no device in the LCT");
	} else {
		on_two_files(fa, fb);
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	errors();
}

const struct section sec_events = SECTION("events", rows, run);
