"""Presentation helpers every app's pages share: display names of codes (regions, industries, fuels …) and the
chart renderer (Altair → inline SVG). Imports only Django and the engine, so every layer may use it
(docs/architecture.md § Layers)."""
