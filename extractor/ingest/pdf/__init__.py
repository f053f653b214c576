"""PDF rendering backends (pypdfium2, pdfplumber) over one page-layout step."""
