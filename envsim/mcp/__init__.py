"""`envsim mcp`: the environment's context for coding agents, over the Model Context Protocol.

A front end beside envsim.cli: it calls envsim.api (and envsim.config/plan for pure
descriptions), never the engine. `server.build_server(root)` builds the server; importing
this package imports neither the MCP SDK nor docker.
"""
