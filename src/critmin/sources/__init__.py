"""Sources: the declarative catalogue of public datasets (``*.toml`` beside this file), and
fetching verified snapshots of them (sha256 and size checked, a metadata sidecar per file).

First in the flow: ``sources`` → ``warehouse`` → ``analytics`` → ``scenarios``,
``agreements`` → ``spark`` → ``service`` → ``web`` → ``cli``."""
