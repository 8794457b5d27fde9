"""The estate and its rules: the inventory model, workloads on columns, the rule set, the cost model, the catalogue."""
