/*
 * i2osim preload protocol, version 3 — the constants shared by the preload library
 * and the daemon (Swift imports this header as the CPreloadProtocol module), documented
 * in docs/preload-protocol.md. Keep it to macros: it is compiled as C and imported by Swift.
 *
 * Frame: u32 LE length N (bytes that follow, N >= 4, N <= I2OSIM_MAX_FRAME), then
 * u32 LE type, then N-4 bytes of body. All integers little-endian.
 */
#ifndef I2OSIM_PRELOAD_PROTOCOL_H
#define I2OSIM_PRELOAD_PROTOCOL_H

#define I2OSIM_PROTOCOL_VERSION 3u
#define I2OSIM_MAX_FRAME (1u << 20)

/* client -> daemon */
#define MSG_HELLO   1u  /* u32 version, u32 abi (0 lp64, 1 ilp32), u32 pid */
#define MSG_OPEN    2u  /* u32 open flags */
#define MSG_ATTACH  3u  /* u64 handle, u32 name length, name bytes (the peer's socket name) */
#define MSG_IOCTL   4u  /* u32 cmd, u32 0, u64 arg, u64 eager addr, u32 eager len, u32 eager flags, [bytes] */
#define MSG_DATA    5u  /* answer to NEED: per read {u32 status, u32 len, bytes}, per write {u32 status} */
#define MSG_READ    6u  /* u32 capacity */
#define MSG_WRITE   7u  /* u32 count */
#define MSG_POLL    8u  /* (empty) */
#define MSG_WATCH   9u  /* u32 n, u64 handle[n] — on its own connection */
#define MSG_ASYNC   10u /* u32 set (ASYNC_*), u32 on, i32 owner, i32 signal */

/* daemon -> client */
#define MSG_HELLO_OK    100u /* u32 version, u32 max frame */
#define MSG_OPENED      101u /* u64 handle */
#define MSG_NEED        102u /* u32 nreads, u32 nwrites, (nreads+nwrites) x {u64 addr, u32 len, u32 0} */
#define MSG_STORE       103u /* u64 addr, bytes */
#define MSG_RESULT      104u /* i32 value, i32 errno (0: value is the result) */
#define MSG_READ_DATA   105u /* i32 errno (0 ok, 11 would block, other: error), bytes */
#define MSG_POLL_STATUS 106u /* u32 revents: Linux poll bits (POLLIN 1, POLLOUT 4, POLLRDNORM 0x40, POLLWRNORM 0x100) */
#define MSG_READY       107u /* (empty) — a watched open file is readable */
#define MSG_ERROR       108u /* i32 errno */
#define MSG_ASYNC_STATE 109u /* i32 errno (0: changed), u32 on, i32 owner, i32 signal — the open file's state now */
#define MSG_STORE_UNCHECKED 110u /* u64 addr, bytes — a STORE whose fault does not fail the call (since version 3) */

/* eager flags */
#define EAGER_READABLE 1u
#define EAGER_WRITABLE 2u
#define EAGER_UNPROBED 4u   /* with READABLE: writability not tested (bit 1 then means nothing) */

/* ASYNC: which of the open file's O_ASYNC fields to change (none: just tell the state) */
#define ASYNC_SET_FLAG    1u  /* O_ASYNC := on (F_SETFL) */
#define ASYNC_BY_FIOASYNC 2u  /* with SET_FLAG: the change comes from FIOASYNC (ENOTTY without a fasync method) */
#define ASYNC_SET_OWNER   4u  /* F_SETOWN: owner (pid > 0, -pgrp < 0, 0 nobody) */
#define ASYNC_SET_SIGNAL  8u  /* F_SETSIG: signal (0 = SIGIO; above 64 → EINVAL) */

#endif
