/*
 * i2o-suite — a client-side conformance suite for /dev/i2o/ctl.
 *
 * It is an ordinary client: it opens a path and uses open/ioctl/read/poll/write/close on it,
 * so it runs unchanged against a CUSE node or through an LD_PRELOAD shim. It discovers the
 * machine (GETIOPS, LCTGET) instead of assuming a fixture, and judges every result against
 * ONE table of expectations (`checks[]`) with a column per personality (contract.md):
 * `documented`, `linux-2.6.18` (plus its 32-bit-caller column, chosen by the i386 build) and
 * `linux-2.4`.
 *
 * Output: one line per check, `ok - NAME` or `FAIL - NAME: expected X, got Y (errno E)`,
 * `skip - NAME: ...` for checks the chosen personality has no expectation for, `# ...`
 * comment lines, and finally exactly `N passed, N failed`. Exit 0 iff nothing failed
 * (1 = failures, 2 = could not run at all).
 *
 * Build for x86_64 and i386 (same source; the header gives each ABI its own layouts and
 * ioctl numbers): see build.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/i2o-dev.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define ABI_NAME "x86_64"
#elif defined(__i386__)
#define ABI_NAME "i386"
#else
#define ABI_NAME "other"
#endif

/* ------------------------------------------------------------------------------------------ */
/* Expectations: one table, a column per personality                                          */
/* ------------------------------------------------------------------------------------------ */

enum personality {
	P_DOCUMENTED,
	P_LINUX_2_6_18,
	P_LINUX_2_4,
	/* linux-2.6.18 seen by a 32-bit caller: its compat_ioctl offers GETIOPS and PASSTHRU32
	 * only (docs/kernels.md §Compat32). Not named on the command line: `-p linux-2.6.18` selects it in the
	 * i386 build. */
	P_LINUX_2_6_18_I386,
	NPERS
};
static const char *const personality_names[NPERS] = {
	[P_DOCUMENTED] = "documented",
	[P_LINUX_2_6_18] = "linux-2.6.18",
	[P_LINUX_2_4] = "linux-2.4",
	[P_LINUX_2_6_18_I386] = "linux-2.6.18/i386",
};

enum xkind {
	XK_UNSET = 0,	/* no expectation written for this personality: reported as skip */
	XK_OK,		/* ioctl/syscall returns 0 (or the documented count for read) */
	XK_ERR,		/* returns -1 with errno v */
	XK_POS,		/* returns a positive value (kernel personalities: status as return) */
	XK_HOLDS,	/* a property check: the documented relation holds */
	XK_VAL,		/* a value check: the value equals v (instead of the documented one) */
	XK_SKIP,		/* deliberately not checked in this personality */
};
struct expect { enum xkind kind; long long v; };

#define OK	{ XK_OK, 0 }
#define ERR(e)	{ XK_ERR, (e) }
#define POS	{ XK_POS, 0 }
#define HOLDS	{ XK_HOLDS, 0 }
#define VAL(x)	{ XK_VAL, (x) }
#define SKIP	{ XK_SKIP, 0 }

/* One row per check. A personality with no entry in a row reports the check as `skip`.
 * Sections run a check's dependents only when the check passed; when a personality marks a
 * check SKIP, mark the checks that depend on it SKIP too (or they report "dependency failed"). */
struct check_row {
	const char *id;
	struct expect x[NPERS];
	const char *what;
};

#define DOC [P_DOCUMENTED]
#define K18 [P_LINUX_2_6_18]
#define K24 [P_LINUX_2_4]
#define K18C [P_LINUX_2_6_18_I386]

