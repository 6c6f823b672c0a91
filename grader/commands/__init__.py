"""One module per command, each with a keyword-only ``main(...)``; the CLI is a thin layer."""
