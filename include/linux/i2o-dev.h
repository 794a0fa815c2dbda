/*
 * <linux/i2o-dev.h> for user space — I2O user-space control interface (/dev/i2o/ctl).
 *
 * A user-space mirror of the header Linux 2.6.18 exported (include/linux/i2o-dev.h), written
 * from i2osim's docs (docs/ioctl-abi.md §Numbers, §Layouts, docs/i2o-formats.md), not copied from the kernel.
 * Kernel types (u8, u32, __user) are replaced by <linux/types.h> types, so it compiles as is
 * (the 2.6.18 original used the kernel-only `u8` in I2OGETIOPS).
 *
 * Layouts follow the C ABI the header is compiled for: pointers are 8 bytes on x86_64 and
 * 4 bytes on i386, so struct sizes and therefore the ioctl numbers differ between the two
 * (docs/ioctl-abi.md §Numbers, §Layouts). Both are pinned below with _Static_assert.
 */
#ifndef _I2O_DEV_H
#define _I2O_DEV_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <stddef.h>

#define MAX_I2O_CONTROLLERS	32

/* ioctl numbers (magic 'i'). The direction bits do not describe the real data flow:
 * I2OVALIDATE takes the IOP number by value, I2OPASSTHRU reads and writes, and I2OEVTGET
 * encodes sizeof(struct i2o_evt_info) = 104 although 112 bytes (struct i2o_evt_get) are
 * written. */
#define I2O_MAGIC_NUMBER	'i'
#define I2OGETIOPS		_IOR(I2O_MAGIC_NUMBER, 0, __u8[MAX_I2O_CONTROLLERS])
#define I2OHRTGET		_IOWR(I2O_MAGIC_NUMBER, 1, struct i2o_cmd_hrtlct)
#define I2OLCTGET		_IOWR(I2O_MAGIC_NUMBER, 2, struct i2o_cmd_hrtlct)
#define I2OPARMSET		_IOWR(I2O_MAGIC_NUMBER, 3, struct i2o_cmd_psetget)
#define I2OPARMGET		_IOWR(I2O_MAGIC_NUMBER, 4, struct i2o_cmd_psetget)
#define I2OSWDL			_IOWR(I2O_MAGIC_NUMBER, 5, struct i2o_sw_xfer)
#define I2OSWUL			_IOWR(I2O_MAGIC_NUMBER, 6, struct i2o_sw_xfer)
#define I2OSWDEL		_IOWR(I2O_MAGIC_NUMBER, 7, struct i2o_sw_xfer)
#define I2OVALIDATE		_IOR(I2O_MAGIC_NUMBER, 8, __u32)
#define I2OHTML			_IOWR(I2O_MAGIC_NUMBER, 9, struct i2o_html)
#define I2OEVTREG		_IOW(I2O_MAGIC_NUMBER, 10, struct i2o_evt_id)
#define I2OEVTGET		_IOR(I2O_MAGIC_NUMBER, 11, struct i2o_evt_info)
#define I2OPASSTHRU		_IOR(I2O_MAGIC_NUMBER, 12, struct i2o_cmd_passthru)
#define I2OPASSTHRU32		_IOR(I2O_MAGIC_NUMBER, 12, struct i2o_cmd_passthru32)

/* PASSTHRU with a 32-bit message address (what a 32-bit process on a 64-bit kernel uses). */
struct i2o_cmd_passthru32 {
	unsigned int iop;	/* IOP unit number */
	__u32 msg;		/* user address of the message frame (reply follows it) */
};

struct i2o_cmd_passthru {
	unsigned int iop;	/* IOP unit number */
	void *msg;		/* message frame; the reply area follows it */
};

/* HRTGET, LCTGET */
struct i2o_cmd_hrtlct {
	unsigned int iop;	/* IOP unit number */
	void *resbuf;		/* buffer for the result */
	unsigned int *reslen;	/* in: capacity in bytes; out: table length */
};

/* PARMGET, PARMSET */
struct i2o_cmd_psetget {
	unsigned int iop;	/* IOP unit number */
	unsigned int tid;	/* target device TID */
	void *opbuf;		/* operation list */
	unsigned int oplen;	/* operation list length in bytes */
	void *resbuf;		/* result list buffer */
	unsigned int *reslen;	/* in: capacity in bytes; out: result list length */
};

