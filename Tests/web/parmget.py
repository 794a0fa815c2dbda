#!/usr/bin/env python3
"""Reads one scalar field of a device with I2OPARMGET on the node, as any client would.

    parmget.py IOP TID GROUP OFFSET WIDTH [DEVICE]     e.g. parmget.py 0 0x203 0xF102 0 64

Prints the field's bytes as text (up to the first NUL). Run it where the node is (under
`i2osim run`, with the preload library loaded: it interposes open and ioctl of the path).
The web tier uses it to see a change made in the browser through the node itself.
"""
import ctypes
import fcntl
import os
import struct
import sys

iop, tid, group, offset, width = (int(a, 0) for a in sys.argv[1:6])
device = sys.argv[6] if len(sys.argv) > 6 else "/dev/i2o/ctl"

# Operation list: OperationCount 1; FIELD_GET (1) of every field (FieldCount 0xFFFF).
ops = struct.pack("<HHHHH", 1, 0, 1, group, 0xFFFF) + b"\0\0"
opbuf = ctypes.create_string_buffer(ops, len(ops))
resbuf = ctypes.create_string_buffer(65536)
reslen = ctypes.c_uint32(65536)
# struct i2o_parm_setget, x86_64: u32 iop, tid; void *opbuf; u32 oplen; void *resbuf; u32 *reslen (40 bytes).
arg = ctypes.create_string_buffer(struct.pack("<IIQI4xQQ", iop, tid, ctypes.addressof(opbuf), len(ops),
                                              ctypes.addressof(resbuf), ctypes.addressof(reslen)), 40)
I2OPARMGET = 3 << 30 | 40 << 16 | 0x69 << 8 | 4
fd = os.open(device, os.O_RDWR)
try:
    fcntl.ioctl(fd, I2OPARMGET, arg)
finally:
    os.close(fd)
raw = resbuf.raw[:reslen.value]
# Result list: ResultCount, reserved; block: BlockSize (words), BlockStatus, ErrorInfoSize; data.
count, = struct.unpack_from("<H", raw, 0)
size, status, _ = struct.unpack_from("<HBB", raw, 4)
if count != 1 or status != 0:
    sys.exit(f"parmget: group {group:#06x} of TID {tid:#05x}: BlockStatus {status:#04x}")
field = raw[8 + offset:8 + offset + width]
print(field.split(b"\0", 1)[0].decode("utf-8", "replace"))
