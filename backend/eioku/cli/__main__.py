from eioku.cli import app

app()
