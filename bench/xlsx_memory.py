"""Memory of reading a hostile .xlsx: a small file whose shared-strings part unpacks to a
lot (issue 13, finding 7: a 3 MB file took parsing to 2.84 GB).

    .venv/bin/python bench/xlsx_memory.py                    # 25, 50, 100, 200, 400 MB unpacked
    .venv/bin/python bench/xlsx_memory.py --unpacked-mb 100 300

For each size it writes a workbook of the template's shape (a Data sheet of a header and
one row) whose sharedStrings.xml holds that many MB of short distinct strings, then parses
it with ``parse_submission`` in a fresh process and prints the file size, whether it was
refused (and why), the time and the process's peak RSS; beside it, a plain Python process
that only reads the same bytes (the baseline RSS of an interpreter holding the file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
HEADER = ["economy", "year", "indicator", "breakdown", "value", "unit", "note"]


def _sheet() -> str:
    cells = "".join(f'<c r="{chr(65 + n)}1" t="inlineStr"><is><t>{name}</t></is></c>' for n, name in enumerate(HEADER))
    row = '<c r="A2" t="s"><v>0</v></c><c r="B2"><v>2022</v></c><c r="C2" t="s"><v>1</v></c>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1">{cells}</row><row r="2">{row}</row></sheetData></worksheet>'
    )


def write_bomb(path: Path, unpacked_mb: int) -> None:
    """A workbook whose shared strings unpack to about ``unpacked_mb`` MB (short distinct strings)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet())
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>KOR</t></si><si><t>1.1.1</t></si>")
            written, number, target = 0, 0, unpacked_mb * 1_000_000
            while written < target:
                chunk = b"".join(b"<si><t>s%010d</t></si>" % (number + i) for i in range(10_000))
                part.write(chunk)
                written += len(chunk)
                number += 10_000
            part.write(b"</sst>")


PARSE = """
import json, resource, sys, time
from pathlib import Path
from smewg.core.economies import load_economies
from smewg.core.paths import ECONOMIES_FILE
from smewg.work.parse import SubmissionRejected, parse_submission
path = Path(sys.argv[1])
start = time.perf_counter()
try:
    parse_submission(path, economy="KOR", year=2022, registry=load_economies(ECONOMIES_FILE), kinds={}, max_bytes=20_000_000)
    outcome = "read"
except SubmissionRejected as error:
    outcome = "refused: " + str(error)
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
PLAIN = """
import json, resource, sys
from pathlib import Path
data = Path(sys.argv[1]).read_bytes()
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        return {"outcome": f"crashed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}", "seconds": 0, "peak_mb": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unpacked-mb", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    args = parser.parse_args()
    print(f"{'unpacked':>9} {'file':>8} {'parse s':>8} {'peak RSS':>9} {'plain RSS':>9}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.unpacked_mb:
            path = Path(folder) / f"bomb-{size}.xlsx"
            write_bomb(path, size)
            parsed, plain = _run(PARSE, path), _run(PLAIN, path)
            outcome = parsed["outcome"] if len(parsed["outcome"]) < 110 else parsed["outcome"][:107] + "..."
            print(
                f"{size:>7} MB {path.stat().st_size / 1e6:>6.1f} MB {parsed['seconds']:>8.2f} "
                f"{parsed['peak_mb']:>6,.0f} MB {plain['peak_mb']:>6,.0f} MB  {outcome}",
                flush=True,
            )


if __name__ == "__main__":
    main()
