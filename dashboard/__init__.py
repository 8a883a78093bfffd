"""The leadership dashboard (Streamlit): `streamlit run dashboard/app.py`."""
