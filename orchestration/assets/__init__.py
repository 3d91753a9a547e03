"""Asset definitions: the landing tables (external) and the dbt project."""
