"""Build the one compiled part of Flok: the min-cost flow core (``flok.solvers._flowcore``).

Everything else lives in pyproject.toml. The extension needs only a C compiler and the Python
headers (no NumPy headers: it reads arrays through the buffer protocol). It is optional: where it
cannot be built, Flok installs anyway and ``auto`` solves with OR-Tools' min-cost flow instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "flok.solvers._flowcore",
            [
                "src/flok/solvers/_flowcore.c",
                "src/flok/solvers/_scaling.c",
                "src/flok/solvers/_repair.c",
                "src/flok/solvers/_layout.c",
            ],
            depends=[
                "src/flok/solvers/_heap.h",
                "src/flok/solvers/_scaling.h",
                "src/flok/solvers/_scaling_int.h",
                "src/flok/solvers/_workspace.h",
            ],
            extra_compile_args=["-O3", "-std=c99"],
            optional=True,
        )
    ]
)
