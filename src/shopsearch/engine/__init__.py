"""A real OpenSearch (with the k-NN plugin) on this machine, from Maven Central artifacts.

``artifacts`` resolves the pinned jars once; ``local`` starts, watches and stops the nodes.
Nothing else in shopsearch depends on a local node: every other module only sees a URL.
"""
