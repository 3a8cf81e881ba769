"""A small working plugin: a route, a tab tree, a table with migrations, a web folder."""
