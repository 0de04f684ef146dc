"""Statutory lien waivers: the forms each state prescribes, kept as data files and filled in.

`template` reads one form (a TOML file under templates/<state>/), `registry` finds the form in
force for a state on a date, and `filling` puts payapp's values into the form's named blanks.
The PDF is written by data.documents.waiver_pdf.
"""
