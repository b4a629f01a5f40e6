"""One test group per format parser, plus the registry's error messages."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfWriter

from mexma_search.documents import SUPPORTED_EXTENSIONS, IngestError, parse_bytes, parse_document
from mexma_search.documents.formats.html import html_to_text
from mexma_search.documents.formats.markdown import strip_markdown
from mexma_search.encoder.bitext import read_bitext


def unit_texts(path: Path, **options: str) -> list[str]:
    doc = parse_document(path, **options)
    return [doc.text[unit.start : unit.end] for unit in doc.units]


class TestPlainText:
    def test_keeps_paragraphs_and_normalises_line_endings(self) -> None:
        doc = parse_bytes(b"  First line.\r\nSecond line.\r\n\r\nNext paragraph.\r\n", "a.txt")
        assert doc.text == "First line.\nSecond line.\n\nNext paragraph."
        assert doc.format == "txt"
        assert [doc.text[u.start : u.end] for u in doc.units] == [doc.text]

    def test_drops_control_characters(self) -> None:
        assert parse_bytes(b"The mill\x00 is old.\x07", "a.txt").text == "The mill is old."

    def test_blank_file_fails(self) -> None:
        with pytest.raises(IngestError, match=r"empty\.txt: contains no text"):
            parse_bytes(b" \n\n ", "empty.txt")


class TestMarkdown:
    def test_fixture(self, docs: Path) -> None:
        doc = parse_document(docs / "river_fr.md")
        assert doc.title == "La vieille rivière"  # the leading heading
        text = doc.text
        assert text.startswith("La rivière prend sa source")
        assert "M. Hale, le passeur" in text  # **bold** removed
        assert "assez claire pour" in text  # *emphasis* removed
        assert "mène au vieux moulin." in text  # link -> link text
        assert "example.org" not in text
        assert "#" not in text.split("niveau_eau")[0]  # heading markers gone
        assert "Pêche à la truite" in text and "- Pêche" not in text
        assert "niveau_eau = 1.85  # mètres" in text  # code kept verbatim
        assert "```" not in text

    @pytest.mark.parametrize(
        ("markdown", "expected"),
        [
            ("## Title ##", "Title"),
            ("Use `pip install` now", "Use pip install now"),
            ("![a mill](mill.png) by the [river][r]", "a mill by the river"),
            ("snake_case_name stays, _this_ goes", "snake_case_name stays, this goes"),
            ("> quoted ~~old~~ text", "quoted old text"),
            ("1. first item", "first item"),
            ("[r]: https://example.org", ""),
            ("Title\n=====\nBody", "Title\n\nBody"),
        ],
    )
    def test_markup(self, markdown: str, expected: str) -> None:
        assert strip_markdown(markdown).strip() == expected

    def test_heading_becomes_its_own_paragraph(self) -> None:
        assert strip_markdown("# Trains\nThey leave at noon.") == "\nTrains\n\nThey leave at noon."

    def test_code_fence_content_is_not_stripped(self) -> None:
        source = "Text\n~~~\n# not a heading *kept*\n~~~\nAfter"
        assert strip_markdown(source) == "Text\n# not a heading *kept*\nAfter"


class TestHtml:
    def test_fixture_visible_text_only(self, docs: Path) -> None:
        doc = parse_document(docs / "bakery_es.html")
        assert doc.format == "html"
        paragraphs = doc.text.split("\n\n")
        # the <title>, which the <h1> repeats: metadata, not a paragraph of its own
        assert doc.title == "Panadería del Puente"
        assert paragraphs[0].startswith("La panadería abre a las seis de la mañana y vende")
        assert "mañana y vende pan fresco todos los días. La Sra. Ortega" in doc.text
        assert "tarta de manzana.\nEl precio del pan es de 1,20 €." in doc.text  # <br>, &nbsp;
        assert "¿Tienen pan sin gluten? Sí, los martes." in paragraphs
        for hidden in ("analytics", "font-family", "JavaScript"):
            assert hidden not in doc.text

    def test_pre_keeps_line_breaks(self) -> None:
        assert html_to_text("<p>a  b</p><pre>x = 1\ny = 2</pre>") == "a b\n\nx = 1\ny = 2"

    def test_meta_charset_is_honoured(self) -> None:
        html = '<meta charset="windows-1251"><p>Река течёт.</p>'.encode("cp1251")
        assert parse_bytes(html, "r.html").text == "Река течёт."


class TestPdf:
    def test_text_layer_page_by_page(self, docs: Path) -> None:
        doc = parse_document(docs / "river_en_fr.pdf")
        english, french = doc.text.split("\n\n")
        assert english.startswith("The river rises in the hills above the village.")
        assert "42.5 kilometres" in english
        assert french.startswith("La rivière prend sa source dans les collines.")
        assert "jusqu'à la mer" in french

    def test_not_a_pdf(self, docs: Path) -> None:
        with pytest.raises(IngestError, match=r"broken\.pdf: is not a PDF file"):
            parse_document(docs / "broken.pdf")

    def test_no_text_layer(self) -> None:
        writer = PdfWriter()
        writer.add_blank_page(width=200, height=200)
        buffer = io.BytesIO()
        writer.write(buffer)
        with pytest.raises(IngestError, match=r"scan\.pdf: has no text layer .*OCR"):
            parse_bytes(buffer.getvalue(), "scan.pdf")

    def test_truncated_pdf(self, docs: Path) -> None:
        data = (docs / "river_en_fr.pdf").read_bytes()
        with pytest.raises(IngestError, match=r"cut\.pdf: "):
            parse_bytes(data[:300], "cut.pdf")


class TestDocx:
    def test_paragraphs_and_table_cells_in_order(self, docx_bytes: bytes) -> None:
        doc = parse_bytes(docx_bytes, "fluss.docx")
        assert doc.title == "Der Fluss"  # a title line (the file has no core title)
        assert doc.text.split("\n\n") == [
            "Der Fluss fließt durch die Altstadt und unter sieben Brücken.",
            "Abfahrt",
            "Ziel",
            "12.15 Uhr",
            "Küste",
            "Hunde fahren kostenlos mit.",  # a merged cell once, not once per column
            "Im Frühling ist das Wasser hoch und braun.",
        ]

    def test_not_a_docx(self) -> None:
        with pytest.raises(IngestError, match=r"x\.docx: is not a valid \.docx file"):
            parse_bytes(b"plain text", "x.docx")


class TestCsv:
    def test_default_is_the_longest_column(self, docs: Path) -> None:
        texts = unit_texts(docs / "timetable.csv")
        assert texts[0] == "The next train to the coast leaves from platform four at noon."
        assert texts[3] == "Der Zug ins Tal fährt stündlich, auch am Wochenende."
        assert len(texts) == 4  # the row with an empty description is skipped

    def test_named_column_case_insensitive(self, docs: Path) -> None:
        assert unit_texts(docs / "timetable.csv", text_column="LINE") == [
            "Coast",
            "Coast",
            "Coast",
            "Valley",
            "Valley",
        ]

    def test_missing_column_lists_available(self, docs: Path) -> None:
        with pytest.raises(
            IngestError, match=r"no column 'body'; available columns: 'id', 'line', 'description'"
        ):
            parse_document(docs / "timetable.csv", text_column="body")

    def test_semicolon_dialect_and_tsv(self) -> None:
        semicolon = "id;texte\n1;Le pain est frais, chaud et doré.\n".encode()
        assert parse_bytes(semicolon, "p.csv").text == "Le pain est frais, chaud et doré."
        tsv = b"id\ttext\n1\tThe bakery opens at six.\n2\tIt closes at noon.\n"
        doc = parse_bytes(tsv, "p.tsv")
        assert doc.format == "tsv"
        assert [doc.text[u.start : u.end] for u in doc.units] == [
            "The bakery opens at six.",
            "It closes at noon.",
        ]


class TestJsonl:
    def test_each_record_is_a_unit(self, docs: Path) -> None:
        texts = unit_texts(docs / "bakery.jsonl")
        assert len(texts) == 4  # the blank line is ignored
        assert texts[1] == "La boulangerie ouvre à six heures et vend du pain frais chaque matin."

    def test_chosen_field(self, docs: Path) -> None:
        assert unit_texts(docs / "bakery.jsonl", text_column="lang") == ["en", "fr", "es", "de"]

    def test_bad_line_is_named(self) -> None:
        data = b'{"text": "fine"}\n{"text": broken}\n'
        with pytest.raises(IngestError, match=r"d\.jsonl: line 2 is not valid JSON"):
            parse_bytes(data, "d.jsonl")

    def test_missing_field_is_named(self) -> None:
        with pytest.raises(IngestError, match=r"line 1 has no field 'text' \(fields: 'body'\)"):
            parse_bytes(b'{"body": "x"}\n', "d.jsonl")

    def test_non_object_and_non_string(self) -> None:
        with pytest.raises(IngestError, match="line 1 is not a JSON object"):
            parse_bytes(b'["text"]\n', "d.jsonl")
        with pytest.raises(IngestError, match="line 1: field 'text' is not a string"):
            parse_bytes(b'{"text": 3}\n', "d.jsonl")


class TestTmx:
    def test_every_segment_with_its_language(self, docs: Path) -> None:
        doc = parse_document(docs / "river.tmx")
        units = [(doc.text[u.start : u.end], u.language) for u in doc.units]
        assert units == [
            ("The river flows through the old town and under seven bridges.", "en"),
            ("La rivière traverse la vieille ville et passe sous sept ponts.", "fr-FR"),
            ("El río atraviesa el casco antiguo y pasa bajo siete puentes.", "es"),
            ("The ferry crosses the river every morning.", "en"),  # inline codes dropped
            ("Die Fähre überquert jeden Morgen den Fluss.", "de-DE"),
            ("渡船每天早上过河。", "zh-CN"),  # TMX 1.1 "lang" attribute
        ]

    def test_units_are_joined_with_exact_offsets(self, docs: Path) -> None:
        doc = parse_document(docs / "river.tmx")
        assert "\n\n".join(doc.text[u.start : u.end] for u in doc.units) == doc.text
        assert doc.units[1].start == doc.units[0].end + 2

    def test_not_xml_and_not_tmx(self) -> None:
        with pytest.raises(IngestError, match="not well-formed XML"):
            parse_bytes(b"<tmx><body>", "m.tmx")
        with pytest.raises(IngestError, match=r"not a TMX file \(root element <html>\)"):
            parse_bytes(b"<html><body/></html>", "m.tmx")

    def test_external_entities_are_not_resolved(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP SECRET")
        data = (
            f'<!DOCTYPE tmx [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<tmx><body><tu><tuv xml:lang="en"><seg>Hello &x; river</seg></tuv></tu></body></tmx>'
        ).encode()
        with pytest.raises(IngestError, match="entity declarations are not allowed"):
            parse_bytes(data, "m.tmx")

    def test_the_bitext_reader_reads_the_same_segments(self, docs: Path) -> None:
        doc = parse_document(docs / "river.tmx")
        parsed = [(doc.text[u.start : u.end], u.language) for u in doc.units]
        read = []
        for lang in dict.fromkeys(language for _, language in parsed):
            assert lang is not None
            pairs = read_bitext(docs / "river.tmx", src_lang=lang, trg_lang="xx")
            read += [(pair.src, lang) for pair in pairs if pair.src]
        assert sorted(read) == sorted(parsed)


class TestRegistry:
    def test_unsupported_extension_names_it_and_the_supported_list(self) -> None:
        with pytest.raises(IngestError) as raised:
            parse_bytes(b"\x00", "movie.mp4")
        message = str(raised.value)
        assert "movie.mp4: has extension '.mp4', which is not supported" in message
        for extension in (".txt", ".pdf", ".docx", ".tmx", ".zip"):
            assert extension in message
        assert set(SUPPORTED_EXTENSIONS) >= {".txt", ".md", ".html", ".htm", ".csv", ".jsonl"}

    def test_extension_is_case_insensitive(self) -> None:
        assert parse_bytes(b"The river.", "NOTES.TXT").text == "The river."

    def test_archive_is_walked_not_parsed(self, make_zip: Callable[..., Path]) -> None:
        with pytest.raises(IngestError, match="is an archive: walk it with iter_documents"):
            parse_document(make_zip({"a.txt": b"x"}))

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(IngestError, match=r"gone\.txt: cannot be read"):
            parse_document(tmp_path / "gone.txt")

    def test_ingest_error_is_a_value_error(self) -> None:
        error = IngestError("a.txt", "is odd")
        assert isinstance(error, ValueError)
        assert (str(error), error.source, error.problem) == ("a.txt: is odd", "a.txt", "is odd")


class TestTitles:
    @pytest.mark.parametrize(
        ("text", "title", "body"),
        [
            ("Psalm 23\n\nThe Lord is my shepherd.", "Psalm 23", "The Lord is my shepherd."),
            ("Dear all,\n\nThe meeting moved.", None, "Dear all,\n\nThe meeting moved."),
            ("Just one line", None, "Just one line"),
            ("Two lines\nof text\n\nMore.", None, "Two lines\nof text\n\nMore."),
            ("It rained. \n \nThen it stopped.", None, "It rained. \n \nThen it stopped."),
        ],
    )
    def test_a_leading_title_line_becomes_the_title(
        self, text: str, title: str | None, body: str
    ) -> None:
        doc = parse_bytes(text.encode(), "note.txt")
        assert (doc.title, doc.text) == (title, body)

    def test_html_title_is_kept_even_when_the_page_does_not_repeat_it(self) -> None:
        page = b"<html><head><title> Opening\n hours </title></head><body><p>From six.</p>"
        doc = parse_bytes(page, "hours.html")
        assert (doc.title, doc.text) == ("Opening hours", "From six.")

    def test_pdf_and_docx_metadata_titles(self, docs: Path) -> None:
        from docx import Document as DocxDocument

        word = DocxDocument()
        word.core_properties.title = "Timetable"
        word.add_paragraph("Timetable")
        word.add_paragraph("The train leaves at noon.")
        buffer = io.BytesIO()
        word.save(buffer)
        doc = parse_bytes(buffer.getvalue(), "t.docx")
        assert (doc.title, doc.text) == ("Timetable", "The train leaves at noon.")
        writer = PdfWriter(clone_from=docs / "river_en_fr.pdf")
        writer.add_metadata({"/Title": "River notes"})
        pdf = io.BytesIO()
        writer.write(pdf)
        titled = parse_bytes(pdf.getvalue(), "r.pdf")
        assert titled.title == "River notes"
        assert titled.text == parse_document(docs / "river_en_fr.pdf").text
