"""DejaVu Serif (LICENSE.txt), the fonts of Pitchey's PDF documents. A layer of its own (PdfFontsLayer), used
only by the functions that render PDFs, so the shared layer stays small."""

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
