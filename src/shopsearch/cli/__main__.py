"""`python -m shopsearch.cli ...`: the same command as `shopsearch ...` (benchmarks and tests run it so)."""

from shopsearch.cli import main

main()
