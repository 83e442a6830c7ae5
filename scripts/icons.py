#!/usr/bin/env python3
"""Builds crates/server/static/icons.svg, the UI's icon sprite, from Lucide.

Source: the npm package lucide-static (ISC license, https://lucide.dev), fetched
with `npm pack`. Only the icons listed here go into the sprite; each becomes a
<symbol id="NAME"> used as <svg><use href="/static/icons.svg#NAME"/></svg>.

    python3 scripts/icons.py            # rebuild with the pinned version
    python3 scripts/icons.py --help
"""
import argparse
import pathlib
import re
import subprocess
import tarfile
import tempfile

VERSION = "0.469.0"
ICONS = [
    "bell", "house", "users", "circle-plus", "user", "log-out", "bot", "volume-x", "sparkles", "check",
    "party-popper", "lock", "pin", "message-circle", "flag", "triangle-alert", "circle-check", "thumbs-up",
    "thumbs-down", "circle-help", "hand", "settings", "megaphone", "chevron-down", "languages", "reply",
    "smile-plus", "at-sign", "shield", "inbox", "repeat", "circle", "plus", "trophy", "award", "star", "tag", "eye", "pencil", "trash-2", "filter", "flame", "calendar-check", "gift",
    "calendar-days", "building-2", "clock", "map-pin", "ticket", "scan-line",
]
OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/server/static/icons.svg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", default=VERSION, help=f"lucide-static version (default {VERSION})")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"lucide-static@{args.version}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(pathlib.Path(tmp).glob("lucide-static-*.tgz"))
        with tarfile.open(tgz) as t:
            symbols = []
            for name in ICONS:
                svg = t.extractfile(f"package/icons/{name}.svg").read().decode()
                inner = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
                inner = re.sub(r"\s*\n\s*", "", inner)
                symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24">{inner}</symbol>')
    OUT.write_text(
        f"<!-- Icons from Lucide (lucide-static {args.version}), ISC License, https://lucide.dev/license."
        " Built by scripts/icons.py. -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg" fill="none" stroke="currentColor" stroke-width="2"'
        ' stroke-linecap="round" stroke-linejoin="round">\n' + "\n".join(symbols) + "\n</svg>\n"
    )
    print(f"wrote {OUT} ({len(ICONS)} icons)")


if __name__ == "__main__":
    main()
