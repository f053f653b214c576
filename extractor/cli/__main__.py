"""`python -m extractor.cli`."""

from extractor.cli import main

main()
