"""PDF documents (letters, receipts, later convocations and invoices), fpdf2."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class Document(FPDF):
    """An A4 page in a font that has French letters (DejaVu when installed)."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(20, 20, 20)
        self.add_page()
        if FONT.exists():
            self.add_font("DejaVu", fname=str(FONT))
            if FONT_BOLD.exists():
                self.add_font("DejaVu", style="B", fname=str(FONT_BOLD))
            self.family_name = "DejaVu"
        else:
            self.family_name = "Helvetica"
        self.set_font(self.family_name, size=11)

    def text_of(self, text: str) -> str:
        if self.family_name != "Helvetica":
            return text
        # The built-in font only knows Latin-1.
        replaced = text.replace("’", "'").replace("œ", "oe").replace("Œ", "OE")
        return replaced.encode("latin-1", "replace").decode("latin-1")

    def paragraph(self, text: str = "", size: float = 11, bold: bool = False) -> None:
        style = (
            "B" if bold and (self.family_name != "DejaVu" or FONT_BOLD.exists()) else ""
        )
        self.set_font(self.family_name, style=style, size=size)
        self.multi_cell(
            0, size * 0.55, self.text_of(text), new_x="LMARGIN", new_y="NEXT"
        )

    def to_bytes(self) -> bytes:
        return bytes(self.output())
