"""Operating-system isolation of a learner process (Linux).

Each learner process, right after the zygote forks it and before any learner code runs:

- gets its own network namespace: no network at all, not even 127.0.0.1; and its own IPC
  namespace and /dev/shm (no shared memory with other processes);
- gets its own mount namespace in which every file system is read-only; its private working
  folder (a tmpfs of 512 MiB holding a copy of the submission) is the only writable place;
  every top-level folder that is not the system's (/home, /root, /tmp, /srv, ...) is covered
  by an empty tmpfs into which only Python, the grader and the working folder are bound back;
  and the folders that must stay secret (the solutions, the data, other students'
  submissions, caches) are covered by empty, unreadable mounts;
- keeps only the environment variables TensorFlow and Python need (no tokens of the grader's);
- runs under limits on processes, file size, open files, core dumps and CPU time.

Who it runs as depends on the grader:

- **as root** (CI, a grading server) it drops to an unprivileged user id of its own, so it can
  neither signal the grader nor read root's files, and all its processes can be found and
  killed by that uid;
- **as an ordinary user** it enters a user namespace of its own (where the kernel allows it)
  and a PID namespace, in which it is PID 1 and sees no other process; /run (the user's
  sockets) is covered too, and it gives up every capability before learner code runs. It runs
  as the grader's user, so nothing of that user's may stay visible and writable: a mount that
  cannot be made read-only is an error.

Where the machine allows no new namespaces (a container without ``CAP_SYS_ADMIN``, such as
Docker's default and Gradescope's):

- **as root** the learner process still drops to a user id of its own (changing user needs no
  namespace): it cannot signal the grader, cannot read or write what only root may (the
  grader keeps its secrets there: mode 0700), cannot gain privileges through set-uid programs,
  and every process of that uid is killed when grading ends; but it sees the network and every
  world-readable file;
- **as an ordinary user** it runs as the grader's user, in its own session, under the same
  limits and the timeouts and memory watchdog of :mod:`grader.learner.session`, and is not
  isolated at all.

:func:`capabilities` says which holds, and batch grading refuses to run without namespaces
unless the instructor passes ``--no-sandbox``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
#: Without root: a user namespace of its own (in which it may mount) and a PID namespace, in which
#: it cannot see or signal any process of the grader's (it runs as the grader's own user).
USER_NAMESPACES = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18
)
#: mount options a remount must keep (inside a user namespace, changing them is refused)
_KEPT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024,
               "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24}
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
    #: False: the machine allows no namespaces; isolation is the own ``uid`` alone (as root)
    namespaces: bool = True
    hide: tuple[str, ...] = field(default_factory=tuple)
    #: what the learner process needs to read (Python, the grader, its folder), as the trusted
    #: side found it: a hidden folder holding one of them is covered with it bound back
    keep: tuple[str, ...] = field(default_factory=tuple)
    #: CPU seconds each learner process (and each process it starts) may use in all
    cpu_seconds: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"isolate": self.isolate, "uid": self.uid, "namespaces": self.namespaces,
                "hide": list(self.hide), "keep": list(self.keep),
                "cpu_seconds": self.cpu_seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        uid, cpu = data.get("uid"), data.get("cpu_seconds")
        return cls(bool(data.get("isolate")), uid if type(uid) is int else None,
                   data.get("namespaces") is not False,
                   tuple(str(p) for p in data.get("hide", [])),
                   tuple(str(p) for p in data.get("keep", [])),
                   cpu if type(cpu) is int and cpu > 0 else None)


@dataclass(frozen=True)
class Capabilities:
    """What isolation this machine allows the grader: as root, namespaces and a user id per
    learner (the user id alone where namespaces are refused); without root, user namespaces
    (where the kernel allows them to ordinary users)."""

    root: bool
    namespaces: bool
    #: root may change to a learner's user id (needs CAP_SETUID, not namespaces), and that
    #: user can read Python and what it imports
    own_user: bool = False
    #: root could change user, but that user cannot read Python or its packages
    unreadable_python: bool = False

    @property
    def isolated(self) -> bool:
        """Fully isolated: namespaces (no network, files hidden, read-only)."""
        return self.namespaces

    @property
    def protected(self) -> bool:
        """Isolated at least by a user id of the learner's own."""
        return self.namespaces or self.own_user

    def explain(self) -> str:
        if self.isolated and self.root:
            return "learner processes are isolated (no network, read-only files, own user)"
        if self.isolated:
            return ("learner processes are isolated in user namespaces (no network, read-only "
                    "files, no view of the grader's processes)")
        if self.own_user:
            return ("learner processes run as a user of their own (they cannot signal the "
                    "grader, read or write root's private files such as the results and the "
                    "hidden checks, and are all killed when grading ends) but are NOT isolated "
                    "from the network and from world-readable files: this machine does not "
                    "allow new namespaces (a container without CAP_SYS_ADMIN?)")
        why = (
            "this machine does not allow new namespaces (a container without CAP_SYS_ADMIN?)"
            if self.root else
            "the grader does not run as root and this machine does not let ordinary users "
            "create user namespaces (a container, or a kernel setting such as "
            "kernel.apparmor_restrict_unprivileged_userns)")
        if self.unreadable_python:
            why += (" and a learner's own user could not read Python or its packages here "
                    "(install them where every user may read them, e.g. /opt)")
        who = "root" if self.root else "the grader's own user"
        return (f"learner processes are NOT isolated from files and network: {why}; they run "
                f"as {who}, so they can read whatever the grader reads (hidden checks "
                "included) and write whatever it writes (results included)")


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
    """Probe, in throwaway children, whether this machine lets us isolate learner processes."""
    root = os.geteuid() == 0

    def namespaces() -> None:
        if root:
            _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
        else:  # what an unprivileged learner process will do, up to its own /proc
            _enter_user_namespaces()
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            _read_only_everywhere(strict=True)
            _drop_capabilities()

    def own_user() -> None:
        os.setgroups([])
        os.setresgid(FIRST_UID + UID_COUNT, FIRST_UID + UID_COUNT, FIRST_UID + UID_COUNT)
        os.setresuid(FIRST_UID + UID_COUNT, FIRST_UID + UID_COUNT, FIRST_UID + UID_COUNT)

    def own_user_reads_python() -> None:
        # as the zygote will import (``-P``: not this process's script folder or cwd), listed
        # as root sees them
        entries = sys.path if sys.flags.safe_path else sys.path[1:]
        needed = [str(p) for p in {*_protected(), *_import_folders(entries)} if p.is_dir()]
        own_user()
        _check_readable(needed)

    isolated = _succeeds(namespaces)
    changes_user = root and _succeeds(own_user)
    reads = changes_user and (isolated or _succeeds(own_user_reads_python))
    return Capabilities(root=root, namespaces=isolated, own_user=reads,
                        unreadable_python=changes_user and not reads)


