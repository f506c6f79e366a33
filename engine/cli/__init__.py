"""The command line: click commands that only wire the layers below."""
