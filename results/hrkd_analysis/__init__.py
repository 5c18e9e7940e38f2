"""Analysis of hrkd run files: tables, figures and a report (results/README.md)."""