/* SWDL, SWUL, SWDEL */
struct i2o_sw_xfer {
	unsigned int iop;	/* IOP unit number */
	unsigned char flags;	/* DownloadFlags / UploadFlags / RemoveFlags */
	unsigned char sw_type;	/* SwType */
	unsigned int sw_id;	/* SwID */
	void *buf;		/* this fragment's data */
	unsigned int *swlen;	/* total image size in bytes */
	unsigned int *maxfrag;	/* number of fragments */
	unsigned int *curfrag;	/* current fragment, 1-based */
};

/* HTML (UtilConfigDialog) */
struct i2o_html {
	unsigned int iop;	/* IOP unit number */
	unsigned int tid;	/* target device TID */
	unsigned int page;	/* HTML page number */
	void *resbuf;		/* buffer for the reply page */
	unsigned int *reslen;	/* in: capacity in bytes; out: page length */
	void *qbuf;		/* HTTP query/post string */
	unsigned int qlen;	/* query length in bytes, 0 = none */
};

#define I2O_EVT_Q_LEN		32

struct i2o_evt_id {
	unsigned int iop;
	unsigned int tid;
	unsigned int evt_mask;	/* EVTREG: mask to register; EVTGET: the indicator that fired */
};

/* Event data size = frame size - message header + event indicator */
#define I2O_EVT_DATA_SIZE	88

struct i2o_evt_info {
	struct i2o_evt_id id;
	unsigned char evt_data[I2O_EVT_DATA_SIZE];
	unsigned int data_size;	/* bytes valid in evt_data */
};

struct i2o_evt_get {
	struct i2o_evt_info info;
	int pending;		/* events still queued after this one */
	int lost;		/* events dropped because the queue was full (cumulative) */
};

typedef struct i2o_sg_io_hdr {
	unsigned int flags;	/* I2O_DPT_SG_FLAG_* */
} i2o_sg_io_hdr_t;

/* DPT extensions (used by i2o_scsi's SG_IO path, not by /dev/i2o/ctl) */
#define I2O_DPT_SG_FLAG_INTERPRET	0x00010000
#define I2O_DPT_SG_FLAG_PHYSICAL	0x00020000
#define I2O_DPT_FLASH_FRAG_SIZE		0x10000
#define I2O_DPT_FLASH_READ		0x0101
#define I2O_DPT_FLASH_WRITE		0x0102
#define I2O_VENDOR_DPT			0x001b

/* HRT bus types (HRT entry word 1 bits 24-31) */
#define I2O_BUS_LOCAL		0
#define I2O_BUS_ISA		1
#define I2O_BUS_EISA		2
#define I2O_BUS_MCA		3
#define I2O_BUS_PCI		4
#define I2O_BUS_PCMCIA		5
#define I2O_BUS_NUBUS		6
#define I2O_BUS_CARDBUS		7
#define I2O_BUS_UNKNOWN		0x80

/* Class codes (LCT ClassID, 12 bits; docs/i2o-formats.md §Classes) */
#define I2O_CLASS_VERSION_10			0x00
#define I2O_CLASS_VERSION_11			0x01
#define I2O_CLASS_EXECUTIVE			0x000
#define I2O_CLASS_DDM				0x001
#define I2O_CLASS_RANDOM_BLOCK_STORAGE		0x010
#define I2O_CLASS_SEQUENTIAL_STORAGE		0x011
#define I2O_CLASS_LAN				0x020
#define I2O_CLASS_WAN				0x030
#define I2O_CLASS_FIBRE_CHANNEL_PORT		0x040
#define I2O_CLASS_FIBRE_CHANNEL_PERIPHERAL	0x041
#define I2O_CLASS_SCSI_PERIPHERAL		0x051
#define I2O_CLASS_ATE_PORT			0x060
#define I2O_CLASS_ATE_PERIPHERAL		0x061
#define I2O_CLASS_FLOPPY_CONTROLLER		0x070
#define I2O_CLASS_FLOPPY_DEVICE			0x071
#define I2O_CLASS_BUS_ADAPTER			0x080
#define I2O_CLASS_BUS_ADAPTER_PORT		I2O_CLASS_BUS_ADAPTER	/* 2.4 / SIG name */
#define I2O_CLASS_PEER_TRANSPORT_AGENT		0x090
#define I2O_CLASS_PEER_TRANSPORT		0x091
#define I2O_CLASS_END				0xfff
#define I2O_CLASS_MATCH_ANYCLASS		0xffffffff

