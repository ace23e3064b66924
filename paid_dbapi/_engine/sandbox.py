"""Confine the current process with Linux Landlock: no file outside a few directories, no TCP.

An engine worker calls `confine` twice. Before it loads chDB (which starts its engine threads
as it loads, and a thread keeps the rules in force when it started): TCP bind and connect
refused (Landlock ABI 4, Linux 6.7), no signal to processes outside itself (ABI 6), files
readable only where the interpreter and its packages live and in the process's own /proc
entries, writable only in the worker's own directory. Then, with chDB loaded and before any
SQL runs: files only in that directory. Descriptors already open keep working. This wall lies
below ClickHouse, so it holds even for functions the engine's settings cannot switch off
(`file()`, `INTO OUTFILE`). Elsewhere (other systems, older kernels) `confine` does nothing
and returns 0.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
#: How many filesystem rights Landlock knows, by ABI version (bit i = one right).
_FS_RIGHTS = {1: 13, 2: 14, 3: 15, 4: 15}
_EXECUTE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 2, 1 << 3
_NET_BIND_AND_CONNECT_TCP = 0b11
_SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL = 0b11


def confine(writable: str, readable: Iterable[str] = ()) -> int:
    """Allow this process (and threads it starts later) files only beneath `writable` (any
    access) and `readable` (read and execute), and no TCP connection; returns the Landlock
    ABI used, or 0 when the kernel offers none."""
    if sys.platform != "linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    abi = int(libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION))
    if abi < 1:
        return 0
    every = (1 << _FS_RIGHTS.get(abi, 16)) - 1
    if abi >= 6:
        scope = _SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL
        attr = struct.pack("QQQ", every, _NET_BIND_AND_CONNECT_TCP, scope)
    elif abi >= 4:
        attr = struct.pack("QQ", every, _NET_BIND_AND_CONNECT_TCP)
    else:
        attr = struct.pack("Q", every)
    ruleset = int(libc.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), 0))
    if ruleset < 0:
        return 0
    try:
        read = _EXECUTE | _READ_FILE | _READ_DIR
        rules = [(writable, every), *((path, read) for path in readable)]
        for path, rights in rules:
            if not os.path.isdir(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_DIRECTORY)
            try:
                rule = struct.pack("=Qi", rights, fd)
                if libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, rule, 0) != 0:
                    return 0
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        return abi if libc.syscall(_RESTRICT_SELF, ruleset, 0) == 0 else 0
    finally:
        os.close(ruleset)
