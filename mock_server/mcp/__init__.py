"""``stagemock mcp``: an MCP server whose tools wrap the StagePro API over HTTP.

Nothing here is imported by the base package: ``mock_server.cli`` imports ``mcp.cli`` only
when ``stagemock mcp`` runs, and only ``server.py`` / ``cli.py`` import the MCP SDK (the
``stagemock[mcp]`` extra). ``schemas`` and ``client`` need only the base dependencies.
"""
