"""Write the bundle's THIRD_PARTY_NOTICES.txt from what is installed: the hand-written
header (packaging/THIRD_PARTY_NOTICES.txt: models, data), then every distribution the app
needs (fer-desktop[gui], followed through its requirements) with its version, licence, the
native libraries its wheel vendors (*.libs) and its licence files' text.

After the build, `--bundle DIR` adds every native library in the built folder that no
Python package accounts for (libraries PyInstaller copied from the build machine: Qt's
platform dependencies, the C++ runtime, libpython) with the system package it came from and
that package's copyright file, and writes DIR's libraries and their licences to
THIRD_PARTY_LIBRARIES.json beside the notices (tests/test_package.py checks that none is
missing).

Run with the interpreter that builds the bundle:
    python packaging/notices.py [--bundle DIR] OUT
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
ROOT = ("fer-desktop", frozenset({"gui"}))
LICENSE_WORDS = ("LICEN", "COPYING", "NOTICE", "AUTHORS")
TEXT_SUFFIXES = ("", ".txt", ".md", ".rst", ".TXT")


def needed() -> list[metadata.Distribution]:
    """fer-desktop[gui]'s installed requirements, followed through, sorted by name."""
    seen: dict[str, metadata.Distribution] = {}
    todo = [ROOT]
    while todo:
        name, extras = todo.pop()
        dist = metadata.distribution(name)
        for line in dist.requires or []:
            req = Requirement(line)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in envs):
                continue
            key = canonicalize_name(req.name)
            if key not in seen:
                seen[key] = metadata.distribution(req.name)
                todo.append((req.name, frozenset(req.extras)))
    return sorted(seen.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    if expression := meta.get("License-Expression"):
        return expression
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License")
    ]
    short = (meta.get("License") or "").strip().splitlines()
    return "; ".join(classifiers) or (short[0] if short else "see the licence text below")


def licence_files(dist: metadata.Distribution) -> list[Path]:
    """The distribution's licence texts (its dist-info licences, LICENSE files shipped)."""
    files = [
        f
        for f in dist.files or []
        if any(w in f.name.upper() for w in LICENSE_WORDS) and f.suffix in TEXT_SUFFIXES
    ]
    return [Path(str(dist.locate_file(f))) for f in files]


def vendored(dist: metadata.Distribution) -> list[str]:
    """Shared libraries the wheel vendors in NAME.libs/ (auditwheel, delocate)."""
    libs = {f.name for f in dist.files or [] if f.parts[0].endswith((".libs", ".dylibs"))}
    return sorted(libs)


def entry(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    lines = [f"{meta['Name']} {meta['Version']}: {licence(dist)}"]
    if home := meta.get("Home-page") or next(iter(meta.get_all("Project-URL") or []), ""):
        lines.append(f"  {home}")
    if libs := vendored(dist):
        lines.append("  vendored native libraries: " + ", ".join(libs))
    for path in licence_files(dist):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text and "\x00" not in text:
            lines += [f"  --- {path.name} ---", text]
    return "\n".join(lines)


SHARED = re.compile(r"\.(so(\.\d+)*|dylib|dll|pyd)$")
LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib", "/lib")


def package_licences(dists: list[metadata.Distribution]) -> dict[str, dict]:
    """File name of every file a needed distribution installs -> its "from" ("name
    version") and "licence"."""
    owners: dict[str, dict] = {}
    for dist in dists:
        owner = {
            "from": f"{dist.metadata['Name']} {dist.metadata['Version']}",
            "licence": licence(dist),
        }
        for f in dist.files or []:
            owners.setdefault(f.name, owner)
    return owners


def system_origin(name: str) -> tuple[str, str, Path | None]:
    """(package, licence, copyright file) of a library copied from the build machine."""
    libdir = Path(sysconfig.get_config_var("LIBDIR") or "")
    dynload = Path(sysconfig.get_config_var("DESTSHARED") or "")  # the stdlib's modules
    if (name.startswith("libpython") and (libdir / name).exists()) or (dynload / name).exists():
        text = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
        return f"Python {sys.version.split()[0]}", "PSF-2.0", text if text.exists() else None
    if not shutil.which("dpkg"):
        return "", "", None
    for folder in LIB_DIRS:
        path = Path(folder) / name
        if not path.exists():
            continue
        found = subprocess.run(["dpkg", "-S", str(path)], capture_output=True, text=True)
        if found.returncode:
            found = subprocess.run(
                ["dpkg", "-S", str(path.resolve())], capture_output=True, text=True
            )
        if found.returncode:
            continue
        package = found.stdout.split(":")[0]
        version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
        ).stdout
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        return f"{package} {version} (Debian)", _debian_licence(copyright_file), copyright_file
    return "", "", None


def _debian_licence(path: Path) -> str:
    """The main "License:" of a Debian copyright file (its "Files: *" paragraph first): the
    package's, which may differ from one library's in it (the whole file goes in the
    notices)."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8", errors="replace")
    for para in text.split("\n\n"):
        if re.search(r"^Files:\s*\*\s*$", para, re.M) and (
            m := re.search(r"^License:\s*(.+)$", para, re.M)
        ):
            return m.group(1).strip()
    m = re.search(r"^License:\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else "see the copyright file"


def bundle_libraries(bundle: Path, dists: list[metadata.Distribution]) -> dict[str, dict]:
    """Every native library in the bundle -> where it came from and its licence ("" when
    nothing says)."""
    owners = package_licences(dists)
    libraries = {}
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and SHARED.search(p.name)):
        rel = path.relative_to(bundle).as_posix()
        if path.name in owners:
            libraries[rel] = owners[path.name]
            continue
        package, text, copyright_file = system_origin(path.name)
        libraries[rel] = {
            "from": package,
            "licence": text,
            "copyright": str(copyright_file) if copyright_file else "",
        }
    return libraries


def main(out: Path, bundle: Path | None = None) -> None:
    header = (HERE / "THIRD_PARTY_NOTICES.txt").read_text(encoding="utf-8").strip()
    parts = [header, "=" * 78, "Python packages in this bundle (generated by packaging/notices.py)"]
    dists = needed()
    parts += [entry(d) for d in dists]
    out.parent.mkdir(parents=True, exist_ok=True)
    if bundle is not None:
        libraries = bundle_libraries(bundle, dists)
        system = {k: v for k, v in libraries.items() if "copyright" in v}
        parts += ["=" * 78, "Native libraries copied from the build machine"]
        texts: dict[str, str] = {}
        for rel, info in system.items():
            parts.append(
                f"{rel}: {info['from'] or 'UNKNOWN ORIGIN'}: {info['licence'] or 'UNKNOWN'}"
            )
            if info["copyright"]:
                texts.setdefault(info["from"], info["copyright"])
        for origin, copyright_file in texts.items():
            text = Path(copyright_file).read_text(encoding="utf-8", errors="replace").strip()
            parts += [f"--- {origin}: {Path(copyright_file).name} ---", text]
        listing = out.with_name("THIRD_PARTY_LIBRARIES.json")
        listing.write_text(json.dumps(libraries, indent=1) + "\n", encoding="utf-8")
    out.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    bundle_dir = None
    if args[:1] == ["--bundle"]:
        bundle_dir, args = Path(args[1]), args[2:]
    main(Path(args[0]), bundle_dir)
