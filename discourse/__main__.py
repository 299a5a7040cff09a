from discourse.cli import run

run()