/* Subclasses */
#define I2O_SUBCLASS_i960			0x001
#define I2O_SUBCLASS_HDM			0x020
#define I2O_SUBCLASS_ISM			0x021

/* Parameter operations (operation list, docs/i2o-formats.md §ParamLists) */
#define I2O_PARAMS_FIELD_GET		0x0001
#define I2O_PARAMS_LIST_GET		0x0002
#define I2O_PARAMS_MORE_GET		0x0003
#define I2O_PARAMS_SIZE_GET		0x0004
#define I2O_PARAMS_TABLE_GET		0x0005
#define I2O_PARAMS_FIELD_SET		0x0006
#define I2O_PARAMS_LIST_SET		0x0007
#define I2O_PARAMS_ROW_ADD		0x0008
#define I2O_PARAMS_ROW_DELETE		0x0009
#define I2O_PARAMS_TABLE_CLEAR		0x000A

/* Result block BlockStatus (docs/i2o-formats.md §ParamLists) */
#define I2O_PARAMS_STATUS_SUCCESS		0x00
#define I2O_PARAMS_STATUS_BAD_KEY_ABORT		0x01
#define I2O_PARAMS_STATUS_BAD_KEY_CONTINUE	0x02
#define I2O_PARAMS_STATUS_BUFFER_FULL		0x03
#define I2O_PARAMS_STATUS_BUFFER_TOO_SMALL	0x04
#define I2O_PARAMS_STATUS_FIELD_UNREADABLE	0x05
#define I2O_PARAMS_STATUS_FIELD_UNWRITEABLE	0x06
#define I2O_PARAMS_STATUS_INSUFFICIENT_FIELDS	0x07
#define I2O_PARAMS_STATUS_INVALID_GROUP_ID	0x08
#define I2O_PARAMS_STATUS_INVALID_OPERATION	0x09
#define I2O_PARAMS_STATUS_NO_KEY_FIELD		0x0A
#define I2O_PARAMS_STATUS_NO_SUCH_FIELD		0x0B
#define I2O_PARAMS_STATUS_NON_DYNAMIC_GROUP	0x0C
#define I2O_PARAMS_STATUS_OPERATION_ERROR	0x0D
#define I2O_PARAMS_STATUS_SCALAR_ERROR		0x0E
#define I2O_PARAMS_STATUS_TABLE_ERROR		0x0F
#define I2O_PARAMS_STATUS_WRONG_GROUP_TYPE	0x10

/* Reply ReqStatus (reply word 4 bits 24-31, docs/i2o-formats.md §Status) */
#define I2O_REPLY_STATUS_SUCCESS			0x00
#define I2O_REPLY_STATUS_ABORT_DIRTY			0x01
#define I2O_REPLY_STATUS_ABORT_NO_DATA_TRANSFER		0x02
#define I2O_REPLY_STATUS_ABORT_PARTIAL_TRANSFER		0x03
#define I2O_REPLY_STATUS_ERROR_DIRTY			0x04
#define I2O_REPLY_STATUS_ERROR_NO_DATA_TRANSFER		0x05
#define I2O_REPLY_STATUS_ERROR_PARTIAL_TRANSFER		0x06
#define I2O_REPLY_STATUS_PROCESS_ABORT_DIRTY		0x08
#define I2O_REPLY_STATUS_PROCESS_ABORT_NO_DATA_TRANSFER	0x09
#define I2O_REPLY_STATUS_PROCESS_ABORT_PARTIAL_TRANSFER	0x0A
#define I2O_REPLY_STATUS_TRANSACTION_ERROR		0x0B
#define I2O_REPLY_STATUS_PROGRESS_REPORT		0x80

