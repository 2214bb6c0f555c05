"""Streamlit dashboards that read the published snapshot only, in Danish and English."""
