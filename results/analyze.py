#!/usr/bin/env python3
"""Tables, figures and a report from hrkd run files: the command line of the package
results/hrkd_analysis (see --help and results/README.md). Needs numpy, h5py and, for figures,
matplotlib: `make report` runs it in its own virtual environment (results/requirements.txt),
also usable directly as results/.venv/bin/python results/analyze.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    try:
        from hrkd_analysis.cli import main
        sys.exit(main())
    except ModuleNotFoundError as e:
        sys.exit(f"analyze.py: {e} in {sys.executable}: use `make report RUNS=...`, or "
                 "results/.venv/bin/python results/analyze.py (made by make report)")
