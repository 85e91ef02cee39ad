"""smewg-cycle: the APEC SME Working Group's yearly implementation cycle, orchestrated with Prefect."""

__version__ = "0.1.0"
