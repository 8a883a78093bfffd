"""CII Sheets: validate the Initiative's shared spreadsheet and keep a trusted snapshot of it."""

__version__ = "0.1.0"
