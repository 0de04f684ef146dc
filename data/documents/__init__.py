"""PDF documents: what payapp prints (invoices) and how it reads PDFs from users safely."""