/* DetailedStatusCode (reply word 4 bits 0-15, docs/i2o-formats.md §Status) */
#define I2O_DSC_SUCCESS				0x0000
#define I2O_DSC_BAD_KEY				0x0002
#define I2O_DSC_TCL_ERROR			0x0003
#define I2O_DSC_REPLY_BUFFER_FULL		0x0004
#define I2O_DSC_NO_SUCH_PAGE			0x0005
#define I2O_DSC_INSUFFICIENT_RESOURCE_SOFT	0x0006
#define I2O_DSC_INSUFFICIENT_RESOURCE_HARD	0x0007
#define I2O_DSC_CHAIN_BUFFER_TOO_LARGE		0x0009
#define I2O_DSC_UNSUPPORTED_FUNCTION		0x000A
#define I2O_DSC_DEVICE_LOCKED			0x000B
#define I2O_DSC_DEVICE_RESET			0x000C
#define I2O_DSC_INAPPROPRIATE_FUNCTION		0x000D
#define I2O_DSC_INVALID_INITIATOR_ADDRESS	0x000E
#define I2O_DSC_INVALID_MESSAGE_FLAGS		0x000F
#define I2O_DSC_INVALID_OFFSET			0x0010
#define I2O_DSC_INVALID_PARAMETER		0x0011
#define I2O_DSC_INVALID_REQUEST			0x0012
#define I2O_DSC_INVALID_TARGET_ADDRESS		0x0013
#define I2O_DSC_MESSAGE_TOO_LARGE		0x0014
#define I2O_DSC_MESSAGE_TOO_SMALL		0x0015
#define I2O_DSC_MISSING_PARAMETER		0x0016
#define I2O_DSC_TIMEOUT				0x0017
#define I2O_DSC_UNKNOWN_ERROR			0x0018
#define I2O_DSC_UNKNOWN_FUNCTION		0x0019
#define I2O_DSC_UNSUPPORTED_VERSION		0x001A
#define I2O_DSC_DEVICE_BUSY			0x001B
#define I2O_DSC_DEVICE_NOT_AVAILABLE		0x001C

/* Transport FailureCode (failure reply word 4 byte 3) */
#define I2O_FSC_TRANSPORT_SERVICE_SUSPENDED		0x81
#define I2O_FSC_TRANSPORT_SERVICE_TERMINATED		0x82
#define I2O_FSC_TRANSPORT_CONGESTION			0x83
#define I2O_FSC_TRANSPORT_FAILURE			0x84
#define I2O_FSC_TRANSPORT_STATE_ERROR			0x85
#define I2O_FSC_TRANSPORT_TIME_OUT			0x86
#define I2O_FSC_TRANSPORT_ROUTING_FAILURE		0x87
#define I2O_FSC_TRANSPORT_INVALID_VERSION		0x88
#define I2O_FSC_TRANSPORT_INVALID_OFFSET		0x89
#define I2O_FSC_TRANSPORT_INVALID_MSG_FLAGS		0x8A
#define I2O_FSC_TRANSPORT_FRAME_TOO_SMALL		0x8B
#define I2O_FSC_TRANSPORT_FRAME_TOO_LARGE		0x8C
#define I2O_FSC_TRANSPORT_INVALID_TARGET_ID		0x8D
#define I2O_FSC_TRANSPORT_INVALID_INITIATOR_ID		0x8E
#define I2O_FSC_TRANSPORT_INVALID_INITIATOR_CONTEXT	0x8F
#define I2O_FSC_TRANSPORT_UNKNOWN_FAILURE		0xFF

/* Event indicators (EventMask / EventIndicator, docs/i2o-formats.md §Events) — all classes */
#define I2O_EVT_IND_STATE_CHANGE		0x80000000
#define I2O_EVT_IND_GENERAL_WARNING		0x40000000
#define I2O_EVT_IND_CONFIGURATION_FLAG		0x20000000
#define I2O_EVT_IND_LOCK_RELEASE		0x10000000
#define I2O_EVT_IND_CAPABILITY_CHANGE		0x08000000
#define I2O_EVT_IND_DEVICE_RESET		0x04000000
#define I2O_EVT_IND_EVT_MASK_MODIFIED		0x02000000
#define I2O_EVT_IND_FIELD_MODIFIED		0x01000000
#define I2O_EVT_IND_VENDOR_EVT			0x00800000
#define I2O_EVT_IND_DEVICE_STATE		0x00400000

