"""``python -m flok.bench``: the seat-allocation benchmark."""

from flok.bench.allocate import main

main()
