"""The yearly report: its figures (``figures``) and the files staff download (``exports``)."""