def _succeeds(attempt: Callable[[], None]) -> bool:
    """Whether ``attempt`` runs without an exception in a throwaway child process."""
    pid = os.fork()
    if pid == 0:
        try:
            attempt()
        except BaseException:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


@functools.cache
def machine() -> Capabilities:
    """:func:`capabilities`, probed once per process."""
    return capabilities()


def _protected() -> list[Path]:
    """Folders the learner process needs to read: Python, its packages, the grader itself."""
    import site

    import grader

    folders = [Path(sys.prefix), Path(sys.base_prefix), Path(grader.__file__).parent]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path and os.path.isdir(user_site):
        folders.append(Path(user_site))  # packages installed with pip install --user
    return [folder.resolve() for folder in folders]


def _import_folders(entries: list[str] | None = None) -> list[Path]:
    """Every folder this process imports from (``entries``, by default ``sys.path``: PYTHONPATH,
    the site folders an environment's ``.pth`` files add, an image's own packages, wherever
    they live), except the course's own root and its ancestors (the grader package is kept on
    its own; solutions lie beside it)."""
    import grader

    course = Path(grader.__file__).resolve().parents[1]
    found = []
    for entry in sys.path if entries is None else entries:
        if not entry or not os.path.isdir(entry):
            continue
        path = Path(entry).resolve()
        if path != course and path not in course.parents:
            found.append(path)
    return found


