"""One parser per file format: each turns the file's bytes into a ParsedDocument."""