/* Executive */
#define I2O_EVT_IND_EXEC_RESOURCE_LIMITS	0x00000001
#define I2O_EVT_IND_EXEC_CONNECTION_FAIL	0x00000002
#define I2O_EVT_IND_EXEC_ADAPTER_FAULT		0x00000004
#define I2O_EVT_IND_EXEC_POWER_FAIL		0x00000008
#define I2O_EVT_IND_EXEC_RESET_PENDING		0x00000010
#define I2O_EVT_IND_EXEC_RESET_IMMINENT		0x00000020
#define I2O_EVT_IND_EXEC_HW_FAIL		0x00000040
#define I2O_EVT_IND_EXEC_XCT_CHANGE		0x00000080
#define I2O_EVT_IND_EXEC_NEW_LCT_ENTRY		0x00000100
#define I2O_EVT_IND_EXEC_MODIFIED_LCT		0x00000200
#define I2O_EVT_IND_EXEC_DDM_AVAILABILITY	0x00000400

/* Random block storage */
#define I2O_EVT_IND_BSA_VOLUME_LOAD		0x00000001
#define I2O_EVT_IND_BSA_VOLUME_UNLOAD		0x00000002
#define I2O_EVT_IND_BSA_VOLUME_UNLOAD_REQ	0x00000004
#define I2O_EVT_IND_BSA_CAPACITY_CHANGE		0x00000008
#define I2O_EVT_IND_BSA_SCSI_SMART		0x00000010

/* Event data for generic events */
#define I2O_EVT_STATE_CHANGE_NORMAL		0x00
#define I2O_EVT_STATE_CHANGE_SUSPENDED		0x01
#define I2O_EVT_STATE_CHANGE_RESTART		0x02
#define I2O_EVT_STATE_CHANGE_NA_RECOVER		0x03
#define I2O_EVT_STATE_CHANGE_NA_NO_RECOVER	0x04
#define I2O_EVT_STATE_CHANGE_QUIESCE_REQUEST	0x05
#define I2O_EVT_STATE_CHANGE_FAILED		0x10
#define I2O_EVT_STATE_CHANGE_FAULTED		0x11

#define I2O_EVT_GEN_WARNING_NORMAL		0x00
#define I2O_EVT_GEN_WARNING_ERROR_THRESHOLD	0x01
#define I2O_EVT_GEN_WARNING_MEDIA_FAULT		0x02

#define I2O_EVT_CAPABILITY_OTHER		0x01
#define I2O_EVT_CAPABILITY_CHANGED		0x02

#define I2O_EVT_SENSOR_STATE_CHANGED		0x01

/* Software module types (SwType; the kernel header names only 0x11, 0x22, 0x23) */
#define I2O_SOFTWARE_MODULE_IRTOS		0x11
#define I2O_SOFTWARE_MODULE_IOP_PRIVATE		0x22
#define I2O_SOFTWARE_MODULE_IOP_CONFIG		0x23

/* I2O device states (IOP status block IopState) */
#define ADAPTER_STATE_INITIALIZING		0x01
#define ADAPTER_STATE_RESET			0x02
#define ADAPTER_STATE_HOLD			0x04
#define ADAPTER_STATE_READY			0x05
#define ADAPTER_STATE_OPERATIONAL		0x08
#define ADAPTER_STATE_FAILED			0x10
#define ADAPTER_STATE_FAULTED			0x11

/*
 * Layout and ioctl-number pins (docs/ioctl-abi.md §Numbers, §Layouts). These are the numbers the kernel ABI
 * fixed; a mismatch means this header no longer describes /dev/i2o/ctl.
 */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define _I2O_ASSERT(c, m) _Static_assert(c, m)
#elif defined(__cplusplus) && __cplusplus >= 201103L
#define _I2O_ASSERT(c, m) static_assert(c, m)
#endif