def readable_by_others(path: Path) -> bool:
    """Whether a user who is neither ``path``'s owner nor in its group could read it (or, for a
    folder, open a file in it by name): what a learner's own user id could reach."""
    path = path.resolve()
    try:
        if any(not os.stat(folder).st_mode & 0o001 for folder in reversed(path.parents)):
            return False
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return bool(mode & (0o005 if path.is_dir() else 0o004))


def secret_folders(submission: Path) -> list[Path]:
    """What a learner must not read: the course's solutions and tests, data, caches,
    neighbouring submissions. (The course's probes and reference helpers are imported by the
    zygote before the learner process exists; the course folder stays covered.)"""
    import grader
    from grader.course import active_root
    from grader.errors import GraderError

    repo = Path(grader.__file__).resolve().parents[1]
    roots = [repo]
    with contextlib.suppress(GraderError):  # the course served, wherever its folder is
        roots.append(active_root())
    folders = [root / name for root in roots for name in ("solutions", "tests", ".grade")]
    folders += [Path.cwd() / ".grade",
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


#: Claims whose sessions ended, each swept as its learner was killed, kept locked for this
#: process's next session rather than released (a forked child starts with none: they are its
#: parent's).
_spare_claims: list[UidClaim] = []
os.register_at_fork(after_in_child=_spare_claims.clear)


def claim_uid() -> UidClaim:
    """A learner uid for one grading: one this process held before and swept when that
    learner ended (swept again if any process of it is left), else a new claim.

    Keeping the lock between gradings spares a batch worker a claim, and its sweep, per
    submission; two sessions alive in one process still never share a uid."""
    while _spare_claims:
        claim = _spare_claims.pop()
        if claim._fd >= 0:
            if _processes_of(claim.uid):
                sweep(claim.uid)
            return claim
    return UidClaim()


def return_uid(claim: UidClaim) -> None:
    """Give back ``claim`` after its learner was killed and swept (see :func:`claim_uid`)."""
    _spare_claims.append(claim)


def _processes_of(uid: int) -> list[int]:
    """The live processes /proc lists as running as ``uid``: not the zombies (killed, not yet
    reaped by their parent), which hold nothing and can do nothing."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid and not _zombie(entry):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _zombie(process: Path) -> bool:
    """Whether /proc's ``process`` has exited and only waits to be reaped."""
    state = (process / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    return state in (b"Z", b"X")


def policy_for(hide: list[Path], *, uid: int | None, workdir: str,
               namespaces: bool = True) -> Policy:
    """An isolating policy hiding ``hide``, each folder by its real path (symlinks and relative
    paths resolved).

    A hidden folder may hold what the learner process needs (a submission in ``~/Downloads``
    hides ``~``, which holds the course and its Python): :func:`enter` covers it and binds
    those folders back. A hidden folder inside one of them is covered all the same; only one of
    them itself (or ``/``) cannot be hidden.

    ``namespaces`` False (root in a container that refuses them): the policy is the learner's
    own ``uid`` alone; what must stay secret has to be private to root (see
    :func:`readable_by_others`).
    """
    keep = [*_protected(), Path(workdir).resolve()]
    hidden = []
    for path in hide:
        resolved = path.resolve()
        if not resolved.is_dir() or resolved == Path("/") or resolved in keep:
            continue
        hidden.append(str(resolved))
    return Policy(isolate=True, uid=uid, namespaces=namespaces,
                  hide=tuple(sorted(set(hidden))), keep=tuple(sorted({str(k) for k in keep})))


def enter(policy: Policy, workdir: str, parent: int) -> None:
    """In the freshly forked learner process: apply ``policy``; the learner dies with ``parent``
    (the zygote). Raises SandboxError.

    As root the process drops to the policy's own uid. Without root (``policy.uid`` is None) it
    enters user namespaces and forks: the process that returns is the learner, PID 1 of its own
    PID namespace; this one stays behind as its relay (see :func:`_enter_user_namespaces`).
    """
    for limit, value in LIMITS.items():
        _soft, hard = resource.getrlimit(limit)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (cap, cap))
    if policy.cpu_seconds is not None:  # SIGXCPU at the soft limit, SIGKILL at the hard one
        resource.setrlimit(resource.RLIMIT_CPU, (policy.cpu_seconds, policy.cpu_seconds + 5))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, it does not kill
    if not policy.isolate:
        os.umask(0o077)
        die_with_parent(parent)
        return
    own_user = policy.uid is not None
    workdir = os.path.realpath(workdir)  # mounts go on real paths (a symlinked /tmp, TMPDIR)
    keep = sorted({*policy.keep, *map(str, _protected()), *map(str, _import_folders()), workdir})
    if own_user and not policy.namespaces:
        needed = [k for k in keep if os.path.isdir(k)]  # as root sees them
        _become(policy.uid, workdir, parent)
        _check_readable(needed)
        _learner_environment(workdir)
        return
    if own_user:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    else:
        _enter_user_namespaces(parent)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for target in policy.hide:  # shallow first: a deeper one is then already covered
        _cover(target, keep, secret=True)
    _cover_personal_folders(keep)
    if own_user:
        _open_paths_to_others([k for k in keep if k != workdir and os.path.isdir(k)], workdir)
    else:
        # The learner runs as the grader's user: its sockets (/run/user/UID: the session bus,
        # a docker.sock its groups open) ignore read-only mounts, so /run goes too; and a /proc
        # of its own PID namespace shows none of the grader's processes.
        if os.path.isdir("/run"):
            _mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _read_only_everywhere(strict=not own_user)
    _private_workdir(workdir)
    if os.path.isdir("/dev/shm"):  # the host's is shared by everyone: a private, small one
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    if own_user:
        _become(policy.uid, workdir, parent)
    else:
        _drop_capabilities()
    _learner_environment(workdir)


def _become(uid: int, workdir: str, parent: int) -> None:
    """Hand ``workdir`` to ``uid`` and become it for good: no groups, no way back to root, no
    set-uid program that could lend root's rights again; die with ``parent``."""
    for root, dirs, files in os.walk(workdir):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    die_with_parent(parent)  # set after the user change, which clears it


def _check_readable(folders: list[str]) -> None:
    """Without namespaces nothing can be bound into reach: each folder the learner imports from
    must already be readable to its user."""
    for folder in folders:
        if not os.access(folder, os.R_OK | os.X_OK):
            raise SandboxError(
                f"learner processes run as a user of their own and cannot read {folder}; "
                "install Python and its packages where every user may read them (e.g. /opt)")


def _learner_environment(workdir: str) -> None:
    """The learner's environment: none of the grader's variables (tokens in CI) but the few
    TensorFlow and Python need; its folder as home and temporary folder; private new files."""
    for name in list(os.environ):
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
    for entry in os.scandir("/"):
        if entry.name not in SYSTEM_FOLDERS and entry.is_dir(follow_symlinks=False):
            _cover(entry.path, keep, secret=False)


def _cover(folder: str, keep: list[str], *, secret: bool) -> None:
    """Cover ``folder`` with an empty tmpfs and bind back into it the folders of ``keep`` that
    lie under it; nothing else of it stays visible. A ``secret`` folder holding none of them
    is made unreadable too. A folder that is one of ``keep`` (or inside one) stays as it is.

    Every path is a real one (no symlinks), as :func:`policy_for` and :func:`enter` make them.
    """
    if not os.path.isdir(folder) or any(
            folder == k or (not secret and _is_under(folder, k)) for k in keep):
        return
    inside = [path for path in keep if _is_under(path, folder) and os.path.isdir(path)]
    if secret and not inside:
        _mount("tmpfs", folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
        return
    # Held open across the cover, then bound back through /proc/self/fd (no staging).
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in inside]
    try:
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        for path, handle in handles:
            try:
                os.makedirs(path, mode=0o755, exist_ok=True)
            except OSError as exc:
                raise SandboxError(f"cannot bind {path} back into {folder}: "
                                   f"{exc.strerror}") from None
            _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
    finally:
        for _path, handle in handles:
            os.close(handle)
    # Read-only at once: a cover later covered itself can no longer be reached to remount.
    _mount(None, folder, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _is_under(path: str, folder: str) -> bool:
    """Whether ``path`` lies strictly below ``folder`` (both real, absolute paths)."""
    return path.startswith(folder.rstrip("/") + "/")


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


def _read_only_everywhere(*, strict: bool) -> None:
    """Remount every file system read-only in this mount namespace (not /proc, /sys, /dev).

    ``strict``: a mount that cannot be made read-only is an error (the learner runs as the
    grader's own user, so a writable mount would be writable to it); else it stays as it is
    (a learner with a user of its own cannot write root's files anyway).
    """
    with open("/proc/self/mountinfo", encoding="utf-8") as info:
        entries = [line.split() for line in info]
    for fields in entries:
        target = fields[4].encode().decode("unicode_escape")
        fstype = fields[fields.index("-") + 1]
        if fstype in _KEEP_WRITABLE_FS or target.startswith(("/proc", "/sys", "/dev")):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in fields[5].split(","):
            flags |= _KEPT_FLAGS.get(option, 0)
        changed = _libc.mount(None, target.encode(), None, ctypes.c_ulong(flags), None) == 0
        if not changed and strict and "ro" not in fields[5].split(","):
            raise SandboxError(f"cannot make {target} read-only: "
                               f"{os.strerror(ctypes.get_errno())}")


PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="ascii") as handle:
            handle.write(text)
    except OSError as exc:
        raise SandboxError(f"writing {path} failed: {exc.strerror}") from None


def _enter_user_namespaces(parent: int | None = None) -> None:
    """Unshare user, PID, mount, network and IPC namespaces, then fork.

    The child returns: PID 1 of the new PID namespace (when it ends, the kernel kills every
    process left in it), the grader's own uid and gid mapped to themselves, every capability
    inside its user namespace (to mount) until :func:`_drop_capabilities`. This process never
    returns: it waits for the child and ends as the child ended, so the trusted side sees the
    learner's own exit status. Killing it kills the child (its parent-death signal).
    """
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(USER_NAMESPACES), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    pid = os.fork()
    if pid == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return
    _relay(pid, parent)


def _relay(child: int, parent: int | None) -> None:
    """Wait for ``child`` and end the same way (its exit code, or killed by its signal)."""
    if parent is not None:
        die_with_parent(parent)
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # the child's sockets
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(70)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 70)


