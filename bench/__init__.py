"""The benchmark suite of issue 7 (`make bench`): figures, not tests. See bench/README.md."""
