"""Streamlit dashboard over the published serving database (``make dashboard``)."""