class _CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilityData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    """Give up every capability (the user namespace's mounts then stay as they are) and the
    means of gaining any (no set-uid programs)."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    header = _CapabilityHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapabilityData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def die_with_parent(parent: int) -> None:
    """Be killed when ``parent`` ends (so nothing outlives a killed grader); exit if it has."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def sweep_unclaimed() -> list[int]:
    """Kill the processes of every learner uid that no grader holds (a worker killed mid-grading
    leaves its learner's detached processes behind); return those uids. A uid another grader
    holds is left alone: its own sweep is that grader's."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            uid = entry.stat().st_uid if entry.name.isdigit() else -1
        except OSError:
            continue
        if FIRST_UID <= uid < FIRST_UID + UID_COUNT:
            found.add(uid)
    swept = []
    if found:
        UID_LOCKS.mkdir(mode=0o700, parents=True, exist_ok=True)
    for uid in sorted(found):
        try:
            fd = os.open(UID_LOCKS / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue
        else:
            sweep(uid)
            swept.append(uid)
        finally:
            os.close(fd)
    return swept


def sweep(uid: int) -> None:
    """Kill every process that runs as ``uid`` (a learner's leftovers, even detached ones).

    A child becomes ``uid`` and sends SIGKILL to every process it may signal, at once (the
    kernel's ``kill(-1)``: a process forking as fast as it can cannot slip past); then the
    leftovers /proc still lists (set-uid programs started before) are killed one by one.
    """
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        except BaseException:
            os._exit(1)
        os._exit(0)
    os.waitpid(pid, 0)
    for other in _processes_of(uid):
        with contextlib.suppress(OSError):
            os.kill(other, signal.SIGKILL)
