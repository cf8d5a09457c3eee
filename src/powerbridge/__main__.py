from powerbridge.cli.main import run

run()
