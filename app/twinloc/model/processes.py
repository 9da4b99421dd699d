"""Whether a process still runs: how autosave markers and temporary files tell a crashed writer."""

from __future__ import annotations

import os

#: Largest process id any supported system hands out (pid_t is a signed 32-bit integer).
MAX_PID = 2**31 - 1


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs.

    A reused id reads as alive, so callers err on the side of keeping a file. An id that no
    process can have (< 1 or > :data:`MAX_PID`, e.g. parsed from a stray file name) is not alive.
    """
    if not 1 <= pid <= MAX_PID:
        return False
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists
    try:
        exit_code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(exit_code))
        return exit_code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
