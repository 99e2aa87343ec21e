"""Finance (碳金融): bank products, loans, carbon credit reports, transition certification — to come.

The consent an enterprise gives a bank and the log of every read a bank makes moved to the registry (the
ground floor every app's access rules are built on, docs/architecture.md); their tables keep the
``finance_`` names. This app keeps its migrations (0001–0005 created those tables; 0006 hands them over).
"""
