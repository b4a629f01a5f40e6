"""Translation-memory workbench: bitext mining, document alignment, concordance, export."""