#ifdef _I2O_ASSERT
/* ABI-independent */
_I2O_ASSERT(sizeof(struct i2o_evt_id) == 12, "i2o_evt_id is 12 bytes");
_I2O_ASSERT(offsetof(struct i2o_evt_id, tid) == 4, "i2o_evt_id.tid at 4");
_I2O_ASSERT(offsetof(struct i2o_evt_id, evt_mask) == 8, "i2o_evt_id.evt_mask at 8");
_I2O_ASSERT(sizeof(struct i2o_evt_info) == 104, "i2o_evt_info is 104 bytes");
_I2O_ASSERT(offsetof(struct i2o_evt_info, evt_data) == 12, "i2o_evt_info.evt_data at 12");
_I2O_ASSERT(offsetof(struct i2o_evt_info, data_size) == 100, "i2o_evt_info.data_size at 100");
_I2O_ASSERT(sizeof(struct i2o_evt_get) == 112, "i2o_evt_get is 112 bytes");
_I2O_ASSERT(offsetof(struct i2o_evt_get, pending) == 104, "i2o_evt_get.pending at 104");
_I2O_ASSERT(offsetof(struct i2o_evt_get, lost) == 108, "i2o_evt_get.lost at 108");
_I2O_ASSERT(sizeof(struct i2o_cmd_passthru32) == 8, "i2o_cmd_passthru32 is 8 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_passthru32, msg) == 4, "i2o_cmd_passthru32.msg at 4");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, flags) == 4, "i2o_sw_xfer.flags at 4");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, sw_type) == 5, "i2o_sw_xfer.sw_type at 5");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, sw_id) == 8, "i2o_sw_xfer.sw_id at 8");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, tid) == 4, "i2o_cmd_psetget.tid at 4");
_I2O_ASSERT(offsetof(struct i2o_html, tid) == 4, "i2o_html.tid at 4");
_I2O_ASSERT(offsetof(struct i2o_html, page) == 8, "i2o_html.page at 8");

_I2O_ASSERT(I2OGETIOPS == 0x80206900u, "I2OGETIOPS");
_I2O_ASSERT(I2OVALIDATE == 0x80046908u, "I2OVALIDATE");
_I2O_ASSERT(I2OEVTREG == 0x400C690Au, "I2OEVTREG");
_I2O_ASSERT(I2OEVTGET == 0x8068690Bu, "I2OEVTGET");
_I2O_ASSERT(I2OPASSTHRU32 == 0x8008690Cu, "I2OPASSTHRU32");

#if defined(__x86_64__) && !defined(__ILP32__)
_I2O_ASSERT(sizeof(struct i2o_cmd_hrtlct) == 24, "x86_64 i2o_cmd_hrtlct is 24 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_hrtlct, resbuf) == 8, "x86_64 i2o_cmd_hrtlct.resbuf at 8");
_I2O_ASSERT(offsetof(struct i2o_cmd_hrtlct, reslen) == 16, "x86_64 i2o_cmd_hrtlct.reslen at 16");
_I2O_ASSERT(sizeof(struct i2o_cmd_psetget) == 40, "x86_64 i2o_cmd_psetget is 40 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, opbuf) == 8, "x86_64 i2o_cmd_psetget.opbuf at 8");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, oplen) == 16, "x86_64 i2o_cmd_psetget.oplen at 16");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, resbuf) == 24, "x86_64 i2o_cmd_psetget.resbuf at 24");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, reslen) == 32, "x86_64 i2o_cmd_psetget.reslen at 32");
_I2O_ASSERT(sizeof(struct i2o_sw_xfer) == 48, "x86_64 i2o_sw_xfer is 48 bytes");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, buf) == 16, "x86_64 i2o_sw_xfer.buf at 16");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, swlen) == 24, "x86_64 i2o_sw_xfer.swlen at 24");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, maxfrag) == 32, "x86_64 i2o_sw_xfer.maxfrag at 32");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, curfrag) == 40, "x86_64 i2o_sw_xfer.curfrag at 40");
_I2O_ASSERT(sizeof(struct i2o_html) == 48, "x86_64 i2o_html is 48 bytes");
_I2O_ASSERT(offsetof(struct i2o_html, resbuf) == 16, "x86_64 i2o_html.resbuf at 16");
_I2O_ASSERT(offsetof(struct i2o_html, reslen) == 24, "x86_64 i2o_html.reslen at 24");
_I2O_ASSERT(offsetof(struct i2o_html, qbuf) == 32, "x86_64 i2o_html.qbuf at 32");
_I2O_ASSERT(offsetof(struct i2o_html, qlen) == 40, "x86_64 i2o_html.qlen at 40");
_I2O_ASSERT(sizeof(struct i2o_cmd_passthru) == 16, "x86_64 i2o_cmd_passthru is 16 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_passthru, msg) == 8, "x86_64 i2o_cmd_passthru.msg at 8");

_I2O_ASSERT(I2OHRTGET == 0xC0186901u, "x86_64 I2OHRTGET");
_I2O_ASSERT(I2OLCTGET == 0xC0186902u, "x86_64 I2OLCTGET");
_I2O_ASSERT(I2OPARMSET == 0xC0286903u, "x86_64 I2OPARMSET");
_I2O_ASSERT(I2OPARMGET == 0xC0286904u, "x86_64 I2OPARMGET");
_I2O_ASSERT(I2OSWDL == 0xC0306905u, "x86_64 I2OSWDL");
_I2O_ASSERT(I2OSWUL == 0xC0306906u, "x86_64 I2OSWUL");
_I2O_ASSERT(I2OSWDEL == 0xC0306907u, "x86_64 I2OSWDEL");
_I2O_ASSERT(I2OHTML == 0xC0306909u, "x86_64 I2OHTML");
_I2O_ASSERT(I2OPASSTHRU == 0x8010690Cu, "x86_64 I2OPASSTHRU");
#elif defined(__i386__)
_I2O_ASSERT(sizeof(struct i2o_cmd_hrtlct) == 12, "i386 i2o_cmd_hrtlct is 12 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_hrtlct, resbuf) == 4, "i386 i2o_cmd_hrtlct.resbuf at 4");
_I2O_ASSERT(offsetof(struct i2o_cmd_hrtlct, reslen) == 8, "i386 i2o_cmd_hrtlct.reslen at 8");
_I2O_ASSERT(sizeof(struct i2o_cmd_psetget) == 24, "i386 i2o_cmd_psetget is 24 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, opbuf) == 8, "i386 i2o_cmd_psetget.opbuf at 8");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, oplen) == 12, "i386 i2o_cmd_psetget.oplen at 12");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, resbuf) == 16, "i386 i2o_cmd_psetget.resbuf at 16");
_I2O_ASSERT(offsetof(struct i2o_cmd_psetget, reslen) == 20, "i386 i2o_cmd_psetget.reslen at 20");
_I2O_ASSERT(sizeof(struct i2o_sw_xfer) == 28, "i386 i2o_sw_xfer is 28 bytes");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, buf) == 12, "i386 i2o_sw_xfer.buf at 12");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, swlen) == 16, "i386 i2o_sw_xfer.swlen at 16");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, maxfrag) == 20, "i386 i2o_sw_xfer.maxfrag at 20");
_I2O_ASSERT(offsetof(struct i2o_sw_xfer, curfrag) == 24, "i386 i2o_sw_xfer.curfrag at 24");
_I2O_ASSERT(sizeof(struct i2o_html) == 28, "i386 i2o_html is 28 bytes");
_I2O_ASSERT(offsetof(struct i2o_html, resbuf) == 12, "i386 i2o_html.resbuf at 12");
_I2O_ASSERT(offsetof(struct i2o_html, reslen) == 16, "i386 i2o_html.reslen at 16");
_I2O_ASSERT(offsetof(struct i2o_html, qbuf) == 20, "i386 i2o_html.qbuf at 20");
_I2O_ASSERT(offsetof(struct i2o_html, qlen) == 24, "i386 i2o_html.qlen at 24");
_I2O_ASSERT(sizeof(struct i2o_cmd_passthru) == 8, "i386 i2o_cmd_passthru is 8 bytes");
_I2O_ASSERT(offsetof(struct i2o_cmd_passthru, msg) == 4, "i386 i2o_cmd_passthru.msg at 4");

_I2O_ASSERT(I2OHRTGET == 0xC00C6901u, "i386 I2OHRTGET");
_I2O_ASSERT(I2OLCTGET == 0xC00C6902u, "i386 I2OLCTGET");
_I2O_ASSERT(I2OPARMSET == 0xC0186903u, "i386 I2OPARMSET");
_I2O_ASSERT(I2OPARMGET == 0xC0186904u, "i386 I2OPARMGET");
_I2O_ASSERT(I2OSWDL == 0xC01C6905u, "i386 I2OSWDL");
_I2O_ASSERT(I2OSWUL == 0xC01C6906u, "i386 I2OSWUL");
_I2O_ASSERT(I2OSWDEL == 0xC01C6907u, "i386 I2OSWDEL");
_I2O_ASSERT(I2OHTML == 0xC01C6909u, "i386 I2OHTML");
_I2O_ASSERT(I2OPASSTHRU == 0x8008690Cu, "i386 I2OPASSTHRU");
#endif
#undef _I2O_ASSERT
#endif /* _I2O_ASSERT */

#endif /* _I2O_DEV_H */
