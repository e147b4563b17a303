#!/usr/bin/python
"""Module flaskstack.web.static_precompress: gzip and brotli variants of a whole static tree."""

from __future__ import annotations

import gzip
import os
import stat
import tempfile
from collections.abc import Callable
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskstack.web.plugins.module_utils.static_precompress import (
    SUFFIXES,
    action,
    normalize_extensions,
    skip_reason,
    variant_state,
    worth_keeping,
)

DOCUMENTATION = r"""
module: static_precompress
short_description: Write gzip and brotli variants of every text asset of a static tree
description:
  - Walks O(path) once and writes, next to every file whose extension is in O(extensions) and
    whose size is at least O(min_size), a gzip variant (C(.gz), level 9) and a brotli variant
    (C(.br), quality 11), the way WhiteNoise compresses a Django app's static files at build
    time. Nginx serves them with C(gzip_static) and C(brotli_static) and spends no CPU
    compressing static files.
  - Each variant gets its source's mtime, mode, owner and group, and is written to a temporary
    file in the same directory then renamed over, so a reader never sees half a variant.
  - Idempotent. A variant whose mtime equals its source's is fresh and left alone without
    reading the source; a missing variant, or a stale one (another mtime, or not a regular file),
    is written again. A compressed form that is not smaller than its source is not written, and a
    stale variant of such a file is removed (Nginx would serve its old content).
  - Files that are compressed already (C(.gz), C(.br), C(.zst), ...) and symbolic links inside
    the tree are never compressed. O(path) itself may be a link to the directory (a release's
    C(static) link).
  - A missing O(path) is not an error (an app without static files); the module reports it
    with RV(exists=false) and changes nothing.
  - Brotli needs the C(brotli) Python module on the host (Debian's C(python3-brotli)); the
    module fails naming the package when C(br) is asked for and it is missing.
version_added: 1.0.0
author: flaskstack.web
options:
  path:
    description: The static directory (absolute).
    type: path
    required: true
  extensions:
    description: The extensions of the files to compress, with or without a dot, any case.
    type: list
    elements: str
    required: true
  min_size:
    description: Files smaller than this many bytes are left alone.
    type: int
    default: 256
  encodings:
    description: The variants to write.
    type: list
    elements: str
    choices: [gzip, br]
    default: [gzip, br]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Precompress the release's static files
  flaskstack.web.static_precompress:
    path: /srv/app/releases/abc123/static
    extensions: [css, js, mjs, svg, json, txt, html, xml, map, wasm, ico, webmanifest]
    min_size: 256
"""

RETURN = r"""
exists:
  description: Whether O(path) exists.
  returned: always
  type: bool
files:
  description: How many files of the tree are to have variants (extension and size match).
  returned: always
  type: int
written:
  description: The variants written (in check mode, that would be), relative to O(path).
  returned: always
  type: list
  elements: str
removed:
  description: Stale variants removed (in check mode, that would be), relative to O(path).
  returned: always
  type: list
  elements: str
fresh:
  description: How many variants were already up to date.
  returned: always
  type: int
not_smaller:
  description: How many variants were not written because they were not smaller than the source.
  returned: always
  type: int
bytes:
  description:
    - Per encoding, the bytes of the sources compressed by this run (C(source)) and of their
      written variants (C(compressed)). In check mode the sources are compressed too, so the
      figures are those a real run would give.
  returned: always
  type: dict
"""


def _compressors(
    encodings: list[str], module: AnsibleModule
) -> dict[str, Callable[[bytes], bytes]]:
    out: dict[str, Callable[[bytes], bytes]] = {}
    for encoding in encodings:
        if encoding == "gzip":
            # mtime=0 and no file name in the header: the same bytes for the same source.
            out["gzip"] = lambda data: gzip.compress(data, compresslevel=9, mtime=0)
        elif encoding == "br":
            try:
                import brotli  # only when brotli is asked for
            except ImportError:
                module.fail_json(
                    msg="brotli variants need the Python module brotli on the host"
                    " (Debian: apt-get install python3-brotli), or encodings without br."
                )
            out["br"] = lambda data: brotli.compress(data, quality=11)
    return out


def _write(path: str, data: bytes, source: os.stat_result) -> None:
    handle, staged = tempfile.mkstemp(
        dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}."
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(staged, stat.S_IMODE(source.st_mode))
        os.chown(staged, source.st_uid, source.st_gid)
        os.utime(staged, ns=(source.st_atime_ns, source.st_mtime_ns))
        os.replace(staged, path)
    except BaseException:
        if os.path.lexists(staged):
            os.unlink(staged)
        raise


def run(module: AnsibleModule) -> dict[str, Any]:
    root = os.path.realpath(module.params["path"])
    extensions = normalize_extensions(module.params["extensions"])
    min_size: int = module.params["min_size"]
    encodings: list[str] = list(dict.fromkeys(module.params["encodings"]))
    result: dict[str, Any] = {
        "changed": False,
        "exists": os.path.isdir(root),
        "files": 0,
        "written": [],
        "removed": [],
        "fresh": 0,
        "not_smaller": 0,
        "bytes": {name: {"source": 0, "compressed": 0} for name in encodings},
    }
    if not result["exists"]:
        if os.path.lexists(root):
            module.fail_json(msg=f"{module.params['path']} is not a directory", **result)
        return result
    compressors = _compressors(encodings, module)
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            source_path = os.path.join(directory, name)
            try:
                source = os.lstat(source_path)
            except FileNotFoundError:  # a stale variant this walk removed
                continue
            if not stat.S_ISREG(source.st_mode):
                continue
            if skip_reason(name, source.st_size, extensions, min_size) is not None:
                continue
            result["files"] += 1
            data: bytes | None = None
            for encoding in encodings:
                variant_path = source_path + SUFFIXES[encoding]
                relative = os.path.relpath(variant_path, root)
                try:
                    variant: os.stat_result | None = os.lstat(variant_path)
                except FileNotFoundError:
                    variant = None
                state = variant_state(
                    source.st_mtime_ns,
                    None if variant is None else variant.st_mtime_ns,
                    variant is not None and stat.S_ISREG(variant.st_mode),
                )
                if state == "fresh":
                    result["fresh"] += 1
                    continue
                if data is None:
                    with open(source_path, "rb") as handle:
                        data = handle.read()
                compressed = compressors[encoding](data)
                todo = action(state, worth_keeping(len(data), len(compressed)))
                if todo == "write":
                    result["written"].append(relative)
                    result["bytes"][encoding]["source"] += len(data)
                    result["bytes"][encoding]["compressed"] += len(compressed)
                    if not module.check_mode:
                        _write(variant_path, compressed, source)
                else:
                    result["not_smaller"] += 1
                    if todo == "remove":
                        result["removed"].append(relative)
                        if not module.check_mode:
                            os.unlink(variant_path)
    result["changed"] = bool(result["written"] or result["removed"])
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "extensions": {"type": "list", "elements": "str", "required": True},
            "min_size": {"type": "int", "default": 256},
            "encodings": {
                "type": "list",
                "elements": "str",
                "choices": ["gzip", "br"],
                "default": ["gzip", "br"],
            },
        },
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
