"""rm365-hello: the smallest complete third-party plugin for RM365 Toolbox."""
