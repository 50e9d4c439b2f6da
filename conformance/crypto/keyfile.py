"""`--key-password-file FILE` / `--key-password-env VAR`, and a private key file read as a command reads one.

Integrators keep their GOST signing keys as encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY"). Every command that reads
a private key from a user's file (`smev-conformance sign --key`, `sample --key`, `pki issue --key`, `pki show`, the
bus double's `serve`/`run`/`replay --keys DIR` smev.key.pem) adds the two options with `add_key_password_options`,
resolves them once into bytes with `key_password`, and reads the key with `read_private_key`, which turns every
failure into one line naming the key file (exit 2). The password itself is never an argument: `ps` and the shell's
history would show it. A password given for a key that is not encrypted is accepted and not used (as `openssl
pkey -passin` does), so that one command line serves before and after a key is encrypted. An empty password (an
empty first line, an empty variable) is refused as the mistake it almost always is.

Decrypting is the native backend's (OpenSSL's PBES2: AES, GOST 28147-89, Kuznyechik); with `--crypto pure`, or
where OpenSSL's GOST engine is missing, an encrypted key is refused with what to do instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from conformance.crypto.backends import Backend, BackendUnavailable
from conformance.crypto.gostasn1 import KeyPasswordError
from conformance.crypto.keyformats import load_private_key
from conformance.crypto.keys import PrivateKey
from conformance.errors import ConformanceError, InputError, UsageError

MAX_PASSWORD_FILE = 64 * 1024
"""A password file holds one line: bigger files are refused, not read."""
MAX_KEY_FILE = 1024 * 1024
"""A PKCS#8 GOST key is a few hundred bytes; bigger files are refused, not read."""
GIVE_PASSWORD = "give its password with --key-password-file FILE or --key-password-env VAR"


def add_key_password_options(parser: argparse.ArgumentParser, what: str = "the --key file") -> None:
    """The two ways to give the password of the encrypted private key `what` describes (e.g. "the --key file")."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-password-file", metavar="FILE",
                       help=f"password of {what} when it is encrypted (PKCS#8): the first line of FILE. No option "
                            "takes the password itself: ps and shell history would show it")
    group.add_argument("--key-password-env", metavar="VAR",
                       help=f"password of {what} when it is encrypted: the value of the environment variable VAR "
                            "(its name, not the password)")


def key_password(args: argparse.Namespace, key_given: bool, key_option: str = "--key") -> bytes | None:
    """The password the options give, as bytes (None: none given); refused (exit 2) when it cannot be read, is
    empty, or there is no key file (`key_given` false: `key_option` is absent) it could open."""
    path, variable = args.key_password_file, args.key_password_env
    if path is None and variable is None:
        return None
    option = "--key-password-file" if path is not None else "--key-password-env"
    if not key_given:
        raise UsageError(f"{option} gives the password of an encrypted private key: without {key_option} there is "
                         "no key file to decrypt")
    if path is not None:
        return _password_from_file(path)
    value = os.environ.get(variable)
    if value is None:
        raise UsageError(f"--key-password-env {variable}: the environment variable {variable} is not set")
    if not value:
        raise UsageError(f"--key-password-env {variable}: the environment variable {variable} is empty")
    return value.encode("utf-8", "surrogateescape")  # the bytes the environment holds


def _password_from_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PASSWORD_FILE + 1)
    except OSError as exc:
        raise InputError(f"cannot read the key password file (--key-password-file): {exc.strerror or exc}",
                         path=path) from None
    if len(data) > MAX_PASSWORD_FILE:
        raise InputError(f"a key password file holds one line; this one is over {MAX_PASSWORD_FILE} bytes "
                         "(--key-password-file)", path=path)
    line = data.split(b"\n", 1)[0].removesuffix(b"\r")
    if not line:
        raise InputError("the key password file's first line is empty: it must hold the password "
                         "(--key-password-file)", path=path)
    return line


def read_private_key(path: str | Path, password: bytes | None, backend: Backend | None) -> PrivateKey:
    """The private key in the file at `path` ('-': standard input), decrypted with `password` by `backend` when
    it is encrypted; `InputError` naming the file (and, for a missing password, the options) otherwise."""
    return decode_private_key(_read_key_file(str(path)), str(path), password, backend)


def decode_private_key(data: bytes, path: str, password: bytes | None, backend: Backend | None) -> PrivateKey:
    """`read_private_key` of bytes already read from `path`."""
    try:
        return load_private_key(data, password=password, backend=backend)
    except KeyPasswordError as exc:
        if password is None:
            raise InputError(f"the private key is encrypted: {GIVE_PASSWORD}", path=path) from None
        raise InputError(f"{exc}; check --key-password-file or --key-password-env", path=path) from None
    except BackendUnavailable as exc:
        raise InputError(str(exc), path=path) from None
    except ConformanceError as exc:
        raise InputError(f"not a usable GOST private key: {exc}", path=path) from None


def _read_key_file(name: str) -> bytes:
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_KEY_FILE + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise InputError(f"cannot read the private key: {exc.strerror or exc}", path=name) from None
    if len(data) > MAX_KEY_FILE:
        raise InputError(f"not a private key: over {MAX_KEY_FILE} bytes", path=name)
    return data
