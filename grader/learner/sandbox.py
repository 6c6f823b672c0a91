"""Operating-system isolation of a learner process (Linux).

When the grader runs as root (as in CI, or an instructor's grading machine) each learner process,
right after the zygote forks it and before any learner code runs:

- gets its own network namespace: no network at all, not even 127.0.0.1; and its own IPC
  namespace and /dev/shm (no shared memory with other processes);
- gets its own mount namespace in which every file system is read-only; its private working
  folder (a tmpfs of 512 MiB holding a copy of the submission) is the only writable place;
  every top-level folder that is not the system's (/home, /root, /tmp, /srv, ...) is covered
  by an empty tmpfs into which only Python, the grader and the working folder are bound back;
  and the folders that must stay secret (the solutions, the data, other students'
  submissions, caches) are covered by empty, unreadable mounts;
- drops to an unprivileged user of its own, so it cannot signal the grader or read root's files;
- keeps only the environment variables TensorFlow and Python need (no tokens of the grader's);
- runs under limits on processes, file size, open files, core dumps and CPU time.

Without root the learner process still runs in its own session under the same limits and the
timeouts and memory watchdog of :mod:`grader.learner.session`, but it is not isolated from the
file system or the network: :func:`capabilities` says so, and batch grading refuses to run that
way unless the instructor passes ``--no-sandbox``.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 32, 4096, 16384, 1 << 18
)
WORKDIR_BYTES = 512 * 2**20
FIRST_UID = 61000
UID_COUNT = 900
LIMITS = {
    resource.RLIMIT_NPROC: 1024,  # threads count too: TensorFlow starts dozens
    resource.RLIMIT_FSIZE: 256 * 2**20,
    resource.RLIMIT_NOFILE: 1024,
    resource.RLIMIT_CORE: 0,
}
#: Environment variables an isolated learner process keeps (prefixes); it loses the others.
ENVIRONMENT_KEPT = (
    "PATH", "LANG", "LC_", "TZ", "TERM", "PYTHON", "TF_", "TF2_", "CUDA_", "NVIDIA_", "XLA_",
    "KERAS_", "OMP_", "KMP_", "MKL_", "OPENBLAS_", "LD_LIBRARY_PATH", "HDF5_", "TPU_",
)
_KEEP_WRITABLE_FS = ("proc", "sysfs", "devtmpfs", "devpts", "mqueue", "cgroup", "cgroup2")


class SandboxError(Exception):
    """Isolation was asked for but could not be set up."""


@dataclass(frozen=True)
class Policy:
    """How one learner process is isolated; plain data, sent to the zygote with each fork."""

    isolate: bool = False
    uid: int | None = None
    hide: tuple[str, ...] = field(default_factory=tuple)
    #: CPU seconds each learner process (and each process it starts) may use in all
    cpu_seconds: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"isolate": self.isolate, "uid": self.uid, "hide": list(self.hide),
                "cpu_seconds": self.cpu_seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        uid, cpu = data.get("uid"), data.get("cpu_seconds")
        return cls(bool(data.get("isolate")), uid if type(uid) is int else None,
                   tuple(str(p) for p in data.get("hide", [])),
                   cpu if type(cpu) is int and cpu > 0 else None)


@dataclass(frozen=True)
class Capabilities:
    """What isolation this machine allows the grader."""

    root: bool
    namespaces: bool

    @property
    def isolated(self) -> bool:
        return self.root and self.namespaces

    def explain(self) -> str:
        if self.isolated:
            return "learner processes are isolated (no network, read-only files, own user)"
        why = "the grader does not run as root" if not self.root else (
            "this machine does not allow new namespaces (a container without CAP_SYS_ADMIN?)")
        return f"learner processes are NOT isolated from files and network: {why}"


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(f"{what} failed: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def capabilities() -> Capabilities:
    """Probe, in a throwaway child, whether this machine lets us isolate learner processes."""
    if os.geteuid() != 0:
        return Capabilities(root=False, namespaces=False)
    pid = os.fork()
    if pid == 0:
        ok = _libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return Capabilities(root=True, namespaces=os.waitstatus_to_exitcode(status) == 0)


def _protected() -> list[Path]:
    """Folders the learner process needs to read: Python, its packages, the grader itself."""
    import grader

    return [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
            Path(grader.__file__).resolve().parent]


def secret_folders(submission: Path) -> list[Path]:
    """What a learner must not read: solutions, tests, data, caches, neighbouring submissions."""
    import grader

    repo = Path(grader.__file__).resolve().parents[1]
    folders = [repo / "solutions", repo / "tests", repo / ".grade", Path.cwd() / ".grade",
               Path.home() / ".keras", submission.resolve().parent,
               submission.resolve().parent.parent]
    for variable in ("MNIST_DIR", "KERAS_HOME"):
        if os.environ.get(variable):
            folders.append(Path(os.environ[variable]))
    return folders


UID_LOCKS = Path("/run/lock/grade-learner-uids") if Path("/run/lock").is_dir() else Path(
    tempfile.gettempdir(), "grade-learner-uids")


class UidClaim:
    """A learner user id held by this process alone: an exclusive lock per uid, machine-wide.

    Two graders (or two batch workers) never share a uid, so one's sweep or memory watchdog
    can never touch the other's learner. The lock dies with the process that holds it.
    """

    def __init__(self) -> None:
        UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
        start = (os.getpid() * 31) % UID_COUNT
        for offset in range(UID_COUNT):
            uid = FIRST_UID + (start + offset) % UID_COUNT
            fd = os.open(UID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            sweep(uid)  # leftovers of a grader that died holding this uid
            return
        raise SandboxError(f"all {UID_COUNT} learner user ids are in use")

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def policy_for(hide: list[Path], *, uid: int, workdir: str) -> Policy:
    """An isolating policy hiding ``hide`` (except what the learner process needs to run)."""
    keep = [*_protected(), Path(workdir).resolve()]
    hidden = []
    for path in hide:
        resolved = path.resolve()
        if not resolved.is_dir() or resolved == Path("/"):
            continue
        if any(resolved == k or resolved in k.parents or k in resolved.parents for k in keep):
            continue
        hidden.append(str(resolved))
    return Policy(isolate=True, uid=uid, hide=tuple(sorted(set(hidden))))


def enter(policy: Policy, workdir: str) -> None:
    """In the freshly forked learner process: apply ``policy``. Raises SandboxError."""
    for limit, value in LIMITS.items():
        _soft, hard = resource.getrlimit(limit)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (cap, cap))
    if policy.cpu_seconds is not None:  # SIGXCPU at the soft limit, SIGKILL at the hard one
        resource.setrlimit(resource.RLIMIT_CPU, (policy.cpu_seconds, policy.cpu_seconds + 5))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, it does not kill
    if not policy.isolate:
        os.umask(0o077)
        return
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for target in policy.hide:
        if os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
    _cover_personal_folders([*map(str, _protected()), workdir])
    if policy.uid is not None:
        _open_paths_to_others([str(p) for p in _protected()], workdir)
    _read_only_everywhere()
    _private_workdir(workdir)
    if os.path.isdir("/dev/shm"):  # the host's is shared by everyone: a private, small one
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    if policy.uid is not None:
        for root, dirs, files in os.walk(workdir):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, policy.uid, policy.uid)
        os.setgroups([])
        os.setresgid(policy.uid, policy.uid, policy.uid)
        os.setresuid(policy.uid, policy.uid, policy.uid)
    for name in list(os.environ):  # the grader's secrets (tokens in CI) are not the learner's
        if not name.startswith(ENVIRONMENT_KEPT):
            del os.environ[name]
    os.environ.update(HOME=workdir, KERAS_HOME=os.path.join(workdir, ".keras"), TMPDIR=workdir)
    tempfile.tempdir = workdir  # AutoGraph writes its generated code to the temp folder
    os.umask(0o077)


#: Top-level folders of the operating system and its software, left visible (read-only);
#: every other one (/home, /root, /tmp, /srv, /mnt, a /work of checkouts, ...) is covered.
SYSTEM_FOLDERS = frozenset(
    ["bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "nix", "opt", "proc", "run",
     "sbin", "snap", "sys", "usr", "var"]
)


def _cover_personal_folders(keep: list[str]) -> None:
    """Cover every top-level folder that is not the system's with an empty tmpfs, and bind back
    into it only the folders of ``keep`` under it (Python, the grader, the working folder).

    What the learner must not read (a gradebook wherever the instructor put it, neighbours'
    submissions, caches, data) is hidden without having to be named.
    """
    by_top: dict[str, list[str]] = {}
    for path in keep:
        parts = Path(path).parts
        if len(parts) > 1:
            by_top.setdefault(parts[1], []).append(path)
    for entry in os.scandir("/"):
        if entry.name in SYSTEM_FOLDERS or not entry.is_dir(follow_symlinks=False):
            continue
        inside = [p for p in by_top.get(entry.name, []) if os.path.isdir(p)]
        if f"/{entry.name}" in inside:
            continue  # a kept folder is itself a top-level folder
        # Held open across the cover, then bound back through /proc/self/fd (no staging).
        handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in inside]
        try:
            _mount("tmpfs", entry.path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
            for path, handle in handles:
                os.makedirs(path, mode=0o755, exist_ok=True)
                _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        finally:
            for _path, handle in handles:
                os.close(handle)


def _private_workdir(workdir: str) -> None:
    """Make ``workdir`` the learner's only writable place: a tmpfs of WORKDIR_BYTES holding a
    copy of what the trusted side put there (the submission), so a learner writing file after
    file fills its own bounded folder, not the grader's disk; it vanishes with the learner."""
    files = {}
    for root, _dirs, names in os.walk(workdir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, workdir)] = handle.read()
    _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={WORKDIR_BYTES},mode=700")
    for relative, data in files.items():
        path = os.path.join(workdir, relative)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


