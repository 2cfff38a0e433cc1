"""Page images of the LaTeX export for the docs: the exam of seed 17, its key and its sheets.

    python bench/pdf_pages.py [--out docs/tour/img] [--dpi 70]

Writes the exam (``nncheck generate --exam --seed 17 --format tex --key separate``) to a temporary
directory, compiles each document twice with pdflatex, and turns the pages listed in :data:`PAGES`
into PNG files with pdftoppm (poppler-utils), small enough to commit.  Needs pdflatex and pdftoppm
on the PATH.  Not a timed benchmark: it lives here with the other scripts that are run by hand.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SEED = 17
#: (document, page, image name): the cover, a page with a figure (page None: the page where the first
#: problem with a figure starts, found in the PDF, so that a change of the exam's draw keeps a figure in
#: the picture), a page of the key with matrices, the formula sheet and the answer sheet.
PAGES = (
    ("problems", 1, "exam-17-cover.png"),
    ("problems", None, "exam-17-figure.png"),
    ("key", 2, "exam-17-key.png"),
    ("formula-sheet", 1, "exam-17-formula-sheet.png"),
    ("answer-sheet", 1, "exam-17-answer-sheet.png"),
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="docs/tour/img", help="directory for the PNG files")
    ap.add_argument("--dpi", type=int, default=70, help="resolution (60-80 keeps a page under ~150 KB)")
    args = ap.parse_args()
    for tool in ("pdflatex", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp) / "exam"
        subprocess.run([sys.executable, "-m", "nncheck", "generate", "--exam", "--seed", str(SEED), "--format",
                        "tex", "--key", "separate", "-o", str(work)], check=True, stdout=subprocess.DEVNULL)
        for doc in sorted({d for d, _, _ in PAGES}):
            for _ in range(2):  # the second run has the page count in the footers
                subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{doc}.tex"], cwd=work,
                               check=True, stdout=subprocess.DEVNULL)
        for doc, page, name in PAGES:
            page = page or figure_page(work / f"{doc}.tex", work / f"{doc}.pdf")
            stem = pathlib.Path(tmp) / name.removesuffix(".png")
            subprocess.run(["pdftoppm", "-r", str(args.dpi), "-f", str(page), "-l", str(page), "-png",
                            "-singlefile", str(work / f"{doc}.pdf"), str(stem)], check=True)
            shutil.copyfile(f"{stem}.png", out / name)
            print(f"wrote {out / name} ({(out / name).stat().st_size // 1024} KB)")
    return 0


def figure_page(tex: pathlib.Path, pdf: pathlib.Path) -> int:
    """The page on which the first problem with a TikZ figure starts (page 1 when there is none)."""
    questions = tex.read_text(encoding="utf-8").split("\\question")[1:]
    number = next((k + 1 for k, q in enumerate(questions) if "\\begin{tikzpicture}" in q), None)
    if number is None:
        return 1
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    pages = int(found.group(1)) if found else 1
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        if re.search(rf"^Problem {number}\.", text, flags=re.M):
            return page
    return 1


if __name__ == "__main__":
    sys.exit(main())