static const struct check_row checks[] = {
	/* GETIOPS */
	{ "getiops.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = OK },
				"GETIOPS succeeds" },
	{ "getiops.unit0",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = HOLDS },
				"GETIOPS entry 0 == 1 (IOP unit 0 exists)" },
	{ "getiops.values",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = HOLDS },
				"every GETIOPS entry is 0 or 1" },
	{ "getiops.efault",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EFAULT) },
				"GETIOPS with a bad table pointer" },

	/* LCTGET (also discovery) */
	{ "lctget.short",		{ DOC = ERR(ENOBUFS), K18 = ERR(ENOBUFS), K24 = ERR(ENOBUFS), K18C = ERR(EINVAL) },
				"LCTGET with *reslen 4" },
	{ "lctget.short.reslen",	{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCTGET short: the needed length is written to *reslen" },
	{ "lctget.short.untouched",	{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCTGET short: nothing copied to resbuf" },
	{ "lctget.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"LCTGET with *reslen = the length learnt" },
	{ "lctget.reslen",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCTGET: *reslen == the length learnt" },
	{ "lctget.tablesize",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCT TableSize x 4 == *reslen" },
	{ "lctget.entries",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCT: (TableSize - 3) divisible by 9, every TableEntrySize 9" },
	{ "lctget.tail",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCTGET: bytes after *reslen untouched" },
	{ "lctget.header",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"LCT word 1 == IopFlags, word 2 == CurrentChangeIndicator (executive group 0x0101)" },
	{ "lctget.short1",		{ DOC = ERR(ENOBUFS), K18 = ERR(ENOBUFS), K24 = ERR(ENOBUFS), K18C = SKIP },
				"LCTGET with *reslen = length - 1" },
	{ "lctget.short1.untouched",	{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"LCTGET length-1: nothing copied, length written" },
	{ "lctget.nullbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"LCTGET with resbuf NULL" },
	{ "lctget.badbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"LCTGET with a bad resbuf" },
	{ "lctget.badreslen",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"LCTGET with a bad reslen pointer" },
	{ "lctget.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"LCTGET on an IOP number with no IOP" },
	{ "lctget.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"LCTGET with a bad struct pointer" },
	{ "lctget.each",		{ DOC = OK, K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
				"LCTGET on every IOP GETIOPS reports" },
	{ "discover.device",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"the LCT has a device (TID != 0, not executive class)" },

	/* HRTGET */
	{ "hrtget.short",		{ DOC = ERR(ENOBUFS), K18 = ERR(ENOBUFS), K24 = ERR(ENOBUFS), K18C = ERR(EINVAL) },
				"HRTGET with *reslen 4" },
	{ "hrtget.short.reslen",	{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"HRTGET short: the needed length is written to *reslen" },
	{ "hrtget.short.untouched",	{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"HRTGET short: nothing copied to resbuf" },
	{ "hrtget.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"HRTGET with a large buffer" },
	{ "hrtget.header",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"HRT NumberEntries x EntryLength x 4 + 8 == *reslen" },
	{ "hrtget.tail",		{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"HRTGET: bytes after *reslen untouched" },
	{ "hrtget.short1",		{ DOC = ERR(ENOBUFS), K18 = ERR(ENOBUFS), K24 = ERR(ENOBUFS), K18C = SKIP },
				"HRTGET with *reslen = length - 1" },
	{ "hrtget.short1.untouched",	{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"HRTGET length-1: nothing copied, length written" },
	{ "hrtget.nullbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HRTGET with resbuf NULL" },
	{ "hrtget.badbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HRTGET with a bad resbuf" },
	{ "hrtget.badreslen",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HRTGET with a bad reslen pointer" },
	{ "hrtget.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"HRTGET on an IOP number with no IOP" },
	{ "hrtget.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HRTGET with a bad struct pointer" },
	{ "hrtget.order",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HRTGET resbuf NULL and no IOP: the resbuf check comes first" },
	{ "hrtget.each",		{ DOC = OK, K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
				"HRTGET on every IOP GETIOPS reports" },

	/* PARMGET */
	{ "parmget.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"PARMGET FIELD_GET 0xF100 all fields (FieldCount 0xFFFF)" },
	{ "parmget.resultcount",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"PARMGET result list ResultCount 1" },
	{ "parmget.blockstatus",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"PARMGET BlockStatus 0 (SUCCESS)" },
	{ "parmget.reslen",		{ DOC = HOLDS, K18 = VAL(0), K24 = HOLDS, K18C = SKIP },
				"PARMGET *reslen == 4 + BlockSize x 4" },
	{ "parmget.classid",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"0xF100 ClassID == the LCT entry's class word (executive class for TID 0)" },
	{ "parmget.allidx.ok",		{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"PARMGET all fields as FieldCount 1, FieldIdx 0xFFFF" },
	{ "parmget.allidx.same",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"both all-fields encodings give the same bytes" },
	{ "parmget.short",		{ DOC = ERR(ENOBUFS), K18 = SKIP, K24 = ERR(ENOBUFS), K18C = SKIP },
				"PARMGET with *reslen 8 (too small)" },
	{ "parmget.short.untouched",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"PARMGET short: length written, nothing copied" },
	{ "parmget.unknowntid",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = OK, K18C = ERR(EINVAL) },
				"PARMGET on a TID not in the LCT" },
	{ "parmget.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"PARMGET on an IOP number with no IOP" },
	{ "parmget.badop",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"PARMGET with a bad opbuf" },
	{ "parmget.nullbuf",		{ DOC = ERR(EFAULT), K18 = OK, K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"PARMGET with resbuf NULL" },
	{ "parmget.badbuf",		{ DOC = ERR(EFAULT), K18 = OK, K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"PARMGET with a bad resbuf" },
	{ "parmget.badreslen",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"PARMGET with a bad reslen pointer" },
	{ "parmget.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"PARMGET with a bad struct pointer" },
	{ "parmget.truncated",		{ DOC = ERR(EINVAL), K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
				"PARMGET: OperationCount 3 but one operation present (does not parse)" },
	{ "parmget.badopcode",		{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"PARMGET operation code 0x00EE: EINVAL or a failing BlockStatus" },
	{ "parmget.badgroup",		{ DOC = OK, K18 = OK, K24 = ERR(EAGAIN), K18C = ERR(EINVAL) },
				"PARMGET of unknown group 0x7777" },
	{ "parmget.badgroup.status",	{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"unknown group: ResultCount 1, BlockStatus INVALID_GROUP_ID (0x08)" },

	/* PARMSET */
	{ "parmset.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"PARMSET FIELD_SET 0xF102 field 0 (DeviceName)" },
	{ "parmset.result",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"PARMSET result: ResultCount 1, BlockStatus 0, *reslen == 4 + BlockSize x 4" },
	{ "parmset.readback",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"PARMGET reads the new DeviceName back" },
	{ "parmset.readback.other",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"a second open file reads the new DeviceName too" },
	{ "parmset.readonly",		{ DOC = OK, K18 = OK, K24 = ERR(EAGAIN), K18C = SKIP },
				"PARMSET of read-only 0xF100 field 3" },
	{ "parmset.readonly.status",	{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"read-only set: BlockStatus FIELD_UNWRITEABLE (0x06)" },
	{ "parmset.readonly.unchanged",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"read-only set changed nothing" },
	{ "parmset.unknowntid",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = OK, K18C = ERR(EINVAL) },
				"PARMSET on a TID not in the LCT" },
	{ "parmset.restore",		{ DOC = OK, K18 = SKIP, K24 = OK, K18C = SKIP },
				"PARMSET restores the original DeviceName" },

	/* Events */
	{ "evt.reg",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"EVTREG FIELD_MODIFIED on the device" },
	{ "evt.empty",			{ DOC = ERR(ENOENT), K18 = ERR(ENOENT), K24 = ERR(ENOENT), K18C = SKIP },
				"EVTGET before anything happened" },
	{ "evt.poll.idle",		{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"poll() without events: no POLLIN" },
	{ "evt.poll",			{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"poll() reports POLLIN after a PARMSET from another file" },
	{ "evt.get",			{ DOC = OK, K18 = SKIP, K24 = OK, K18C = SKIP },
				"EVTGET returns the event" },
	{ "evt.get.id",			{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"event id: iop, tid as registered; evt_mask has FIELD_MODIFIED" },
	{ "evt.get.counts",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"event pending 0, lost 0, data_size <= 88" },
	{ "evt.get.again",		{ DOC = ERR(ENOENT), K18 = SKIP, K24 = ERR(ENOENT), K18C = SKIP },
				"EVTGET on the drained queue" },
	{ "evt.poll.drained",		{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"poll() after draining: no POLLIN" },
	{ "evt.other",			{ DOC = ERR(ENOENT), K18 = ERR(ENOENT), K24 = ERR(ENOENT), K18C = SKIP },
				"EVTGET on the unregistered file" },
	{ "evt.read.small",		{ DOC = ERR(EINVAL), K18 = SKIP, K24 = VAL(0), K18C = SKIP },
				"read() of 50 bytes with an event queued" },
	{ "evt.read",			{ DOC = OK, K18 = SKIP, K24 = VAL(0), K18C = SKIP },
				"read() of 104 bytes returns one i2o_evt_info" },
	{ "evt.read.record",		{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"read() record: tid, FIELD_MODIFIED" },
	{ "evt.read.multi",		{ DOC = OK, K18 = SKIP, K24 = VAL(0), K18C = SKIP },
				"read() of 3 records' room with 2 queued returns 208 bytes" },
	{ "evt.read.nonblock",		{ DOC = ERR(EAGAIN), K18 = ERR(EINVAL), K24 = VAL(0), K18C = ERR(EINVAL) },
				"O_NONBLOCK read() on an empty queue" },
	{ "evt.overflow",		{ DOC = OK, K18 = SKIP, K24 = OK, K18C = SKIP },
				"34 events into a 32-entry queue: EVTGET works" },
	{ "evt.overflow.counts",	{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"overflow: pending 31, lost 2, 32 events in all" },
	{ "evt.cancel",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"EVTREG mask 0 (cancel)" },
	{ "evt.cancel.none",		{ DOC = ERR(ENOENT), K18 = SKIP, K24 = ERR(ENOENT), K18C = SKIP },
				"after cancelling, a PARMSET queues nothing" },
	{ "evt.reg.unknowntid",		{ DOC = ERR(ENODEV), K18 = ERR(ENODEV), K24 = ERR(ENODEV), K18C = ERR(EINVAL) },
				"EVTREG on a TID not in the LCT" },
	{ "evt.reg.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"EVTREG on an IOP number with no IOP" },
	{ "evt.reg.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"EVTREG with a bad pointer" },
	{ "evt.get.badstruct",		{ DOC = ERR(EFAULT), K18 = SKIP, K24 = ERR(EFAULT), K18C = SKIP },
				"EVTGET with a bad pointer (event queued)" },
	{ "write",			{ DOC = ERR(EINVAL), K18 = ERR(EINVAL), K24 = VAL(0), K18C = ERR(EINVAL) },
				"write() on the device" },

	/* Software store */
	{ "sw.absent",			{ DOC = ERR(EIO), K18 = POS, K24 = POS, K18C = ERR(EINVAL) },
				"SWUL of a module not in the store" },
	{ "swdl.frag",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"SWDL of one fragment (8192, 8192, 3616)" },
	{ "swul.frag",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"SWUL of one fragment" },
	{ "swul.data",			{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"SWUL fragment bytes == downloaded bytes, nothing written past them" },
	{ "swul.sizes",			{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"SWUL writes *swlen 20000 and *maxfrag 3" },
	{ "swdl.outoforder",		{ DOC = ERR(EIO), K18 = POS, K24 = POS, K18C = ERR(EINVAL) },
				"SWDL of a new module starting at fragment 2" },
	{ "swdl.outoforder.nostate",	{ DOC = ERR(EIO), K18 = POS, K24 = POS, K18C = ERR(EINVAL) },
				"after the rejected fragment the module does not exist" },
	{ "swdl.fragcount",		{ DOC = ERR(EINVAL), K18 = POS, K24 = POS, K18C = ERR(EINVAL) },
				"SWDL with *maxfrag 300" },
	{ "swdl.bigfrag",		{ DOC = ERR(EINVAL), K18 = POS, K24 = POS, K18C = ERR(EINVAL) },
				"SWDL of a single 10000-byte fragment" },
	{ "swdl.nullbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWDL with buf NULL" },
	{ "swdl.badbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWDL with a bad buf" },
	{ "swdl.badswlen",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWDL with a bad swlen pointer" },
	{ "swdl.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWDL with a bad struct pointer" },
	{ "swdl.noiop",			{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"SWDL on an IOP number with no IOP" },
	{ "swul.nullbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWUL with buf NULL" },
	{ "swul.badbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"SWUL with a bad buf" },
	{ "swdel.wronglen",		{ DOC = ERR(EIO), K18 = ERR(ETIMEDOUT), K24 = ERR(ETIMEDOUT), K18C = SKIP },
				"SWDEL with *swlen 19999 (module is 20000)" },
	{ "swdel.wronglen.kept",	{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"after the refused delete the module is still there" },
	{ "swdel.ok",			{ DOC = OK, K18 = OK, K24 = OK, K18C = SKIP },
				"SWDEL with *swlen 0" },
	{ "swdel.swlen",		{ DOC = HOLDS, K18 = VAL(0), K24 = VAL(0), K18C = SKIP },
				"SWDEL writes the real size 20000 to *swlen" },
	{ "swdel.gone",			{ DOC = ERR(EIO), K18 = POS, K24 = POS, K18C = SKIP },
				"SWUL after the delete" },
	{ "swdel.absent",		{ DOC = ERR(EIO), K18 = ERR(ETIMEDOUT), K24 = ERR(ETIMEDOUT), K18C = ERR(EINVAL) },
				"SWDEL of a module not in the store" },
	{ "swdel.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"SWDEL on an IOP number with no IOP" },

	/* VALIDATE */
	{ "validate.ok",		{ DOC = OK, K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
				"VALIDATE with the IOP number by value" },
	{ "validate.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"VALIDATE of an IOP number with no IOP" },

	/* HTML */
	{ "html.ok",			{ DOC = OK, K18 = ERR(EINVAL), K24 = OK, K18C = ERR(EINVAL) },
				"HTML page 0 of TID 0" },
	{ "html.page",			{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"HTML: 0 < *reslen <= capacity, text has '<', nothing written past *reslen" },
	{ "html.short",			{ DOC = ERR(ENOBUFS), K18 = SKIP, K24 = ERR(ENOMEM), K18C = ERR(EINVAL) },
				"HTML with *reslen 1" },
	{ "html.short.untouched",	{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"HTML short: length written, nothing copied" },
	{ "html.nopage",		{ DOC = ERR(EIO), K18 = ERR(EINVAL), K24 = OK, K18C = ERR(EINVAL) },
				"HTML page 9999" },
	{ "html.query",			{ DOC = OK, K18 = ERR(EINVAL), K24 = OK, K18C = ERR(EINVAL) },
				"HTML page 0 with query \"a=1\"" },
	{ "html.badquery",		{ DOC = ERR(EFAULT), K18 = ERR(EINVAL), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HTML with a bad qbuf" },
	{ "html.nullbuf",		{ DOC = ERR(EFAULT), K18 = ERR(EINVAL), K24 = ERR(EFAULT), K18C = ERR(EINVAL) },
				"HTML with resbuf NULL" },
	{ "html.noiop",			{ DOC = ERR(ENXIO), K18 = ERR(EINVAL), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
				"HTML on an IOP number with no IOP" },
	{ "html.unknowntid",		{ DOC = ERR(ENXIO), K18 = ERR(EINVAL), K24 = OK, K18C = ERR(EINVAL) },
				"HTML to a TID not in the LCT" },

	/* PASSTHRU / PASSTHRU32 */
	{ "passthru.ok",		{ DOC = OK, K18 = OK, K24 = ERR(EINVAL), K18C = OK },
				"PASSTHRU UtilParamsGet 0xF100 to the device" },
	{ "passthru.reply",		{ DOC = HOLDS, K18 = SKIP, K24 = SKIP, K18C = SKIP },
				"reply: ReqStatus 0, function 0x06, size within the preset capacity" },
	{ "passthru.contexts",		{ DOC = HOLDS, K18 = HOLDS, K24 = SKIP, K18C = HOLDS },
				"reply words 2/3 keep the contexts 0x11111111/0x22222222" },
	{ "passthru.result",		{ DOC = HOLDS, K18 = HOLDS, K24 = SKIP, K18C = HOLDS },
				"result buffer: ResultCount 1, same bytes as PARMGET" },
	{ "passthru.toolarge",		{ DOC = ERR(EINVAL), K18 = ERR(EFAULT), K24 = ERR(EINVAL), K18C = ERR(EFAULT) },
				"PASSTHRU frame with MessageSize 1000" },
	{ "passthru.sgloverrun",	{ DOC = ERR(EINVAL), K18 = SKIP, K24 = ERR(EINVAL), K18C = SKIP },
				"PASSTHRU SGL overrunning the frame (half an element)" },
	{ "passthru.toomanysg",		{ DOC = ERR(EINVAL), K18 = ERR(EINVAL), K24 = ERR(EINVAL), K18C = ERR(EINVAL) },
				"PASSTHRU with 31 SGL elements" },
	{ "passthru.nonsimple",		{ DOC = ERR(EINVAL), K18 = POS, K24 = ERR(EINVAL), K18C = POS },
				"PASSTHRU with a chain-pointer element" },
	{ "passthru.badmsg",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EINVAL), K18C = ERR(EFAULT) },
				"PASSTHRU with a bad msg pointer" },
	{ "passthru.badsgl",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EINVAL), K18C = ERR(EFAULT) },
				"PASSTHRU with a bad address in an SGL element" },
	{ "passthru.badstruct",		{ DOC = ERR(EFAULT), K18 = ERR(EFAULT), K24 = ERR(EINVAL), K18C = ERR(EFAULT) },
				"PASSTHRU with a bad struct pointer" },
	{ "passthru.noiop",		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(EINVAL), K18C = ERR(ENXIO) },
				"PASSTHRU to an IOP number with no IOP" },

	/* Miscellaneous */
	{ "unknown.ioctl",		{ DOC = ERR(EINVAL), K18 = ERR(EINVAL), K24 = ERR(EINVAL), K18C = ERR(EINVAL) },
				"_IO('i', 99)" },
	{ "unknown.ioctl2",		{ DOC = ERR(EINVAL), K18 = ERR(EINVAL), K24 = ERR(EINVAL), K18C = ERR(EINVAL) },
				"_IOWR('i', 13, int)" },

	/* Concurrency */
	{ "conc.threads",		{ DOC = HOLDS, K18 = SKIP, K24 = HOLDS, K18C = SKIP },
				"4 threads x 200 PARMGETs on own fds: all succeed, identical results" },
	{ "conc.procs",			{ DOC = HOLDS, K18 = HOLDS, K24 = HOLDS, K18C = SKIP },
				"3 processes x HRTGET/LCTGET loops: all succeed, identical results" },
	{ "conc.after",			{ DOC = OK, K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
				"the device still answers after the concurrent load" },
};
#define NCHECKS (sizeof checks / sizeof checks[0])

/* ------------------------------------------------------------------------------------------ */
/* Reporting                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static enum personality g_pers = P_DOCUMENTED;
static volatile unsigned g_passed, g_failed, g_skipped;
static const char *volatile g_phase = "startup";
static unsigned g_timeout = 60;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static const char *errname(int e)
{
	static char buf[16];
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ENOBUFS: return "ENOBUFS";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case EOVERFLOW: return "EOVERFLOW";
	case ECONNREFUSED: return "ECONNREFUSED";
	}
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* Async-signal-safe watchdog: a server that never answers must not hang the suite. */
static size_t sappend(char *b, size_t n, size_t cap, const char *s)
{
	while (*s && n + 1 < cap)
		b[n++] = *s++;
	b[n] = 0;
	return n;
}
static size_t uappend(char *b, size_t n, size_t cap, unsigned v)
{
	char t[12];
	int i = 0;
	do { t[i++] = (char)('0' + v % 10); v /= 10; } while (v && i < 11);
	while (i > 0 && n + 1 < cap)
		b[n++] = t[--i];
	b[n] = 0;
	return n;
}
static void on_alarm(int sig)
{
	char b[512];
	size_t n = 0;
	(void)sig;
	n = sappend(b, n, sizeof b, "FAIL - ");
	n = sappend(b, n, sizeof b, g_phase);
	n = sappend(b, n, sizeof b, ": expected an answer, got none within ");
	n = uappend(b, n, sizeof b, g_timeout);
	n = sappend(b, n, sizeof b, " s (watchdog; remaining checks not run)\n");
	n = uappend(b, n, sizeof b, g_passed);
	n = sappend(b, n, sizeof b, " passed, ");
	n = uappend(b, n, sizeof b, g_failed + 1);
	n = sappend(b, n, sizeof b, " failed\n");
	if (write(1, b, n) < 0) { /* nothing left to do */ }
	_exit(1);
}
static void kick(void)
{
	alarm(g_timeout);
}
static void phase(const char *p)
{
	g_phase = p;
	kick();
}

static const struct check_row *row(const char *id)
{
	for (size_t i = 0; i < NCHECKS; i++)
		if (strcmp(checks[i].id, id) == 0)
			return &checks[i];
	return NULL;
}

#define NAME_CAP 160

/* Writes the check's full name (id, or id/sfx) to name[NAME_CAP]. Returns the expectation for
 * id, or prints the skip line / the table error and returns NULL with *res set (1 skip, 0 failure). */
static const struct expect *expectation(const char *id, const char *sfx, char *name, int *res)
{
	if (sfx && *sfx)
		snprintf(name, NAME_CAP, "%s/%s", id, sfx);
	else
		snprintf(name, NAME_CAP, "%s", id);
	const struct check_row *r = row(id);
	if (!r) {
		out("FAIL - %s: expected a row \"%s\" in the expectation table, got none (suite bug)\n", name, id);
		g_failed++;
		*res = 0;
		return NULL;
	}
	const struct expect *x = &r->x[g_pers];
	if (x->kind == XK_UNSET || x->kind == XK_SKIP) {
		out("skip - %s: %s in personality %s\n", name,
		    x->kind == XK_SKIP ? "not checked" : "no expectation", personality_names[g_pers]);
		g_skipped++;
		*res = -1;
		return NULL;
	}
	return x;
}

static int pass(const char *name)
{
	out("ok - %s\n", name);
	g_passed++;
	kick();
	return 1;
}
static int fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const char *name, const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	out("FAIL - %s: %s\n", name, detail);
	g_failed++;
	kick();
	return 0;
}

/* A call's result (rc, errno): XK_OK means exactly `want`. `kind` names the call in a table
 * error ("syscall", "count"); only a syscall may be expected positive (XK_POS). */
static int check_result(const char *id, const char *sfx, long rc, int err, long want, const char *kind)
{
	char name[NAME_CAP];
	int res;
	const struct expect *x = expectation(id, sfx, name, &res);
	if (!x)
		return res;
	char got[64];
	if (rc == -1)
		snprintf(got, sizeof got, "-1 (errno %s)", errname(err));
	else
		snprintf(got, sizeof got, "%ld (errno 0)", rc);
	switch (x->kind) {
	case XK_OK:
		return rc == want ? pass(name) : fail(name, "expected %ld, got %s", want, got);
	case XK_ERR:
		return (rc == -1 && err == x->v) ? pass(name)
			: fail(name, "expected -1/%s, got %s", errname((int)x->v), got);
	case XK_POS:
		if (strcmp(kind, "syscall") == 0)
			return rc > 0 ? pass(name) : fail(name, "expected a positive value, got %s", got);
		break;
	case XK_VAL:
		return rc == x->v ? pass(name) : fail(name, "expected %lld, got %s", x->v, got);
	default:
		break;
	}
	return fail(name, "expected a %s expectation in the table, got kind %d (suite bug)", kind, x->kind);
}

/* A syscall result (rc, errno). Returns 1 pass, 0 fail, -1 skipped. */
static int check_rc(const char *id, const char *sfx, long rc, int err)
{
	return check_result(id, sfx, rc, err, 0, "syscall");
}

/* A byte count from read()/write(): XK_OK means exactly `want` bytes. */
static int check_count(const char *id, const char *sfx, long n, int err, long want)
{
	return check_result(id, sfx, n, err, want, "count");
}

/* A value: documented `want`, or the table's XK_VAL. */
static int check_val(const char *id, const char *sfx, unsigned long long got, unsigned long long want)
{
	char name[NAME_CAP];
	int res;
	const struct expect *x = expectation(id, sfx, name, &res);
	if (!x)
		return res;
	if (x->kind == XK_VAL)
		want = (unsigned long long)x->v;
	else if (x->kind != XK_HOLDS)
		return fail(name, "expected a value expectation in the table, got kind %d (suite bug)", x->kind);
	return got == want ? pass(name) : fail(name, "expected %llu (0x%llx), got %llu (0x%llx)", want, want, got, got);
}

/* A property; `detail` says what was wrong when it does not hold. */
static int check_true(const char *id, const char *sfx, int cond, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int check_true(const char *id, const char *sfx, int cond, const char *fmt, ...)
{
	char name[NAME_CAP], detail[600];
	int res;
	const struct expect *x = expectation(id, sfx, name, &res);
	if (!x)
		return res;
	if (x->kind != XK_HOLDS)
		return fail(name, "expected a property expectation in the table, got kind %d (suite bug)", x->kind);
	if (cond)
		return pass(name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return fail(name, "%s", detail);
}

/* A check that cannot run because something it needs failed: a failure, never a silent pass. */
static void dep_fail(const char *id, const char *sfx, const char *why)
{
	char name[NAME_CAP];
	int res;
	if (!expectation(id, sfx, name, &res))
		return;
	out("FAIL - %s: expected to run, got not run (dependency failed: %s)\n", name, why);
	g_failed++;
	kick();
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

/* ------------------------------------------------------------------------------------------ */
/* Memory: everything below 4 GiB (SGL addresses are 32-bit), bad pointers                    */
/* ------------------------------------------------------------------------------------------ */

static void *low_alloc(size_t n)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(__x86_64__) && defined(MAP_32BIT)
	flags |= MAP_32BIT;
#endif
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "i2o-suite: mmap of %zu bytes below 4 GiB failed: %s\n", n, strerror(errno));
		exit(2);
	}
	return p;
}

static uint32_t addr32(const void *p)
{
	uintptr_t a = (uintptr_t)p;
#if UINTPTR_MAX > 0xFFFFFFFFu
	if (a > 0xFFFFFFFFu) {
		fprintf(stderr, "i2o-suite: buffer %p is above 4 GiB\n", p);
		exit(2);
	}
#endif
	return (uint32_t)a;
}

/* Bad user pointers: a page that was mapped and then unmapped (with PROT_NONE guard pages
 * kept on both sides so the hole is not reused by a small mapping), and the address 1. */
static void *g_unmapped;
#define NBAD 2
static const char *const bad_names[NBAD] = { "unmapped", "addr1" };
static void *bad_ptr(int i)
{
	return i == 0 ? g_unmapped : (void *)(uintptr_t)1;
}
static void make_bad_pointers(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = low_alloc((size_t)pg * 3);
	if (mprotect(p, (size_t)pg * 3, PROT_NONE) != 0 || munmap(p + pg, (size_t)pg) != 0) {
		fprintf(stderr, "i2o-suite: cannot make an unmapped page: %s\n", strerror(errno));
		exit(2);
	}
	g_unmapped = p + pg;
}

/* ------------------------------------------------------------------------------------------ */
/* Little-endian helpers                                                                       */
/* ------------------------------------------------------------------------------------------ */

static uint16_t le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static uint32_t le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

#define CANARY 0xA5
static void fill(void *p, size_t n)
{
	memset(p, CANARY, n);
}
/* Offset of the first byte in [from, to) that is not the canary, or -1. */
static long touched(const void *p, size_t from, size_t to)
{
	const uint8_t *b = p;
	for (size_t i = from; i < to; i++)
		if (b[i] != CANARY)
			return (long)i;
	return -1;
}
static long first_diff(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* ioctl wrappers                                                                              */
/* ------------------------------------------------------------------------------------------ */

static const char *g_path;

static int xioctl(int fd, unsigned long req, void *arg, int *err)
{
	errno = 0;
	int rc = ioctl(fd, req, arg);
	*err = rc == -1 ? errno : 0;
	return rc;
}

static int open_dev(int flags)
{
	int fd = open(g_path, flags);
	if (fd < 0)
		note("open(%s) failed: %s", g_path, strerror(errno));
	return fd;
}

static int hrtlct(int fd, unsigned long req, unsigned iop, void *buf, unsigned *reslen, int *err)
{
	struct i2o_cmd_hrtlct c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.resbuf = buf;
	c.reslen = reslen;
	return xioctl(fd, req, &c, err);
}

static int psetget(int fd, unsigned long req, unsigned iop, unsigned tid, const void *op, unsigned oplen,
		   void *res, unsigned *reslen, int *err)
{
	struct i2o_cmd_psetget c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.tid = tid;
	c.opbuf = (void *)(uintptr_t)op;
	c.oplen = oplen;
	c.resbuf = res;
	c.reslen = reslen;
	return xioctl(fd, req, &c, err);
}

static int swx(int fd, unsigned long req, unsigned iop, unsigned char type, unsigned id, void *buf,
	       unsigned *swlen, unsigned *maxfrag, unsigned *curfrag, int *err)
{
	struct i2o_sw_xfer c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.flags = 0;
	c.sw_type = type;
	c.sw_id = id;
	c.buf = buf;
	c.swlen = swlen;
	c.maxfrag = maxfrag;
	c.curfrag = curfrag;
	return xioctl(fd, req, &c, err);
}

static int evtreg(int fd, unsigned iop, unsigned tid, unsigned mask, int *err)
{
	struct i2o_evt_id e;
	e.iop = iop;
	e.tid = tid;
	e.evt_mask = mask;
	return xioctl(fd, I2OEVTREG, &e, err);
}

/* The canary makes pending/lost (bytes 104-111, beyond the 104 the ioctl number encodes)
 * count only when the server really wrote them. */
static int evtget(int fd, struct i2o_evt_get *g, int *err)
{
	memset(g, CANARY, sizeof *g);
	return xioctl(fd, I2OEVTGET, g, err);
}

static int html(int fd, unsigned iop, unsigned tid, unsigned page, void *res, unsigned *reslen,
		void *q, unsigned qlen, int *err)
{
	struct i2o_html h;
	memset(&h, 0, sizeof h);
	h.iop = iop;
	h.tid = tid;
	h.page = page;
	h.resbuf = res;
	h.reslen = reslen;
	h.qbuf = q;
	h.qlen = qlen;
	return xioctl(fd, I2OHTML, &h, err);
}

/* PASSTHRU on x86_64, PASSTHRU32 on i386 (the only form a 32-bit client has). */
static int passthru(int fd, unsigned iop, void *msg, int *err)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	struct i2o_cmd_passthru c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.msg = msg;
	return xioctl(fd, I2OPASSTHRU, &c, err);
#else
	struct i2o_cmd_passthru32 c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.msg = addr32(msg);
	return xioctl(fd, I2OPASSTHRU32, &c, err);
#endif
}

/* Operation lists (docs/i2o-formats.md §ParamLists). Return their length in bytes. */
static unsigned op_get_all(uint8_t *b, uint16_t group, int idx_form)
{
	memset(b, 0, 16);
	put16(b + 0, 1);			/* OperationCount */
	put16(b + 4, I2O_PARAMS_FIELD_GET);
	put16(b + 6, group);
	if (idx_form) {				/* 2.6.18's form: FieldCount 1, FieldIdx 0xFFFF */
		put16(b + 8, 1);
		put16(b + 10, 0xFFFF);
	} else {				/* FieldCount 0xFFFF, no index */
		put16(b + 8, 0xFFFF);
	}
	return 12;
}
static unsigned op_get_field(uint8_t *b, uint16_t group, uint16_t field)
{
	memset(b, 0, 12);
	put16(b + 0, 1);
	put16(b + 4, I2O_PARAMS_FIELD_GET);
	put16(b + 6, group);
	put16(b + 8, 1);
	put16(b + 10, field);
	return 12;
}
static unsigned op_set_field(uint8_t *b, uint16_t group, uint16_t field, const void *val, unsigned n)
{
	unsigned len = 12 + n;
	len = (len + 3) & ~3u;
	memset(b, 0, len);
	put16(b + 0, 1);
	put16(b + 4, I2O_PARAMS_FIELD_SET);
	put16(b + 6, group);
	put16(b + 8, 1);
	put16(b + 10, field);
	memcpy(b + 12, val, n);
	return len;
}

/* Result list accessors: list header (ResultCount, reserved), then block header
 * (BlockSize words, BlockStatus, ErrorInfoSize), then field data at byte 8. */
#define RES_COUNT(r)	le16((const uint8_t *)(r) + 0)
#define RES_BSIZE(r)	le16((const uint8_t *)(r) + 4)
#define RES_BSTATUS(r)	(((const uint8_t *)(r))[6])
#define RES_DATA(r)	((const uint8_t *)(r) + 8)

/* ------------------------------------------------------------------------------------------ */
/* The machine as discovered                                                                  */
/* ------------------------------------------------------------------------------------------ */

#define BIG 65536u
#define MAX_LCT_ENTRIES 1024

struct lct_entry { unsigned tid; uint32_t classword; unsigned user_tid, parent_tid; };

static int g_fd = -1;
static unsigned char g_iops[MAX_I2O_CONTROLLERS];
static int g_have_iops;
static unsigned g_iop;			/* the IOP under test */
static unsigned g_noiop;		/* an IOP number with no IOP */
static int g_have_lct;
static struct lct_entry g_lct[MAX_LCT_ENTRIES];
static unsigned g_nlct;
static int g_have_dev;
static unsigned g_dev_tid;		/* a device (not the executive) */
static uint32_t g_dev_class;		/* its LCT class word */
static unsigned g_unknown_tid;		/* a TID not in the LCT and not 0 */

/* Buffers (all below 4 GiB). */
static uint8_t *g_res, *g_res2, *g_op, *g_img, *g_up;
static unsigned *g_u32;			/* a few u32 cells for reslen/swlen/maxfrag/curfrag */

static const struct lct_entry *lct_find(unsigned tid)
{
	for (unsigned i = 0; i < g_nlct; i++)
		if (g_lct[i].tid == tid)
			return &g_lct[i];
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Sections                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void sec_getiops(void)
{
	int err, rc;
	phase("getiops");
	memset(g_iops, 0xEE, sizeof g_iops);
	rc = xioctl(g_fd, I2OGETIOPS, g_iops, &err);
	if (check_rc("getiops.ok", NULL, rc, err) == 1) {
		g_have_iops = 1;
		check_val("getiops.unit0", NULL, g_iops[0], 1);
		int bad = -1;
		for (int i = 0; i < MAX_I2O_CONTROLLERS; i++)
			if (g_iops[i] > 1 && bad < 0)
				bad = i;
		check_true("getiops.values", NULL, bad < 0, "expected entries 0 or 1, got entry %d = %u",
			   bad, bad >= 0 ? g_iops[bad] : 0);
	} else {
		dep_fail("getiops.unit0", NULL, "GETIOPS failed");
		dep_fail("getiops.values", NULL, "GETIOPS failed");
	}
	for (int i = 0; i < NBAD; i++) {
		rc = xioctl(g_fd, I2OGETIOPS, bad_ptr(i), &err);
		check_rc("getiops.efault", bad_names[i], rc, err);
	}

	g_iop = 0;
	if (g_have_iops) {
		for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++)
			if (g_iops[u] == 1) { g_iop = u; break; }
		char list[200] = "";
		for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++)
			if (g_iops[u] == 1)
				snprintf(list + strlen(list), sizeof list - strlen(list), " %u", u);
		note("IOPs present:%s; testing unit %u", list, g_iop);
	}
	g_noiop = MAX_I2O_CONTROLLERS;
	for (int u = MAX_I2O_CONTROLLERS - 1; u > 0; u--)
		if (!g_have_iops || g_iops[u] == 0) { g_noiop = (unsigned)u; break; }
	note("IOP number with no IOP: %u", g_noiop);
}

static int decode_lct(const uint8_t *b, unsigned len)
{
	g_nlct = 0;
	if (len < 12)
		return 0;
	unsigned words = le16(b);
	if (words * 4 > len)
		words = len / 4;
	for (unsigned off = 12; off + 36 <= words * 4 && g_nlct < MAX_LCT_ENTRIES; ) {
		uint32_t w0 = le32(b + off), w5 = le32(b + off + 20);
		unsigned esize = w0 & 0xFFFF;
		struct lct_entry *e = &g_lct[g_nlct++];
		e->tid = (w0 >> 16) & 0xFFF;
		e->classword = le32(b + off + 12);
		e->user_tid = w5 & 0xFFF;
		e->parent_tid = (w5 >> 12) & 0xFFF;
		off += (esize >= 9 ? esize : 9) * 4;
	}
	return 1;
}

/* A call with a too-small *reslen: `id` judges it (ENOBUFS); then `id`.untouched, that *reslen
 * says the length `len` and nothing reached buf (or, when the call did not fail as expected,
 * a dependency failure for `why`). */
static void check_short(const char *id, const char *sfx, int rc, int err, const uint8_t *buf, unsigned reslen,
			unsigned len, const char *why)
{
	char uid[64];
	snprintf(uid, sizeof uid, "%s.untouched", id);
	if (check_rc(id, sfx, rc, err) == 1) {
		long t = touched(buf, 0, BIG);
		check_true(uid, sfx, t < 0 && reslen == len,
			   "expected *reslen %u and resbuf untouched, got *reslen %u, byte %ld written",
			   len, reslen, t);
	} else {
		dep_fail(uid, sfx, why);
	}
}

/* HRTGET and LCTGET have the same checks, ids `prefix`.NAME (rows of the table). */
struct hrtlct_kind {
	unsigned long req;
	const char *prefix;	/* "hrtget", "lctget": the check ids */
	const char *ioctl;	/* "HRTGET", "LCTGET": in the messages */
	const char *table;	/* "HRT", "LCT" */
	unsigned minlen;	/* the shortest table (its header) */
	int mult4;		/* the length is a multiple of 4 */
};
static const struct hrtlct_kind k_lct = { I2OLCTGET, "lctget", "LCTGET", "LCT", 12, 1 };
static const struct hrtlct_kind k_hrt = { I2OHRTGET, "hrtget", "HRTGET", "HRT", 8, 0 };

static const char *kid(char *buf, size_t cap, const struct hrtlct_kind *k, const char *name)
{
	snprintf(buf, cap, "%s.%s", k->prefix, name);
	return buf;
}

/* `prefix`.short: learn the length with *reslen 4. Returns it, or 0 when it is unknown. */
static unsigned hrtlct_learn(const struct hrtlct_kind *k)
{
	int err, rc;
	unsigned len = 0;
	char id[64], why[64];
	fill(g_res, BIG);
	g_u32[0] = 4;
	rc = hrtlct(g_fd, k->req, g_iop, g_res, &g_u32[0], &err);
	if (check_rc(kid(id, sizeof id, k, "short"), NULL, rc, err) == 1) {
		len = g_u32[0];
		check_true(kid(id, sizeof id, k, "short.reslen"), NULL,
			   len >= k->minlen && (!k->mult4 || len % 4 == 0) && len <= BIG,
			   "expected a length >= %u%s, got %u", k->minlen, k->mult4 ? ", multiple of 4" : "", len);
		long t = touched(g_res, 0, BIG);
		check_true(kid(id, sizeof id, k, "short.untouched"), NULL, t < 0,
			   "expected resbuf untouched, got byte %ld written", t);
		if (len < k->minlen || len > BIG)
			len = 0;
	} else {
		snprintf(why, sizeof why, "short %s did not give ENOBUFS", k->ioctl);
		dep_fail(kid(id, sizeof id, k, "short.reslen"), NULL, why);
		dep_fail(kid(id, sizeof id, k, "short.untouched"), NULL, why);
	}
	return len;
}

/* `prefix`.short1: *reslen one less than the length `len` (0 = unknown). */
static void hrtlct_short1(const struct hrtlct_kind *k, unsigned len)
{
	int err, rc;
	char id[64], why[64];
	kid(id, sizeof id, k, "short1");
	if (len) {
		fill(g_res, BIG);
		g_u32[0] = len - 1;
		rc = hrtlct(g_fd, k->req, g_iop, g_res, &g_u32[0], &err);
		snprintf(why, sizeof why, "%s length-1 did not give ENOBUFS", k->ioctl);
		check_short(id, NULL, rc, err, g_res, g_u32[0], len, why);
	} else {
		char uid[64];
		snprintf(why, sizeof why, "%s length unknown", k->table);
		dep_fail(id, NULL, why);
		dep_fail(kid(uid, sizeof uid, k, "short1.untouched"), NULL, why);
	}
}

/* `prefix`.nullbuf, .badbuf, .badreslen, .badstruct and .noiop. */
static void hrtlct_pointers(const struct hrtlct_kind *k)
{
	int err, rc;
	char id[64];
	g_u32[0] = BIG;
	rc = hrtlct(g_fd, k->req, g_iop, NULL, &g_u32[0], &err);
	check_rc(kid(id, sizeof id, k, "nullbuf"), NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		g_u32[0] = BIG;
		rc = hrtlct(g_fd, k->req, g_iop, bad_ptr(i), &g_u32[0], &err);
		check_rc(kid(id, sizeof id, k, "badbuf"), bad_names[i], rc, err);
		rc = hrtlct(g_fd, k->req, g_iop, g_res, bad_ptr(i), &err);
		check_rc(kid(id, sizeof id, k, "badreslen"), bad_names[i], rc, err);
		rc = xioctl(g_fd, k->req, bad_ptr(i), &err);
		check_rc(kid(id, sizeof id, k, "badstruct"), bad_names[i], rc, err);
	}
	g_u32[0] = BIG;
	rc = hrtlct(g_fd, k->req, g_noiop, g_res, &g_u32[0], &err);
	check_rc(kid(id, sizeof id, k, "noiop"), NULL, rc, err);
}

/* `prefix`.each: the call on every IOP GETIOPS reports. */
static void hrtlct_each(const struct hrtlct_kind *k)
{
	int err, rc;
	char id[64];
	if (!g_have_iops)
		return;
	kid(id, sizeof id, k, "each");
	for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++) {
		if (g_iops[u] != 1)
			continue;
		char sfx[16];
		snprintf(sfx, sizeof sfx, "iop%u", u);
		g_u32[0] = BIG;
		rc = hrtlct(g_fd, k->req, u, g_res, &g_u32[0], &err);
		check_rc(id, sfx, rc, err);
	}
}

static void sec_lct(void)
{
	int err, rc;
	unsigned len;
	phase("lctget");

	/* Learn the length with a too-small buffer. */
	len = hrtlct_learn(&k_lct);

	/* Read it with exactly that length (or a big buffer if the length is unknown). */
	fill(g_res, BIG);
	g_u32[0] = len ? len : BIG;
	rc = hrtlct(g_fd, I2OLCTGET, g_iop, g_res, &g_u32[0], &err);
	if (check_rc("lctget.ok", NULL, rc, err) == 1) {
		unsigned got = g_u32[0];
		if (len)
			check_val("lctget.reslen", NULL, got, len);
		else
			dep_fail("lctget.reslen", NULL, "length unknown");
		if (got > BIG)
			got = BIG;
		unsigned ts = got >= 4 ? le16(g_res) : 0;
		check_val("lctget.tablesize", NULL, (unsigned long long)ts * 4, got);
		int ok = ts >= 3 && (ts - 3) % 9 == 0 && ts * 4 <= got;
		unsigned badent = 0;
		for (unsigned off = 12; ok && off + 36 <= ts * 4; off += 36)
			if ((le32(g_res + off) & 0xFFFF) != 9) { ok = 0; badent = off; }
		check_true("lctget.entries", NULL, ok, "expected 9-word entries, got TableSize %u%s%u", ts,
			   badent ? ", bad TableEntrySize at byte " : "", badent);
		long t = touched(g_res, got, BIG);
		check_true("lctget.tail", NULL, t < 0, "expected nothing past %u written, got byte %ld", got, t);
		g_have_lct = decode_lct(g_res, got);
		if (g_have_lct) {
			note("LCT of IOP %u: %u bytes, %u entries, IopFlags 0x%08x, CurrentChangeIndicator 0x%08x",
			     g_iop, got, g_nlct, le32(g_res + 4), le32(g_res + 8));
			for (unsigned i = 0; i < g_nlct; i++)
				note("  TID 0x%03x class word 0x%08x (class 0x%03x) user 0x%03x parent 0x%03x",
				     g_lct[i].tid, g_lct[i].classword, g_lct[i].classword & 0xFFF,
				     g_lct[i].user_tid, g_lct[i].parent_tid);
		}
		/* Header words against the executive's LCT scalar group 0x0101 (fields 1 IopFlags and
		 * 2 CurrentChangeIndicator, asked for one by one so no packing assumption is needed). */
		if (got >= 12) {
			uint32_t w1 = le32(g_res + 4), w2 = le32(g_res + 8);
			uint8_t *op = g_op;
			memset(op, 0, 16);
			put16(op + 0, 1);
			put16(op + 4, I2O_PARAMS_FIELD_GET);
			put16(op + 6, 0x0101);
			put16(op + 8, 2);
			put16(op + 10, 1);
			put16(op + 12, 2);
			fill(g_res2, 4096);
			g_u32[1] = 4096;
			rc = psetget(g_fd, I2OPARMGET, g_iop, 0, op, 16, g_res2, &g_u32[1], &err);
			if (rc == 0 && g_u32[1] >= 16 && RES_COUNT(g_res2) == 1 && RES_BSTATUS(g_res2) == 0) {
				uint32_t flags = le32(RES_DATA(g_res2)), cci = le32(RES_DATA(g_res2) + 4);
				check_true("lctget.header", NULL, w1 == flags && w2 == cci,
					   "expected word1 IopFlags 0x%08x, word2 CurrentChangeIndicator 0x%08x, got 0x%08x, 0x%08x",
					   flags, cci, w1, w2);
			} else {
				dep_fail("lctget.header", NULL, "PARMGET of group 0x0101 fields 1, 2 on TID 0 failed");
			}
		} else {
			dep_fail("lctget.header", NULL, "LCT shorter than its header");
		}
	} else {
		dep_fail("lctget.header", NULL, "LCTGET failed");
		dep_fail("lctget.reslen", NULL, "LCTGET failed");
		dep_fail("lctget.tablesize", NULL, "LCTGET failed");
		dep_fail("lctget.entries", NULL, "LCTGET failed");
		dep_fail("lctget.tail", NULL, "LCTGET failed");
	}

	hrtlct_short1(&k_lct, len);
	hrtlct_pointers(&k_lct);
	hrtlct_each(&k_lct);

	/* Pick the TIDs the rest of the suite works on. */
	if (g_have_lct) {
		const struct lct_entry *pick = NULL;
		for (unsigned i = 0; i < g_nlct && !pick; i++)	/* prefer a real device: not exec, not DDM */
			if (g_lct[i].tid != 0 && (g_lct[i].classword & 0xFFF) != I2O_CLASS_EXECUTIVE &&
			    (g_lct[i].classword & 0xFFF) != I2O_CLASS_DDM)
				pick = &g_lct[i];
		for (unsigned i = 0; i < g_nlct && !pick; i++)
			if (g_lct[i].tid != 0 && (g_lct[i].classword & 0xFFF) != I2O_CLASS_EXECUTIVE)
				pick = &g_lct[i];
		if (pick) {
			g_have_dev = 1;
			g_dev_tid = pick->tid;
			g_dev_class = pick->classword;
		}
		check_true("discover.device", NULL, pick != NULL, "expected a device in the LCT, got %u entries, none usable", g_nlct);
		for (unsigned t = 0xABC; ; t = (t + 1) & 0xFFF) {
			if (t >= 2 && t != 0xFFF && !lct_find(t)) { g_unknown_tid = t; break; }
		}
	} else {
		dep_fail("discover.device", NULL, "no LCT");
		g_unknown_tid = 0xABC;
	}
	if (g_have_dev)
		note("device under test: TID 0x%03x (class word 0x%08x); unknown TID 0x%03x",
		     g_dev_tid, g_dev_class, g_unknown_tid);
}

static void sec_hrt(void)
{
	int err, rc;
	unsigned len;
	phase("hrtget");

	len = hrtlct_learn(&k_hrt);

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = hrtlct(g_fd, I2OHRTGET, g_iop, g_res, &g_u32[0], &err);
	if (check_rc("hrtget.ok", NULL, rc, err) == 1) {
		unsigned got = g_u32[0] > BIG ? BIG : g_u32[0];
		unsigned n = le16(g_res), el = g_res[2];
		check_true("hrtget.header", NULL, got >= 8 && n * el * 4 + 8 == g_u32[0] && (!len || len == g_u32[0]),
			   "expected NumberEntries %u x EntryLength %u x 4 + 8 = %u == *reslen == learnt length %u, got *reslen %u",
			   n, el, n * el * 4 + 8, len, g_u32[0]);
		long t = touched(g_res, got, BIG);
		check_true("hrtget.tail", NULL, t < 0, "expected nothing past %u written, got byte %ld", got, t);
		note("HRT of IOP %u: %u entries of %u words, HRTVersion %u", g_iop, n, el, g_res[3]);
		if (!len && got >= 8)
			len = got;
	} else {
		dep_fail("hrtget.header", NULL, "HRTGET failed");
		dep_fail("hrtget.tail", NULL, "HRTGET failed");
	}

	hrtlct_short1(&k_hrt, len);
	hrtlct_pointers(&k_hrt);
	g_u32[0] = BIG;
	rc = hrtlct(g_fd, I2OHRTGET, g_noiop, NULL, &g_u32[0], &err);
	check_rc("hrtget.order", NULL, rc, err);
	hrtlct_each(&k_hrt);
}

/* Reference result of FIELD_GET 0xF100 all fields on the device (for PASSTHRU and concurrency). */
static uint8_t g_ref_parm[BIG];
static unsigned g_ref_parm_len;

/* PARMGET of 0xF100 on `tid`; all the result-list checks with suffix `sfx`. */
static void parmget_identity(unsigned tid, const char *sfx, int have_class, uint32_t classword, int is_dev)
{
	int err, rc;
	unsigned oplen = op_get_all(g_op, 0xF100, 0);

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res, &g_u32[0], &err);
	unsigned len = g_u32[0];
	int ok = check_rc("parmget.ok", sfx, rc, err) == 1;
	if (ok) {
		check_val("parmget.resultcount", sfx, RES_COUNT(g_res), 1);
		check_val("parmget.blockstatus", sfx, RES_BSTATUS(g_res), 0);
		check_val("parmget.reslen", sfx, len, 4 + RES_BSIZE(g_res) * 4u);
		if (len >= 12 && len <= BIG) {
			uint32_t cls = le32(RES_DATA(g_res));
			if (have_class)
				check_val("parmget.classid", sfx, cls, classword);
			else
				check_val("parmget.classid", sfx, cls & 0xFFF, I2O_CLASS_EXECUTIVE);
		} else {
			dep_fail("parmget.classid", sfx, "result too short for ClassID");
		}
		if (len < 8 || len > BIG)
			ok = 0;		/* already reported by parmget.reslen */
		else if (is_dev) {
			memcpy(g_ref_parm, g_res, len);
			g_ref_parm_len = len;
		}
	} else {
		const char *why = "PARMGET failed";
		dep_fail("parmget.resultcount", sfx, why);
		dep_fail("parmget.blockstatus", sfx, why);
		dep_fail("parmget.reslen", sfx, why);
		dep_fail("parmget.classid", sfx, why);
	}

	/* The 2.6.18 "all fields" form: FieldCount 1, FieldIdx 0xFFFF. */
	oplen = op_get_all(g_op, 0xF100, 1);
	fill(g_res2, BIG);
	g_u32[1] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res2, &g_u32[1], &err);
	if (check_rc("parmget.allidx.ok", sfx, rc, err) == 1 && ok) {
		long d = g_u32[1] == len ? first_diff(g_res, g_res2, len) : -2;
		check_true("parmget.allidx.same", sfx, d == -1,
			   "expected %u identical bytes, got *reslen %u%s%ld", len, g_u32[1],
			   d >= 0 ? ", first difference at byte " : "", d >= 0 ? d : 0L);
	} else {
		dep_fail("parmget.allidx.same", sfx, "a PARMGET failed");
	}

	/* Too small: the length is written, nothing copied. */
	if (ok) {
		oplen = op_get_all(g_op, 0xF100, 0);
		fill(g_res2, BIG);
		g_u32[1] = 8;
		rc = psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res2, &g_u32[1], &err);
		check_short("parmget.short", sfx, rc, err, g_res2, g_u32[1], len, "short PARMGET did not give ENOBUFS");
	} else {
		dep_fail("parmget.short", sfx, "PARMGET failed");
		dep_fail("parmget.short.untouched", sfx, "PARMGET failed");
	}
}

static void sec_parmget(void)
{
	int err, rc;
	unsigned oplen;
	phase("parmget");

	parmget_identity(0, "tid0", lct_find(0) != NULL, lct_find(0) ? lct_find(0)->classword : 0, 0);
	if (g_have_dev) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "tid0x%03x", g_dev_tid);
		parmget_identity(g_dev_tid, sfx, 1, g_dev_class, 1);
	} else {
		const char *ids[] = { "parmget.ok", "parmget.resultcount", "parmget.blockstatus", "parmget.reslen",
				      "parmget.classid", "parmget.allidx.ok", "parmget.allidx.same",
				      "parmget.short", "parmget.short.untouched" };
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
			dep_fail(ids[i], "device", "no device in the LCT");
	}

	oplen = op_get_all(g_op, 0xF100, 0);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, g_unknown_tid, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc("parmget.unknowntid", NULL, rc, err);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_noiop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc("parmget.noiop", NULL, rc, err);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, NULL, &g_u32[0], &err);
	check_rc("parmget.nullbuf", NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		g_u32[0] = BIG;
		rc = psetget(g_fd, I2OPARMGET, g_iop, 0, bad_ptr(i), oplen, g_res, &g_u32[0], &err);
		check_rc("parmget.badop", bad_names[i], rc, err);
		g_u32[0] = BIG;
		rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, bad_ptr(i), &g_u32[0], &err);
		check_rc("parmget.badbuf", bad_names[i], rc, err);
		rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, bad_ptr(i), &err);
		check_rc("parmget.badreslen", bad_names[i], rc, err);
		rc = xioctl(g_fd, I2OPARMGET, bad_ptr(i), &err);
		check_rc("parmget.badstruct", bad_names[i], rc, err);
	}

	/* OperationCount 3, but only one operation's bytes. */
	oplen = op_get_all(g_op, 0xF100, 0);
	put16(g_op, 3);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc("parmget.truncated", NULL, rc, err);

	/* An operation code outside the ten of the specification. */
	oplen = op_get_all(g_op, 0xF100, 0);
	put16(g_op + 4, 0x00EE);
	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_true("parmget.badopcode", NULL,
		   (rc == -1 && err == EINVAL) || (rc == 0 && g_u32[0] >= 8 && RES_BSTATUS(g_res) != 0),
		   "expected -1/EINVAL or 0 with a non-zero BlockStatus, got %d (errno %s), BlockStatus 0x%02x",
		   rc, errname(err), rc == 0 ? RES_BSTATUS(g_res) : 0);

	/* An unknown group: the ioctl succeeds, the block says INVALID_GROUP_ID. */
	oplen = op_get_all(g_op, 0x7777, 0);
	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	if (check_rc("parmget.badgroup", NULL, rc, err) == 1)
		check_true("parmget.badgroup.status", NULL,
			   g_u32[0] >= 8 && RES_COUNT(g_res) == 1 && RES_BSTATUS(g_res) == I2O_PARAMS_STATUS_INVALID_GROUP_ID,
			   "expected *reslen >= 8, ResultCount 1, BlockStatus 0x08, got *reslen %u, ResultCount %u, BlockStatus 0x%02x",
			   g_u32[0], RES_COUNT(g_res), RES_BSTATUS(g_res));
	else
		dep_fail("parmget.badgroup.status", NULL, "PARMGET failed");
}

/* DeviceName (0xF102 field 0, 64 bytes) of the device: read into out[64]. Returns 1 on success. */
static int read_devname(int fd, uint8_t out[64], int *rc_out, int *err_out)
{
	uint8_t *op = g_op + 2048;
	unsigned oplen = op_get_field(op, 0xF102, 0);
	unsigned *rl = &g_u32[8];
	uint8_t *res = g_res2;
	fill(res, 4096);
	*rl = 4096;
	int rc = psetget(fd, I2OPARMGET, g_iop, g_dev_tid, op, oplen, res, rl, err_out);
	*rc_out = rc;
	if (rc != 0 || *rl < 8 + 64 || RES_COUNT(res) != 1 || RES_BSTATUS(res) != 0)
		return 0;
	memcpy(out, RES_DATA(res), 64);
	return 1;
}

static int set_devname(int fd, const uint8_t name[64], unsigned *reslen, int *err)
{
	uint8_t *op = g_op + 1024;
	unsigned oplen = op_set_field(op, 0xF102, 0, name, 64);
	fill(g_res, 4096);
	*reslen = 4096;
	return psetget(fd, I2OPARMSET, g_iop, g_dev_tid, op, oplen, g_res, reslen, err);
}

static uint8_t g_orig_name[64];
static int g_have_orig_name;

static void make_name(uint8_t name[64], const char *tag, unsigned n)
{
	memset(name, 0, 64);
	snprintf((char *)name, 64, "i2o-suite %s %u/%ld", tag, n, (long)getpid());
}

static void sec_parmset(void)
{
	int err, rc, rrc;
	uint8_t name[64], back[64];
	phase("parmset");
	if (!g_have_dev) {
		const char *ids[] = { "parmset.ok", "parmset.result", "parmset.readback", "parmset.readback.other",
				      "parmset.readonly", "parmset.readonly.status", "parmset.readonly.unchanged",
				      "parmset.restore" };
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
			dep_fail(ids[i], NULL, "no device in the LCT");
	} else {
		g_have_orig_name = read_devname(g_fd, g_orig_name, &rrc, &err);
		if (!g_have_orig_name)
			note("could not read the original DeviceName (rc %d, errno %s); it will not be restored",
			     rrc, errname(err));

		make_name(name, "set", 1);
		rc = set_devname(g_fd, name, &g_u32[0], &err);
		if (check_rc("parmset.ok", NULL, rc, err) == 1) {
			unsigned len = g_u32[0];
			check_true("parmset.result", NULL,
				   len >= 8 && RES_COUNT(g_res) == 1 && RES_BSTATUS(g_res) == 0 && len == 4 + RES_BSIZE(g_res) * 4u,
				   "expected ResultCount 1, BlockStatus 0, *reslen 4 + BlockSize x 4, got *reslen %u, "
				   "ResultCount %u, BlockStatus 0x%02x, BlockSize %u",
				   len, RES_COUNT(g_res), RES_BSTATUS(g_res), RES_BSIZE(g_res));
			int r = read_devname(g_fd, back, &rrc, &err);
			check_true("parmset.readback", NULL, r && memcmp(back, name, 64) == 0,
				   "expected \"%s\", got %s \"%.64s\" (rc %d, errno %s)", (char *)name,
				   r ? "" : "no value", r ? (char *)back : "", rrc, errname(err));
			int fd2 = open_dev(O_RDWR);
			r = fd2 >= 0 && read_devname(fd2, back, &rrc, &err);
			check_true("parmset.readback.other", NULL, r && memcmp(back, name, 64) == 0,
				   "expected \"%s\" on a second open file, got %s \"%.64s\"", (char *)name,
				   r ? "" : "no value", r ? (char *)back : "");
			if (fd2 >= 0)
				close(fd2);
		} else {
			dep_fail("parmset.result", NULL, "PARMSET failed");
			dep_fail("parmset.readback", NULL, "PARMSET failed");
			dep_fail("parmset.readback.other", NULL, "PARMSET failed");
		}

		/* A read-only field: 0xF100 field 3 (VendorInfo, 16 bytes). */
		uint8_t before[16] = { 0 }, after[16] = { 0 };
		int have_before = 0;
		unsigned oplen = op_get_field(g_op, 0xF100, 3);
		g_u32[0] = 4096;
		if (psetget(g_fd, I2OPARMGET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err) == 0 &&
		    g_u32[0] >= 8 + 16 && RES_BSTATUS(g_res) == 0) {
			memcpy(before, RES_DATA(g_res), 16);
			have_before = 1;
		}
		uint8_t junk[16];
		memset(junk, 'Z', sizeof junk);
		oplen = op_set_field(g_op, 0xF100, 3, junk, 16);
		fill(g_res, 4096);
		g_u32[0] = 4096;
		rc = psetget(g_fd, I2OPARMSET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err);
		if (check_rc("parmset.readonly", NULL, rc, err) == 1)
			check_true("parmset.readonly.status", NULL,
				   g_u32[0] >= 8 && RES_COUNT(g_res) == 1 && RES_BSTATUS(g_res) == I2O_PARAMS_STATUS_FIELD_UNWRITEABLE,
				   "expected ResultCount 1, BlockStatus 0x06, got *reslen %u, ResultCount %u, BlockStatus 0x%02x",
				   g_u32[0], RES_COUNT(g_res), RES_BSTATUS(g_res));
		else
			dep_fail("parmset.readonly.status", NULL, "PARMSET failed");
		oplen = op_get_field(g_op, 0xF100, 3);
		g_u32[0] = 4096;
		int have_after = psetget(g_fd, I2OPARMGET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err) == 0 &&
				 g_u32[0] >= 8 + 16 && RES_BSTATUS(g_res) == 0;
		if (have_after)
			memcpy(after, RES_DATA(g_res), 16);
		if (have_before && have_after)
			check_true("parmset.readonly.unchanged", NULL, memcmp(before, after, 16) == 0,
				   "expected VendorInfo \"%.16s\", got \"%.16s\"", (char *)before, (char *)after);
		else
			dep_fail("parmset.readonly.unchanged", NULL, "could not read VendorInfo (0xF100 field 3)");
	}

	make_name(name, "set", 2);
	unsigned oplen = op_set_field(g_op, 0xF102, 0, name, 64);
	g_u32[0] = 4096;
	rc = psetget(g_fd, I2OPARMSET, g_iop, g_unknown_tid, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc("parmset.unknowntid", NULL, rc, err);
}

static void restore_devname(void)
{
	int err, rc;
	phase("parmset.restore");
	if (!g_have_dev)
		return;		/* dep_fail already reported in sec_parmset */
	if (!g_have_orig_name) {
		dep_fail("parmset.restore", NULL, "original DeviceName unknown");
		return;
	}
	rc = set_devname(g_fd, g_orig_name, &g_u32[0], &err);
	check_rc("parmset.restore", NULL, rc, err);
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
	uint8_t name[64];
	int err;
	make_name(name, "evt", g_trigger_n++);
	int rc = set_devname(fd, name, &g_u32[2], &err);
	if (rc != 0)
		note("trigger PARMSET failed: rc %d errno %s", rc, errname(err));
	return rc == 0 && g_u32[2] >= 8 && RES_BSTATUS(g_res) == 0;
}

static void drain(int fd)
{
	struct i2o_evt_get g;
	int err;
	for (int i = 0; i < 64 && evtget(fd, &g, &err) == 0; i++)
		;
}

static void sec_events(void)
{
	int err, rc;
	struct i2o_evt_get g;
	phase("events");

	const char *dev_ids[] = { "evt.reg", "evt.empty", "evt.poll.idle", "evt.poll", "evt.get", "evt.get.id",
				  "evt.get.counts", "evt.get.again", "evt.poll.drained", "evt.other", "evt.read.small",
				  "evt.read", "evt.read.record", "evt.read.multi", "evt.overflow", "evt.overflow.counts",
				  "evt.cancel", "evt.cancel.none", "evt.get.badstruct" };
	int fa = g_have_dev ? open_dev(O_RDWR) : -1;
	int fb = g_have_dev ? open_dev(O_RDWR) : -1;
	if (fa < 0 || fb < 0) {
		for (size_t i = 0; i < sizeof dev_ids / sizeof dev_ids[0]; i++)
			dep_fail(dev_ids[i], NULL, g_have_dev ? "cannot open two more files" : "no device in the LCT");
	} else {
		const unsigned mask = I2O_EVT_IND_FIELD_MODIFIED;
		rc = evtreg(fa, g_iop, g_dev_tid, mask, &err);
		int reg = check_rc("evt.reg", NULL, rc, err) == 1;
		rc = evtget(fa, &g, &err);
		check_rc("evt.empty", NULL, rc, err);
		int rev = wait_in(fa, 0);
		check_true("evt.poll.idle", NULL, rev == 0, "expected no POLLIN, got revents 0x%x", (unsigned)rev);

		/* One event. */
		phase("evt.poll");
		int trig = reg && trigger(fb);
		if (trig) {
			rev = wait_in(fa, 3000);
			int pin = rev > 0 && (rev & POLLIN);
			check_true("evt.poll", NULL, pin, "expected POLLIN within 3 s, got revents 0x%x", (unsigned)rev);
			phase("evt.get");
			rc = evtget(fa, &g, &err);
			if (check_rc("evt.get", NULL, rc, err) == 1) {
				check_true("evt.get.id", NULL,
					   g.info.id.iop == g_iop && g.info.id.tid == g_dev_tid && (g.info.id.evt_mask & mask),
					   "expected iop %u tid 0x%03x evt_mask & 0x%08x, got iop %u tid 0x%03x evt_mask 0x%08x",
					   g_iop, g_dev_tid, mask, g.info.id.iop, g.info.id.tid, g.info.id.evt_mask);
				check_true("evt.get.counts", NULL,
					   g.pending == 0 && g.lost == 0 && g.info.data_size <= I2O_EVT_DATA_SIZE,
					   "expected pending 0, lost 0, data_size <= 88, got pending %d, lost %d, data_size %u",
					   g.pending, g.lost, g.info.data_size);
			} else {
				dep_fail("evt.get.id", NULL, "EVTGET failed");
				dep_fail("evt.get.counts", NULL, "EVTGET failed");
			}
			rc = evtget(fa, &g, &err);
			check_rc("evt.get.again", NULL, rc, err);
			rev = wait_in(fa, 0);
			check_true("evt.poll.drained", NULL, rev == 0, "expected no POLLIN, got revents 0x%x", (unsigned)rev);
		} else {
			const char *why = reg ? "the triggering PARMSET failed" : "EVTREG failed";
			const char *ids[] = { "evt.poll", "evt.get", "evt.get.id", "evt.get.counts", "evt.get.again",
					      "evt.poll.drained" };
			for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
				dep_fail(ids[i], NULL, why);
		}
		rc = evtget(fb, &g, &err);
		check_rc("evt.other", NULL, rc, err);

		/* read(): a too-small buffer does not consume the event; 104 bytes give one record. */
		phase("evt.read");
		drain(fa);
		if (reg && evtreg(fa, g_iop, g_dev_tid, mask, &err) != 0)	/* registering again replaces */
			note("EVTREG again failed: errno %s", errname(err));
		trig = reg && trigger(fb);
		rev = trig ? wait_in(fa, 3000) : 0;
		if (trig && rev > 0 && (rev & POLLIN)) {
			uint8_t *rb = g_res2;
			fill(rb, 512);
			ssize_t n = read(fa, rb, 50);
			check_count("evt.read.small", NULL, (long)n, errno, 50);
			fill(rb, 512);
			n = read(fa, rb, sizeof(struct i2o_evt_info));
			int e = errno;
			if (check_count("evt.read", NULL, (long)n, e, (long)sizeof(struct i2o_evt_info)) == 1) {
				struct i2o_evt_info inf;
				memcpy(&inf, rb, sizeof inf);
				check_true("evt.read.record", NULL,
					   inf.id.iop == g_iop && inf.id.tid == g_dev_tid && (inf.id.evt_mask & mask) &&
					   inf.data_size <= I2O_EVT_DATA_SIZE,
					   "expected iop %u tid 0x%03x evt_mask & 0x%08x, got iop %u tid 0x%03x evt_mask 0x%08x data_size %u",
					   g_iop, g_dev_tid, mask, inf.id.iop, inf.id.tid, inf.id.evt_mask, inf.data_size);
			} else {
				dep_fail("evt.read.record", NULL, "read() did not return 104 bytes");
			}
		} else {
			const char *why = !reg ? "EVTREG failed" : !trig ? "the triggering PARMSET failed" : "no POLLIN";
			dep_fail("evt.read.small", NULL, why);
			dep_fail("evt.read", NULL, why);
			dep_fail("evt.read.record", NULL, why);
		}

		/* read() returns as many whole records as fit. */
		drain(fa);
		trig = reg && trigger(fb) && trigger(fb);
		rev = trig ? wait_in(fa, 3000) : 0;
		if (trig && rev > 0 && (rev & POLLIN)) {
			usleep(300 * 1000);	/* let the second event land if delivery is asynchronous */
			ssize_t n = read(fa, g_res2, 3 * sizeof(struct i2o_evt_info));
			int e = errno;
			check_count("evt.read.multi", NULL, (long)n, e, 2 * (long)sizeof(struct i2o_evt_info));
		} else {
			dep_fail("evt.read.multi", NULL, !trig ? "EVTREG or a triggering PARMSET failed" : "no POLLIN");
		}
		drain(fa);

		/* Overflow: 34 events into 32 slots. */
		phase("evt.overflow");
		int all = reg;
		for (int i = 0; i < 34 && all; i++)
			all = trigger(fb);
		rev = all ? wait_in(fa, 3000) : 0;
		if (all && rev > 0) {
			usleep(300 * 1000);
			rc = evtget(fa, &g, &err);
			if (check_rc("evt.overflow", NULL, rc, err) == 1) {
				int pending = g.pending, lost = g.lost, total = 1;
				while (total < 64 && evtget(fa, &g, &err) == 0)
					total++;
				check_true("evt.overflow.counts", NULL, pending == 31 && lost == 2 && total == 32,
					   "expected pending 31, lost 2, 32 events, got pending %d, lost %d, %d events",
					   pending, lost, total);
			} else {
				dep_fail("evt.overflow.counts", NULL, "EVTGET failed");
			}
		} else {
			dep_fail("evt.overflow", NULL, !all ? "EVTREG or a triggering PARMSET failed" : "no POLLIN");
			dep_fail("evt.overflow.counts", NULL, "no events");
		}
		drain(fa);

		/* EVTGET into a bad pointer, with an event queued. */
		if (reg && trigger(fb) && wait_in(fa, 3000) > 0) {
			for (int i = 0; i < NBAD; i++) {
				rc = xioctl(fa, I2OEVTGET, bad_ptr(i), &err);
				check_rc("evt.get.badstruct", bad_names[i], rc, err);
			}
		} else {
			dep_fail("evt.get.badstruct", NULL, "no event queued");
		}
		drain(fa);

		/* Mask 0 cancels. */
		phase("evt.cancel");
		rc = evtreg(fa, g_iop, g_dev_tid, 0, &err);
		if (check_rc("evt.cancel", NULL, rc, err) == 1 && trigger(fb)) {
			wait_in(fa, 500);
			rc = evtget(fa, &g, &err);
			check_rc("evt.cancel.none", NULL, rc, err);
		} else {
			dep_fail("evt.cancel.none", NULL, "EVTREG 0 or the triggering PARMSET failed");
		}
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);

	phase("events.errors");
	int fn = open_dev(O_RDWR | O_NONBLOCK);
	if (fn >= 0) {
		uint8_t buf[sizeof(struct i2o_evt_info)];
		ssize_t n = read(fn, buf, sizeof buf);
		check_count("evt.read.nonblock", NULL, (long)n, errno, (long)sizeof buf);
		close(fn);
	} else {
		dep_fail("evt.read.nonblock", NULL, "cannot open with O_NONBLOCK");
	}
	rc = evtreg(g_fd, g_iop, g_unknown_tid, I2O_EVT_IND_FIELD_MODIFIED, &err);
	check_rc("evt.reg.unknowntid", NULL, rc, err);
	rc = evtreg(g_fd, g_noiop, 0, I2O_EVT_IND_FIELD_MODIFIED, &err);
	check_rc("evt.reg.noiop", NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		rc = xioctl(g_fd, I2OEVTREG, bad_ptr(i), &err);
		check_rc("evt.reg.badstruct", bad_names[i], rc, err);
	}
	errno = 0;
	ssize_t w = write(g_fd, "x", 1);
	check_count("write", NULL, (long)w, errno, 1);
}

#define SW_TYPE		I2O_SOFTWARE_MODULE_IOP_PRIVATE
#define SW_ID		0x5A5A0001u
#define SW_ID_OOO	0x5A5A0002u
#define SW_ID_300	0x5A5A0003u
#define SW_ID_BIG	0x5A5A0004u
#define SW_SIZE		20000u
#define SW_FRAG		8192u
#define SW_NFRAG	3u

static void sw_cleanup(unsigned id)
{
	int err;
	g_u32[4] = 0;
	swx(g_fd, I2OSWDEL, g_iop, SW_TYPE, id, NULL, &g_u32[4], &g_u32[5], &g_u32[6], &err);
}

static void sec_sw(void)
{
	int err, rc;
	unsigned *swlen = &g_u32[4], *maxfrag = &g_u32[5], *curfrag = &g_u32[6];
	phase("sw");

	for (unsigned i = 0; i < SW_SIZE; i++)
		g_img[i] = (uint8_t)((i * 7 + 13) ^ (i >> 8));

	/* Leftovers of an interrupted earlier run would make the results meaningless. */
	sw_cleanup(SW_ID);
	sw_cleanup(SW_ID_OOO);
	sw_cleanup(SW_ID_300);
	sw_cleanup(SW_ID_BIG);

	*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
	rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
	check_rc("sw.absent", NULL, rc, err);

	/* Download in three fragments, buf pointing at each fragment. */
	int dl_ok = 1;
	for (unsigned f = 1; f <= SW_NFRAG; f++) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "%u", f);
		if (!dl_ok) {
			dep_fail("swdl.frag", sfx, "an earlier fragment failed");
			continue;
		}
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = f;
		rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID, g_img + (f - 1) * SW_FRAG, swlen, maxfrag, curfrag, &err);
		dl_ok = check_rc("swdl.frag", sfx, rc, err) == 1;
	}

	/* Upload each fragment and compare. */
	for (unsigned f = 1; f <= SW_NFRAG; f++) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "%u", f);
		if (!dl_ok) {
			dep_fail("swul.frag", sfx, "download failed");
			dep_fail("swul.data", sfx, "download failed");
			continue;
		}
		unsigned fsz = f < SW_NFRAG ? SW_FRAG : SW_SIZE - (SW_NFRAG - 1) * SW_FRAG;
		fill(g_up, 2 * SW_FRAG);
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = f;
		rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
		if (check_rc("swul.frag", sfx, rc, err) == 1) {
			long d = first_diff(g_up, g_img + (f - 1) * SW_FRAG, fsz);
			long t = touched(g_up, fsz, 2 * SW_FRAG);
			check_true("swul.data", sfx, d < 0 && t < 0,
				   "expected the %u downloaded bytes and nothing after them, got %s%ld", fsz,
				   d >= 0 ? "a difference at byte " : "a write at byte ", d >= 0 ? d : t);
		} else {
			dep_fail("swul.data", sfx, "SWUL failed");
		}
	}

	/* SWUL reports the real size and fragment count. */
	if (dl_ok) {
		fill(g_up, 2 * SW_FRAG);
		*swlen = 0; *maxfrag = 0; *curfrag = 1;
		rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
		check_true("swul.sizes", NULL, rc == 0 && *swlen == SW_SIZE && *maxfrag == SW_NFRAG,
			   "expected 0 with *swlen 20000 and *maxfrag 3, got %d (errno %s) *swlen %u *maxfrag %u",
			   rc, errname(err), *swlen, *maxfrag);
	} else {
		dep_fail("swul.sizes", NULL, "download failed");
	}

	/* Out of order: a new module whose first fragment is number 2. */
	*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 2;
	rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_OOO, g_img + SW_FRAG, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.outoforder", NULL, rc, err);
	*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
	rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID_OOO, g_up, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.outoforder.nostate", NULL, rc, err);

	/* Sizes the types cannot express. */
	*swlen = SW_SIZE; *maxfrag = 300; *curfrag = 1;
	rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_300, g_img, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.fragcount", NULL, rc, err);
	*swlen = 10000; *maxfrag = 1; *curfrag = 1;
	rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_BIG, g_img, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.bigfrag", NULL, rc, err);

	/* Pointers. */
	*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
	rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_OOO, NULL, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.nullbuf", NULL, rc, err);
	rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
	check_rc("swul.nullbuf", NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
		rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_OOO, bad_ptr(i), swlen, maxfrag, curfrag, &err);
		check_rc("swdl.badbuf", bad_names[i], rc, err);
		rc = swx(g_fd, I2OSWDL, g_iop, SW_TYPE, SW_ID_OOO, g_img, bad_ptr(i), maxfrag, curfrag, &err);
		check_rc("swdl.badswlen", bad_names[i], rc, err);
		rc = xioctl(g_fd, I2OSWDL, bad_ptr(i), &err);
		check_rc("swdl.badstruct", bad_names[i], rc, err);
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
		rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, bad_ptr(i), swlen, maxfrag, curfrag, &err);
		check_rc("swul.badbuf", bad_names[i], rc, err);
	}
	*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
	rc = swx(g_fd, I2OSWDL, g_noiop, SW_TYPE, SW_ID_OOO, g_img, swlen, maxfrag, curfrag, &err);
	check_rc("swdl.noiop", NULL, rc, err);

	/* Delete: a wrong size is refused and changes nothing; size 0 = unknown. */
	if (dl_ok) {
		*swlen = SW_SIZE - 1;
		rc = swx(g_fd, I2OSWDEL, g_iop, SW_TYPE, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
		check_rc("swdel.wronglen", NULL, rc, err);
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
		rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
		check_rc("swdel.wronglen.kept", NULL, rc, err);
		*swlen = 0;
		rc = swx(g_fd, I2OSWDEL, g_iop, SW_TYPE, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
		if (check_rc("swdel.ok", NULL, rc, err) == 1) {
			check_val("swdel.swlen", NULL, *swlen, SW_SIZE);
			*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = 1;
			rc = swx(g_fd, I2OSWUL, g_iop, SW_TYPE, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
			check_rc("swdel.gone", NULL, rc, err);
		} else {
			dep_fail("swdel.swlen", NULL, "SWDEL failed");
			dep_fail("swdel.gone", NULL, "SWDEL failed");
		}
	} else {
		const char *ids[] = { "swdel.wronglen", "swdel.wronglen.kept", "swdel.ok", "swdel.swlen", "swdel.gone" };
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
			dep_fail(ids[i], NULL, "download failed");
	}
	*swlen = 0;
	rc = swx(g_fd, I2OSWDEL, g_iop, SW_TYPE, SW_ID_OOO, NULL, swlen, maxfrag, curfrag, &err);
	check_rc("swdel.absent", NULL, rc, err);
	*swlen = 0;
	rc = swx(g_fd, I2OSWDEL, g_noiop, SW_TYPE, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
	check_rc("swdel.noiop", NULL, rc, err);

	sw_cleanup(SW_ID);
	sw_cleanup(SW_ID_OOO);
	sw_cleanup(SW_ID_300);
	sw_cleanup(SW_ID_BIG);
}

static void sec_validate(void)
{
	int err, rc;
	phase("validate");
	rc = xioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_iop, &err);
	check_rc("validate.ok", NULL, rc, err);
	rc = xioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_noiop, &err);
	check_rc("validate.noiop", NULL, rc, err);
}

static void sec_html(void)
{
	int err, rc;
	unsigned len = 0;
	char *q = (char *)g_op + 3000;
	phase("html");

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
	if (check_rc("html.ok", NULL, rc, err) == 1) {
		len = g_u32[0];
		int lt = len > 0 && len <= BIG && memchr(g_res, '<', len) != NULL;
		long t = len <= BIG ? touched(g_res, len, BIG) : -1;
		check_true("html.page", NULL, lt && t < 0,
			   "expected 0 < *reslen <= %u, a '<' in the text, nothing past it, got *reslen %u, %s, %s %ld",
			   BIG, len, lt ? "'<' found" : "no '<'", t >= 0 ? "write at byte " : "tail clean", t >= 0 ? t : 0L);
		if (len == 0 || len > BIG)
			len = 0;
	} else {
		dep_fail("html.page", NULL, "HTML failed");
	}
	if (len > 1) {
		fill(g_res, BIG);
		g_u32[0] = 1;
		rc = html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
		check_short("html.short", NULL, rc, err, g_res, g_u32[0], len, "short HTML did not give ENOBUFS");
	} else {
		dep_fail("html.short", NULL, "page length unknown");
		dep_fail("html.short.untouched", NULL, "page length unknown");
	}
	g_u32[0] = BIG;
	rc = html(g_fd, g_iop, 0, 9999, g_res, &g_u32[0], NULL, 0, &err);
	check_rc("html.nopage", NULL, rc, err);
	memcpy(q, "a=1", 3);
	g_u32[0] = BIG;
	rc = html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], q, 3, &err);
	check_rc("html.query", NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		g_u32[0] = BIG;
		rc = html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], bad_ptr(i), 3, &err);
		check_rc("html.badquery", bad_names[i], rc, err);
	}
	g_u32[0] = BIG;
	rc = html(g_fd, g_iop, 0, 0, NULL, &g_u32[0], NULL, 0, &err);
	check_rc("html.nullbuf", NULL, rc, err);
	g_u32[0] = BIG;
	rc = html(g_fd, g_noiop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
	check_rc("html.noiop", NULL, rc, err);
	g_u32[0] = BIG;
	rc = html(g_fd, g_iop, g_unknown_tid, 0, g_res, &g_u32[0], NULL, 0, &err);
	check_rc("html.unknowntid", NULL, rc, err);
}

/* A hand-built UtilParamsGet frame (9 words) followed by a reply area of 32 words. */
#define PT_REPLY_WORDS 32u
static uint32_t *pt_frame(uint8_t *msg, unsigned tid, const void *op, unsigned oplen, void *res, unsigned reslen)
{
	uint32_t *w = (uint32_t *)(void *)msg;
	memset(msg, 0, 4 * (9 + PT_REPLY_WORDS));
	w[0] = 9u << 16 | 0x51;			/* MessageSize 9, SGL offset 5, version 1.5 */
	w[1] = 0x06u << 24 | 1u << 12 | (tid & 0xFFF);	/* UtilParamsGet, from the host to tid */
	w[2] = 0x11111111u;			/* InitiatorContext */
	w[3] = 0x22222222u;			/* TransactionContext */
	w[4] = 0;				/* OperationFlags */
	w[5] = 0x54000000u | oplen;		/* simple, end of buffer, host->IOP: the operation list */
	w[6] = addr32(op);
	w[7] = 0xD0000000u | reslen;		/* simple, last, end of buffer, IOP->host: the result list */
	w[8] = addr32(res);
	uint32_t *r = w + 9;
	for (unsigned i = 0; i < PT_REPLY_WORDS; i++)
		r[i] = 0xEEEEEEEEu;
	r[0] = PT_REPLY_WORDS << 16;		/* reply capacity in words */
	return r;
}

static void sec_passthru(void)
{
	int err, rc;
	uint8_t *msg = g_up;			/* 16 KiB, below 4 GiB */
	uint8_t *op = g_op;
	uint8_t *res = g_res;
	phase("passthru");
	note("pass-through uses %s", sizeof(void *) == 8 ? "I2OPASSTHRU (struct i2o_cmd_passthru)"
							 : "I2OPASSTHRU32 (struct i2o_cmd_passthru32)");

	unsigned tid = g_have_dev ? g_dev_tid : 0;
	unsigned oplen = op_get_all(op, 0xF100, 0);
	fill(res, 4096);
	uint32_t *r = pt_frame(msg, tid, op, oplen, res, 1024);
	rc = passthru(g_fd, g_iop, msg, &err);
	if (check_rc("passthru.ok", NULL, rc, err) == 1) {
		unsigned size = r[0] >> 16;
		check_true("passthru.reply", NULL,
			   (r[4] >> 24) == 0 && (r[1] >> 24) == 0x06 && size >= 5 && size <= PT_REPLY_WORDS,
			   "expected ReqStatus 0, function 0x06, 5 <= MessageSize <= %u, got word4 0x%08x, word1 0x%08x, word0 0x%08x",
			   PT_REPLY_WORDS, r[4], r[1], r[0]);
		check_true("passthru.contexts", NULL, r[2] == 0x11111111u && r[3] == 0x22222222u,
			   "expected 0x11111111/0x22222222, got 0x%08x/0x%08x", r[2], r[3]);
		if (g_have_dev && g_ref_parm_len >= 8) {
			long d = first_diff(res, g_ref_parm, g_ref_parm_len);
			check_true("passthru.result", NULL, RES_COUNT(res) == 1 && d < 0,
				   "expected ResultCount 1 and the %u bytes PARMGET returned, got ResultCount %u, first difference at %ld",
				   g_ref_parm_len, RES_COUNT(res), d);
		} else {
			check_true("passthru.result", NULL, RES_COUNT(res) == 1 && RES_BSTATUS(res) == 0,
				   "expected ResultCount 1, BlockStatus 0, got %u, 0x%02x", RES_COUNT(res), RES_BSTATUS(res));
		}
	} else {
		dep_fail("passthru.reply", NULL, "PASSTHRU failed");
		dep_fail("passthru.contexts", NULL, "PASSTHRU failed");
		dep_fail("passthru.result", NULL, "PASSTHRU failed");
	}

	/* MessageSize 1000 (the buffer is readable for all of it, so only the size can be wrong). */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[0] = 1000u << 16 | 0x51;
	memset(msg + 4 * 9, 0, 4 * (1000 + PT_REPLY_WORDS) - 4 * 9);
	((uint32_t *)(void *)msg)[1000] = PT_REPLY_WORDS << 16;	/* where a 1000-word frame's reply area starts */
	rc = passthru(g_fd, g_iop, msg, &err);
	check_rc("passthru.toolarge", NULL, rc, err);

	/* MessageSize 8 with the SGL at word 5: one element and a half. */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[0] = 8u << 16 | 0x51;
	rc = passthru(g_fd, g_iop, msg, &err);
	check_rc("passthru.sgloverrun", NULL, rc, err);

	/* 31 simple elements. */
	{
		uint32_t *w = (uint32_t *)(void *)msg;
		unsigned n = 31, words = 5 + 2 * n;
		memset(msg, 0, 4 * (words + PT_REPLY_WORDS));
		w[0] = words << 16 | 0x51;
		w[1] = 0x06u << 24 | 1u << 12 | (tid & 0xFFF);
		w[2] = 0x11111111u;
		w[3] = 0x22222222u;
		for (unsigned i = 0; i < n; i++) {
			w[5 + 2 * i] = (i == n - 1 ? 0xD0000000u : 0x10000000u) | 8;
			w[6 + 2 * i] = addr32(res + 8 * i);
		}
		w[5] = 0x14000000u | 8;		/* the first one host->IOP */
		w[words] = PT_REPLY_WORDS << 16;
		rc = passthru(g_fd, g_iop, msg, &err);
		check_rc("passthru.toomanysg", NULL, rc, err);
	}

	/* A chain-pointer element where a simple one belongs. */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[7] = 0xB0000000u | 256;
	rc = passthru(g_fd, g_iop, msg, &err);
	check_rc("passthru.nonsimple", NULL, rc, err);

	for (int i = 0; i < NBAD; i++) {
		rc = passthru(g_fd, g_iop, bad_ptr(i), &err);
		check_rc("passthru.badmsg", bad_names[i], rc, err);
		pt_frame(msg, tid, op, oplen, bad_ptr(i), 256);
		rc = passthru(g_fd, g_iop, msg, &err);
		check_rc("passthru.badsgl", bad_names[i], rc, err);
#if defined(__x86_64__) && !defined(__ILP32__)
		rc = xioctl(g_fd, I2OPASSTHRU, bad_ptr(i), &err);
#else
		rc = xioctl(g_fd, I2OPASSTHRU32, bad_ptr(i), &err);
#endif
		check_rc("passthru.badstruct", bad_names[i], rc, err);
	}
	pt_frame(msg, tid, op, oplen, res, 256);
	rc = passthru(g_fd, g_noiop, msg, &err);
	check_rc("passthru.noiop", NULL, rc, err);
}

static void sec_misc(void)
{
	int err, rc;
	int dummy = 0;
	phase("misc");
	rc = xioctl(g_fd, _IO('i', 99), NULL, &err);
	check_rc("unknown.ioctl", NULL, rc, err);
	rc = xioctl(g_fd, _IOWR('i', 13, int), &dummy, &err);
	check_rc("unknown.ioctl2", NULL, rc, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Concurrency                                                                                 */
/* ------------------------------------------------------------------------------------------ */

#define CONC_THREADS 4
#define CONC_ITER 200
#define CONC_PROCS 3
#define CONC_PROC_ITER 100

struct worker { int index; unsigned ok, bad, err; int first_errno; long first_diff; };

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	int fd = open(g_path, O_RDWR);
	if (fd < 0) {
		w->err = CONC_ITER;
		w->first_errno = errno;
		return NULL;
	}
	uint8_t op[16], *res = malloc(BIG);
	unsigned oplen = op_get_all(op, 0xF100, 0), reslen;
	if (!res) {
		close(fd);
		w->err = CONC_ITER;
		w->first_errno = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < CONC_ITER; i++) {
		int err;
		reslen = BIG;
		int rc = psetget(fd, I2OPARMGET, g_iop, g_dev_tid, op, oplen, res, &reslen, &err);
		if (rc != 0) {
			if (!w->err)
				w->first_errno = err;
			w->err++;
		} else if (reslen != g_ref_parm_len || first_diff(res, g_ref_parm, reslen) >= 0) {
			if (!w->bad)
				w->first_diff = reslen != g_ref_parm_len ? -1 : first_diff(res, g_ref_parm, reslen);
			w->bad++;
		} else {
			w->ok++;
		}
	}
	free(res);
	close(fd);
	return NULL;
}

/* Child: HRTGET/LCTGET loops compared with the parent's reads. Exit status = failures (<= 255). */
static void child_main(const uint8_t *hrt, unsigned hlen, const uint8_t *lct, unsigned llen)
{
	signal(SIGALRM, SIG_DFL);	/* the parent's watchdog must not report from here */
	alarm(g_timeout * 2);
	int fd = open(g_path, O_RDWR);
	if (fd < 0)
		_exit(255);
	uint8_t *buf = malloc(BIG);
	unsigned fails = 0, len;
	int err;
	if (!buf)
		_exit(255);
	for (int i = 0; i < CONC_PROC_ITER; i++) {
		len = BIG;
		if (hrtlct(fd, I2OHRTGET, g_iop, buf, &len, &err) != 0 || len != hlen || memcmp(buf, hrt, hlen) != 0)
			fails++;
		len = BIG;
		if (hrtlct(fd, I2OLCTGET, g_iop, buf, &len, &err) != 0 || len != llen || memcmp(buf, lct, llen) != 0)
			fails++;
	}
	close(fd);
	_exit(fails > 254 ? 254 : (int)fails);
}

static void sec_concurrency(void)
{
	int err, rc;
	phase("concurrency");
	uint8_t *hrt = malloc(BIG), *lct = malloc(BIG);
	unsigned hlen = BIG, llen = BIG;
	if (!hrt || !lct) {
		fprintf(stderr, "i2o-suite: out of memory\n");
		exit(2);
	}
	int have_ref = hrtlct(g_fd, I2OHRTGET, g_iop, hrt, &hlen, &err) == 0 &&
		       hrtlct(g_fd, I2OLCTGET, g_iop, lct, &llen, &err) == 0 && hlen <= BIG && llen <= BIG;

	/* Processes first (fork before any thread exists), then threads, all at once. */
	pid_t pids[CONC_PROCS];
	int nproc = 0;
	if (have_ref) {
		fflush(stdout);
		for (int i = 0; i < CONC_PROCS; i++) {
			pid_t p = fork();
			if (p == 0)
				child_main(hrt, hlen, lct, llen);
			if (p > 0)
				pids[nproc++] = p;
		}
	}
	struct worker ws[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	int nth = 0;
	if (g_have_dev && g_ref_parm_len >= 8) {
		for (int i = 0; i < CONC_THREADS; i++) {
			memset(&ws[i], 0, sizeof ws[i]);
			ws[i].index = i;
			if (pthread_create(&th[nth], NULL, thread_main, &ws[i]) == 0)
				nth++;
		}
		unsigned ok = 0, bad = 0, errs = 0;
		int fe = 0;
		long fd_ = -2;
		for (int i = 0; i < nth; i++) {
			pthread_join(th[i], NULL);
			ok += ws[i].ok;
			bad += ws[i].bad;
			errs += ws[i].err;
			if (ws[i].err && !fe)
				fe = ws[i].first_errno;
			if (ws[i].bad && fd_ == -2)
				fd_ = ws[i].first_diff;
		}
		check_true("conc.threads", NULL, nth == CONC_THREADS && ok == CONC_THREADS * CONC_ITER,
			   "expected %d identical results, got %u identical, %u different (first at byte %ld), "
			   "%u failed (first errno %s), %d threads started",
			   CONC_THREADS * CONC_ITER, ok, bad, fd_, errs, errname(fe), nth);
	} else {
		dep_fail("conc.threads", NULL, "no device or no reference PARMGET result");
	}
	if (have_ref) {
		int good = 0;
		char detail[200] = "";
		for (int i = 0; i < nproc; i++) {
			int st = 0;
			while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				good++;
			else if (WIFEXITED(st))
				snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " child %d: %d failures;",
					 i, WEXITSTATUS(st));
			else
				snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " child %d: signal %d;",
					 i, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
		}
		check_true("conc.procs", NULL, good == CONC_PROCS,
			   "expected %d processes with 0 failures, got %d of %d started;%s",
			   CONC_PROCS, good, nproc, detail);
	} else {
		dep_fail("conc.procs", NULL, "no reference HRT/LCT");
	}
	g_u32[0] = BIG;
	rc = hrtlct(g_fd, I2OLCTGET, g_iop, g_res, &g_u32[0], &err);
	check_rc("conc.after", NULL, rc, err);
	free(hrt);
	free(lct);
}

/* ------------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: i2o-suite [-d DEVICE] [-p PERSONALITY] [-t SECONDS] [-l]\n"
		"  -d DEVICE       the node to test (default $I2O_DEVICE, else /dev/i2o/ctl)\n"
		"  -p PERSONALITY  the expectation column to judge by:");
	for (int i = 0; i < NPERS; i++)
		if (i != P_LINUX_2_6_18_I386)
			fprintf(f, " %s", personality_names[i]);
	fprintf(f, " (default documented)\n"
		"  -t SECONDS      watchdog: give up when no check completes for this long (default 60)\n"
		"  -l              list the checks and their expectations, then exit\n"
		"Output: `ok - NAME` / `FAIL - NAME: ...` / `skip - NAME: ...` lines, `# ...` notes, and\n"
		"finally `N passed, N failed`. Exit 0 iff no check failed (1 failures, 2 could not run).\n");
}

static void list_checks(void)
{
	for (size_t i = 0; i < NCHECKS; i++) {
		printf("%-28s", checks[i].id);
		for (int p = 0; p < NPERS; p++) {
			const struct expect *x = &checks[i].x[p];
			switch (x->kind) {
			case XK_OK: printf(" %s=0", personality_names[p]); break;
			case XK_ERR: printf(" %s=%s", personality_names[p], errname((int)x->v)); break;
			case XK_POS: printf(" %s=>0", personality_names[p]); break;
			case XK_HOLDS: printf(" %s=holds", personality_names[p]); break;
			case XK_VAL: printf(" %s=%lld", personality_names[p], x->v); break;
			case XK_SKIP: printf(" %s=skip", personality_names[p]); break;
			default: printf(" %s=-", personality_names[p]); break;
			}
		}
		printf("  %s\n", checks[i].what);
	}
}

int main(int argc, char **argv)
{
	const char *pers = "documented";
	int opt;
	g_path = getenv("I2O_DEVICE");
	if (!g_path || !*g_path)
		g_path = "/dev/i2o/ctl";
	while ((opt = getopt(argc, argv, "d:p:t:lh")) != -1) {
		switch (opt) {
		case 'd': g_path = optarg; break;
		case 'p': pers = optarg; break;
		case 't': g_timeout = (unsigned)strtoul(optarg, NULL, 10); if (!g_timeout) g_timeout = 60; break;
		case 'l': list_checks(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	int found = 0;
	for (int i = 0; i < NPERS; i++)
		if (i != P_LINUX_2_6_18_I386 && strcmp(pers, personality_names[i]) == 0) {
			g_pers = (enum personality)i;
			found = 1;
		}
#if !(defined(__x86_64__) && !defined(__ILP32__))
	if (g_pers == P_LINUX_2_6_18)		/* a 32-bit caller goes through compat_ioctl */
		g_pers = P_LINUX_2_6_18_I386;
#endif
	if (!found) {
		fprintf(stderr, "i2o-suite: unknown personality \"%s\"\n", pers);
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < NCHECKS; i++)
		for (size_t j = i + 1; j < NCHECKS; j++)
			if (strcmp(checks[i].id, checks[j].id) == 0) {
				fprintf(stderr, "i2o-suite: duplicate check id %s in the table\n", checks[i].id);
				return 2;
			}

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);

	note("i2o-suite: device %s, personality %s, ABI %s", g_path, personality_names[g_pers], ABI_NAME);
	g_fd = open(g_path, O_RDWR);
	if (g_fd < 0) {
		int e = errno;
		fprintf(stderr, "i2o-suite: cannot open %s: %s\n", g_path, strerror(e));
		out("FAIL - open: expected %s to open, got -1 (errno %s): cannot open %s: %s\n", g_path, errname(e),
		    g_path, strerror(e));
		out("0 passed, 1 failed\n");
		return 2;
	}

	/* Buffers first, then the bad-pointer hole (so no later small mapping lands in it). */
	g_res = low_alloc(BIG);
	g_res2 = low_alloc(BIG);
	g_op = low_alloc(4096);
	g_img = low_alloc(32768);
	g_up = low_alloc(16384);
	g_u32 = low_alloc(4096);
	make_bad_pointers();

	sec_getiops();
	sec_lct();
	sec_hrt();
	sec_parmget();
	sec_parmset();
	sec_events();
	restore_devname();
	sec_sw();
	sec_validate();
	sec_html();
	sec_passthru();
	sec_misc();
	sec_concurrency();

	alarm(0);
	close(g_fd);
	if (g_skipped)
		note("%u checks skipped (no expectation in personality %s)", g_skipped, personality_names[g_pers]);
	out("%u passed, %u failed\n", g_passed, g_failed);
	return g_failed ? 1 : 0;
}