def _closed_ancestor(path: str) -> str | None:
    """The highest folder above ``path`` that other users may not pass through, if any."""
    current = "/"
    for part in Path(path).parts[1:]:
        current = os.path.join(current, part)
        if not os.stat(current).st_mode & 0o001:
            return current
    return None


def _open_paths_to_others(paths: list[str], workdir: str) -> None:
    """Let the unprivileged learner reach ``paths`` (Python itself may live under /root).

    A closed folder above them is covered by an empty tmpfs in which only those paths are bound
    back: the learner can import Python's modules but sees nothing else of that folder.
    """
    by_ancestor: dict[str, list[str]] = {}
    for path in paths:
        ancestor = _closed_ancestor(path)
        if ancestor is not None and ancestor != path:
            by_ancestor.setdefault(ancestor, []).append(path)
    for ancestor, inside in by_ancestor.items():
        staged = []
        for index, path in enumerate(inside):
            stage = os.path.join(workdir, f".stage{index}")
            os.mkdir(stage, 0o700)
            _mount(path, stage, None, MS_BIND | MS_REC)
            staged.append((stage, path))
        _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        for stage, path in staged:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(stage, path, None, MS_BIND | MS_REC)
            _check(_libc.umount2(stage.encode(), 2), f"umount {stage}")  # MNT_DETACH
            os.rmdir(stage)


def _read_only_everywhere() -> None:
    """Remount every file system read-only in this mount namespace (not /proc, /sys, /dev)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        entries = [line.split() for line in info]
    for fields in entries:
        target = fields[4].encode().decode("unicode_escape")
        fstype = fields[fields.index("-") + 1]
        if fstype in _KEEP_WRITABLE_FS or target.startswith(("/proc", "/sys", "/dev")):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        options = set(fields[5].split(","))
        flags |= MS_NOSUID if "nosuid" in options else 0
        flags |= MS_NODEV if "nodev" in options else 0
        if _libc.mount(None, target.encode(), None, ctypes.c_ulong(flags), None) != 0:
            continue  # a mount we may not change (e.g. locked): it stays as it is


PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Be killed when ``parent`` ends (so nothing outlives a killed grader); exit if it has."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def sweep(uid: int) -> None:
    """Kill every process that runs as ``uid`` (a learner's leftovers, even detached ones)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue
