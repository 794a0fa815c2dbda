/*
 * suite.h — what the sections of the C suite share: the device, the machine as discovered
 * (GETIOPS, LCTGET), buffers below 4 GiB, bad pointers, canary helpers, and the checks more
 * than one section makes. The sections themselves are the sec-*.c files.
 */
#ifndef SUITE_H
#define SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "../clientlib/i2o-client.h"
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* The device and the machine as discovered                                                    */
/* ------------------------------------------------------------------------------------------ */

#define BIG 65536u
#define MAX_LCT_ENTRIES 1024

struct lct_entry { unsigned tid; uint32_t classword; unsigned user_tid, parent_tid; };

extern const char *g_path;		/* the node under test */
extern int g_fd;			/* the file the sections use */
extern unsigned char g_iops[MAX_I2O_CONTROLLERS];
extern int g_have_iops;
extern unsigned g_iop;			/* the IOP under test */
extern unsigned g_noiop;		/* an IOP number with no IOP */
extern int g_have_lct;
extern struct lct_entry g_lct[MAX_LCT_ENTRIES];
extern unsigned g_nlct;
extern int g_have_dev;
extern unsigned g_dev_tid;		/* a device (not the executive) */
extern uint32_t g_dev_class;		/* its LCT class word */
extern unsigned g_unknown_tid;		/* a TID not in the LCT and not 0 */

/* Reference result of FIELD_GET 0xF100 all fields on the device (for PASSTHRU and concurrency). */
extern uint8_t g_ref_parm[BIG];
extern unsigned g_ref_parm_len;

const struct lct_entry *lct_find(unsigned tid);
/* Opens the node again; says so in a note when it cannot. */
int open_dev(int flags);

/* ------------------------------------------------------------------------------------------ */
/* Memory: everything below 4 GiB (SGL addresses are 32-bit), bad pointers, the canary        */
/* ------------------------------------------------------------------------------------------ */

extern uint8_t *g_res, *g_res2, *g_op, *g_img, *g_up;
extern unsigned *g_u32;			/* a few u32 cells for reslen/swlen/maxfrag/curfrag */

/* The buffers above, then the bad-pointer hole (so no later small mapping lands in it). */
void alloc_buffers(void);

/* Bad user pointers: a page that was mapped and then unmapped, and the address 1. */
#define NBAD 2
extern const char *const bad_names[NBAD];	/* the check suffixes: "unmapped", "addr1" */
void *bad_ptr(int i);

#define CANARY 0xA5
void fill(void *p, size_t n);				/* n bytes of the canary */
long touched(const void *p, size_t from, size_t to);	/* first byte in [from, to) not the canary, or -1 */
long first_diff(const void *a, const void *b, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Checks and calls more than one section makes                                                */
/* ------------------------------------------------------------------------------------------ */

/* A call with a too-small *reslen: `r` judges it (ENOBUFS); then `untouched`, that *reslen says
 * the length `len` and nothing reached buf (or, when the call did not fail as expected, a
 * dependency failure for `why`). */
void check_short(struct row *r, struct row *untouched, const char *sfx, int rc, int err, const uint8_t *buf,
		 unsigned reslen, unsigned len, const char *why);

/* HRTGET and LCTGET make the same checks on their tables (hrtlct.c), each with its own rows. */
struct hrtlct_kind {
	unsigned long req;
	const char *ioctl;	/* "HRTGET", "LCTGET": in the messages */
	const char *table;	/* "HRT", "LCT" */
	unsigned minlen;	/* the shortest table (its header) */
	int mult4;		/* the length is a multiple of 4 */
	struct {
		struct row *short4, *short4_reslen, *short4_untouched;	/* `prefix`.short, .short.* */
		struct row *tail;
		struct row *short1, *short1_untouched;
		struct row *nullbuf, *badbuf, *badreslen, *badstruct, *noiop;
		struct row *each;
	} rows;
};
/* The rows of those checks, in a section's ROWS table: HRTLCT_ROWS(X, HRTGET, "hrtget") makes
 * HRTGET_SHORT "hrtget.short" and the rest, the same contract for both ioctls (docs/kernels.md
 * §HRTGET, §LCTGET: LCTGET's steps 1-4 are HRTGET's) but for one column pair: what the kernel
 * personalities answer to .short.untouched and .short1.untouched, ID_KERNELS_UNTOUCHED. The
 * kernels copy the whole HRT on ENOBUFS, past the end of a short buffer, so that is not checked
 * there; LCTGET copies nothing. */
#define HRTGET_KERNELS_UNTOUCHED SKIP
#define LCTGET_KERNELS_UNTOUCHED HOLDS
#define HRTLCT_ROWS(X, ID, prefix) \
	/* id                     name                         documented    2.6.18                   2.4                      compat32 */ \
	X(ID##_SHORT,             prefix ".short",             ERR(ENOBUFS), ERR(ENOBUFS),            ERR(ENOBUFS),            ERR(EINVAL), #ID " with *reslen 4") \
	X(ID##_SHORT_RESLEN,      prefix ".short.reslen",      HOLDS,        HOLDS,                   HOLDS,                   SKIP,        #ID " short: the needed length is written to *reslen") \
	X(ID##_SHORT_UNTOUCHED,   prefix ".short.untouched",   HOLDS,        ID##_KERNELS_UNTOUCHED,  ID##_KERNELS_UNTOUCHED,  SKIP,        #ID " short: nothing copied to resbuf") \
	X(ID##_TAIL,              prefix ".tail",              HOLDS,        HOLDS,                   HOLDS,                   SKIP,        #ID ": bytes after *reslen untouched") \
	X(ID##_SHORT1,            prefix ".short1",            ERR(ENOBUFS), ERR(ENOBUFS),            ERR(ENOBUFS),            SKIP,        #ID " with *reslen = length - 1") \
	X(ID##_SHORT1_UNTOUCHED,  prefix ".short1.untouched",  HOLDS,        ID##_KERNELS_UNTOUCHED,  ID##_KERNELS_UNTOUCHED,  SKIP,        #ID " length-1: nothing copied, length written") \
	X(ID##_NULLBUF,           prefix ".nullbuf",           ERR(EFAULT),  ERR(EFAULT),             ERR(EFAULT),             ERR(EINVAL), #ID " with resbuf NULL") \
	X(ID##_BADBUF,            prefix ".badbuf",            ERR(EFAULT),  ERR(EFAULT),             ERR(EFAULT),             ERR(EINVAL), #ID " with a bad resbuf") \
	X(ID##_BADRESLEN,         prefix ".badreslen",         ERR(EFAULT),  ERR(EFAULT),             ERR(EFAULT),             ERR(EINVAL), #ID " with a bad reslen pointer") \
	X(ID##_NOIOP,             prefix ".noiop",             ERR(ENXIO),   ERR(ENXIO),              ERR(ENXIO),              ERR(EINVAL), #ID " on an IOP number with no IOP") \
	X(ID##_BADSTRUCT,         prefix ".badstruct",         ERR(EFAULT),  ERR(EFAULT),             ERR(EFAULT),             ERR(EINVAL), #ID " with a bad struct pointer") \
	X(ID##_EACH,              prefix ".each",              OK,           OK,                      OK,                      ERR(EINVAL), #ID " on every IOP GETIOPS reports")
/* The section's struct hrtlct_kind, over those rows of its table `rows`: the ioctl I2O<ID>, its
 * table's name, the shortest table and whether the length is a multiple of 4. */
#define HRTLCT_KIND(ID, table, minlen, mult4) { \
	I2O##ID, #ID, (table), (minlen), (mult4), { \
		&rows[ID##_SHORT], &rows[ID##_SHORT_RESLEN], &rows[ID##_SHORT_UNTOUCHED], &rows[ID##_TAIL], \
		&rows[ID##_SHORT1], &rows[ID##_SHORT1_UNTOUCHED], \
		&rows[ID##_NULLBUF], &rows[ID##_BADBUF], &rows[ID##_BADRESLEN], &rows[ID##_BADSTRUCT], \
		&rows[ID##_NOIOP], &rows[ID##_EACH], \
	} }
/* `prefix`.short: learn the length with *reslen 4. Returns it, or 0 when it is unknown. */
unsigned hrtlct_learn(const struct hrtlct_kind *k);
/* `prefix`.tail: the call that wrote *reslen `got` (at most BIG) wrote nothing past it in g_res. */
void hrtlct_tail(const struct hrtlct_kind *k, unsigned got);
/* `prefix`.short1: *reslen one less than the length `len` (0 = unknown). */
void hrtlct_short1(const struct hrtlct_kind *k, unsigned len);
/* `prefix`.nullbuf, .badbuf, .badreslen, .badstruct and .noiop. */
void hrtlct_pointers(const struct hrtlct_kind *k);
/* `prefix`.each: the call on every IOP GETIOPS reports. */
void hrtlct_each(const struct hrtlct_kind *k);

/* DeviceName (0xF102 field 0, 64 bytes) of the device under test. */
int read_devname(int fd, uint8_t out[64], int *rc_out, int *err_out);	/* 1 when read */
int set_devname(int fd, const uint8_t name[64], unsigned *reslen, int *err);	/* result in g_res */
void make_name(uint8_t name[64], const char *tag, unsigned n);
/* A FIELD_MODIFIED event on the device, caused from file fd: DeviceName set to
 * make_name(tag, (*n)++) (result in g_res, *reslen in g_u32[2]). 1 when the PARMSET succeeded
 * with BlockStatus 0, else 0 after a note. */
int cause_field_modified(int fd, const char *tag, unsigned *n);
/* EVTGET on fd until its queue is empty (at most 64 events). */
void drain_events(int fd);

/* `r`: the result list res, *reslen len, is one block with BlockStatus status (a PARMGET or
 * PARMSET the IOP answered in the block, not the ioctl). */
int check_one_block(struct row *r, const char *sfx, const uint8_t *res, unsigned len, unsigned status);

/* ------------------------------------------------------------------------------------------ */
/* The sections, in the order they run                                                        */
/* ------------------------------------------------------------------------------------------ */

extern const struct section sec_getiops, sec_lctget, sec_hrtget, sec_parmget, sec_parmset, sec_events, sec_poll,
	sec_parmset_restore, sec_sw, sec_validate, sec_html, sec_reslen, sec_passthru, sec_misc, sec_concurrency;

#endif
